//! `spec.monitoring`: Spark's metrics system and the Prometheus JMX exporter.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// kubeflow's `MonitoringSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringSpec {
    pub expose_driver_metrics: bool,
    pub expose_executor_metrics: bool,
    /// Content of a metrics.properties; kubeflow's default otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_properties: Option<String>,
    /// Path of a metrics.properties inside the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_properties_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusSpec>,
}

/// kubeflow's `PrometheusSpec`: the JMX exporter java agent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusSpec {
    pub jmx_exporter_jar: String,
    /// Defaults to 8090 (kubeflow's `DefaultPrometheusJavaAgentPort`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1024, max = 49151))]
    pub port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
}
