//! The CRDs generated from the Rust types against kubeflow's published CRDs.
//!
//! kubeflow's CRDs are not copied here; tests/kubeflow-crd/*.fields hold the
//! facts tests/kubeflow-crd/extract.py drew from them (every field kubeflow
//! defines, with type, requiredness, enum, format and bounds; Kubernetes'
//! own types only at their root). This test draws the same facts from the
//! generated CRDs and wants the same list, except for the differences in
//! DOCUMENTED_DIFFERENCES.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::LazyLock;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kspark_sparkapp::crd;
use serde_json::Value;

// Generating a CRD takes seconds in a debug build: once per test binary.
static SPARK_APPLICATION: LazyLock<CustomResourceDefinition> = LazyLock::new(crd::spark_application_crd);
static SCHEDULED: LazyLock<CustomResourceDefinition> = LazyLock::new(crd::scheduled_spark_application_crd);
static CONNECT: LazyLock<CustomResourceDefinition> = LazyLock::new(crd::spark_connect_crd);

fn spark_application_crd() -> CustomResourceDefinition {
    SPARK_APPLICATION.clone()
}

fn scheduled_spark_application_crd() -> CustomResourceDefinition {
    SCHEDULED.clone()
}

/// Field names whose type is a Kubernetes API type (as in extract.py).
const K8S_TYPED: &[&str] = &[
    "affinity",
    "dnsConfig",
    "env",
    "envFrom",
    "hostAliases",
    "ingressTLS",
    "initContainers",
    "lifecycle",
    "podSecurityContext",
    "securityContext",
    "sidecars",
    "template",
    "tolerations",
    "volumeMounts",
    "volumes",
    // SparkConnect: a core/v1 Service and metav1 Conditions.
    "service",
    "conditions",
];

/// Facts where the generated CRD knowingly differs from kubeflow's, as
/// (kubeflow's line or "", generated line or ""), and why.
const DOCUMENTED_DIFFERENCES: &[(&str, &str, &str)] = &[
    ("", "status.logArchive object", LOG_ARCHIVE),
    ("", "status.logArchive.archivedTime string nullable format=date-time", LOG_ARCHIVE),
    ("", "status.logArchive.attempts integer format=int32", LOG_ARCHIVE),
    ("", "status.logArchive.files array", LOG_ARCHIVE),
    ("", "status.logArchive.files[] string", LOG_ARCHIVE),
    ("", "status.logArchive.lastAttemptTime string nullable format=date-time", LOG_ARCHIVE),
    ("", "status.logArchive.lastError string", LOG_ARCHIVE),
    ("", "status.logArchive.location string", LOG_ARCHIVE),
];

/// Why status.logArchive is there.
const LOG_ARCHIVE: &str = "kspark's own status field: where `kspark operator run --archive-logs` put the logs; kubeflow's fields are unchanged";

fn facts(node: &Value, required: bool, k8s: bool) -> String {
    let mut out = vec![node.get("type").and_then(Value::as_str).unwrap_or("-").to_string()];
    if required {
        out.push("required".into());
    }
    if node.get("nullable") == Some(&Value::Bool(true)) {
        out.push("nullable".into());
    }
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        let values: Vec<String> =
            values.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect();
        out.push(format!("enum={}", values.join("|")));
    }
    for (key, name) in [("format", "format"), ("minimum", "min"), ("maximum", "max"), ("pattern", "pattern")] {
        if let Some(value) = node.get(key) {
            let text = value.as_str().map(str::to_string).unwrap_or_else(|| number_like_python(value));
            out.push(format!("{name}={text}"));
        }
    }
    if node.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        out.push("preserve-unknown".into());
    }
    if node.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        out.push("int-or-string".into());
    }
    if let Some(default) = node.get("default") {
        out.push(format!("default={default}"));
    }
    if k8s {
        out.push("k8s".into());
    }
    out.join(" ")
}

/// PyYAML reads `minimum: 1` as int 1; serde_json may hold 1.0.
fn number_like_python(value: &Value) -> String {
    match value.as_f64() {
        Some(f) if f.fract() == 0.0 => format!("{}", f as i64),
        _ => value.to_string(),
    }
}

