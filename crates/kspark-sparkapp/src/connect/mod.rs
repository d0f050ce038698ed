//! The SparkConnect resource: a Spark Connect server (a Spark driver that
//! serves gRPC clients) and its executors, as kubeflow's
//! api/v1alpha1/sparkconnect_types.go defines it, and what kubeflow's
//! SparkConnect controller makes of it: [`names`] (object names and labels),
//! [`server_args`] (the server's command line), [`objects`] (its ConfigMap,
//! pod and Service) and [`status`] (what the status says of them).

pub mod names;
pub mod objects;
pub mod server_args;
pub mod status;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::pod::RawPodTemplate;
use crate::scheduling::DynamicAllocation;
use crate::schema::{integer_map, preserve_unknown_object};

/// kubeflow's `SparkConnectSpec`.
// Several print columns share `type_ = "string"`, which clippy takes for a
// repeated attribute.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "sparkoperator.k8s.io",
    version = "v1alpha1",
    kind = "SparkConnect",
    plural = "sparkconnects",
    singular = "sparkconnect",
    shortname = "sparkconn",
    namespaced,
    status = "SparkConnectStatus",
    annotation("api-approved.kubernetes.io", "https://github.com/kubeflow/spark-operator/pull/1298"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.state"),
    printcolumn(name = "PodName", type_ = "string", json_path = ".status.server.podName")
)]
#[serde(rename_all = "camelCase")]
pub struct SparkConnectSpec {
    /// The Spark version of the server and executors.
    pub spark_version: String,
    /// The image of the server and executors, unless their templates name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Hadoop settings, given to Spark with the `spark.hadoop.` prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hadoop_conf: Option<BTreeMap<String, String>>,
    /// Spark settings, as `--conf` would give them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_conf: Option<BTreeMap<String, String>>,
    pub server: ServerSpec,
    pub executor: ConnectExecutorSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_allocation: Option<DynamicAllocation>,
}

/// The parts of a SparkConnect's server and executor pods that Spark
/// settings express, and a template for the rest (kubeflow's v1alpha1
/// `SparkPodSpec`, smaller than v1beta2's).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectPodSpec {
    /// `spark.driver.cores` / `spark.executor.cores`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub cores: Option<i32>,
    /// `spark.driver.memory` / `spark.executor.memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Schemaless in kubeflow's CRD, as here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub template: Option<RawPodTemplate>,
}

/// kubeflow's `ServerSpec`: the server pod, and the Service in front of it
/// when the default one will not do.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerSpec {
    #[serde(flatten)]
    pub pod: ConnectPodSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Service>,
}

/// kubeflow's v1alpha1 `ExecutorSpec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectExecutorSpec {
    #[serde(flatten)]
    pub pod: ConnectPodSpec,
    /// `spark.executor.instances`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub instances: Option<i32>,
}

/// kubeflow's `SparkConnectStatus`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SparkConnectStatus {
    /// The `ServerPodReady` condition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-map-keys" = ["type"], "x-kubernetes-list-type" = "map"))]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "ConnectState::is_new")]
    pub state: ConnectState,
    #[serde(default)]
    pub server: ConnectServerStatus,
    /// Executor pods by state (`running`, `pending`, …), as kubeflow counts them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "integer_map")]
    pub executors: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
}

/// kubeflow's `SparkConnectState`; a new SparkConnect's is the empty string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectState {
    #[default]
    #[serde(rename = "")]
    New,
    Provisioning,
    Ready,
    NotReady,
    Failed,
}

impl ConnectState {
    pub fn is_new(&self) -> bool {
        *self == ConnectState::New
    }
}

impl JsonSchema for ConnectState {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SparkConnectState".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

/// kubeflow's `SparkConnectServerStatus`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectServerStatus {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pod_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pod_ip: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// kubeflow's examples/sparkconnect/spark-connect.yaml, in its parts that
    /// matter here.
    const EXAMPLE: &str = r#"
apiVersion: sparkoperator.k8s.io/v1alpha1
kind: SparkConnect
metadata: {name: spark-connect, namespace: default}
spec:
  sparkVersion: 4.0.4
  server:
    template:
      metadata: {labels: {key1: value1}}
      spec:
        containers: [{name: spark-kubernetes-driver, image: docker.io/apache/spark:4.0.4}]
  executor:
    instances: 2
    cores: 1
    memory: 512m
"#;

    #[test]
    fn kubeflow_s_example_reads_and_writes_back_the_same() {
        let connect: SparkConnect = serde_saphyr::from_str(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(connect.spec.spark_version, "4.0.4");
        assert_eq!(connect.spec.executor.instances, Some(2));
        assert_eq!(connect.spec.executor.pod.cores, Some(1));
        assert_eq!(connect.spec.executor.pod.memory.as_deref(), Some("512m"));
        assert!(connect.spec.server.pod.template.is_some());
        let written = serde_json::to_value(&connect).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(written["spec"]["executor"]["instances"], 2);
        assert_eq!(written["spec"]["executor"]["memory"], "512m");
        assert!(written.get("status").is_none_or(|s| s.is_null()), "{written}");
    }

    #[test]
    fn states_are_kubeflow_s_strings() {
        let status: SparkConnectStatus =
            serde_json::from_str(r#"{"state":"NotReady","server":{"podName":"s-server","podIp":"10.0.0.1"}}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status.state, ConnectState::NotReady);
        assert_eq!(status.server.pod_ip, "10.0.0.1");
        let new = serde_json::to_value(SparkConnectStatus::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(new.get("state").is_none(), "a new SparkConnect's state is not written: {new}");
    }
}
