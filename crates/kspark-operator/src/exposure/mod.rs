//! How a driver is reached from outside: the UI Service, an Ingress or a
//! Gateway API HTTPRoute per application from a URL template, and the
//! Services and routes of `spec.driverIngressOptions` — kubeflow's objects,
//! built as pure functions and applied by `reconcile::expose`.

mod names;
mod route;
mod service;
mod url_template;

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::IngressTLS;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kspark_sparkapp::SparkApplication;
use kspark_sparkapp::labels;

pub use names::{driver_port_route_name, driver_port_service_name, ui_route_name, ui_service_name};
pub use route::{Gateway, GatewayError, RouteTarget, http_route, http_route_resource, ingress};
pub use service::{driver_port_service, ui_service};
pub use url_template::{RouteUrl, TemplateError, UrlTemplate};

/// What the operator was told about exposing drivers (its flags).
#[derive(Debug, Clone, Default)]
pub struct ExposureOptions {
    /// `--enable-ui-service`.
    pub ui_service: bool,
    /// `--ingress-url-format`: with the UI Service, a route per application.
    pub url_format: Option<UrlTemplate>,
    /// `--ingress-class-name`.
    pub ingress_class: Option<String>,
    /// `--ingress-tls`, for applications whose sparkUIOptions set none.
    pub default_tls: Vec<IngressTLS>,
    /// `--ingress-annotations`, for applications whose options set none.
    pub default_annotations: BTreeMap<String, String>,
    /// `--gateway`: HTTPRoutes on this Gateway instead of Ingresses.
    pub gateway: Option<Gateway>,
}

/// Spark's setting for the path prefix its UI is served under.
pub const PROXY_BASE: &str = "spark.ui.proxyBase";
/// Where Spark redirects to after a kill from the UI (kubeflow sets `/`).
pub const PROXY_REDIRECT_URI: &str = "spark.ui.proxyRedirectUri";

/// The settings kubeflow adds to `sparkConf` (when not set) so that a UI
/// below a path prefix builds its links under that prefix.
pub fn proxy_settings(app: &SparkApplication, url: &RouteUrl) -> Vec<(String, String)> {
    if !url.has_prefix() {
        return Vec::new();
    }
    [(PROXY_BASE, url.path.trim_end_matches('/')), (PROXY_REDIRECT_URI, "/")]
        .into_iter()
        .filter(|(key, _)| !app.spec.spark_conf.contains_key(*key))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// kubeflow's labels on the objects beside an application.
fn resource_labels(app: &SparkApplication) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(labels::APP_NAME.to_string(), app_name(app).to_string())]);
    if let Some(id) = app.status.as_ref().map(|s| s.submission_id.as_str()).filter(|id| !id.is_empty()) {
        labels.insert("sparkoperator.k8s.io/submission-id".into(), id.to_string());
    }
    labels
}

/// Owned by the application: deleting it deletes them (garbage collection).
fn owner(app: &SparkApplication) -> OwnerReference {
    OwnerReference {
        api_version: "sparkoperator.k8s.io/v1beta2".into(),
        kind: "SparkApplication".into(),
        name: app_name(app).to_string(),
        uid: app.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

fn app_name(app: &SparkApplication) -> &str {
    app.metadata.name.as_deref().unwrap_or_default()
}
