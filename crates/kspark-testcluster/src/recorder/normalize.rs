//! The objects a client created, from a recorder log, with per-run
//! randomness (application id, 16-hex name infixes, UUIDs, loopback ports,
//! submit time) replaced by fixed words, so two clients' submissions of the
//! same application compare equal. `spark.properties` (and any other
//! `*.properties` ConfigMap entry) is parsed into a sorted map, so the
//! file's formatting and order do not count.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use super::request_log::RecordedRequest;

const REVIEW_KINDS: [&str; 4] =
    ["SelfSubjectAccessReview", "SubjectAccessReview", "SelfSubjectRulesReview", "LocalSubjectAccessReview"];

/// Objects by `Kind` or `Kind/spark-role` (`Kind#2`, `Kind#3`… for more of
/// the same key), in the order they were first written.
pub fn objects(log: &[RecordedRequest]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for request in log.iter().filter(|r| matches!(r.method.as_str(), "POST" | "PUT" | "PATCH")) {
        let Some(kind) = request.body.get("kind").and_then(Value::as_str) else { continue };
        if REVIEW_KINDS.contains(&kind) {
            continue;
        }
        let mut body = request.body.clone();
        blank_owner_uids(&mut body);
        if kind == "ConfigMap" {
            parse_properties_entries(&mut body);
        }
        let role = body.pointer("/metadata/labels/spark-role").and_then(Value::as_str);
        let mut key = role.map_or_else(|| kind.to_string(), |role| format!("{kind}/{role}"));
        let mut n = 2;
        while out.contains_key(&key) {
            key = format!("{kind}#{n}");
            n += 1;
        }
        out.insert(key, scrub(&body));
    }
    out
}

fn blank_owner_uids(body: &mut Value) {
    if let Some(refs) = body.pointer_mut("/metadata/ownerReferences").and_then(Value::as_array_mut) {
        for owner in refs.iter_mut().filter_map(Value::as_object_mut) {
            owner.insert("uid".into(), Value::String("UID".into()));
        }
    }
}

fn parse_properties_entries(body: &mut Value) {
    let Some(data) = body.get_mut("data").and_then(Value::as_object_mut) else { return };
    for (key, value) in data.iter_mut() {
        if key.ends_with(".properties")
            && let Some(text) = value.as_str()
        {
            let parsed: Map<String, Value> =
                parse_properties(text).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            *value = Value::Object(parsed);
        }
    }
}

/// Java properties as far as Spark writes them: `key=value` or `key:value`
/// lines, `#`/`!` comments, backslash escapes; `spark.app.submitTime`
/// dropped (it is the time of the run).
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut props = BTreeMap::new();
    for line in split_lines(text) {
        let trimmed = line.trim_start();
        if line.trim().is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
            continue;
        }
        let (mut key, mut value, mut in_value, mut escaped) = (String::new(), String::new(), false, false);
        for ch in line.chars() {
            let buffer = if in_value { &mut value } else { &mut key };
            if escaped {
                buffer.push(match ch {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'f' => '\u{c}',
                    other => other,
                });
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if !in_value && (ch == '=' || ch == ':') {
                in_value = true;
            } else {
                buffer.push(ch);
            }
        }
        props.insert(key.trim().to_string(), value.trim().to_string());
    }
    props.remove("spark.app.submitTime");
    props
}

/// Lines split where Python's `str.splitlines` splits them.
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_terminator([
        '\n', '\r', '\u{b}', '\u{c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}', '\u{2029}',
    ])
}

static APP_ID: LazyLock<Regex> = LazyLock::new(|| compile(r"spark-[0-9a-f]{32}"));
static UUID: LazyLock<Regex> =
    LazyLock::new(|| compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));
static LOOPBACK_PORT: LazyLock<Regex> = LazyLock::new(|| compile(r"(127\.0\.0\.1|localhost):[0-9]+"));

fn compile(pattern: &str) -> Regex {
    // The patterns are constants of this file; a test compiles each one.
    Regex::new(pattern).unwrap_or_else(|e| panic!("recorder pattern {pattern}: {e}"))
}

