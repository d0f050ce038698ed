//! Differences between two clients' normalized objects.
//!
//! [`Comparison::golden`] is what the golden test uses: every list keeps its
//! order — Spark's order of env vars, volumes, mounts and ConfigMap items is
//! a deterministic function of the configuration (golden/README.md, "List
//! order") — except the `spark.local.dir` directories, which Spark shuffles
//! on every run: the `spark-local-dir-*` volumes and mounts compare as a set
//! within the positions they occupy, and `SPARK_LOCAL_DIRS` as a set of paths.

use serde_json::Value;

const LOCAL_DIR: &str = "spark-local-dir-";

#[derive(Debug, Clone, Copy)]
pub struct Comparison {
    shuffled_local_dirs: bool,
}

impl Comparison {
    /// Everything in order, nothing scrubbed beyond normalization.
    pub fn exact() -> Self {
        Self { shuffled_local_dirs: false }
    }

    /// The rules of the golden test (see the module documentation).
    pub fn golden() -> Self {
        Self { shuffled_local_dirs: true }
    }

    /// Every difference between `expected` and `actual`, one line each as
    /// `path: …`; empty when they are the same.
    pub fn differences(&self, expected: &Value, actual: &Value) -> Vec<String> {
        let mut found = Vec::new();
        if self.shuffled_local_dirs {
            diff(&local_dirs_unshuffled(expected, None), &local_dirs_unshuffled(actual, None), "", &mut found);
        } else {
            diff(expected, actual, "", &mut found);
        }
        found
    }
}

fn is_local_dir(value: &Value) -> bool {
    value.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with(LOCAL_DIR))
}

/// `value` with the randomness of Spark's local-dir shuffle taken out.
fn local_dirs_unshuffled(value: &Value, key: Option<&str>) -> Value {
    match value {
        Value::Object(map) => {
            let mut map = map.clone();
            if is_local_dir(value) {
                // Which directory gets which number is random in Spark.
                map.insert("name".into(), Value::String(format!("{LOCAL_DIR}N")));
            }
            if map.get("name").and_then(Value::as_str) == Some("SPARK_LOCAL_DIRS")
                && let Some(Value::String(dirs)) = map.get("value")
            {
                let mut dirs: Vec<&str> = dirs.split(',').collect();
                dirs.sort_unstable();
                let dirs = dirs.join(",");
                map.insert("value".into(), Value::String(dirs));
            }
            Value::Object(map.iter().map(|(k, v)| (k.clone(), local_dirs_unshuffled(v, Some(k)))).collect())
        }
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(|v| local_dirs_unshuffled(v, None)).collect();
            if matches!(key, Some("volumes" | "volumeMounts")) {
                sort_local_dirs_in_place(&mut items, value);
            }
            Value::Array(items)
        }
        other => other.clone(),
    }
}

/// Sorts the local-dir entries among the positions they occupy (decided
/// on the original items, whose names still say `spark-local-dir-`).
fn sort_local_dirs_in_place(items: &mut [Value], original: &Value) {
    let Some(original) = original.as_array() else { return };
    let slots: Vec<usize> = original.iter().enumerate().filter(|(_, v)| is_local_dir(v)).map(|(i, _)| i).collect();
    let mut entries: Vec<Value> = slots.iter().map(|&i| items[i].clone()).collect();
    entries.sort_by_cached_key(|v| sort_text(Some(v)));
    for (slot, entry) in slots.into_iter().zip(entries) {
        items[slot] = entry;
    }
}

fn sort_text(value: Option<&Value>) -> String {
    value.map(|v| super::normalize::sorted(v).to_string()).unwrap_or_default()
}

fn diff(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))).collect();
            keys.sort();
            for k in keys {
                let here = format!("{path}/{k}");
                match (x.get(k), y.get(k)) {
                    (Some(v), None) => out.push(format!("{here}: only in expected: {}", short(v))),
                    (None, Some(v)) => out.push(format!("{here}: only in actual: {}", short(v))),
                    (Some(v), Some(w)) => diff(v, w, &here, out),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff(v, w, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("{path}: expected {} actual {}", short(a), short(b))),
        _ => {}
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_list_keeps_its_order() {
        let a = json!({"env": [{"name": "A"}, {"name": "B"}]});
        let b = json!({"env": [{"name": "B"}, {"name": "A"}]});
        assert_eq!(Comparison::exact().differences(&a, &b).len(), 2);
        assert_eq!(Comparison::golden().differences(&a, &b).len(), 2);
    }

    #[test]
    fn differences_name_the_path() {
        let a = json!({"spec": {"containers": [{"image": "a"}], "x": 1}});
        let b = json!({"spec": {"containers": [{"image": "b"}], "y": 1}});
        assert_eq!(
            Comparison::exact().differences(&a, &b),
            [
                "/spec/containers[0]/image: expected \"a\" actual \"b\"",
                "/spec/x: only in expected: 1",
                "/spec/y: only in actual: 1",
            ]
        );
    }

    #[test]
    fn local_dirs_compare_as_a_set_within_their_slots() {
        let a = json!({
            "env": [{"name": "SPARK_LOCAL_DIRS", "value": "/data/a,/data/b"}],
            "volumeMounts": [
                {"name": "x", "mountPath": "/x"},
                {"name": "spark-local-dir-1", "mountPath": "/data/a"},
                {"name": "spark-local-dir-2", "mountPath": "/data/b"},
            ],
        });
        let b = json!({
            "env": [{"name": "SPARK_LOCAL_DIRS", "value": "/data/b,/data/a"}],
            "volumeMounts": [
                {"name": "x", "mountPath": "/x"},
                {"name": "spark-local-dir-1", "mountPath": "/data/b"},
                {"name": "spark-local-dir-2", "mountPath": "/data/a"},
            ],
        });
        assert!(Comparison::golden().differences(&a, &b).is_empty());
        assert!(!Comparison::exact().differences(&a, &b).is_empty());
        // A local dir moved out of its slots is still a difference.
        let mut c = b.clone();
        c["volumeMounts"] = json!([
            {"name": "spark-local-dir-1", "mountPath": "/data/b"},
            {"name": "x", "mountPath": "/x"},
            {"name": "spark-local-dir-2", "mountPath": "/data/a"},
        ]);
        assert!(!Comparison::golden().differences(&a, &c).is_empty());
    }
}
