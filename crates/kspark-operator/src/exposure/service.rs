//! The Services in front of a driver: `<app>-ui-svc` for its Spark UI
//! (`--enable-ui-service`) and `<app>-driver-<port>` for each of
//! `spec.driverIngressOptions`, as kubeflow builds them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kspark_sparkapp::SparkApplication;
use kspark_sparkapp::exposure::DriverIngressConfiguration;

use super::{app_name, driver_port_service_name, owner, resource_labels, ui_service_name};
use kspark_manifests::labels::{DRIVER_ROLE, SPARK_ROLE};
use kspark_sparkapp::labels;

/// Spark's default `spark.ui.port`.
const DEFAULT_UI_PORT: i32 = 4040;

/// What differs between the Services kubeflow puts in front of a driver.
struct ServiceShape<'a> {
    name: String,
    port_name: String,
    port: i32,
    target_port: i32,
    service_type: Option<&'a str>,
    labels: &'a BTreeMap<String, String>,
    annotations: &'a BTreeMap<String, String>,
}

/// The UI Service kubeflow would create for `app`.
pub fn ui_service(app: &SparkApplication) -> Service {
    let given = app.spec.spark_ui_options.as_ref();
    let options = given.cloned().unwrap_or_default();
    let target_port =
        app.spec.spark_conf.get("spark.ui.port").and_then(|p| p.trim().parse::<i32>().ok()).unwrap_or(DEFAULT_UI_PORT);
    // kubeflow: without sparkUIOptions the Service listens on the UI's
    // port; with them, on servicePort, else 4040.
    let port = match given {
        None => target_port,
        Some(_) => options.service_port.unwrap_or(DEFAULT_UI_PORT),
    };
    build(
        app,
        ServiceShape {
            name: ui_service_name(app_name(app)),
            port_name: options.service_port_name.clone().unwrap_or_else(|| "spark-driver-ui-port".into()),
            port,
            target_port,
            service_type: options.service_type.as_deref(),
            labels: &options.service_labels,
            annotations: &options.service_annotations,
        },
    )
}

/// The Service of one of `spec.driverIngressOptions`: its port, on the
/// same port of the driver.
pub fn driver_port_service(app: &SparkApplication, config: &DriverIngressConfiguration) -> Service {
    let port = config.service_port;
    let port_name = if config.service_port_name.is_empty() {
        format!("driver-ing-{port}")
    } else {
        config.service_port_name.clone()
    };
    build(
        app,
        ServiceShape {
            name: driver_port_service_name(app_name(app), port),
            port_name,
            port,
            target_port: port,
            service_type: config.service_type.as_deref(),
            labels: &config.service_labels,
            annotations: &config.service_annotations,
        },
    )
}

fn build(app: &SparkApplication, shape: ServiceShape<'_>) -> Service {
    // kubeflow: the options' labels replace the application's.
    let mut labels = if shape.labels.is_empty() { resource_labels(app) } else { shape.labels.clone() };
    labels.insert(labels::CREATED_BY_SPARK_OPERATOR.into(), "true".into());
    let selector = BTreeMap::from([
        (labels::APP_NAME.to_string(), app_name(app).to_string()),
        (SPARK_ROLE.into(), DRIVER_ROLE.into()),
    ]);
    Service {
        metadata: ObjectMeta {
            name: Some(shape.name),
            namespace: app.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: (!shape.annotations.is_empty()).then(|| shape.annotations.clone()),
            owner_references: Some(vec![owner(app)]),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some(shape.service_type.unwrap_or("ClusterIP").to_string()),
            selector: Some(selector),
            ports: Some(vec![ServicePort {
                name: Some(shape.port_name),
                port: shape.port,
                target_port: Some(IntOrString::Int(shape.target_port)),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn app(spec: serde_json::Value) -> SparkApplication {
        let mut base = serde_json::json!({"type": "Scala", "sparkVersion": "4.0.5",
            "mainApplicationFile": "local:///a.jar", "driver": {}, "executor": {}});
        if let (Some(base), Some(extra)) = (base.as_object_mut(), spec.as_object()) {
            base.extend(extra.clone());
        }
        serde_json::from_value(serde_json::json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": "etl", "namespace": "ns", "uid": "u-1"}, "spec": base
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_ui_service_selects_the_driver_on_the_ui_port() {
        let service = ui_service(&app(serde_json::json!({"sparkConf": {"spark.ui.port": "4141"}})));
        assert_eq!(service.metadata.name.as_deref(), Some("etl-ui-svc"));
        let owner = &service.metadata.owner_references.unwrap_or_default()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
            ("SparkApplication", "u-1", Some(true))
        );
        let labels = service.metadata.labels.unwrap_or_default();
        assert_eq!(labels.get(labels::APP_NAME).map(String::as_str), Some("etl"));
        assert_eq!(labels.get(labels::CREATED_BY_SPARK_OPERATOR).map(String::as_str), Some("true"));
        let spec = service.spec.unwrap_or_default();
        assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
        let selector = spec.selector.unwrap_or_default();
        assert_eq!(selector.get("spark-role").map(String::as_str), Some("driver"));
        assert_eq!(selector.get(labels::APP_NAME).map(String::as_str), Some("etl"));
        let port = &spec.ports.unwrap_or_default()[0];
        assert_eq!((port.port, port.target_port.clone()), (4141, Some(IntOrString::Int(4141))));
    }

    #[test]
    fn spark_ui_options_set_type_port_and_name() {
        let ui = serde_json::json!({"sparkUIOptions": {"servicePort": 80, "servicePortName": "http", "serviceType": "NodePort"}});
        let spec = ui_service(&app(ui)).spec.unwrap_or_default();
        let port = &spec.ports.unwrap_or_default()[0];
        assert_eq!((port.port, port.name.as_deref()), (80, Some("http")));
        assert_eq!(port.target_port, Some(IntOrString::Int(4040)));
        assert_eq!(spec.type_.as_deref(), Some("NodePort"));
        // Options without servicePort: kubeflow's Service port is 4040,
        // whatever spark.ui.port says; its labels replace the app's.
        let ui = serde_json::json!({"sparkConf": {"spark.ui.port": "4141"}, "sparkUIOptions": {"serviceLabels": {"team": "a"}}});
        let service = ui_service(&app(ui));
        let port = &service.spec.unwrap_or_default().ports.unwrap_or_default()[0];
        assert_eq!((port.port, port.target_port.clone()), (4040, Some(IntOrString::Int(4141))));
        let labels = service.metadata.labels.unwrap_or_default();
        assert_eq!(
            labels.keys().map(String::as_str).collect::<Vec<_>>(),
            ["sparkoperator.k8s.io/created-by-spark-operator", "team"]
        );
    }

    #[test]
    fn a_driver_ingress_option_gets_its_own_service_on_its_port() {
        let options = serde_json::json!({"driverIngressOptions": [
            {"servicePort": 4041, "servicePortName": "", "serviceType": "NodePort"}]});
        let app = app(options);
        let service = driver_port_service(&app, &app.spec.driver_ingress_options[0]);
        assert_eq!(service.metadata.name.as_deref(), Some("etl-driver-4041"));
        let spec = service.spec.unwrap_or_default();
        let port = &spec.ports.unwrap_or_default()[0];
        assert_eq!((port.name.as_deref(), port.port), (Some("driver-ing-4041"), 4041));
        assert_eq!(port.target_port, Some(IntOrString::Int(4041)));
        assert_eq!(spec.type_.as_deref(), Some("NodePort"));
    }
}