/// `value` with every string (keys too) scrubbed of per-run randomness.
pub fn scrub(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(scrub_text(s)),
        Value::Array(items) => Value::Array(items.iter().map(scrub).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (scrub_text(k), scrub(v))).collect()),
        other => other.clone(),
    }
}

fn scrub_text(text: &str) -> String {
    let text = APP_ID.replace_all(text, "spark-APPID");
    let text = UUID.replace_all(&text, "UUID");
    let text = replace_hex16_words(&text);
    LOOPBACK_PORT.replace_all(&text, "${1}:PORT").into_owned()
}

/// Replaces each run of exactly 16 hex digits that is not part of a longer
/// run of `[0-9a-z]` by `RAND` (Spark's random name infixes).
fn replace_hex16_words(text: &str) -> String {
    let is_word = |c: char| c.is_ascii_digit() || c.is_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(is_word) {
        out.push_str(&rest[..start]);
        let word = &rest[start..];
        let len = word.find(|c: char| !is_word(c)).unwrap_or(word.len());
        let run = &word[..len];
        if len == 16 && run.chars().all(|c| c.is_ascii_hexdigit()) {
            out.push_str("RAND");
        } else {
            out.push_str(run);
        }
        rest = &word[len..];
    }
    out.push_str(rest);
    out
}

/// `value` with object keys sorted, for stable printing.
pub fn sorted(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        Value::Object(map) => {
            let ordered: BTreeMap<&String, Value> = map.iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(ordered.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn randomness_is_scrubbed() {
        assert_eq!(
            scrub_text(
                "spark-0123456789abcdef0123456789abcdef pi-0123456789abcdef-driver /var/data/spark-1b4e28ba-2fa1-11d2-883f-0016d3cca427 127.0.0.1:40123"
            ),
            "spark-APPID pi-RAND-driver /var/data/spark-UUID 127.0.0.1:PORT"
        );
        // Not 16 on its own: part of a longer word, or uppercase neighbours.
        assert_eq!(scrub_text("x0123456789abcdef"), "x0123456789abcdef");
        assert_eq!(scrub_text("A0123456789abcdefB"), "ARANDB");
        assert_eq!(scrub_text("localhost:80/über"), "localhost:PORT/über");
    }

    #[test]
    fn properties_parse_as_spark_writes_them() {
        let text = "#Spark configuration\n#Mon Jan 01\nspark.app.name=a\\:b\nspark.x=1=2\nspark.app.submitTime=123\n  !c\nspark.y:v\\tw\n";
        let props = parse_properties(text);
        assert_eq!(props.get("spark.app.name").map(String::as_str), Some("a:b"));
        assert_eq!(props.get("spark.x").map(String::as_str), Some("1=2"));
        assert_eq!(props.get("spark.y").map(String::as_str), Some("v\tw"));
        assert!(!props.contains_key("spark.app.submitTime"));
        assert_eq!(props.len(), 3);
    }

    #[test]
    fn objects_are_keyed_by_kind_and_role() {
        let line = |method: &str, body: Value| RecordedRequest {
            method: method.into(),
            path: "/x".into(),
            query: Map::new(),
            content_type: None,
            authorization: None,
            body,
        };
        let log = vec![
            line(
                "POST",
                json!({"kind": "Pod", "metadata": {"labels": {"spark-role": "driver"}, "ownerReferences": [{"uid": "u"}]}}),
            ),
            line("PATCH", json!({"kind": "ConfigMap", "data": {"spark.properties": "spark.a=1\n"}})),
            line("PATCH", json!({"kind": "ConfigMap", "data": {}})),
            line("POST", json!({"kind": "SelfSubjectAccessReview"})),
            line("GET", json!({"kind": "Pod"})),
        ];
        let objects = objects(&log);
        assert_eq!(objects.keys().collect::<Vec<_>>(), ["ConfigMap", "ConfigMap#2", "Pod/driver"]);
        assert_eq!(objects["ConfigMap"]["data"]["spark.properties"], json!({"spark.a": "1"}));
        assert_eq!(objects["Pod/driver"]["metadata"]["ownerReferences"][0]["uid"], "UID");
    }
}
