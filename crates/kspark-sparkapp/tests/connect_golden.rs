//! kspark's SparkConnect objects against kubeflow's own controller.
//!
//! golden/kubeflow-connect/cases/<case>/ holds a SparkConnect
//! (connect.yaml) and what kubeflow's reconciler created for it with a fake
//! client (configmap.json, server-pod.json, service.json, status.json; then
//! ready/status.json once the server pod is ready and two executors exist),
//! or error.txt; recorded by golden/kubeflow-connect/record.sh.

use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kspark_sparkapp::SparkConnect;
use kspark_sparkapp::connect::names::server_service_name;
use kspark_sparkapp::connect::objects::{config_map, server_pod, server_service};
use kspark_sparkapp::connect::status::next_status;
use serde_json::{Value, json};

mod go_json;
use go_json::{first_difference, json_file, without_empty};

/// What the recording's KUBERNETES_SERVICE_HOST and _PORT give.
const MASTER: &str = "k8s://https://10.96.0.1:443";

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../golden/kubeflow-connect/cases")
}

fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cases_dir())
        .unwrap_or_else(|e| panic!("{}: {e}", cases_dir().display()))
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("connect.yaml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 9, "expected the committed cases, found {names:?}");
    names
}

fn connect(case: &str) -> SparkConnect {
    let path = cases_dir().join(case).join("connect.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Ours as the API server would store it: no apiVersion/kind (the fake
/// client's objects have none), Go's zero values gone, and the pod
/// template inside a ConfigMap compared as YAML.
fn comparable(value: Value) -> Value {
    let mut value = without_empty(value);
    if let Some(map) = value.as_object_mut() {
        map.remove("apiVersion");
        map.remove("kind");
    }
    if let Some(data) = value.pointer_mut("/data/executor-pod-template.yaml") {
        let parsed: Value = serde_saphyr::from_str(data.as_str().unwrap_or_default()).unwrap_or(Value::Null);
        *data = without_empty(parsed);
    }
    value
}

fn assert_same(case: &str, file: &str, ours: &impl serde::Serialize) {
    let ours = comparable(serde_json::to_value(ours).unwrap_or_else(|e| panic!("{e}")));
    let theirs = comparable(json_file(&cases_dir().join(case).join(file)));
    if let Some(difference) = first_difference(file, &ours, &theirs) {
        panic!("{case}: {difference}");
    }
}

/// Times written as the recording writes them: `<set>` when present.
fn with_times_marked(status: &kspark_sparkapp::SparkConnectStatus) -> Value {
    let mut value = serde_json::to_value(status).unwrap_or_else(|e| panic!("{e}"));
    for key in ["startTime", "lastUpdateTime"] {
        if value.get(key).is_some_and(|v| !v.is_null()) {
            value[key] = json!("<set>");
        }
    }
    for condition in value["conditions"].as_array_mut().into_iter().flatten() {
        condition["lastTransitionTime"] = json!("<set>");
    }
    value
}

fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::from_second(1_800_000_000).unwrap_or_else(|e| panic!("{e}")))
}

fn ready(mut pod: Pod) -> Pod {
    pod.status = serde_json::from_value(json!({"phase": "Running", "podIP": "10.244.0.7",
        "conditions": [{"type": "Ready", "status": "True"}]}))
    .unwrap_or_else(|e| panic!("{e}"));
    pod
}

fn executor(phase: &str) -> Pod {
    serde_json::from_value(json!({"status": {"phase": phase}})).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn objects_are_kubeflows() {
    for case in cases() {
        let connect = connect(&case);
        let dir = cases_dir().join(&case);
        let conf = config_map(&connect).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_same(&case, "configmap.json", &conf);
        if dir.join("error.txt").is_file() {
            let theirs = std::fs::read_to_string(dir.join("error.txt")).unwrap_or_default();
            let ours = server_pod(&connect, MASTER).map(|_| ()).err().unwrap_or_else(|| panic!("{case}: no error"));
            assert!(theirs.contains("image is not specified"), "{case}: kubeflow said {theirs}");
            assert!(ours.to_string().contains("image is not specified"), "{case}: {ours}");
            assert_eq!(ours.field, "spec.image");
            continue;
        }
        let pod = server_pod(&connect, MASTER).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_same(&case, "server-pod.json", &pod);
        assert_same(&case, "service.json", &server_service(&connect));

        let service = server_service_name(&connect);
        let first = next_status(&Default::default(), &pod, &service, &[], now());
        let theirs = json_file(&dir.join("status.json"));
        assert_eq!(without_empty(with_times_marked(&first)), without_empty(theirs), "{case}: status.json");
        let executors = [executor("Running"), executor("Pending")];
        let second = next_status(&first, &ready(pod), &service, &executors, now());
        let theirs = json_file(&dir.join("ready/status.json"));
        assert_eq!(without_empty(with_times_marked(&second)), without_empty(theirs), "{case}: ready/status.json");
    }
}

#[test]
fn an_unchanged_status_keeps_its_update_time() {
    let connect = connect("minimal");
    let pod = ready(server_pod(&connect, MASTER).unwrap_or_else(|e| panic!("{e}")));
    let first = next_status(&Default::default(), &pod, "s", &[], now());
    let later = Time(k8s_openapi::jiff::Timestamp::from_second(1_800_000_100).unwrap_or_else(|e| panic!("{e}")));
    let second = next_status(&first, &pod, "s", &[], later);
    assert_eq!(second, first, "nothing changed, so nothing is written");
}
