//! `--enable-ui-service`, as kubeflow's: a ClusterIP Service
//! `<app>-ui-svc` in front of the driver's Spark UI, owned by the
//! SparkApplication, recorded in `status.driverInfo` (webUIServiceName,
//! webUIPort, webUIAddress). A failure is logged, never fails the
//! application (the UI is a convenience).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kspark_kube::sparkapps::APP_NAME_LABEL;
use kspark_sparkapp::SparkApplication;
use kube::Api;
use kube::api::{Patch, PatchParams};

use super::Work;
use crate::context::Context;

/// Spark's default `spark.ui.port`.
const DEFAULT_UI_PORT: i32 = 4040;

/// The Service kubeflow would create for `app`.
pub fn ui_service(app: &SparkApplication) -> Service {
    let name = app.metadata.name.clone().unwrap_or_default();
    let given = app.spec.spark_ui_options.as_ref();
    let options = given.cloned().unwrap_or_default();
    let target_port =
        app.spec.spark_conf.get("spark.ui.port").and_then(|p| p.trim().parse::<i32>().ok()).unwrap_or(DEFAULT_UI_PORT);
    // kubeflow: sparkUIOptions.serviceLabels replace the app's labels.
    let labels = if options.service_labels.is_empty() {
        let mut labels = app.metadata.labels.clone().unwrap_or_default();
        labels.insert(APP_NAME_LABEL.into(), name.clone());
        labels
    } else {
        options.service_labels.clone()
    };
    // kubeflow: without sparkUIOptions the Service listens on the UI's
    // port; with them, on servicePort, else 4040.
    let port = match given {
        None => target_port,
        Some(_) => options.service_port.unwrap_or(DEFAULT_UI_PORT),
    };
    let selector = BTreeMap::from([(APP_NAME_LABEL.to_string(), name.clone()), ("spark-role".into(), "driver".into())]);
    let owner = OwnerReference {
        api_version: "sparkoperator.k8s.io/v1beta2".into(),
        kind: "SparkApplication".into(),
        name: name.clone(),
        uid: app.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: None,
    };
    Service {
        metadata: ObjectMeta {
            name: Some(service_name(&name)),
            namespace: app.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: (!options.service_annotations.is_empty()).then(|| options.service_annotations.clone()),
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some(options.service_type.clone().unwrap_or_else(|| "ClusterIP".into())),
            selector: Some(selector),
            ports: Some(vec![ServicePort {
                name: Some(options.service_port_name.clone().unwrap_or_else(|| "spark-driver-ui-port".into())),
                port,
                target_port: Some(IntOrString::Int(target_port)),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        status: None,
    }
}

fn service_name(app: &str) -> String {
    format!("{app}-ui-svc")
}

/// Applies the Service and records it in the status.
pub async fn apply(work: &mut Work, ctx: &Context) {
    let service = ui_service(&work.app);
    let name = service.metadata.name.clone().unwrap_or_default();
    let api: Api<Service> = Api::namespaced(ctx.client.clone(), work.namespace());
    let applied = api.patch(&name, &PatchParams::apply("kspark-operator").force(), &Patch::Apply(&service)).await;
    match applied {
        Ok(applied) => {
            let spec = applied.spec.unwrap_or_default();
            let port = spec.ports.unwrap_or_default().first().map_or(0, |p| p.port);
            let info = &mut work.status_mut().driver_info;
            info.web_ui_service_name = name;
            info.web_ui_port = port;
            info.web_ui_address = spec.cluster_ip.map(|ip| format!("{ip}:{port}")).unwrap_or_default();
        }
        Err(e) => tracing::warn!(app = work.name(), error = %e, "cannot create the UI Service {name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(conf: serde_json::Value, ui: serde_json::Value) -> SparkApplication {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": "etl", "namespace": "ns", "uid": "u-1"},
            "spec": {"type": "Scala", "sparkVersion": "4.0.5", "mainApplicationFile": "local:///a.jar",
                "driver": {}, "executor": {}, "sparkConf": conf, "sparkUIOptions": ui}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_service_selects_the_driver_on_the_ui_port() {
        let service = ui_service(&app(serde_json::json!({"spark.ui.port": "4141"}), serde_json::Value::Null));
        assert_eq!(service.metadata.name.as_deref(), Some("etl-ui-svc"));
        let owner = &service.metadata.owner_references.unwrap_or_default()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
            ("SparkApplication", "u-1", Some(true))
        );
        let spec = service.spec.unwrap_or_default();
        assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
        let selector = spec.selector.unwrap_or_default();
        assert_eq!(selector.get("spark-role").map(String::as_str), Some("driver"));
        assert_eq!(selector.get(APP_NAME_LABEL).map(String::as_str), Some("etl"));
        let port = &spec.ports.unwrap_or_default()[0];
        assert_eq!((port.port, port.target_port.clone()), (4141, Some(IntOrString::Int(4141))));
    }

    #[test]
    fn spark_ui_options_set_type_port_and_name() {
        let ui = serde_json::json!({"servicePort": 80, "servicePortName": "http", "serviceType": "NodePort"});
        let spec = ui_service(&app(serde_json::json!({}), ui)).spec.unwrap_or_default();
        let port = &spec.ports.unwrap_or_default()[0];
        assert_eq!((port.port, port.name.as_deref()), (80, Some("http")));
        assert_eq!(port.target_port, Some(IntOrString::Int(4040)));
        assert_eq!(spec.type_.as_deref(), Some("NodePort"));
        // Options without servicePort: kubeflow's Service port is 4040,
        // whatever spark.ui.port says; its labels replace the app's.
        let ui = serde_json::json!({"serviceLabels": {"team": "a"}});
        let service = ui_service(&app(serde_json::json!({"spark.ui.port": "4141"}), ui));
        let port = &service.spec.unwrap_or_default().ports.unwrap_or_default()[0];
        assert_eq!((port.port, port.target_port.clone()), (4040, Some(IntOrString::Int(4141))));
        assert_eq!(service.metadata.labels, Some(BTreeMap::from([("team".to_string(), "a".to_string())])));
    }
}
