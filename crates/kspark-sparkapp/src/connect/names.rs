//! The names and labels kubeflow's SparkConnect controller gives what it
//! creates (internal/controller/sparkconnect/util.go), which kspark's
//! commands also read to find a server and its executors.

use std::collections::BTreeMap;

use kspark_manifests::labels::{EXECUTOR_ROLE, SPARK_ROLE, SPARK_VERSION};

use super::SparkConnect;
use crate::labels::{CONNECT_NAME, CONNECT_SERVER_ROLE, CREATED_BY_SPARK_OPERATOR, LAUNCHED_BY_SPARK_OPERATOR};

/// The port clients speak gRPC to (Spark's `spark.connect.grpc.binding.port` default).
pub const SERVER_PORT: u16 = 15002;
/// The key of the executor pod template in the ConfigMap, and its file name.
pub const EXECUTOR_POD_TEMPLATE_FILE: &str = "executor-pod-template.yaml";
/// Where the server pod finds the executor pod template.
pub const EXECUTOR_POD_TEMPLATE_PATH: &str = "/tmp/spark/executor-pod-template.yaml";
/// kubeflow's `SparkConfigMapVolumeMountName`: the ConfigMap's volume.
pub const CONF_VOLUME: &str = "spark-conf";

fn name(connect: &SparkConnect) -> &str {
    connect.metadata.name.as_deref().unwrap_or_default()
}

/// On the ConfigMap and the Service.
pub fn common_labels(connect: &SparkConnect) -> BTreeMap<String, String> {
    BTreeMap::from([
        (CREATED_BY_SPARK_OPERATOR.to_string(), "true".to_string()),
        (CONNECT_NAME.to_string(), name(connect).to_string()),
    ])
}

/// On the server pod, and the Service's selector.
pub fn server_selector_labels(connect: &SparkConnect) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LAUNCHED_BY_SPARK_OPERATOR.to_string(), "true".to_string()),
        (CONNECT_NAME.to_string(), name(connect).to_string()),
        (SPARK_ROLE.to_string(), CONNECT_SERVER_ROLE.to_string()),
        (SPARK_VERSION.to_string(), connect.spec.spark_version.clone()),
    ])
}

/// The labels of the server's executors, as a label selector.
pub fn executor_selector(connect_name: &str) -> String {
    format!("{LAUNCHED_BY_SPARK_OPERATOR}=true,{CONNECT_NAME}={connect_name},{SPARK_ROLE}={EXECUTOR_ROLE}")
}

/// The server pod's labels as a selector, without the version (a client
/// looking for the server does not know it).
pub fn server_selector(connect_name: &str) -> String {
    format!("{LAUNCHED_BY_SPARK_OPERATOR}=true,{CONNECT_NAME}={connect_name},{SPARK_ROLE}={CONNECT_SERVER_ROLE}")
}

pub fn config_map_name(connect: &SparkConnect) -> String {
    format!("{}-conf", name(connect))
}

pub fn server_pod_name(connect: &SparkConnect) -> String {
    format!("{}-server", name(connect))
}

/// `spec.server.service`'s name when it names one, else `<name>-server`.
pub fn server_service_name(connect: &SparkConnect) -> String {
    let named = connect.spec.server.service.as_ref().and_then(|s| s.metadata.name.clone());
    named.unwrap_or_else(|| server_pod_name(connect))
}
