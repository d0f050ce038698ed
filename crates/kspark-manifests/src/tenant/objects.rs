//! The objects of a tenant, in the order they are applied: the namespace,
//! then what constrains it (container defaults, quota), then the driver's
//! account and Role, and last the binding that lets people in, so that
//! nobody can submit into a namespace whose limits are not in place yet.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, ResourceQuota, ResourceQuotaSpec, ServiceAccount,
};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::rules::{driver_rules, submitter_rules};
use super::spec::AzureIdentity;
use super::{MANAGED_BY_LABEL, MANAGED_BY_VALUE, SPEC_ANNOTATION, TENANT_LABEL, TenantSpec};
use crate::workload_identity::{CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION};

/// Each Role and the RoleBinding that grants it share one name, so that
/// `kubectl get role,rolebinding NAME` shows both. (Before, the submitters'
/// binding was `kspark-spark-submitters`; `create` prunes it like every
/// labelled object it no longer wants.)
pub const DRIVER_ROLE: &str = "kspark-spark-driver";
pub const SUBMITTER_ROLE: &str = "kspark-spark-submitter";
pub const QUOTA: &str = "kspark-quota";
pub const CONTAINER_DEFAULTS: &str = "kspark-defaults";

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Objects that existed before kspark touched them. kspark adds only its
/// tenant label to them (and its spec to the namespace), never the
/// managed-by label, so that `tenant delete` leaves them and what is in
/// them alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Adopted {
    pub namespace: bool,
    pub service_account: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TenantObject {
    Namespace(Namespace),
    ServiceAccount(ServiceAccount),
    Role(Role),
    RoleBinding(RoleBinding),
    ResourceQuota(ResourceQuota),
    LimitRange(LimitRange),
}

impl TenantObject {
    pub fn kind(&self) -> &'static str {
        match self {
            TenantObject::Namespace(_) => "Namespace",
            TenantObject::ServiceAccount(_) => "ServiceAccount",
            TenantObject::Role(_) => "Role",
            TenantObject::RoleBinding(_) => "RoleBinding",
            TenantObject::ResourceQuota(_) => "ResourceQuota",
            TenantObject::LimitRange(_) => "LimitRange",
        }
    }

    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            TenantObject::Namespace(o) => &o.metadata,
            TenantObject::ServiceAccount(o) => &o.metadata,
            TenantObject::Role(o) => &o.metadata,
            TenantObject::RoleBinding(o) => &o.metadata,
            TenantObject::ResourceQuota(o) => &o.metadata,
            TenantObject::LimitRange(o) => &o.metadata,
        }
    }

    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// `Role kspark-spark-driver`.
    pub fn describe(&self) -> String {
        format!("{} {}", self.kind(), self.name())
    }

    /// The JSON that is applied; every variant serializes with apiVersion
    /// and kind.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

pub fn objects(spec: &TenantSpec, adopted: Adopted) -> Vec<TenantObject> {
    let mut out = vec![TenantObject::Namespace(namespace(spec, adopted.namespace))];
    if !spec.default_requests.is_empty() || !spec.default_limits.is_empty() {
        out.push(TenantObject::LimitRange(container_defaults(spec)));
    }
    if !spec.quota.is_empty() {
        out.push(TenantObject::ResourceQuota(quota(spec)));
    }
    let mut account =
        ServiceAccount { metadata: meta(spec, &spec.service_account, adopted.service_account), ..Default::default() };
    account.metadata.annotations = spec.workload_identity.as_ref().map(identity_annotations);
    out.extend([
        TenantObject::ServiceAccount(account),
        TenantObject::Role(Role { metadata: meta(spec, DRIVER_ROLE, false), rules: Some(driver_rules()) }),
        TenantObject::RoleBinding(binding(spec, DRIVER_ROLE, vec![driver_subject(spec)])),
        TenantObject::Role(Role { metadata: meta(spec, SUBMITTER_ROLE, false), rules: Some(submitter_rules()) }),
        TenantObject::RoleBinding(binding(spec, SUBMITTER_ROLE, submitter_subjects(spec))),
    ]);
    out
}

/// What Azure's webhook reads to give the driver's pods a token.
fn identity_annotations(identity: &AzureIdentity) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::from([(CLIENT_ID_ANNOTATION.to_string(), identity.client_id.clone())]);
    if let Some(tenant) = &identity.tenant_id {
        annotations.insert(TENANT_ID_ANNOTATION.to_string(), tenant.clone());
    }
    annotations
}

