//! kubeflow's `--ingress-url-format` (and `driverIngressOptions[].ingressURLFormat`):
//! a URL with `{{$appName}}`, `{{$appNamespace}}` and `{{$appId}}` in it,
//! e.g. `spark.example.com/{{$appNamespace}}/{{$appName}}`.

use url::Url;

/// The placeholders kubeflow knows, in the spelling users write.
const PLACEHOLDERS: [&str; 3] = ["$appName", "$appNamespace", "$appId"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("{template:?} has an unclosed `{{{{`")]
    Unclosed { template: String },
    #[error(
        "{template:?} uses {{{{{name}}}}}, which is not one of {{{{$appName}}}}, {{{{$appNamespace}}}}, {{{{$appId}}}}"
    )]
    UnknownPlaceholder { template: String, name: String },
    #[error("{url:?} is not a URL: {reason}")]
    NotAUrl { url: String, reason: String },
    #[error("{url:?} has no host name (the Ingress rule's host)")]
    NoHost { url: String },
}

/// A checked template; [`UrlTemplate::expand`] fills it for one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    text: String,
}

/// Where one application's UI is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteUrl {
    /// As shown in `status.driverInfo.webUIIngressAddress` (kubeflow's form:
    /// the expanded text, `http://` added when it names no scheme).
    pub address: String,
    pub host: String,
    /// `/` or empty when the UI is served at the root of the host.
    pub path: String,
}

impl RouteUrl {
    /// Whether the UI lives below a path prefix (then Spark must know it as
    /// `spark.ui.proxyBase`, and the route strips it).
    pub fn has_prefix(&self) -> bool {
        !self.path.is_empty() && self.path != "/"
    }
}

impl UrlTemplate {
    /// Checks the template once, by expanding it for a sample application,
    /// so that a mistake is refused when the operator starts.
    pub fn parse(text: &str) -> Result<UrlTemplate, TemplateError> {
        let template = UrlTemplate { text: text.trim().to_string() };
        template.expand("app", "namespace", "spark-0123")?;
        Ok(template)
    }

    pub fn expand(&self, name: &str, namespace: &str, app_id: &str) -> Result<RouteUrl, TemplateError> {
        let expanded = self.substitute(|placeholder| match placeholder {
            "$appName" => Some(name),
            "$appNamespace" => Some(namespace),
            "$appId" => Some(app_id),
            _ => None,
        })?;
        to_route_url(&expanded)
    }

    fn substitute<'a>(&self, value: impl Fn(&str) -> Option<&'a str>) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(self.text.len());
        let mut rest = self.text.as_str();
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| TemplateError::Unclosed { template: self.text.clone() })?;
            let name = after[..end].trim();
            let filled = PLACEHOLDERS.contains(&name).then(|| value(name)).flatten().ok_or_else(|| {
                TemplateError::UnknownPlaceholder { template: self.text.clone(), name: name.to_string() }
            })?;
            out.push_str(filled);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn to_route_url(expanded: &str) -> Result<RouteUrl, TemplateError> {
    if expanded.starts_with('/') {
        return Err(TemplateError::NoHost { url: expanded.to_string() });
    }
    // kubeflow adds http:// when the text names no scheme; "host:port/x"
    // would otherwise parse as the scheme "host".
    let address = if expanded.contains("://") { expanded.to_string() } else { format!("http://{expanded}") };
    let url =
        Url::parse(&address).map_err(|e| TemplateError::NotAUrl { url: address.clone(), reason: e.to_string() })?;
    let host =
        url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| TemplateError::NoHost { url: address.clone() })?;
    Ok(RouteUrl { host: host.to_string(), path: url.path().to_string(), address })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(template: &str) -> RouteUrl {
        UrlTemplate::parse(template)
            .and_then(|t| t.expand("spark-pi", "team-a", "spark-42"))
            .unwrap_or_else(|e| panic!("{template}: {e}"))
    }

    #[test]
    fn placeholders_are_filled_with_or_without_spaces() {
        let url = expand("spark.example.com/{{$appNamespace}}/{{ $appName }}/{{$appId}}");
        assert_eq!(url.address, "http://spark.example.com/team-a/spark-pi/spark-42");
        assert_eq!((url.host.as_str(), url.path.as_str()), ("spark.example.com", "/team-a/spark-pi/spark-42"));
        assert!(url.has_prefix());
    }

    #[test]
    fn a_host_per_application_serves_at_the_root() {
        let url = expand("https://{{$appName}}.{{$appNamespace}}.spark.example.com");
        assert_eq!(url.address, "https://spark-pi.team-a.spark.example.com");
        assert_eq!(url.host, "spark-pi.team-a.spark.example.com");
        assert!(!url.has_prefix());
    }

    #[test]
    fn mistakes_are_refused_when_parsed() {
        assert!(matches!(
            UrlTemplate::parse("spark.example.com/{{$appname}}"),
            Err(TemplateError::UnknownPlaceholder { name, .. }) if name == "$appname"
        ));
        assert!(matches!(UrlTemplate::parse("spark.example.com/{{$appName"), Err(TemplateError::Unclosed { .. })));
        assert!(matches!(UrlTemplate::parse("/only/a/path"), Err(TemplateError::NoHost { .. })));
        let message = UrlTemplate::parse("x/{{$app}}").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("{{$app}}") && message.contains("{{$appName}}"), "{message}");
    }
}
