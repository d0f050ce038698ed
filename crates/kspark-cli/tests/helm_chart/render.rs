//! What the chart renders, without a cluster: `helm lint`, `helm template`
//! against `kspark operator install --dry-run`, the values schema, the CRDs
//! and the chart's versions.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use super::{chart_dir, helm, kspark, run, stdout_of, values_file};

const NAMESPACE: &str = "kspark-system";

/// `helm template` in the release namespace, CRDs included, with `values` (YAML) if any.
fn template(namespace: &str, values: Option<&str>) -> Command {
    let mut command = helm();
    command.args(["template", "kspark-operator"]).arg(chart_dir()).args(["--namespace", namespace, "--include-crds"]);
    if let Some(values) = values {
        command.arg("--values").arg(values_file(values));
    }
    command
}

fn parse_documents(yaml: &str) -> Vec<Value> {
    let documents: Vec<Value> = serde_saphyr::from_multiple(yaml).unwrap_or_else(|e| panic!("rendered YAML: {e}"));
    documents.into_iter().filter(|d| !d.is_null()).collect()
}

fn key(object: &Value) -> String {
    let namespace = object["metadata"]["namespace"].as_str().unwrap_or("-");
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    format!("{} {namespace}/{name}", object["kind"].as_str().unwrap_or_default())
}

fn by_key(objects: Vec<Value>) -> BTreeMap<String, Value> {
    objects.into_iter().map(|o| (key(&o), o)).collect()
}

/// `kspark operator install --dry-run -o yaml` with `flags`, without the
/// Namespace: with Helm the release namespace is Helm's (`--create-namespace`),
/// a chart that also created it would fail to install.
fn installed_objects(flags: &[&str]) -> BTreeMap<String, Value> {
    let mut command = kspark();
    command.args(["operator", "install", "--dry-run", "-o", "yaml"]).args(flags);
    let objects = parse_documents(&stdout_of(command));
    by_key(objects.into_iter().filter(|o| o["kind"] != "Namespace").collect())
}

fn rendered_objects(namespace: &str, values: Option<&str>) -> BTreeMap<String, Value> {
    by_key(parse_documents(&stdout_of(template(namespace, values))))
}

fn assert_same_objects(rendered: &BTreeMap<String, Value>, installed: &BTreeMap<String, Value>) {
    let rendered_keys: Vec<&String> = rendered.keys().collect();
    let installed_keys: Vec<&String> = installed.keys().collect();
    assert_eq!(rendered_keys, installed_keys, "the chart renders other objects than `kspark operator install`");
    for (key, object) in rendered {
        let mut differences = Vec::new();
        differences_between(object, &installed[key], String::new(), &mut differences);
        assert!(differences.is_empty(), "{key} differs (chart != install):\n{}", differences.join("\n"));
    }
}

/// Each path where `chart` and `install` differ, with both values.
fn differences_between(chart: &Value, install: &Value, path: String, out: &mut Vec<String>) {
    match (chart, install) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let (x, y) = (a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null));
                differences_between(x, y, format!("{path}.{k}"), out);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences_between(x, y, format!("{path}[{i}]"), out);
            }
        }
        (a, b) if a != b => out.push(format!("  {path}: {a} != {b}")),
        _ => {}
    }
}

#[test]
fn the_chart_lints_cleanly() {
    let mut command = helm();
    command.args(["lint", "--strict"]).arg(chart_dir());
    let lint = stdout_of(command);
    assert!(lint.contains("1 chart(s) linted, 0 chart(s) failed"), "{lint}");
    let mut command = helm();
    command.args(["lint", "--strict", "--set", "serviceMonitor.enabled=true"]).arg(chart_dir());
    stdout_of(command);
}

#[test]
fn defaults_render_the_objects_of_kspark_operator_install() {
    let rendered = rendered_objects(NAMESPACE, None);
    assert!(rendered.contains_key("Service kspark-system/kspark-operator"), "{:?}", rendered.keys());
    assert_same_objects(&rendered, &installed_objects(&[]));
}