fn walk(node: &Value, path: &str, required: bool, k8s: bool, lines: &mut Vec<String>) {
    lines.push(format!("{} {}", if path.is_empty() { "." } else { path }, facts(node, required, k8s)));
    if k8s {
        return;
    }
    let required_names: BTreeSet<&str> =
        node.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        let mut names: Vec<&String> = properties.keys().collect();
        names.sort();
        for name in names {
            let child = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            let k8s_typed = K8S_TYPED.contains(&name.as_str()) && child != "spec.template";
            walk(&properties[name], &child, required_names.contains(name.as_str()), k8s_typed, lines);
        }
    }
    if let Some(items) = node.get("items").filter(|i| i.is_object()) {
        walk(items, &format!("{path}[]"), false, false, lines);
    }
    if let Some(values) = node.get("additionalProperties").filter(|v| v.is_object()) {
        walk(values, &format!("{path}{{}}"), false, false, lines);
    }
}

fn generated_facts(crd: &CustomResourceDefinition) -> Vec<String> {
    let schema = crd.spec.versions[0].schema.as_ref().and_then(|s| s.open_api_v3_schema.as_ref());
    let value = serde_json::to_value(schema).unwrap_or_else(|e| panic!("{e}"));
    let mut lines = Vec::new();
    walk(&value, "", false, false, &mut lines);
    lines
}

fn kubeflow_facts(file: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kubeflow-crd").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).map(str::to_string).collect()
}

fn compare(kubeflow: Vec<String>, generated: Vec<String>) {
    let kubeflow: BTreeSet<String> = kubeflow.into_iter().collect();
    let generated: BTreeSet<String> = generated.into_iter().collect();
    let documented = |line: &str, kubeflow_side: bool| {
        DOCUMENTED_DIFFERENCES.iter().any(|(k, g, _)| if kubeflow_side { *k == line } else { *g == line })
    };
    let missing: Vec<&String> = kubeflow.difference(&generated).filter(|l| !documented(l, true)).collect();
    let extra: Vec<&String> = generated.difference(&kubeflow).filter(|l| !documented(l, false)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "schema differs from kubeflow's\n  only kubeflow's:\n    {}\n  only generated:\n    {}",
        missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n    "),
        extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n    ")
    );
}

#[test]
fn spark_application_schema_matches_kubeflow() {
    compare(kubeflow_facts("sparkapplications.fields"), generated_facts(&spark_application_crd()));
}

#[test]
fn scheduled_spark_application_schema_matches_kubeflow() {
    compare(kubeflow_facts("scheduledsparkapplications.fields"), generated_facts(&scheduled_spark_application_crd()));
}

#[test]
fn spark_connect_schema_matches_kubeflow() {
    compare(kubeflow_facts("sparkconnects.fields"), generated_facts(&CONNECT));
}

#[test]
fn documented_differences_still_occur() {
    // A documented difference that no longer shows is a stale excuse.
    let all: BTreeSet<String> = [
        generated_facts(&spark_application_crd()),
        generated_facts(&scheduled_spark_application_crd()),
        kubeflow_facts("sparkapplications.fields"),
        kubeflow_facts("scheduledsparkapplications.fields"),
    ]
    .into_iter()
    .flatten()
    .collect();
    for (kubeflow, generated, why) in DOCUMENTED_DIFFERENCES {
        for line in [kubeflow, generated].into_iter().filter(|l| !l.is_empty()) {
            assert!(all.contains(*line), "documented difference `{line}` ({why}) no longer occurs");
        }
    }
}

fn printer_columns(crd: &CustomResourceDefinition) -> Vec<(String, String, String)> {
    crd.spec.versions[0]
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|c| (c.name.clone(), c.type_.clone(), c.json_path.clone()))
        .collect()
}

fn owned(columns: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    columns.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect()
}

