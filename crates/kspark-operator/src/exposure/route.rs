//! The route from a URL to a driver Service: kubeflow's Ingress, or a
//! Gateway API HTTPRoute when the operator is given a Gateway.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    IngressTLS, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kspark_sparkapp::SparkApplication;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};

use super::{RouteUrl, owner, resource_labels};

/// The annotation kubeflow sets so ingress-nginx strips a path prefix.
const NGINX_REWRITE: &str = "nginx.ingress.kubernetes.io/rewrite-target";

/// One route to build.
#[derive(Debug, Clone)]
pub struct RouteTarget {
    /// The Ingress's or HTTPRoute's name.
    pub name: String,
    /// The Service and port it leads to.
    pub service: String,
    pub port: i32,
    pub url: RouteUrl,
    /// Ingress only: the options' annotations (kubeflow: else the operator's).
    pub annotations: BTreeMap<String, String>,
    /// Ingress only.
    pub tls: Vec<IngressTLS>,
    pub class: Option<String>,
}

/// `--gateway [NAMESPACE/]NAME`, with `--gateway-listener`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    pub namespace: Option<String>,
    pub name: String,
    pub listener: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not [NAMESPACE/]NAME of a Gateway")]
pub struct GatewayError {
    given: String,
}

impl Gateway {
    pub fn parse(given: &str, listener: Option<String>) -> Result<Gateway, GatewayError> {
        let error = || GatewayError { given: given.to_string() };
        let (namespace, name) = match given.split_once('/') {
            Some((ns, name)) => (Some(ns.to_string()), name),
            None => (None, given),
        };
        let valid = |part: &str| {
            !part.is_empty()
                && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        };
        if !valid(name) || namespace.as_deref().is_some_and(|ns| !valid(ns)) {
            return Err(error());
        }
        Ok(Gateway { namespace, name: name.to_string(), listener })
    }
}

/// kubeflow's `networking.k8s.io/v1` Ingress: one rule for the URL's host,
/// its path as an ingress-nginx capture (`/p(/|$)(.*)` rewritten to `/$2`).
pub fn ingress(app: &SparkApplication, target: &RouteTarget) -> Ingress {
    let prefixed = target.url.has_prefix();
    let path = if prefixed { format!("{}(/|$)(.*)", target.url.path) } else { target.url.path.clone() };
    let mut annotations = target.annotations.clone();
    if prefixed {
        annotations.insert(NGINX_REWRITE.into(), "/$2".into());
    }
    let backend = IngressServiceBackend {
        name: target.service.clone(),
        port: Some(ServiceBackendPort { number: Some(target.port), name: None }),
    };
    let rule = IngressRule {
        host: Some(target.url.host.clone()),
        http: Some(HTTPIngressRuleValue {
            paths: vec![HTTPIngressPath {
                backend: IngressBackend { service: Some(backend), resource: None },
                path: (!path.is_empty()).then_some(path),
                path_type: "ImplementationSpecific".into(),
            }],
        }),
    };
    Ingress {
        metadata: metadata(app, &target.name, annotations),
        spec: Some(IngressSpec {
            ingress_class_name: target.class.clone(),
            rules: Some(vec![rule]),
            tls: (!target.tls.is_empty()).then(|| target.tls.clone()),
            ..Default::default()
        }),
        status: None,
    }
}

/// The Gateway API resource an HTTPRoute is.
pub fn http_route_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute"),
        "httproutes",
    )
}

