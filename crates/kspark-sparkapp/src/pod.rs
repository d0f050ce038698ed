//! What a SparkApplication says about its driver and executor pods
//! (kubeflow's `SparkPodSpec`, `DriverSpec`, `ExecutorSpec` and their parts,
//! api/v1beta2/sparkapplication_types.go).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Container, EnvFromSource, EnvVar, HostAlias, Lifecycle, PodDNSConfig, PodSecurityContext,
    PodTemplateSpec, SecurityContext, Toleration, VolumeMount,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::schema::preserve_unknown_object;

/// Settings shared by the driver and the executors. kubeflow inlines this
/// struct into [`DriverSpec`] and [`ExecutorSpec`]; here it is flattened.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SparkPodSpec {
    /// A pod template for what Spark settings cannot express (Spark ≥ 3.0.0).
    /// Schemaless in kubeflow's CRD, as here: a full PodTemplateSpec schema
    /// would make the CRD too large.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub template: Option<RawPodTemplate>,
    /// `spark.driver.cores` / `spark.executor.cores`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub cores: Option<i32>,
    /// `spark.kubernetes.{driver,executor}.limit.cores`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_limit: Option<String>,
    /// `spark.driver.memory` / `spark.executor.memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// The pod's memory limit (set by kubeflow's webhook, not by Spark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
    /// `spark.{driver,executor}.memoryOverhead`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_overhead: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuSpec>,
    /// Overrides `spec.image` for this role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_maps: Vec<NamePath>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Deprecated in kubeflow in favour of `env`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env_vars: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_from: Vec<EnvFromSource>,
    /// Deprecated in kubeflow in favour of `env`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env_secret_key_refs: BTreeMap<String, NameKey>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<VolumeMount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_security_context: Option<PodSecurityContext>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sidecars: Vec<Container>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<Container>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_config: Option<PodDNSConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    /// `spark.kubernetes.authenticate.{driver,executor}.serviceAccountName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_aliases: Vec<HostAlias>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_process_namespace: Option<bool>,
}

/// A pod template exactly as written. kubeflow's CRD keeps it schemaless
/// (the API server stores unknown fields), and kubeflow's Go code then reads
/// it as a `PodTemplateSpec`, silently dropping fields that type does not
/// have (kubeflow's own spark-pi-pod-template example puts container fields
/// into the pod securityContext). [`RawPodTemplate::to_spec`] reads it the
/// same way; the raw form keeps the resource round-tripping unchanged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawPodTemplate(pub Map<String, Value>);

impl RawPodTemplate {
    /// The template as kubeflow's operator sees it.
    pub fn to_spec(&self) -> Result<PodTemplateSpec, serde_json::Error> {
        serde_json::from_value(Value::Object(self.0.clone()))
    }

    pub fn from_spec(spec: &PodTemplateSpec) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::to_value(spec)?)
    }
}

/// `spec.driver`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriverSpec {
    #[serde(flatten)]
    pub pod: SparkPodSpec,
    /// The driver pod's name (`spark.kubernetes.driver.pod.name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"))]
    pub pod_name: Option<String>,
    /// `spark.kubernetes.driver.request.cores`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_request: Option<String>,
    /// `spark.driver.extraJavaOptions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub java_options: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    /// `spark.kubernetes.driver.master`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_master: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service_annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
}

/// `spec.executor`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorSpec {
    #[serde(flatten)]
    pub pod: SparkPodSpec,
    /// `spark.executor.instances`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub instances: Option<i32>,
    /// `spark.kubernetes.executor.request.cores`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_request: Option<String>,
    /// `spark.executor.extraJavaOptions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub java_options: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    /// `spark.kubernetes.executor.deleteOnTermination`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_on_termination: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
}

/// A named object and the path it is mounted at.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NamePath {
    pub name: String,
    pub path: String,
}

/// A Secret to mount, and what kind of credentials it holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SecretInfo {
    pub name: String,
    pub path: String,
    /// `GCPServiceAccount`, `HadoopDelegationToken` or `Generic`; kubeflow's
    /// CRD does not restrict the value, so neither does this type.
    #[serde(rename = "secretType")]
    pub secret_type: String,
}

/// kubeflow's `SecretTypeGCPServiceAccount`: sets GOOGLE_APPLICATION_CREDENTIALS.
pub const SECRET_TYPE_GCP_SERVICE_ACCOUNT: &str = "GCPServiceAccount";
/// kubeflow's `SecretTypeHadoopDelegationToken`: sets HADOOP_TOKEN_FILE_LOCATION.
pub const SECRET_TYPE_HADOOP_DELEGATION_TOKEN: &str = "HadoopDelegationToken";

/// A key of a Secret (`envSecretKeyRefs`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NameKey {
    pub name: String,
    pub key: String,
}

/// A container port.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Port {
    pub name: String,
    pub protocol: String,
    pub container_port: i32,
}

/// A GPU request (`nvidia.com/gpu`, `amd.com/gpu`, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GpuSpec {
    pub name: String,
    pub quantity: i64,
}
