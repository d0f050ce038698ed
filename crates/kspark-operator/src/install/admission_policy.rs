//! A ValidatingAdmissionPolicy (CEL, Kubernetes 1.30+) that refuses at
//! `kubectl apply` what the operator would otherwise only fail after the
//! object exists: kubeflow's denied sparkConf keys, a foreign
//! `spark.kubernetes.namespace`, and the checks of the operator's own
//! validation that CEL can do cheaply. It takes the place of kubeflow's
//! validating webhook without a webhook server or its certificates; the
//! operator keeps its own checks for clusters without the policy.

use k8s_openapi::api::admissionregistration::v1::{
    MatchCondition, MatchResources, NamedRuleWithOperations, ValidatingAdmissionPolicy,
    ValidatingAdmissionPolicyBinding, ValidatingAdmissionPolicyBindingSpec, ValidatingAdmissionPolicySpec, Validation,
    Variable,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement, ObjectMeta};
use kspark_sparkapp::submit::{DENIED_SPARK_CONF_KEYS, SPARK_NAMESPACE_KEY};

/// The label every namespace carries with its own name (set by the API server).
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The policy; `metadata` names and labels it.
pub fn admission_policy(metadata: ObjectMeta) -> ValidatingAdmissionPolicy {
    ValidatingAdmissionPolicy {
        metadata,
        spec: Some(ValidatingAdmissionPolicySpec {
            failure_policy: Some("Fail".into()),
            match_constraints: Some(MatchResources {
                resource_rules: Some(vec![NamedRuleWithOperations {
                    api_groups: Some(vec!["sparkoperator.k8s.io".into()]),
                    api_versions: Some(vec!["v1beta2".into()]),
                    operations: Some(vec!["CREATE".into(), "UPDATE".into()]),
                    resources: Some(vec!["sparkapplications".into(), "scheduledsparkapplications".into()]),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            match_conditions: Some(vec![MatchCondition {
                name: "spec-changed".into(),
                // An update that leaves the spec alone (labels, finalizers)
                // cannot make it invalid; skipping it keeps objects created
                // before the policy existed updatable.
                expression: "request.operation != 'UPDATE' || object.spec != oldObject.spec".into(),
            }]),
            variables: Some(variables()),
            validations: Some(validations()),
            ..Default::default()
        }),
        status: None,
    }
}

/// The binding that puts the policy in force, in `watch_namespaces` only
/// (all namespaces when empty), the ones the operator reconciles.
pub fn admission_policy_binding(metadata: ObjectMeta, watch_namespaces: &[String]) -> ValidatingAdmissionPolicyBinding {
    let policy_name = metadata.name.clone();
    let match_resources = (!watch_namespaces.is_empty()).then(|| MatchResources {
        namespace_selector: Some(LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: NAMESPACE_NAME_LABEL.into(),
                operator: "In".into(),
                values: Some(watch_namespaces.to_vec()),
            }]),
            ..Default::default()
        }),
        ..Default::default()
    });
    ValidatingAdmissionPolicyBinding {
        metadata,
        spec: Some(ValidatingAdmissionPolicyBindingSpec {
            policy_name,
            validation_actions: Some(vec!["Deny".into()]),
            match_resources,
            ..Default::default()
        }),
    }
}

/// `spec` is the application's spec wherever it is (a
/// ScheduledSparkApplication's is its `spec.template`), `path` its field
/// path for the messages, `conf` its sparkConf (empty when unset).
fn variables() -> Vec<Variable> {
    let scheduled = "request.resource.resource == 'scheduledsparkapplications'";
    let variable = |name: &str, expression: String| Variable { name: name.into(), expression };
    vec![
        variable("spec", format!("{scheduled} ? object.spec.template : object.spec")),
        variable("path", format!("{scheduled} ? 'spec.template' : 'spec'")),
        variable("conf", "variables.spec.?sparkConf.orValue({})".into()),
    ]
}

fn validations() -> Vec<Validation> {
    let mut out: Vec<Validation> = DENIED_SPARK_CONF_KEYS.iter().map(|(key, reason)| denied_key(key, reason)).collect();
    out.extend([namespace_key(), dns1035_name(), node_selector_levels()]);
    out.extend(["driver.cores", "executor.cores", "executor.instances"].map(|field| at_least(field, 1)));
    out.push(in_range("monitoring.prometheus.port", 1024, 49151));
    out
}

/// kubeflow's webhook message, word for word.
fn denied_key(key: &str, reason: &str) -> Validation {
    Validation {
        expression: format!("!('{key}' in variables.conf)"),
        message: Some(format!("sparkConf key \"{key}\" is not allowed: {reason}")),
        ..Default::default()
    }
}

/// kubeflow's webhook message, with the two namespaces.
fn namespace_key() -> Validation {
    let key = SPARK_NAMESPACE_KEY;
    Validation {
        expression: format!("!('{key}' in variables.conf) || variables.conf['{key}'] == request.namespace"),
        message_expression: Some(format!(
            "'sparkConf key \"{key}\" is not allowed: must equal the application namespace \"' + request.namespace + \
             '\", got \"' + variables.conf['{key}'] + '\"'"
        )),
        ..Default::default()
    }
}

/// Kubernetes' IsDNS1035Label: the name becomes the driver's Service's.
fn dns1035_name() -> Validation {
    Validation {
        expression: "size(object.metadata.name) <= 63 && object.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')"
            .into(),
        message_expression: Some(
            "'invalid ' + request.kind.kind + ' name \"' + object.metadata.name + '\": metadata.name must be a \
             DNS-1035 label: at most 63 lower-case letters, digits or \"-\", starting with a letter and ending with \
             a letter or digit'"
                .into(),
        ),
        ..Default::default()
    }
}

fn node_selector_levels() -> Validation {
    let size = |field: &str| format!("size({}.orValue({{}})) > 0", optional_field(field));
    Validation {
        expression: format!(
            "!({} && ({} || {}))",
            size("nodeSelector"),
            size("driver.nodeSelector"),
            size("executor.nodeSelector")
        ),
        message_expression: Some(
            "variables.path + '.nodeSelector cannot be set together with ' + variables.path + \
             '.driver.nodeSelector or ' + variables.path + '.executor.nodeSelector; use one level'"
                .into(),
        ),
        ..Default::default()
    }
}

fn at_least(field: &str, min: i64) -> Validation {
    Validation {
        expression: format!("{}.orValue({min}) >= {min}", optional_field(field)),
        message_expression: Some(format!(
            "variables.path + '.{field} must be at least {min}, got ' + string(variables.spec.{field})"
        )),
        ..Default::default()
    }
}

fn in_range(field: &str, min: i64, max: i64) -> Validation {
    let value = format!("{}.orValue({min})", optional_field(field));
    Validation {
        expression: format!("{value} >= {min} && {value} <= {max}"),
        message_expression: Some(format!(
            "variables.path + '.{field} must be in {min}..{max}, got ' + string(variables.spec.{field})"
        )),
        ..Default::default()
    }
}

/// `variables.spec.?a.?b`: the field if it and its parents are set, an
/// empty optional otherwise, without an error for a missing parent.
fn optional_field(field: &str) -> String {
    field.split('.').fold("variables.spec".to_string(), |path, part| format!("{path}.?{part}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> serde_json::Value {
        let metadata = ObjectMeta { name: Some("kspark-operator".into()), ..Default::default() };
        serde_json::to_value(admission_policy(metadata)).unwrap_or_default()
    }

    fn validation_for(policy: &serde_json::Value, needle: &str) -> serde_json::Value {
        let validations = policy["spec"]["validations"].as_array().cloned().unwrap_or_default();
        validations.into_iter().find(|v| v.to_string().contains(needle)).unwrap_or_default()
    }

    #[test]
    fn every_denied_key_has_kubeflows_message() {
        let policy = policy();
        for (key, reason) in DENIED_SPARK_CONF_KEYS {
            let validation = validation_for(&policy, &format!("'{key}' in"));
            assert_eq!(validation["expression"], format!("!('{key}' in variables.conf)"));
            assert_eq!(validation["message"], format!("sparkConf key \"{key}\" is not allowed: {reason}"));
        }
    }

    /// The keys go into CEL string literals unescaped.
    #[test]
    fn denied_keys_need_no_escaping_in_cel() {
        for (key, _) in DENIED_SPARK_CONF_KEYS {
            assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'), "{key}");
        }
    }

    #[test]
    fn the_policy_refuses_creates_and_updates_of_both_kinds_and_fails_closed() {
        let policy = policy();
        assert_eq!(policy["apiVersion"], "admissionregistration.k8s.io/v1");
        assert_eq!(policy["kind"], "ValidatingAdmissionPolicy");
        assert_eq!(policy["spec"]["failurePolicy"], "Fail");
        let rule = &policy["spec"]["matchConstraints"]["resourceRules"][0];
        assert_eq!(rule["apiGroups"], serde_json::json!(["sparkoperator.k8s.io"]));
        assert_eq!(rule["operations"], serde_json::json!(["CREATE", "UPDATE"]));
        assert_eq!(rule["resources"], serde_json::json!(["sparkapplications", "scheduledsparkapplications"]));
        let spec = &policy["spec"]["variables"][0];
        assert_eq!(spec["name"], "spec");
        assert!(spec["expression"].as_str().unwrap_or_default().contains("object.spec.template"), "{spec}");
    }

    #[test]
    fn field_checks_name_their_field() {
        let policy = policy();
        let instances = validation_for(&policy, "executor.instances");
        assert_eq!(instances["expression"], "variables.spec.?executor.?instances.orValue(1) >= 1");
        let message = instances["messageExpression"].as_str().unwrap_or_default();
        assert!(message.starts_with("variables.path + '.executor.instances must be at least 1"), "{message}");
        let port = validation_for(&policy, "prometheus");
        let expression = port["expression"].as_str().unwrap_or_default();
        assert!(expression.contains(">= 1024") && expression.contains("<= 49151"), "{expression}");
        let namespace = validation_for(&policy, SPARK_NAMESPACE_KEY);
        let message = namespace["messageExpression"].as_str().unwrap_or_default();
        assert!(message.contains("must equal the application namespace"), "{message}");
    }

    #[test]
    fn the_binding_denies_in_the_watched_namespaces_only() {
        let metadata = ObjectMeta { name: Some("kspark-operator".into()), ..Default::default() };
        let all = serde_json::to_value(admission_policy_binding(metadata.clone(), &[])).unwrap_or_default();
        assert_eq!(all["spec"]["policyName"], "kspark-operator");
        assert_eq!(all["spec"]["validationActions"], serde_json::json!(["Deny"]));
        assert!(all["spec"].get("matchResources").is_none(), "{all}");
        let watched = ["team-a".to_string(), "team-b".to_string()];
        let some = serde_json::to_value(admission_policy_binding(metadata, &watched)).unwrap_or_default();
        let requirement = &some["spec"]["matchResources"]["namespaceSelector"]["matchExpressions"][0];
        assert_eq!(requirement["key"], NAMESPACE_NAME_LABEL);
        assert_eq!(requirement["operator"], "In");
        assert_eq!(requirement["values"], serde_json::json!(["team-a", "team-b"]));
    }
}
