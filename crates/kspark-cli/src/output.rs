//! Rendering for people and programs: objects as YAML or JSON (secrets
//! redacted), driver states as one short line.

use kspark_kube::wait::DriverStatus;
use kspark_manifests::DriverObjects;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    pub fn parse(text: Option<&str>) -> Result<Format, String> {
        match text.unwrap_or("yaml") {
            "yaml" => Ok(Format::Yaml),
            "json" => Ok(Format::Json),
            other => Err(format!("unknown output format `{other}`: use yaml or json")),
        }
    }
}

/// Prints the objects a submission would create, each with the namespace
/// it would be created in (Spark sends the pod and Service without one and
/// names it in the URL), so that `kubectl apply -f -` puts them together.
/// Secret values are never printed, only their sizes.
pub fn print_objects(objects: &DriverObjects, format: Format) -> anyhow::Result<()> {
    let mut items = objects.to_json();
    for item in &mut items {
        redact_secret(item);
        redact_url_credentials(item);
        set_namespace(item, &objects.namespace);
    }
    match format {
        Format::Json => {
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
        Format::Yaml => {
            for item in &items {
                println!("---\n{}", serde_saphyr::to_string(item)?.trim_end());
            }
        }
    }
    Ok(())
}

fn set_namespace(item: &mut Value, namespace: &str) {
    if let Some(Value::Object(metadata)) = item.get_mut("metadata") {
        metadata.entry("namespace").or_insert_with(|| Value::String(namespace.to_string()));
    }
}

fn redact_secret(item: &mut Value) {
    if item.get("kind").and_then(Value::as_str) != Some("Secret") {
        return;
    }
    if let Some(Value::Object(data)) = item.get_mut("data") {
        for value in data.values_mut() {
            let size = value.as_str().map_or(0, |s| s.len() * 3 / 4);
            *value = Value::String(format!("<redacted: about {size} bytes>"));
        }
    }
}

/// `user:password@` in URLs of ConfigMap data, e.g. a private Maven
/// repository in `spark.jars.repositories`: the driver needs it (Spark sends
/// it too), the screen does not.
fn redact_url_credentials(item: &mut Value) {
    if item.get("kind").and_then(Value::as_str) != Some("ConfigMap") {
        return;
    }
    if let Some(Value::Object(data)) = item.get_mut("data") {
        for value in data.values_mut() {
            if let Some(text) = value.as_str().filter(|t| t.contains('@')) {
                *value = Value::String(hide_userinfo(text));
            }
        }
    }
}

/// Replaces the userinfo of every `scheme://userinfo@host` (also with
/// the `\:` escapes of a properties file) by `***`.
fn hide_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("//") {
        let (before, after) = rest.split_at(at + 2);
        out.push_str(before);
        let authority_end = after.find(|c: char| c == '/' || c == ',' || c.is_whitespace()).unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(userinfo_end) if before.ends_with("://") => {
                out.push_str("***");
                rest = &after[userinfo_end..];
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// A value as pretty JSON or YAML.
pub fn print_value(value: &Value, format: &str) -> anyhow::Result<()> {
    if format == "yaml" {
        println!("{}", serde_saphyr::to_string(value)?.trim_end());
    } else {
        println!("{}", serde_json::to_string_pretty(value)?);
    }
    Ok(())
}

/// `45s`, `12m`, `3h`, `2d`, as kubectl shows ages.
pub fn age(d: jiff::SignedDuration) -> String {
    let s = d.as_secs().max(0);
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// `Running on node-1 (running)`, `Failed (terminated: exit 3 (Error))`.
pub fn describe(status: &DriverStatus) -> String {
    let mut text = status.phase.clone();
    if let Some(node) = &status.node {
        text.push_str(&format!(" on {node}"));
    }
    if let Some(container) = &status.container {
        text.push_str(&format!(" ({container})"));
    }
    let waiting = status.container.as_deref().is_some_and(|c| c.starts_with("waiting"));
    if let (true, Some(message)) = (waiting, status.message.as_deref().filter(|m| !m.is_empty())) {
        text.push_str(&format!(": {message}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::hide_userinfo;

    #[test]
    fn url_credentials_are_hidden() {
        assert_eq!(
            hide_userinfo(
                "spark.jars.repositories=https\\://ada\\:pw@repo.example.com/m2,https\\://open.example.com/m2"
            ),
            "spark.jars.repositories=https\\://***@repo.example.com/m2,https\\://open.example.com/m2"
        );
        assert_eq!(hide_userinfo("see //a@b and x://c/d@e"), "see //a@b and x://c/d@e");
    }
}
