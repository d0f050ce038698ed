//! The SparkApplication resource (`sparkoperator.k8s.io/v1beta2`), field for
//! field as kubeflow's api/v1beta2/sparkapplication_types.go.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Volume;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::dependencies::Dependencies;
use crate::exposure::{DriverIngressConfiguration, SparkUiConfiguration};
use crate::monitoring::MonitoringSpec;
use crate::pod::{DriverSpec, ExecutorSpec};
use crate::restart::RestartPolicy;
use crate::scheduling::{BatchSchedulerConfiguration, DynamicAllocation};
use crate::status::SparkApplicationStatus;

/// kubeflow's `SparkApplicationSpec`: everything a spark-submit command line
/// carries, plus what kubeflow's webhook adds to the pods.
// Several print columns share `type_ = "string"`, which clippy takes for a
// repeated attribute.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "sparkoperator.k8s.io",
    version = "v1beta2",
    kind = "SparkApplication",
    plural = "sparkapplications",
    singular = "sparkapplication",
    shortname = "sparkapp",
    namespaced,
    status = "SparkApplicationStatus",
    annotation("api-approved.kubernetes.io", "https://github.com/kubeflow/spark-operator/pull/1298"),
    printcolumn(name = "Suspend", type_ = "boolean", json_path = ".spec.suspend"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.applicationState.state"),
    printcolumn(name = "Attempts", type_ = "string", json_path = ".status.executionAttempts"),
    printcolumn(name = "Start", type_ = "string", json_path = ".status.lastSubmissionAttemptTime"),
    printcolumn(name = "Finish", type_ = "string", json_path = ".status.terminationTime"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct SparkApplicationSpec {
    /// Suspended applications are not submitted; suspending a running one
    /// deletes its pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// Java, Python, Scala or R. kubeflow's defaulting would turn an empty
    /// type into Scala, but its CRD requires the field, so it is never empty.
    #[serde(rename = "type")]
    pub type_: SparkApplicationType,
    pub spark_version: String,
    /// Defaults to cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DeployMode>,
    /// `--proxy-user`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_user: Option<String>,
    /// `spark.kubernetes.container.image`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `spark.kubernetes.container.image.pullPolicy`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// `spark.kubernetes.container.image.pullSecrets`, comma-joined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<String>,
    /// `--class`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_class: Option<String>,
    /// The primary resource. A pointer without `omitempty` in kubeflow, hence
    /// required by its CRD.
    pub main_application_file: String,
    /// The application's own arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    /// `--conf KEY=VALUE` each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_conf: BTreeMap<String, String>,
    /// `--conf spark.hadoop.KEY=VALUE` each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hadoop_conf: BTreeMap<String, String>,
    /// A ConfigMap mounted as SPARK_CONF_DIR (by kubeflow's webhook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_config_map: Option<String>,
    /// A ConfigMap mounted as HADOOP_CONF_DIR (by kubeflow's webhook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hadoop_config_map: Option<String>,
    /// Volumes the driver and executors may mount (`volumeMounts`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    pub driver: DriverSpec,
    pub executor: ExecutorSpec,
    #[serde(default, skip_serializing_if = "Dependencies::is_empty")]
    pub deps: Dependencies,
    #[serde(default, skip_serializing_if = "RestartPolicy::is_empty")]
    pub restart_policy: RestartPolicy,
    /// `spark.kubernetes.node.selector.*`; exclusive with the per-role ones.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_retries: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<i64>,
    /// `spark.kubernetes.pyspark.pythonVersion`: "2" or "3".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["2", "3"]))]
    pub python_version: Option<String>,
    /// `spark.kubernetes.memoryOverheadFactor`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_overhead_factor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_scheduler: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_live_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_scheduler_options: Option<BatchSchedulerConfiguration>,
    #[serde(rename = "sparkUIOptions", default, skip_serializing_if = "Option::is_none")]
    pub spark_ui_options: Option<SparkUiConfiguration>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub driver_ingress_options: Vec<DriverIngressConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_allocation: Option<DynamicAllocation>,
    /// A PodDisruptionBudget for the driver (with the operator's gate on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_pod_disruption_budget: Option<bool>,
}

/// kubeflow's `SparkApplicationType` (the CRD's enum order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SparkApplicationType {
    Java,
    Python,
    Scala,
    R,
}

/// kubeflow's `DeployMode`. Its CRD admits only cluster and client
/// (`in-cluster-client` exists in the Go constants but not in the enum).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeployMode {
    Cluster,
    Client,
}

impl DeployMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cluster => "cluster",
            Self::Client => "client",
        }
    }
}
