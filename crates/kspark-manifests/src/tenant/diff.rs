//! What differs between the object kspark would apply and the one in the
//! cluster. Only the fields kspark sets count: fields others add, server
//! defaults and status do not, and quantities compare by value (the API
//! server stores `1000m` as `1`).

use serde_json::Value;

use crate::quantity::to_milli;

/// Maps whose values are quantities.
const QUANTITY_MAPS: [&str; 5] = ["hard", "default", "defaultRequest", "max", "min"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `rules[0].verbs`, `spec.hard["requests.cpu"]`.
    pub path: String,
    pub wanted: String,
    pub found: String,
}

/// One object compared with what kspark would apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectState {
    Ok,
    Missing,
    Differs(Vec<Difference>),
    /// Labelled as kspark's for this tenant, but no longer wanted (e.g. a
    /// quota after `create` without `--quota`).
    Extra,
}

impl ObjectState {
    pub fn word(&self) -> &'static str {
        match self {
            ObjectState::Ok => "ok",
            ObjectState::Missing => "missing",
            ObjectState::Differs(_) => "differs",
            ObjectState::Extra => "extra",
        }
    }
}

pub fn state(desired: &Value, live: Option<&Value>) -> ObjectState {
    match live {
        None => ObjectState::Missing,
        Some(live) => match differences(desired, live) {
            d if d.is_empty() => ObjectState::Ok,
            d => ObjectState::Differs(d),
        },
    }
}

pub fn differences(desired: &Value, live: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    let Value::Object(fields) = desired else { return out };
    for (key, want) in fields {
        match key.as_str() {
            "apiVersion" | "kind" => {}
            // Of the metadata, kspark sets names (which found the object),
            // labels and annotations.
            "metadata" => {
                for part in ["labels", "annotations"] {
                    let path = format!("metadata.{part}");
                    compare(&want[part], &live["metadata"][part], &path, Field::Plain, &mut out);
                }
            }
            _ => compare(want, &live[key], key, Field::Plain, &mut out),
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Plain,
    QuantityMap,
    Quantity,
}

fn compare(want: &Value, found: &Value, path: &str, field: Field, out: &mut Vec<Difference>) {
    match (want, found) {
        (Value::Null, _) => {}
        (Value::Object(w), Value::Object(f)) => {
            for (k, v) in w {
                let child = match field {
                    Field::QuantityMap => Field::Quantity,
                    _ if QUANTITY_MAPS.contains(&k.as_str()) => Field::QuantityMap,
                    _ => Field::Plain,
                };
                compare(v, f.get(k).unwrap_or(&Value::Null), &join(path, k), child, out);
            }
        }
        // Lists of objects (rules, subjects) item by item, so that a rule
        // someone added shows up as that rule; lists of words (verbs) whole.
        (Value::Array(w), Value::Array(f)) if w.len() == f.len() || w.iter().chain(f).all(Value::is_object) => {
            for i in 0..w.len().max(f.len()) {
                let (a, b) = (w.get(i).unwrap_or(&Value::Null), f.get(i).unwrap_or(&Value::Null));
                let item = format!("{path}[{i}]");
                match a {
                    Value::Null => out.push(Difference { path: item, wanted: short(a), found: short(b) }),
                    _ => compare(a, b, &item, field, out),
                }
            }
        }
        (Value::String(w), Value::String(f)) if field == Field::Quantity && same_quantity(w, f) => {}
        (w, f) if w == f => {}
        (w, f) => out.push(Difference { path: path.to_string(), wanted: short(w), found: short(f) }),
    }
}

fn same_quantity(a: &str, b: &str) -> bool {
    to_milli(a).is_some() && to_milli(a) == to_milli(b)
}

/// Keys with dots or slashes (`requests.cpu`, `kspark.io/tenant`) are
/// quoted, so that the path reads unambiguously.
fn join(path: &str, key: &str) -> String {
    if key.contains(['.', '/']) { format!("{path}[\"{key}\"]") } else { format!("{path}.{key}") }
}

fn short(v: &Value) -> String {
    if v.is_null() {
        return "(none)".into();
    }
    let text = v.to_string();
    match text.char_indices().nth(100) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_others_add_do_not_count() {
        let want =
            json!({"kind": "Role", "metadata": {"name": "r", "labels": {"a": "1"}}, "rules": [{"verbs": ["get"]}]});
        let live = json!({"metadata": {"labels": {"a": "1", "other": "x"}, "uid": "u", "annotations": {"x": "y"}},
            "rules": [{"verbs": ["get"], "apiGroups": [""]}]});
        assert_eq!(state(&want, Some(&live)), ObjectState::Ok);
        assert_eq!(state(&want, None), ObjectState::Missing);
    }

    #[test]
    fn changed_widened_and_removed_fields_count() {
        let want = json!({"metadata": {"labels": {"kspark.io/tenant": "t"}}, "rules": [{"verbs": ["get"]}, {"verbs": ["list"]}]});
        let widened = json!({"metadata": {"labels": {"kspark.io/tenant": "t"}}, "rules": [{"verbs": ["get", "update"]}, {"verbs": ["list"]}]});
        assert_eq!(
            differences(&want, &widened),
            [Difference {
                path: "rules[0].verbs".into(),
                wanted: "[\"get\"]".into(),
                found: "[\"get\",\"update\"]".into()
            }]
        );
        let added =
            json!({"metadata": {"labels": {}}, "rules": [{"verbs": ["get"]}, {"verbs": ["list"]}, {"verbs": ["*"]}]});
        let found: Vec<(String, String)> = differences(&want, &added).into_iter().map(|d| (d.path, d.found)).collect();
        assert_eq!(
            found,
            [
                ("metadata.labels[\"kspark.io/tenant\"]".to_string(), "(none)".to_string()),
                ("rules[2]".to_string(), "{\"verbs\":[\"*\"]}".to_string()),
            ]
        );
        let removed = json!({"metadata": {"labels": {"kspark.io/tenant": "t"}}, "rules": [{"verbs": ["get"]}]});
        let missing = differences(&want, &removed);
        assert_eq!((missing[0].path.as_str(), missing[0].found.as_str()), ("rules[1]", "(none)"));
        let verbs = json!({"metadata": {"labels": {"kspark.io/tenant": "t"}}, "rules": [{"verbs": ["get", "list"]}, {"verbs": ["list"]}]});
        assert_eq!(differences(&want, &verbs)[0].path, "rules[0].verbs", "lists of words compare whole");
    }

    #[test]
    fn quantities_compare_by_value() {
        let want = json!({"spec": {"hard": {"limits.cpu": "1000m", "pods": "5"}}});
        let same = json!({"spec": {"hard": {"limits.cpu": "1", "pods": "5"}}});
        assert!(differences(&want, &same).is_empty());
        let other = json!({"spec": {"hard": {"limits.cpu": "2", "pods": "5"}}});
        assert_eq!(differences(&want, &other)[0].path, "spec.hard[\"limits.cpu\"]");
        let range = json!({"spec": {"limits": [{"default": {"memory": "2Gi"}}]}});
        let live = json!({"spec": {"limits": [{"default": {"memory": "2048Mi"}, "type": "Container"}]}});
        assert!(differences(&range, &live).is_empty());
    }
}
