//! The objects `kspark operator install` applies, as pure data.

use std::collections::BTreeMap;

use k8s_openapi::api::admissionregistration::v1::{ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EnvVar, EnvVarSource, HTTPGetAction, Namespace, ObjectFieldSelector,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecurityContext,
    Service, ServiceAccount, ServicePort, ServiceSpec,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kspark_sparkapp::crd::{scheduled_spark_application_crd, spark_application_crd, spark_connect_crd};

use super::admission_policy::{admission_policy, admission_policy_binding};
use super::rules::{lease_rules, namespace_rules, operator_rules};

/// What to install.
#[derive(Debug, Clone)]
pub struct InstallSpec {
    pub namespace: String,
    pub image: String,
    pub replicas: i32,
    /// Namespaces the operator watches; empty = all (unless there is a
    /// namespace selector).
    pub watch_namespaces: Vec<String>,
    /// The operator's --namespace-selector (as given; checked by the caller).
    pub namespace_selector: Option<String>,
    /// Only SparkApplications matching this label selector.
    pub label_selector: Option<String>,
    /// The operator's --default-batch-scheduler.
    pub default_batch_scheduler: Option<String>,
    /// The operator's --enable-ui-service: a Service for each driver's UI.
    pub ui_service: bool,
    /// The operator's --enable-driver-pdb: a PodDisruptionBudget over the
    /// driver of applications that ask for one.
    pub driver_pdb: bool,
    /// Applications reconciled at the same time.
    pub concurrency: u16,
    /// Which Kubernetes Events the operator publishes: `all` or `warnings`.
    pub events: String,
    /// Log as JSON lines.
    pub log_json: bool,
    /// Only the CRDs.
    pub crds_only: bool,
    /// The ValidatingAdmissionPolicy and its binding, which refuse invalid
    /// applications at admission (Kubernetes 1.30+).
    pub admission_policy: bool,
}

pub const NAME: &str = "kspark-operator";
pub const METRICS_PORT: i32 = 8080;
/// The container port's (and the Service's target) name.
const METRICS_PORT_NAME: &str = "http";

#[derive(Debug, Clone)]
pub enum InstallObject {
    Crd(Box<CustomResourceDefinition>),
    Namespace(Namespace),
    ServiceAccount(ServiceAccount),
    ClusterRole(ClusterRole),
    ClusterRoleBinding(ClusterRoleBinding),
    Role(Role),
    RoleBinding(RoleBinding),
    Deployment(Box<Deployment>),
    Service(Box<Service>),
    AdmissionPolicy(Box<ValidatingAdmissionPolicy>),
    AdmissionPolicyBinding(Box<ValidatingAdmissionPolicyBinding>),
}

impl InstallObject {
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            InstallObject::Crd(o) => serde_json::to_value(o),
            InstallObject::Namespace(o) => serde_json::to_value(o),
            InstallObject::ServiceAccount(o) => serde_json::to_value(o),
            InstallObject::ClusterRole(o) => serde_json::to_value(o),
            InstallObject::ClusterRoleBinding(o) => serde_json::to_value(o),
            InstallObject::Role(o) => serde_json::to_value(o),
            InstallObject::RoleBinding(o) => serde_json::to_value(o),
            InstallObject::Deployment(o) => serde_json::to_value(o),
            InstallObject::Service(o) => serde_json::to_value(o),
            InstallObject::AdmissionPolicy(o) => serde_json::to_value(o),
            InstallObject::AdmissionPolicyBinding(o) => serde_json::to_value(o),
        };
        value.unwrap_or_default()
    }

    pub fn describe(&self) -> String {
        let value = self.to_json();
        format!(
            "{} {}",
            value["kind"].as_str().unwrap_or_default(),
            value["metadata"]["name"].as_str().unwrap_or_default()
        )
    }
}

pub fn objects(spec: &InstallSpec) -> Vec<InstallObject> {
    let mut out = vec![
        InstallObject::Crd(Box::new(spark_application_crd())),
        InstallObject::Crd(Box::new(scheduled_spark_application_crd())),
        InstallObject::Crd(Box::new(spark_connect_crd())),
    ];
    if spec.crds_only {
        return out;
    }
    let ns = &spec.namespace;
    out.extend([
        InstallObject::Namespace(Namespace { metadata: meta(ns, None), ..Default::default() }),
        InstallObject::ServiceAccount(ServiceAccount { metadata: meta(NAME, Some(ns)), ..Default::default() }),
    ]);
    out.extend(rbac(spec));
    out.extend([
        InstallObject::Deployment(Box::new(deployment(spec))),
        InstallObject::Service(Box::new(metrics_service(ns))),
    ]);
    if spec.admission_policy {
        out.extend([
            InstallObject::AdmissionPolicy(Box::new(admission_policy(meta(NAME, None)))),
            InstallObject::AdmissionPolicyBinding(Box::new(admission_policy_binding(
                meta(NAME, None),
                admitted_namespaces(spec),
            ))),
        ]);
    }
    out
}

