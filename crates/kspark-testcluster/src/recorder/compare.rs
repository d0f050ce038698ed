//! Differences between two clients' normalized objects.
//!
//! [`Comparison::golden`] is what the golden test uses: every list keeps its
//! order except those in [`UNORDERED_LISTS`], which Spark fills from hash
//! maps and which compare as sets; and the `spark.local.dir` directories,
//! which Spark shuffles on every run (see golden/README.md).

use serde_json::Value;

/// Lists compared as sets, by field name of the list → the field that
/// names an item.
pub const UNORDERED_LISTS: &[(&str, &str)] =
    &[("env", "name"), ("volumes", "name"), ("volumeMounts", "mountPath"), ("items", "key")];

#[derive(Debug, Clone, Copy)]
pub struct Comparison {
    unordered: &'static [(&'static str, &'static str)],
    shuffled_local_dirs: bool,
}

impl Comparison {
    /// Everything in order, nothing scrubbed beyond normalization.
    pub fn exact() -> Self {
        Self { unordered: &[], shuffled_local_dirs: false }
    }

    /// The rules of the golden test (see the module documentation).
    pub fn golden() -> Self {
        Self { unordered: UNORDERED_LISTS, shuffled_local_dirs: true }
    }

    /// Every difference between `expected` and `actual`, one line each as
    /// `path: …`; empty when they are the same.
    pub fn differences(&self, expected: &Value, actual: &Value) -> Vec<String> {
        let mut found = Vec::new();
        diff(&self.canonical(expected, None), &self.canonical(actual, None), "", &mut found);
        found
    }

    fn canonical(&self, value: &Value, key: Option<&str>) -> Value {
        match value {
            Value::Object(map) => {
                let mut map = map.clone();
                let local_dir =
                    map.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with("spark-local-dir-"));
                if self.shuffled_local_dirs && local_dir {
                    // Which directory gets which number is random in Spark.
                    map.insert("name".into(), Value::String("spark-local-dir-N".into()));
                }
                Value::Object(map.iter().map(|(k, v)| (k.clone(), self.canonical(v, Some(k)))).collect())
            }
            Value::Array(items) => {
                let mut items: Vec<Value> = items.iter().map(|v| self.canonical(v, None)).collect();
                let id_field = self.unordered.iter().find(|(list, _)| Some(*list) == key).map(|(_, id)| *id);
                if let Some(id) = id_field.filter(|_| items.iter().all(Value::is_object)) {
                    items.sort_by_cached_key(|item| (sort_text(item.get(id)), sort_text(Some(item))));
                }
                Value::Array(items)
            }
            Value::String(s)
                if self.shuffled_local_dirs && key == Some("value") && s.starts_with('/') && s.contains(',') =>
            {
                // SPARK_LOCAL_DIRS: Spark shuffles the list.
                let mut dirs: Vec<&str> = s.split(',').collect();
                dirs.sort_unstable();
                Value::String(dirs.join(","))
            }
            other => other.clone(),
        }
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
    fn exact_comparison_sees_order() {
        let a = json!({"env": [{"name": "A"}, {"name": "B"}]});
        let b = json!({"env": [{"name": "B"}, {"name": "A"}]});
        assert_eq!(Comparison::exact().differences(&a, &b).len(), 2);
        assert!(Comparison::golden().differences(&a, &b).is_empty());
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
    fn local_dirs_compare_as_a_set() {
        let a = json!({"env": [{"name": "SPARK_LOCAL_DIRS", "value": "/data/a,/data/b"}], "volumes": [{"name": "spark-local-dir-1"}]});
        let b = json!({"env": [{"name": "SPARK_LOCAL_DIRS", "value": "/data/b,/data/a"}], "volumes": [{"name": "spark-local-dir-2"}]});
        assert!(Comparison::golden().differences(&a, &b).is_empty());
        assert!(!Comparison::exact().differences(&a, &b).is_empty());
    }
}
