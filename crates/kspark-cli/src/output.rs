//! Rendering for people and programs: objects as YAML or JSON (secrets
//! redacted), driver states as one short line.

use clap::ValueEnum;
use kspark_kube::wait::DriverStatus;
use kspark_manifests::DriverObjects;
use serde_json::Value;

/// `-o` of the commands that print Kubernetes objects (dry runs), and the
/// two ways any structured value is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ObjectFormat {
    #[default]
    Yaml,
    Json,
}

/// `-o` of `kspark list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ListFormat {
    #[default]
    Table,
    Json,
    Yaml,
}

/// `-o` of the commands that report to a person by default (`status`,
/// `events`, `tenant show`, `doctor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ReportFormat {
    #[default]
    Text,
    Json,
    Yaml,
}

impl ReportFormat {
    /// The structured format asked for, or `None` for text.
    pub fn structured(self) -> Option<ObjectFormat> {
        match self {
            ReportFormat::Text => None,
            ReportFormat::Json => Some(ObjectFormat::Json),
            ReportFormat::Yaml => Some(ObjectFormat::Yaml),
        }
    }
}

/// `-o` of the commands that print lines as things happen (`wait`, `auth`):
/// text, or one JSON object per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum StreamFormat {
    #[default]
    Text,
    Json,
}

/// Parses `-o` of `submit`, `doctor` and `--as-resource` (spark-submit's
/// command line, not clap's) as clap would: an unknown value is a usage error.
pub fn parse_format<F: ValueEnum>(value: Option<&str>) -> Result<Option<F>, String> {
    let Some(value) = value else { return Ok(None) };
    F::from_str(value, false).map(Some).map_err(|_| {
        let known: Vec<String> = F::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        format!("--output: invalid value `{value}` (possible values: {})", known.join(", "))
    })
}

/// Prints the objects a submission would create, each with the namespace
/// it would be created in (Spark sends the pod and Service without one and
/// names it in the URL), so that `kubectl apply -f -` puts them together.
/// Secret values are never printed, only their sizes.
pub fn print_objects(objects: &DriverObjects, format: ObjectFormat) -> anyhow::Result<()> {
    let mut items = objects.to_json();
    for item in &mut items {
        redact_secret(item);
        redact_url_credentials(item);
        set_namespace(item, &objects.namespace);
    }
    print_documents(&items, format)
}

/// Objects as one JSON `List`, or as YAML documents.
pub fn print_documents(items: &[Value], format: ObjectFormat) -> anyhow::Result<()> {
    match format {
        ObjectFormat::Json => {
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
            outln!("{}", serde_json::to_string_pretty(&list)?)?;
        }
        ObjectFormat::Yaml => {
            for item in items {
                outln!("---\n{}", serde_saphyr::to_string(item)?.trim_end())?;
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
pub fn print_value(value: &Value, format: ObjectFormat) -> anyhow::Result<()> {
    match format {
        ObjectFormat::Yaml => outln!("{}", serde_saphyr::to_string(value)?.trim_end())?,
        ObjectFormat::Json => outln!("{}", serde_json::to_string_pretty(value)?)?,
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