/// The namespaces the admission policy is bound to; empty = all. A
/// binding selects namespaces by names or by labels, not by either, so with
/// a namespace selector it covers every namespace: the policy refuses only
/// what kubeflow's webhook refuses.
fn admitted_namespaces(spec: &InstallSpec) -> &[String] {
    if spec.namespace_selector.is_some() { &[] } else { &spec.watch_namespaces }
}

/// The operator's rights. Watching one namespace, it uses namespaced
/// watches only, so a Role there is enough; watching several or all (as
/// with a namespace selector), its watches are cluster watches and need a
/// ClusterRole. Its Lease is in its own namespace (one Role with both when
/// that is the watched namespace).
fn rbac(spec: &InstallSpec) -> Vec<InstallObject> {
    let ns = spec.namespace.as_str();
    let role = |namespace: &str, rules| {
        InstallObject::Role(Role { metadata: meta(NAME, Some(namespace)), rules: Some(rules) })
    };
    let binding = |namespace: &str| {
        InstallObject::RoleBinding(RoleBinding {
            metadata: meta(NAME, Some(namespace)),
            role_ref: role_ref("Role"),
            subjects: Some(vec![subject(ns)]),
        })
    };
    let single = if spec.namespace_selector.is_some() { None } else { spec.watch_namespaces.first() };
    match single.filter(|_| spec.watch_namespaces.len() == 1) {
        Some(watched) if watched == ns => vec![role(ns, [operator_rules(), lease_rules()].concat()), binding(ns)],
        Some(watched) => vec![role(watched, operator_rules()), binding(watched), role(ns, lease_rules()), binding(ns)],
        None => vec![
            InstallObject::ClusterRole(ClusterRole {
                metadata: meta(NAME, None),
                rules: Some(cluster_rules(spec)),
                ..Default::default()
            }),
            InstallObject::ClusterRoleBinding(ClusterRoleBinding {
                metadata: meta(NAME, None),
                role_ref: role_ref("ClusterRole"),
                subjects: Some(vec![subject(ns)]),
            }),
            role(ns, lease_rules()),
            binding(ns),
        ],
    }
}

fn cluster_rules(spec: &InstallSpec) -> Vec<PolicyRule> {
    match spec.namespace_selector {
        Some(_) => [operator_rules(), namespace_rules()].concat(),
        None => operator_rules(),
    }
}

fn labels() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), NAME.to_string()),
        ("app.kubernetes.io/managed-by".to_string(), "kspark".to_string()),
    ])
}

fn meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: Some(labels()),
        ..Default::default()
    }
}

fn role_ref(kind: &str) -> RoleRef {
    RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: kind.into(), name: NAME.into() }
}

fn subject(namespace: &str) -> Subject {
    Subject {
        kind: "ServiceAccount".into(),
        name: NAME.into(),
        namespace: Some(namespace.to_string()),
        ..Default::default()
    }
}

fn selector() -> BTreeMap<String, String> {
    BTreeMap::from([("app.kubernetes.io/name".to_string(), NAME.to_string())])
}