// Names, scope, subresources and columns as in kubeflow's CRDs
// (the kubebuilder markers in api/v1beta2/*_types.go).
#[test]
fn spark_application_crd_names_scope_and_columns_are_kubeflows() {
    let crd = spark_application_crd();
    assert_eq!(crd.metadata.name.as_deref(), Some("sparkapplications.sparkoperator.k8s.io"));
    assert_eq!(crd.spec.group, "sparkoperator.k8s.io");
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_eq!(crd.spec.names.kind, "SparkApplication");
    assert_eq!(crd.spec.names.list_kind.as_deref(), Some("SparkApplicationList"));
    assert_eq!(crd.spec.names.singular.as_deref(), Some("sparkapplication"));
    assert_eq!(crd.spec.names.short_names, Some(vec!["sparkapp".to_string()]));
    let version = &crd.spec.versions[0];
    assert_eq!((version.name.as_str(), version.served, version.storage), ("v1beta2", true, true));
    assert!(version.subresources.as_ref().and_then(|s| s.status.as_ref()).is_some(), "status subresource");
    assert_eq!(
        crd.metadata.annotations.unwrap_or_default().get("api-approved.kubernetes.io").map(String::as_str),
        Some("https://github.com/kubeflow/spark-operator/pull/1298")
    );
    assert_eq!(
        printer_columns(&spark_application_crd()),
        owned(&[
            ("Suspend", "boolean", ".spec.suspend"),
            ("Status", "string", ".status.applicationState.state"),
            ("Attempts", "string", ".status.executionAttempts"),
            ("Start", "string", ".status.lastSubmissionAttemptTime"),
            ("Finish", "string", ".status.terminationTime"),
            ("Age", "date", ".metadata.creationTimestamp"),
        ])
    );
}

#[test]
fn scheduled_spark_application_crd_names_scope_and_columns_are_kubeflows() {
    let crd = scheduled_spark_application_crd();
    assert_eq!(crd.metadata.name.as_deref(), Some("scheduledsparkapplications.sparkoperator.k8s.io"));
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_eq!(crd.spec.names.short_names, Some(vec!["scheduledsparkapp".to_string()]));
    assert!(crd.spec.versions[0].subresources.as_ref().and_then(|s| s.status.as_ref()).is_some());
    assert_eq!(
        printer_columns(&crd),
        owned(&[
            ("Schedule", "string", ".spec.schedule"),
            ("TimeZone", "string", ".spec.timeZone"),
            ("Suspend", "string", ".spec.suspend"),
            ("Last Run", "date", ".status.lastRun"),
            ("Last Run Name", "string", ".status.lastRunName"),
            ("Age", "date", ".metadata.creationTimestamp"),
        ])
    );
}

#[test]
fn spark_connect_crd_names_scope_and_columns_are_kubeflows() {
    let crd = CONNECT.clone();
    assert_eq!(crd.metadata.name.as_deref(), Some("sparkconnects.sparkoperator.k8s.io"));
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_eq!(crd.spec.names.list_kind.as_deref(), Some("SparkConnectList"));
    assert_eq!(crd.spec.names.short_names, Some(vec!["sparkconn".to_string()]));
    let version = &crd.spec.versions[0];
    assert_eq!((version.name.as_str(), version.served, version.storage), ("v1alpha1", true, true));
    assert!(version.subresources.as_ref().and_then(|s| s.status.as_ref()).is_some(), "status subresource");
    assert_eq!(
        printer_columns(&crd),
        owned(&[
            ("Age", "date", ".metadata.creationTimestamp"),
            ("Status", "string", ".status.state"),
            ("PodName", "string", ".status.server.podName"),
        ])
    );
}

#[test]
fn pod_templates_are_schemaless_like_kubeflows() {
    // A full PodTemplateSpec schema per role would make the CRD too large.
    let value = serde_json::to_value(&*SPARK_APPLICATION).unwrap_or_else(|e| panic!("{e}"));
    let template = &value["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["driver"]
        ["properties"]["template"];
    assert_eq!(template["type"], "object");
    assert_eq!(template["x-kubernetes-preserve-unknown-fields"], true);
    assert!(template.get("properties").is_none(), "{template}");
}

#[test]
fn the_crds_fit_the_api_servers_request_limit() {
    // kube-apiserver takes at most 3 MiB per request and etcd 1.5 MiB per
    // object; kubeflow's CRDs are about 0.45 MB each as JSON.
    for crd in [spark_application_crd(), scheduled_spark_application_crd()] {
        let size = serde_json::to_vec(&crd).map(|v| v.len()).unwrap_or(usize::MAX);
        assert!(size < 1_400_000, "{:?} is {size} bytes", crd.metadata.name);
    }
}
