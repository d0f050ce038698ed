//! Every SparkApplication and ScheduledSparkApplication in kubeflow's
//! examples/ (copied unmodified into tests/kubeflow-examples, see NOTICE)
//! parses with the Rust types and serializes back to the same JSON, and
//! kubeflow's defaults only add to it.

use std::path::{Path, PathBuf};

use kspark_sparkapp::defaults::apply_defaults;
use kspark_sparkapp::{ScheduledSparkApplication, SparkApplication};
use serde_json::Value;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kubeflow-examples")
}

fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

/// kubeflow's spark-pi-prometheus.yaml has `{IMAGE_REGISTRY}/{IMAGE_REPOSITORY}/`
/// placeholders in its image, which make it invalid YAML until substituted.
const TEMPLATED_EXAMPLE: &str = "spark-pi-prometheus.yaml";

fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = if path.ends_with(TEMPLATED_EXAMPLE) {
        text.replace("{IMAGE_REGISTRY}/{IMAGE_REPOSITORY}/", "registry.example/")
    } else {
        text
    };
    serde_saphyr::from_multiple::<Value>(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Quantities may be written as YAML numbers (`cpu: 1`); like Kubernetes,
/// the types keep them as strings.
fn quantities_as_strings(value: &mut Value, key: Option<&str>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                quantities_as_strings(v, Some(k));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| quantities_as_strings(v, None)),
        Value::Number(n) if matches!(key, Some("cpu" | "memory" | "sizeLimit")) => {
            *value = Value::String(n.to_string())
        }
        _ => {}
    }
}

/// Every leaf of `part` is in `whole` with the same value.
fn contained(part: &Value, whole: &Value, path: &str) -> Result<(), String> {
    match (part, whole) {
        (Value::Object(p), Value::Object(w)) => p.iter().try_for_each(|(k, v)| {
            w.get(k).ok_or_else(|| format!("{path}.{k} lost")).and_then(|wv| contained(v, wv, &format!("{path}.{k}")))
        }),
        _ if part == whole => Ok(()),
        _ => Err(format!("{path}: {part} became {whole}")),
    }
}

fn check_application(file: &str, mut doc: Value) -> usize {
    quantities_as_strings(&mut doc, None);
    let app: SparkApplication = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{file}: {e}"));
    let back = serde_json::to_value(&app).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(back, doc, "{file}: a SparkApplication does not round-trip");
    let mut defaulted = app.clone();
    apply_defaults(&mut defaulted.spec);
    let defaulted = serde_json::to_value(&defaulted).unwrap_or_else(|e| panic!("{e}"));
    contained(&doc, &defaulted, "").unwrap_or_else(|e| panic!("{file}: defaults changed a field: {e}"));
    1
}

fn check_scheduled(file: &str, mut doc: Value) -> usize {
    quantities_as_strings(&mut doc, None);
    let app: ScheduledSparkApplication = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{file}: {e}"));
    let back = serde_json::to_value(&app).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(back, doc, "{file}: a ScheduledSparkApplication does not round-trip");
    1
}

#[test]
fn every_kubeflow_example_round_trips() {
    let (mut applications, mut scheduled) = (0, 0);
    for path in example_files() {
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        for doc in documents(&path) {
            match doc["kind"].as_str() {
                Some("SparkApplication") => applications += check_application(&file, doc),
                Some("ScheduledSparkApplication") => scheduled += check_scheduled(&file, doc),
                _ => {}
            }
        }
    }
    // 13 SparkApplications and 1 ScheduledSparkApplication at the copied commit.
    assert_eq!((applications, scheduled), (13, 1));
}

#[test]
fn the_templated_example_is_not_yaml_before_substitution() {
    let text = std::fs::read_to_string(examples_dir().join(TEMPLATED_EXAMPLE)).unwrap_or_default();
    assert!(
        serde_saphyr::from_multiple::<Value>(&text).is_err(),
        "kubeflow fixed {TEMPLATED_EXAMPLE}; drop the substitution"
    );
}

#[test]
fn a_wrongly_typed_field_is_rejected() {
    // A wrong type names the field; kubeflow's API server would reject it too.
    let doc = serde_json::json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "metadata": {"name": "x", "namespace": "default"},
        "spec": {"type": "Scala", "sparkVersion": "4.0.4", "mainApplicationFile": "local:///a.jar",
                 "driver": {"cores": "one"}, "executor": {}}
    });
    let err = serde_json::from_value::<SparkApplication>(doc).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("invalid type"), "{err}");
}
