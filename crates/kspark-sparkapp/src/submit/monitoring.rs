//! What kubeflow's controller does to the spec for Prometheus monitoring
//! before it builds the command line (configPrometheusMonitoring in
//! internal/controller/sparkapplication/monitoring_config.go): metrics
//! settings in sparkConf, scrape annotations and the JMX exporter java agent
//! on the pods. The ConfigMap it also creates is the controller's business.

use crate::application::SparkApplicationSpec;

/// kubeflow's `DefaultPrometheusJavaAgentPort`.
pub const DEFAULT_PROMETHEUS_PORT: i32 = 8090;
/// Where kubeflow's webhook mounts the `<app>-prom-conf` ConfigMap.
pub const PROMETHEUS_CONFIG_MOUNT_PATH: &str = "/etc/metrics/conf";

/// Rewrites `spec` as kubeflow does when `spec.monitoring.prometheus` is set.
pub(crate) fn apply_prometheus(spec: &mut SparkApplicationSpec, namespace: &str, name: &str) {
    let Some(monitoring) = spec.monitoring.clone() else { return };
    let Some(prometheus) = monitoring.prometheus.as_ref() else { return };
    let port = prometheus.port.unwrap_or(DEFAULT_PROMETHEUS_PORT);
    let jar = &prometheus.jmx_exporter_jar;
    let java_agent = match prometheus.config_file.as_deref().filter(|f| !f.is_empty()) {
        Some(config_file) => format!("-javaagent:{jar}={port}:{config_file}"),
        None => format!("-javaagent:{jar}={port}:{PROMETHEUS_CONFIG_MOUNT_PATH}/prometheus.yaml"),
    };
    let metrics_conf = match monitoring.metrics_properties_file.as_deref().filter(|f| !f.is_empty()) {
        Some(file) => file.to_string(),
        None => format!("{PROMETHEUS_CONFIG_MOUNT_PATH}/metrics.properties"),
    };
    spec.spark_conf.insert("spark.metrics.namespace".to_string(), format!("{namespace}.{name}"));
    spec.spark_conf.insert("spark.metrics.conf".to_string(), metrics_conf);
    let roles = [
        (monitoring.expose_driver_metrics, &mut spec.driver.pod.annotations, &mut spec.driver.java_options),
        (monitoring.expose_executor_metrics, &mut spec.executor.pod.annotations, &mut spec.executor.java_options),
    ];
    for (expose, annotations, java_options) in roles {
        if !expose {
            continue;
        }
        annotations.insert("prometheus.io/scrape".to_string(), "true".to_string());
        annotations.insert("prometheus.io/port".to_string(), port.to_string());
        annotations.insert("prometheus.io/path".to_string(), "/metrics".to_string());
        *java_options = Some(match java_options.take() {
            Some(existing) => format!("{existing} {java_agent}"),
            None => java_agent.clone(),
        });
    }
}
