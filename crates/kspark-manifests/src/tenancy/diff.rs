//! What differs between the object kspark would apply and the one that
//! exists: every field kspark sets must be there with the same value
//! (fields others add, and server defaults, do not count).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub path: String,
    pub wanted: String,
    pub found: String,
}

pub fn differences(desired: &Value, live: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    let Value::Object(fields) = desired else { return out };
    for (key, want) in fields {
        match key.as_str() {
            "apiVersion" | "kind" => {}
            "metadata" => compare(&want["labels"], &live["metadata"]["labels"], "metadata.labels", &mut out),
            _ => compare(want, &live[key], key, &mut out),
        }
    }
    out
}

fn compare(want: &Value, found: &Value, path: &str, out: &mut Vec<Difference>) {
    match (want, found) {
        (Value::Null, _) => {}
        (Value::Object(w), Value::Object(f)) => {
            for (k, v) in w {
                compare(v, f.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}"), out);
            }
        }
        (Value::Array(w), Value::Array(f)) if w.len() == f.len() => {
            for (i, (a, b)) in w.iter().zip(f).enumerate() {
                compare(a, b, &format!("{path}[{i}]"), out);
            }
        }
        (w, f) if w == f => {}
        (w, f) => out.push(Difference { path: path.to_string(), wanted: short(w), found: short(f) }),
    }
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.len() > 80 {
        format!("{}…", &text[..text.char_indices().nth(79).map_or(text.len(), |(i, _)| i)])
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extra_live_fields_do_not_count_changed_ones_do() {
        let want =
            json!({"kind": "Role", "metadata": {"name": "r", "labels": {"a": "1"}}, "rules": [{"verbs": ["get"]}]});
        let same = json!({"metadata": {"labels": {"a": "1", "other": "x"}, "uid": "u"}, "rules": [{"verbs": ["get"], "x": 1}]});
        assert!(differences(&want, &same).is_empty());
        let changed = json!({"metadata": {"labels": {"a": "1"}}, "rules": [{"verbs": ["get", "list"]}]});
        assert_eq!(differences(&want, &changed)[0].path, "rules[0].verbs");
    }
}