fn labels(spec: &TenantSpec, adopted: bool) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(TENANT_LABEL.to_string(), spec.namespace.clone())]);
    if !adopted {
        labels.insert(MANAGED_BY_LABEL.to_string(), MANAGED_BY_VALUE.to_string());
    }
    labels
}

fn meta(spec: &TenantSpec, name: &str, adopted: bool) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(spec.namespace.clone()),
        labels: Some(labels(spec, adopted)),
        ..Default::default()
    }
}

fn namespace(spec: &TenantSpec, adopted: bool) -> Namespace {
    let recorded = serde_json::to_string(spec).unwrap_or_default();
    let metadata = ObjectMeta {
        name: Some(spec.namespace.clone()),
        labels: Some(labels(spec, adopted)),
        annotations: Some(BTreeMap::from([(SPEC_ANNOTATION.to_string(), recorded)])),
        ..Default::default()
    };
    Namespace { metadata, ..Default::default() }
}

fn quantities(map: &BTreeMap<String, String>) -> Option<BTreeMap<String, Quantity>> {
    (!map.is_empty()).then(|| map.iter().map(|(k, v)| (k.clone(), Quantity(v.clone()))).collect())
}

fn quota(spec: &TenantSpec) -> ResourceQuota {
    ResourceQuota {
        metadata: meta(spec, QUOTA, false),
        spec: Some(ResourceQuotaSpec { hard: quantities(&spec.quota), ..Default::default() }),
        ..Default::default()
    }
}

/// Defaults for containers that set none, so that a quota on requests or
/// limits does not reject their pods outright.
fn container_defaults(spec: &TenantSpec) -> LimitRange {
    let item = LimitRangeItem {
        type_: "Container".into(),
        default: quantities(&spec.default_limits),
        default_request: quantities(&spec.default_requests),
        ..Default::default()
    };
    LimitRange { metadata: meta(spec, CONTAINER_DEFAULTS, false), spec: Some(LimitRangeSpec { limits: vec![item] }) }
}

/// The binding of `role`, named like it.
fn binding(spec: &TenantSpec, role: &str, subjects: Vec<Subject>) -> RoleBinding {
    RoleBinding {
        metadata: meta(spec, role, false),
        role_ref: RoleRef { api_group: RBAC_GROUP.into(), kind: "Role".into(), name: role.into() },
        subjects: Some(subjects),
    }
}

fn driver_subject(spec: &TenantSpec) -> Subject {
    Subject {
        kind: "ServiceAccount".into(),
        name: spec.service_account.clone(),
        namespace: Some(spec.namespace.clone()),
        ..Default::default()
    }
}