#[test]
fn custom_values_render_what_install_does_with_the_same_flags() {
    let values = "replicas: 2\nimage:\n  tag: dev\nwatchNamespaces: [team-a, team-b]\nconcurrency: 8\n\
                  labelSelector: team=a\nevents: warnings\nlogFormat: json\n\
                  uiService:\n  enabled: true\ndriverPodDisruptionBudget:\n  enabled: true\n";
    let rendered = rendered_objects("ops", Some(values));
    let installed = installed_objects(&[
        "--namespace",
        "ops",
        "--replicas",
        "2",
        "--image",
        "ghcr.io/kspark/kspark:dev",
        "--watch-namespace",
        "team-a",
        "--watch-namespace",
        "team-b",
        "--concurrency",
        "8",
        "--label-selector",
        "team=a",
        "--events",
        "warnings",
        "--log-format",
        "json",
        "--enable-ui-service",
        "--enable-driver-pdb",
    ]);
    assert_same_objects(&rendered, &installed);
    let deployment = &rendered["Deployment ops/kspark-operator"];
    let args: Vec<String> =
        serde_json::from_value(deployment["spec"]["template"]["spec"]["containers"][0]["args"].clone())
            .unwrap_or_default();
    let args = args.join(" ");
    for expected in [
        "--namespace team-a --namespace team-b",
        "--concurrency 8",
        "--log-json",
        "--lease-namespace ops",
        "--enable-ui-service --enable-driver-pdb",
    ] {
        assert!(args.contains(expected), "{expected} in {args}");
    }
    assert_eq!(deployment["spec"]["replicas"], 2);
    assert!(rendered.contains_key("ClusterRole -/kspark-operator"), "{:?}", rendered.keys());
}

#[test]
fn one_watched_namespace_gets_a_role_there_instead_of_a_cluster_role() {
    for watched in ["team-a", "ops"] {
        let rendered = rendered_objects("ops", Some(&format!("watchNamespaces: [{watched}]\n")));
        assert_same_objects(&rendered, &installed_objects(&["--namespace", "ops", "--watch-namespace", watched]));
        assert!(!rendered.keys().any(|k| k.starts_with("Cluster")), "{:?}", rendered.keys());
        let role = rendered[&format!("Role {watched}/kspark-operator")]["rules"].to_string();
        assert!(role.contains("sparkapplications") && role.contains("pods"), "{role}");
    }
}