/// The same route as a Gateway API HTTPRoute: the URL's host, its path as a
/// prefix match replaced by `/` (what the Ingress's rewrite does).
pub fn http_route(app: &SparkApplication, target: &RouteTarget, gateway: &Gateway) -> DynamicObject {
    let mut parent = serde_json::json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway.name});
    if let Some(ns) = &gateway.namespace {
        parent["namespace"] = ns.clone().into();
    }
    if let Some(listener) = &gateway.listener {
        parent["sectionName"] = listener.clone().into();
    }
    let prefix = if target.url.has_prefix() { target.url.path.trim_end_matches('/') } else { "/" };
    let mut rule = serde_json::json!({
        "matches": [{"path": {"type": "PathPrefix", "value": prefix}}],
        "backendRefs": [{"name": target.service, "port": target.port}],
    });
    if target.url.has_prefix() {
        rule["filters"] = serde_json::json!([{"type": "URLRewrite",
            "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}]);
    }
    let mut route = DynamicObject::new(&target.name, &http_route_resource());
    route.metadata = metadata(app, &target.name, BTreeMap::new());
    route.data = serde_json::json!({"spec": {
        "parentRefs": [parent],
        "hostnames": [target.url.host],
        "rules": [rule],
    }});
    route
}

fn metadata(app: &SparkApplication, name: &str, annotations: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: app.metadata.namespace.clone(),
        labels: Some(resource_labels(app)),
        annotations: (!annotations.is_empty()).then_some(annotations),
        owner_references: Some(vec![owner(app)]),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposure::UrlTemplate;

    fn app() -> SparkApplication {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": "etl", "namespace": "ns", "uid": "u-1"},
            "spec": {"type": "Scala", "sparkVersion": "4.0.5", "mainApplicationFile": "local:///a.jar",
                "driver": {}, "executor": {}},
            "status": {"submissionID": "s-1", "driverInfo": {}, "applicationState": {"state": "SUBMITTED"}}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn target(template: &str) -> RouteTarget {
        let url = UrlTemplate::parse(template)
            .and_then(|t| t.expand("etl", "ns", "spark-1"))
            .unwrap_or_else(|e| panic!("{e}"));
        RouteTarget {
            name: "etl-ui-ingress".into(),
            service: "etl-ui-svc".into(),
            port: 4040,
            url,
            annotations: BTreeMap::from([("cert-manager.io/cluster-issuer".into(), "letsencrypt".into())]),
            tls: vec![IngressTLS { hosts: Some(vec!["*.example.com".into()]), secret_name: Some("tls".into()) }],
            class: Some("nginx".into()),
        }
    }

    #[test]
    fn a_path_prefix_becomes_an_nginx_capture_and_rewrite() {
        let ingress = ingress(&app(), &target("spark.example.com/{{$appNamespace}}/{{$appName}}"));
        let annotations = ingress.metadata.annotations.clone().unwrap_or_default();
        assert_eq!(annotations.get(NGINX_REWRITE).map(String::as_str), Some("/$2"));
        assert!(annotations.contains_key("cert-manager.io/cluster-issuer"));
        let labels = ingress.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.get("sparkoperator.k8s.io/submission-id").map(String::as_str), Some("s-1"));
        let spec = ingress.spec.unwrap_or_default();
        assert_eq!(spec.ingress_class_name.as_deref(), Some("nginx"));
        assert_eq!(spec.tls.map(|t| t.len()), Some(1));
        let rule = &spec.rules.unwrap_or_default()[0];
        assert_eq!(rule.host.as_deref(), Some("spark.example.com"));
        let path = &rule.http.as_ref().map(|h| h.paths.clone()).unwrap_or_default()[0];
        assert_eq!(path.path.as_deref(), Some("/ns/etl(/|$)(.*)"));
        assert_eq!(path.path_type, "ImplementationSpecific");
        let backend = path.backend.service.clone().unwrap_or_else(|| panic!("no service backend"));
        assert_eq!((backend.name.as_str(), backend.port.and_then(|p| p.number)), ("etl-ui-svc", Some(4040)));
    }

    #[test]
    fn a_host_per_application_needs_no_rewrite() {
        let ingress = ingress(&app(), &target("{{$appName}}.spark.example.com"));
        let annotations = ingress.metadata.annotations.unwrap_or_default();
        assert!(!annotations.contains_key(NGINX_REWRITE));
        let rule = &ingress.spec.unwrap_or_default().rules.unwrap_or_default()[0];
        assert_eq!(rule.host.as_deref(), Some("etl.spark.example.com"));
    }

    #[test]
    fn an_http_route_attaches_to_the_gateway_and_strips_the_prefix() {
        let gateway = Gateway::parse("infra/public", Some("https".into())).unwrap_or_else(|e| panic!("{e}"));
        let route = http_route(&app(), &target("spark.example.com/{{$appNamespace}}/{{$appName}}/"), &gateway);
        assert_eq!(route.types.as_ref().map(|t| t.kind.as_str()), Some("HTTPRoute"));
        let spec = &route.data["spec"];
        assert_eq!(
            spec["parentRefs"][0],
            serde_json::json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public",
                "namespace": "infra", "sectionName": "https"})
        );
        assert_eq!(spec["hostnames"], serde_json::json!(["spark.example.com"]));
        let rule = &spec["rules"][0];
        assert_eq!(rule["matches"][0]["path"], serde_json::json!({"type": "PathPrefix", "value": "/ns/etl"}));
        assert_eq!(rule["filters"][0]["urlRewrite"]["path"]["replacePrefixMatch"], "/");
        assert_eq!(rule["backendRefs"][0], serde_json::json!({"name": "etl-ui-svc", "port": 4040}));
    }

    #[test]
    fn gateway_names_are_checked() {
        assert_eq!(
            Gateway::parse("public", None),
            Ok(Gateway { namespace: None, name: "public".into(), listener: None })
        );
        assert!(Gateway::parse("infra/", None).is_err());
        assert!(Gateway::parse("Infra/Public", None).is_err());
        assert!(Gateway::parse("a/b/c", None).is_err());
    }
}
