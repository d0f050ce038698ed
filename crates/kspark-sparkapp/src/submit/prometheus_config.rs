//! The `<app>-prom-conf` ConfigMap kubeflow's controller creates for
//! Prometheus monitoring (buildPrometheusConfigMap): `metrics.properties`
//! for Spark's metrics system and `prometheus.yaml` for the JMX exporter,
//! each unless the spec names a file in the image instead. Both pods mount
//! it at `/etc/metrics/conf`, so it must exist before the driver starts.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::application::SparkApplication;

/// Spark's metrics system: JMX out, JVM metrics of driver and executors in
/// (what the JMX exporter then reads).
const METRICS_PROPERTIES: &str = "\
*.sink.jmx.class=org.apache.spark.metrics.sink.JmxSink
driver.source.jvm.class=org.apache.spark.metrics.source.JvmSource
executor.source.jvm.class=org.apache.spark.metrics.source.JvmSource
";

/// JMX exporter rules (kspark's own): Spark's MBeans are named
/// `metrics<name=NAMESPACE.APP_ID.ROLE.SOURCE.METRIC>` with
/// `spark.metrics.namespace` = `<namespace>.<app>`; they become
/// `spark_driver_*` / `spark_executor_*` with the application as labels.
const PROMETHEUS_YAML: &str = r#"lowercaseOutputName: true
attrNameSnakeCase: true
rules:
  # metrics<name=ns.app.driver.DAGScheduler.stage.failedStages><>Value
  - pattern: metrics<name=([^.]+)\.([^.]+)\.([^.]+)\.driver\.(.+)><>(Value|Count)
    name: spark_driver_$4_$5
    labels:
      app_namespace: "$1"
      app_name: "$2"
      app_id: "$3"
  # metrics<name=ns.app.id.3.executor.bytesRead><>Count (executor 3)
  - pattern: metrics<name=([^.]+)\.([^.]+)\.([^.]+)\.([0-9]+)\.(.+)><>(Value|Count)
    name: spark_executor_$5_$6
    labels:
      app_namespace: "$1"
      app_name: "$2"
      app_id: "$3"
      executor_id: "$4"
"#;

/// kubeflow's ConfigMap name for the application.
pub fn prometheus_config_map_name(app_name: &str) -> String {
    format!("{app_name}-prom-conf")
}

/// The ConfigMap, or `None` when monitoring does not need one.
pub fn prometheus_config_map(app: &SparkApplication) -> Option<ConfigMap> {
    let monitoring = app.spec.monitoring.as_ref()?;
    let prometheus = monitoring.prometheus.as_ref()?;
    let file = |f: &Option<String>| f.as_deref().is_some_and(|f| !f.is_empty());
    let has_metrics_file = file(&monitoring.metrics_properties_file);
    let has_prometheus_file = file(&prometheus.config_file);
    if has_metrics_file && has_prometheus_file {
        return None;
    }
    let mut data = BTreeMap::new();
    if !has_metrics_file {
        let properties = monitoring.metrics_properties.clone().unwrap_or_else(|| METRICS_PROPERTIES.to_string());
        data.insert("metrics.properties".to_string(), properties);
    }
    if !has_prometheus_file {
        let yaml = prometheus.configuration.clone().unwrap_or_else(|| PROMETHEUS_YAML.to_string());
        data.insert("prometheus.yaml".to_string(), yaml);
    }
    let name = app.metadata.name.clone().unwrap_or_default();
    Some(ConfigMap {
        metadata: ObjectMeta {
            name: Some(prometheus_config_map_name(&name)),
            namespace: app.metadata.namespace.clone(),
            labels: Some(BTreeMap::from([(
                "sparkoperator.k8s.io/created-by-spark-operator".to_string(),
                "true".to_string(),
            )])),
            owner_references: Some(vec![OwnerReference {
                api_version: "sparkoperator.k8s.io/v1beta2".into(),
                kind: "SparkApplication".into(),
                name,
                uid: app.metadata.uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        data: Some(data),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(monitoring: serde_json::Value) -> SparkApplication {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": "pi", "namespace": "ns", "uid": "u"},
            "spec": {"type": "Scala", "sparkVersion": "4.0.5", "mainApplicationFile": "local:///a.jar",
                     "driver": {}, "executor": {}, "monitoring": monitoring}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn prometheus_monitoring_gets_both_files() {
        let monitoring = serde_json::json!({"exposeDriverMetrics": true, "exposeExecutorMetrics": false,
            "prometheus": {"jmxExporterJar": "/p.jar"}});
        let map = prometheus_config_map(&app(monitoring)).unwrap_or_default();
        assert_eq!(map.metadata.name.as_deref(), Some("pi-prom-conf"));
        let data = map.data.unwrap_or_default();
        assert!(data["metrics.properties"].contains("JmxSink"));
        assert!(data["prometheus.yaml"].contains("spark_driver_"));
        let parsed: serde_json::Value =
            serde_saphyr::from_str(&data["prometheus.yaml"]).unwrap_or_else(|e| panic!("not YAML: {e}"));
        assert_eq!(parsed["rules"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn files_in_the_image_replace_the_configmap_entries() {
        let both = serde_json::json!({"exposeDriverMetrics": true, "exposeExecutorMetrics": true,
            "metricsPropertiesFile": "/m.properties",
            "prometheus": {"jmxExporterJar": "/p.jar", "configFile": "/p.yaml"}});
        assert_eq!(prometheus_config_map(&app(both)), None);
        let own = serde_json::json!({"exposeDriverMetrics": true, "exposeExecutorMetrics": true,
            "metricsProperties": "x=y", "prometheus": {"jmxExporterJar": "/p.jar", "configFile": "/p.yaml"}});
        let data = prometheus_config_map(&app(own)).and_then(|m| m.data).unwrap_or_default();
        assert_eq!(data.keys().collect::<Vec<_>>(), ["metrics.properties"]);
        assert_eq!(data["metrics.properties"], "x=y");
        assert_eq!(
            prometheus_config_map(&app(serde_json::json!({"exposeDriverMetrics": true,
            "exposeExecutorMetrics": true}))),
            None
        );
    }
}