/// Users and groups by the names the API server sees.
fn submitter_subjects(spec: &TenantSpec) -> Vec<Subject> {
    let subject = |kind: &str, name: &String| Subject {
        kind: kind.into(),
        name: name.clone(),
        api_group: Some(RBAC_GROUP.into()),
        ..Default::default()
    };
    spec.users.iter().map(|u| subject("User", u)).chain(spec.groups.iter().map(|g| subject("Group", g))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::{DEFAULT_LIMITS, DEFAULT_REQUESTS, TenantRequest};

    fn spec(quota: Option<&str>) -> TenantSpec {
        let request = TenantRequest {
            namespace: "team-a".into(),
            users: vec!["alice".into()],
            groups: vec!["spark-users".into()],
            service_account: "spark".into(),
            quota: quota.map(Into::into),
            default_requests: DEFAULT_REQUESTS.into(),
            default_limits: DEFAULT_LIMITS.into(),
            workload_identity: None,
            tenant_id: None,
        };
        request.resolve().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn constraints_come_before_grants() {
        let kinds: Vec<String> =
            objects(&spec(Some("pods=5")), Adopted::default()).iter().map(|o| o.describe()).collect();
        assert_eq!(
            kinds,
            [
                "Namespace team-a",
                "LimitRange kspark-defaults",
                "ResourceQuota kspark-quota",
                "ServiceAccount spark",
                "Role kspark-spark-driver",
                "RoleBinding kspark-spark-driver",
                "Role kspark-spark-submitter",
                "RoleBinding kspark-spark-submitter",
            ]
        );
        assert_eq!(objects(&spec(None), Adopted::default()).len(), 7, "no quota without --quota");
    }

    #[test]
    fn everything_is_labelled_and_in_the_namespace() {
        for o in objects(&spec(Some("pods=5")), Adopted::default()) {
            let labels = o.metadata().labels.clone().unwrap_or_default();
            assert_eq!(labels.get(MANAGED_BY_LABEL).map(String::as_str), Some("kspark"), "{}", o.describe());
            assert_eq!(labels.get(TENANT_LABEL).map(String::as_str), Some("team-a"), "{}", o.describe());
            if o.kind() != "Namespace" {
                assert_eq!(o.metadata().namespace.as_deref(), Some("team-a"));
            }
            assert!(o.to_json()["apiVersion"].is_string() && o.to_json()["kind"] == o.kind());
        }
    }

    #[test]
    fn adopted_objects_are_not_claimed() {
        let adopted = Adopted { namespace: true, service_account: true };
        let all = objects(&spec(None), adopted);
        for o in all.iter().filter(|o| matches!(o.kind(), "Namespace" | "ServiceAccount")) {
            let labels = o.metadata().labels.clone().unwrap_or_default();
            assert!(!labels.contains_key(MANAGED_BY_LABEL) && labels.contains_key(TENANT_LABEL), "{}", o.describe());
        }
        let ns = all[0].to_json();
        let recorded: Option<TenantSpec> =
            ns["metadata"]["annotations"][SPEC_ANNOTATION].as_str().and_then(|t| serde_json::from_str(t).ok());
        assert_eq!(recorded, Some(spec(None)));
    }

    #[test]
    fn bindings_name_the_account_users_and_groups() {
        let all = objects(&spec(None), Adopted::default());
        let json: Vec<serde_json::Value> =
            all.iter().filter(|o| o.kind() == "RoleBinding").map(|o| o.to_json()).collect();
        assert_eq!(
            json[0]["subjects"],
            serde_json::json!([{"kind": "ServiceAccount", "name": "spark", "namespace": "team-a"}])
        );
        assert_eq!(json[0]["roleRef"]["name"], DRIVER_ROLE);
        assert_eq!(
            json[1]["subjects"],
            serde_json::json!([
                {"apiGroup": RBAC_GROUP, "kind": "User", "name": "alice"},
                {"apiGroup": RBAC_GROUP, "kind": "Group", "name": "spark-users"}
            ])
        );
        assert_eq!(json[1]["roleRef"]["name"], SUBMITTER_ROLE);
        for binding in &json {
            assert_eq!(binding["metadata"]["name"], binding["roleRef"]["name"], "a binding is named like its Role");
        }
    }

    #[test]
    fn workload_identity_annotates_only_the_drivers_account() {
        let account = |spec: &TenantSpec| {
            objects(spec, Adopted::default()).iter().find(|o| o.kind() == "ServiceAccount").map(|o| o.to_json())
        };
        assert_eq!(account(&spec(None)).map(|a| a["metadata"]["annotations"].is_null()), Some(true));
        let mut with = spec(None);
        with.workload_identity = Some(AzureIdentity { client_id: "c".into(), tenant_id: None });
        let annotations = account(&with).map(|a| a["metadata"]["annotations"].clone());
        assert_eq!(annotations, Some(serde_json::json!({CLIENT_ID_ANNOTATION: "c"})));
        with.workload_identity = Some(AzureIdentity { client_id: "c".into(), tenant_id: Some("t".into()) });
        let annotations = account(&with).map(|a| a["metadata"]["annotations"].clone());
        assert_eq!(annotations, Some(serde_json::json!({CLIENT_ID_ANNOTATION: "c", TENANT_ID_ANNOTATION: "t"})));
        let others = objects(&with, Adopted::default());
        let annotated = others
            .iter()
            .filter(|o| o.metadata().annotations.as_ref().is_some_and(|a| a.contains_key(CLIENT_ID_ANNOTATION)));
        assert_eq!(annotated.count(), 1);
    }

    #[test]
    fn container_defaults_carry_requests_and_limits() {
        let all = objects(&spec(None), Adopted::default());
        let range = all.iter().find(|o| o.kind() == "LimitRange").map(|o| o.to_json()).unwrap_or_default();
        let item = &range["spec"]["limits"][0];
        assert_eq!(item["type"], "Container");
        assert_eq!(item["default"], serde_json::json!({"memory": "2Gi"}), "no default CPU limit");
        assert_eq!(item["defaultRequest"], serde_json::json!({"cpu": "500m", "memory": "512Mi"}));
    }
}
