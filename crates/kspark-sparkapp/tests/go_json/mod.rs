//! Comparing what kspark writes with what kubeflow's Go code wrote
//! (golden/kubeflow-*): JSON where Go's zero values count as absent.

use std::path::Path;

use serde_json::Value;

/// Go never writes them `false` (which is what absent means).
const GO_PLAIN_BOOLS: [&str; 7] = ["readOnly", "stdin", "stdinOnce", "tty", "hostNetwork", "hostPID", "hostIPC"];

/// Go writes its zero values (`creationTimestamp: null`, `resources: {}`,
/// `status: {}`) where Rust writes nothing, and leaves out empty strings and
/// `false` plain bools that kspark writes (Spark's `subPath: ""`,
/// `readOnly: false`); each pair means the same to the API server.
pub fn without_empty(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, without_empty(v)))
                .filter(|(_, v)| !v.is_null() && v.as_object().is_none_or(|o| !o.is_empty()) && v != "")
                .filter(|(k, v)| !(GO_PLAIN_BOOLS.contains(&k.as_str()) && *v == Value::Bool(false)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_empty).collect()),
        other => other,
    }
}

pub fn json_file(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Where two JSON values first part: `path: kspark X, kubeflow Y`.
pub fn first_difference(path: &str, ours: &Value, theirs: &Value) -> Option<String> {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter().find_map(|key| {
                let (x, y) = (a.get(key).unwrap_or(&Value::Null), b.get(key).unwrap_or(&Value::Null));
                first_difference(&format!("{path}.{key}"), x, y)
            })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).enumerate().find_map(|(i, (x, y))| first_difference(&format!("{path}[{i}]"), x, y))
        }
        _ if ours == theirs => None,
        _ => Some(format!("{path}: kspark {ours}, kubeflow {theirs}")),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