/// kubeflow's spark.jobNamespaceSelector and controller.batchScheduler.default,
/// under this chart's names: the operator's arguments, a ClusterRole that may
/// read namespaces (even with one watched namespace) and the admission policy
/// bound to every namespace, as `kspark operator install` makes them.
#[test]
fn a_namespace_selector_and_a_default_batch_scheduler_render_what_install_does() {
    let values =
        "watchNamespaces: [team-a]\nnamespaceSelector: \"env in (prod,staging)\"\ndefaultBatchScheduler: yunikorn\n";
    let rendered = rendered_objects("ops", Some(values));
    let installed = installed_objects(&[
        "--namespace",
        "ops",
        "--watch-namespace",
        "team-a",
        "--namespace-selector",
        "env in (prod,staging)",
        "--default-batch-scheduler",
        "yunikorn",
    ]);
    assert_same_objects(&rendered, &installed);
    let deployment = &rendered["Deployment ops/kspark-operator"];
    let args: Vec<String> =
        serde_json::from_value(deployment["spec"]["template"]["spec"]["containers"][0]["args"].clone())
            .unwrap_or_default();
    assert!(args.windows(2).any(|w| w[0] == "--namespace-selector" && w[1] == "env in (prod,staging)"), "{args:?}");
    assert!(args.windows(2).any(|w| w[0] == "--default-batch-scheduler" && w[1] == "yunikorn"), "{args:?}");
    let rules = rendered["ClusterRole -/kspark-operator"]["rules"].to_string();
    assert!(
        rules.contains(r#"{"apiGroups":[""],"resources":["namespaces"],"verbs":["get","list","watch"]}"#),
        "{rules}"
    );
    assert!(!rendered.contains_key("Role team-a/kspark-operator"), "{:?}", rendered.keys());
    let binding = &rendered["ValidatingAdmissionPolicyBinding -/kspark-operator"];
    assert_eq!(binding["spec"]["matchResources"], Value::Null, "{binding}");
}

#[test]
fn the_admission_policy_is_left_out_as_install_leaves_it_out() {
    let defaults = rendered_objects(NAMESPACE, None);
    assert!(defaults.contains_key("ValidatingAdmissionPolicy -/kspark-operator"), "{:?}", defaults.keys());
    assert!(defaults.contains_key("ValidatingAdmissionPolicyBinding -/kspark-operator"), "{:?}", defaults.keys());
    let rendered = rendered_objects(NAMESPACE, Some("admissionPolicy:\n  enabled: false\n"));
    assert!(!rendered.keys().any(|k| k.starts_with("ValidatingAdmissionPolicy")), "{:?}", rendered.keys());
    assert_same_objects(&rendered, &installed_objects(&["--no-admission-policy"]));
}

#[test]
fn the_service_monitor_is_rendered_only_when_enabled() {
    let defaults = rendered_objects(NAMESPACE, None);
    assert!(!defaults.keys().any(|k| k.starts_with("ServiceMonitor")), "{:?}", defaults.keys());
    let values = "serviceMonitor:\n  enabled: true\n  interval: 15s\n  labels:\n    release: prometheus\n";
    let rendered = rendered_objects(NAMESPACE, Some(values));
    let monitor = &rendered["ServiceMonitor kspark-system/kspark-operator"];
    let service = &rendered["Service kspark-system/kspark-operator"];
    assert_eq!(monitor["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(monitor["metadata"]["labels"]["release"], "prometheus");
    assert_eq!(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"]);
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], service["spec"]["ports"][0]["name"]);
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
    assert_eq!(monitor["spec"]["endpoints"][0]["interval"], "15s");
}

#[test]
fn invalid_values_are_refused_naming_the_value() {
    let cases = [
        ("concurrency: x\n", "'/concurrency'"),
        ("concurrency: 0\n", "'/concurrency'"),
        ("replicas: -1\n", "'/replicas'"),
        ("events: some\n", "'/events'"),
        ("logFormat: xml\n", "'/logFormat'"),
        ("watchNamespaces: [Team_A]\n", "'/watchNamespaces/0'"),
        ("serviceMonitor:\n  enabled: \"yes\"\n", "'/serviceMonitor/enabled'"),
        ("admissionPolicy:\n  enabled: \"yes\"\n", "'/admissionPolicy/enabled'"),
        ("defaultBatchScheduler: slurm\n", "'/defaultBatchScheduler'"),
        ("namespaceSelector: [a]\n", "'/namespaceSelector'"),
        // A misspelt key is refused too, instead of silently ignored.
        ("watchNamespace: [a]\n", "'watchNamespace'"),
    ];
    for (values, name) in cases {
        let out = run(template(NAMESPACE, Some(values)));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{values:?} was accepted");
        assert!(out.stdout.is_empty(), "{values:?}: something was rendered");
        assert!(stderr.contains("values don't meet the specifications of the schema"), "{values:?}: {stderr}");
        assert!(stderr.contains(name), "{values:?}: the error does not name {name}: {stderr}");
    }
}

#[test]
fn the_chart_crds_are_the_generated_ones() {
    let file = chart_dir().join("crds/kspark-crds.yaml");
    let committed = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut command = kspark();
    command.args(["operator", "install", "--crds-only", "--dry-run", "-o", "yaml"]);
    let generated = stdout_of(command);
    assert!(
        committed == generated,
        "{} differs from `kspark operator install --crds-only --dry-run -o yaml`; regenerate it with scripts/gen-chart-crds.sh",
        file.display()
    );
}

#[test]
fn the_chart_app_version_is_the_image_kspark_installs() {
    let chart = std::fs::read_to_string(chart_dir().join("Chart.yaml")).unwrap_or_else(|e| panic!("Chart.yaml: {e}"));
    let chart: Value = serde_saphyr::from_str(&chart).unwrap_or_else(|e| panic!("Chart.yaml: {e}"));
    assert_eq!(chart["appVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(chart["version"], env!("CARGO_PKG_VERSION"));
}