/// /metrics for Prometheus (a ServiceMonitor selects it by its labels).
fn metrics_service(namespace: &str) -> Service {
    Service {
        metadata: meta(NAME, Some(namespace)),
        spec: Some(ServiceSpec {
            selector: Some(selector()),
            ports: Some(vec![ServicePort {
                name: Some("metrics".into()),
                port: METRICS_PORT,
                target_port: Some(IntOrString::String(METRICS_PORT_NAME.into())),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn deployment(spec: &InstallSpec) -> Deployment {
    Deployment {
        metadata: meta(NAME, Some(&spec.namespace)),
        spec: Some(DeploymentSpec {
            replicas: Some(spec.replicas),
            selector: LabelSelector { match_labels: Some(selector()), ..Default::default() },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels()), ..Default::default() }),
                spec: Some(PodSpec {
                    service_account_name: Some(NAME.into()),
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        run_as_user: Some(65532),
                        seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".into(), ..Default::default() }),
                        ..Default::default()
                    }),
                    containers: vec![container(spec)],
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn container(spec: &InstallSpec) -> Container {
    let mut args: Vec<String> = ["operator", "run", "--leader-elect", "--lease-namespace", &spec.namespace]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["--metrics-addr".to_string(), format!("0.0.0.0:{METRICS_PORT}")]);
    args.extend(["--concurrency".to_string(), spec.concurrency.to_string()]);
    args.extend(["--events".to_string(), spec.events.clone()]);
    if spec.log_json {
        args.push("--log-json".to_string());
    }
    if let Some(selector) = &spec.label_selector {
        args.extend(["--label-selector".to_string(), selector.clone()]);
    }
    for ns in &spec.watch_namespaces {
        args.extend(["--namespace".to_string(), ns.clone()]);
    }
    if let Some(selector) = &spec.namespace_selector {
        args.extend(["--namespace-selector".to_string(), selector.clone()]);
    }
    if let Some(scheduler) = &spec.default_batch_scheduler {
        args.extend(["--default-batch-scheduler".to_string(), scheduler.clone()]);
    }
    if spec.ui_service {
        args.push("--enable-ui-service".to_string());
    }
    if spec.driver_pdb {
        args.push("--enable-driver-pdb".to_string());
    }
    let probe = |path: &str| Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String(METRICS_PORT_NAME.into()),
            ..Default::default()
        }),
        period_seconds: Some(10),
        ..Default::default()
    };
    let quantities = |cpu: &str, memory: &str| {
        BTreeMap::from([("cpu".to_string(), Quantity(cpu.into())), ("memory".to_string(), Quantity(memory.into()))])
    };
    Container {
        name: NAME.into(),
        image: Some(spec.image.clone()),
        args: Some(args),
        env: Some(vec![field_env("POD_NAME", "metadata.name"), field_env("POD_NAMESPACE", "metadata.namespace")]),
        ports: Some(vec![ContainerPort {
            name: Some(METRICS_PORT_NAME.into()),
            container_port: METRICS_PORT,
            ..Default::default()
        }]),
        liveness_probe: Some(probe("/healthz")),
        readiness_probe: Some(probe("/readyz")),
        resources: Some(ResourceRequirements {
            requests: Some(quantities("100m", "64Mi")),
            limits: Some(BTreeMap::from([("memory".to_string(), Quantity("256Mi".into()))])),
            ..Default::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Default::default() }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn field_env(name: &str, path: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector { field_path: path.into(), ..Default::default() }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> InstallSpec {
        InstallSpec {
            namespace: "kspark-system".into(),
            image: "kspark:test".into(),
            replicas: 2,
            watch_namespaces: vec!["team-a".into(), "team-b".into()],
            namespace_selector: None,
            label_selector: None,
            default_batch_scheduler: None,
            ui_service: false,
            driver_pdb: false,
            concurrency: 64,
            events: "all".into(),
            log_json: false,
            crds_only: false,
            admission_policy: true,
        }
    }

    #[test]
    fn install_has_crds_rbac_and_a_non_root_deployment() {
        let all: Vec<String> = objects(&spec()).iter().map(InstallObject::describe).collect();
        assert_eq!(
            all,
            [
                "CustomResourceDefinition sparkapplications.sparkoperator.k8s.io",
                "CustomResourceDefinition scheduledsparkapplications.sparkoperator.k8s.io",
                "CustomResourceDefinition sparkconnects.sparkoperator.k8s.io",
                "Namespace kspark-system",
                "ServiceAccount kspark-operator",
                "ClusterRole kspark-operator",
                "ClusterRoleBinding kspark-operator",
                "Role kspark-operator",
                "RoleBinding kspark-operator",
                "Deployment kspark-operator",
                "Service kspark-operator",
                "ValidatingAdmissionPolicy kspark-operator",
                "ValidatingAdmissionPolicyBinding kspark-operator",
            ]
        );
        let deployment = objects(&spec()).iter().map(InstallObject::to_json).find(|o| o["kind"] == "Deployment");
        let deployment = deployment.unwrap_or_default();
        let pod = &deployment["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"], true);
        let args = pod["containers"][0]["args"].as_array().cloned().unwrap_or_default();
        assert!(args.iter().any(|a| a == "--leader-elect"));
        assert!(args.windows(2).any(|w| w[0] == "--namespace" && w[1] == "team-a"));
        assert!(args.windows(2).any(|w| w[0] == "--namespace" && w[1] == "team-b"));
    }

    #[test]
    fn the_metrics_service_targets_the_probed_port() {
        let all: Vec<_> = objects(&spec()).iter().map(InstallObject::to_json).collect();
        let service = all.iter().find(|o| o["kind"] == "Service").cloned().unwrap_or_default();
        let deployment = all.iter().find(|o| o["kind"] == "Deployment").cloned().unwrap_or_default();
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(service["spec"]["ports"][0]["targetPort"], container["ports"][0]["name"]);
        assert_eq!(service["spec"]["ports"][0]["port"], container["ports"][0]["containerPort"]);
        assert_eq!(service["spec"]["selector"], deployment["spec"]["selector"]["matchLabels"]);
    }

    #[test]
    fn operator_options_become_arguments() {
        let custom = InstallSpec {
            label_selector: Some("team=a".into()),
            namespace_selector: Some("env in (prod,staging)".into()),
            default_batch_scheduler: Some("volcano".into()),
            ui_service: true,
            driver_pdb: true,
            concurrency: 8,
            events: "warnings".into(),
            log_json: true,
            ..spec()
        };
        let args = container_args(&custom);
        let text = args.join(" ");
        for expected in [
            "--concurrency 8",
            "--events warnings",
            "--log-json",
            "--label-selector team=a",
            "--default-batch-scheduler volcano",
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        // One argument, spaces and all.
        assert!(args.windows(2).any(|w| w[0] == "--namespace-selector" && w[1] == "env in (prod,staging)"), "{args:?}");
        let defaults = container_args(&spec()).join(" ");
        assert!(!defaults.contains("--namespace-selector") && !defaults.contains("--default-batch-scheduler"));
    }

    fn container_args(spec: &InstallSpec) -> Vec<String> {
        container(spec).args.unwrap_or_default()
    }

    /// kubeflow's chart: a namespace selector needs cluster-wide rights and
    /// may list and watch namespaces, even with one watched namespace.
    #[test]
    fn a_namespace_selector_gets_a_cluster_role_that_reads_namespaces() {
        let cluster_role = |spec: &InstallSpec| {
            let all: Vec<serde_json::Value> = rbac(spec).iter().map(InstallObject::to_json).collect();
            all.into_iter().find(|o| o["kind"] == "ClusterRole").unwrap_or_default()
        };
        for watched in [vec![], vec!["team-a".to_string()], vec!["kspark-system".to_string()]] {
            let selected = InstallSpec {
                watch_namespaces: watched.clone(),
                namespace_selector: Some("spark=enabled".into()),
                ..spec()
            };
            let rules = cluster_role(&selected)["rules"].to_string();
            assert!(rules.contains("\"namespaces\"") && rules.contains("\"watch\""), "{watched:?}: {rules}");
            assert!(rules.contains("sparkapplications"), "{rules}");
            assert!(admitted_namespaces(&selected).is_empty(), "{watched:?}: the policy is bound to every namespace");
        }
        let role = cluster_role(&spec());
        assert!(!role["rules"].to_string().contains("\"namespaces\""), "{role}");
        assert_eq!(admitted_namespaces(&spec()), ["team-a", "team-b"]);
    }

    #[test]
    fn one_watched_namespace_needs_no_cluster_role() {
        let one = InstallSpec { watch_namespaces: vec!["team-a".into()], ..spec() };
        let kinds: Vec<String> = rbac(&one)
            .iter()
            .map(|o| {
                let value = o.to_json();
                format!("{} {}", value["kind"].as_str().unwrap_or_default(), key_namespace(&value))
            })
            .collect();
        assert_eq!(kinds, ["Role team-a", "RoleBinding team-a", "Role kspark-system", "RoleBinding kspark-system"]);
        let own = InstallSpec { watch_namespaces: vec!["kspark-system".into()], ..spec() };
        let merged: Vec<serde_json::Value> = rbac(&own).iter().map(InstallObject::to_json).collect();
        assert_eq!(merged.len(), 2, "{merged:?}");
        let rules = merged[0]["rules"].to_string();
        assert!(rules.contains("leases") && rules.contains("sparkapplications"), "{rules}");
    }

    fn key_namespace(value: &serde_json::Value) -> &str {
        value["metadata"]["namespace"].as_str().unwrap_or("-")
    }

    #[test]
    fn the_admission_policy_can_be_left_out() {
        let kinds: Vec<String> =
            objects(&InstallSpec { admission_policy: false, ..spec() }).iter().map(InstallObject::describe).collect();
        assert!(!kinds.iter().any(|k| k.starts_with("ValidatingAdmissionPolicy")), "{kinds:?}");
    }

    #[test]
    fn crds_only_is_just_the_crds() {
        let only: Vec<String> =
            objects(&InstallSpec { crds_only: true, ..spec() }).iter().map(InstallObject::describe).collect();
        assert_eq!(only.len(), 3, "{only:?}");
        assert!(only.iter().all(|o| o.starts_with("CustomResourceDefinition ")), "{only:?}");
    }

    #[test]
    fn the_operator_may_not_read_secrets() {
        let rules = serde_json::to_string(&operator_rules()).unwrap_or_default();
        assert!(!rules.contains("secrets"), "{rules}");
        assert!(!rules.contains("\"*\""), "{rules}");
    }
}
