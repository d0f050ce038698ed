//! The objects of one submission and the owner reference that ties them to
//! the driver pod.

use crate::labels::SPARK_APP_SELECTOR;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod, Secret, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use serde::Serialize;

/// An object Spark server-side-applies after creating the driver pod.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Applied {
    Service(Service),
    ConfigMap(ConfigMap),
    Secret(Secret),
    PersistentVolumeClaim(PersistentVolumeClaim),
    NetworkPolicy(NetworkPolicy),
}

impl Applied {
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Applied::Service(o) => &o.metadata,
            Applied::ConfigMap(o) => &o.metadata,
            Applied::Secret(o) => &o.metadata,
            Applied::PersistentVolumeClaim(o) => &o.metadata,
            Applied::NetworkPolicy(o) => &o.metadata,
        }
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Applied::Service(o) => &mut o.metadata,
            Applied::ConfigMap(o) => &mut o.metadata,
            Applied::Secret(o) => &mut o.metadata,
            Applied::PersistentVolumeClaim(o) => &mut o.metadata,
            Applied::NetworkPolicy(o) => &mut o.metadata,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Applied::Service(_) => "Service",
            Applied::ConfigMap(_) => "ConfigMap",
            Applied::Secret(_) => "Secret",
            Applied::PersistentVolumeClaim(_) => "PersistentVolumeClaim",
            Applied::NetworkPolicy(_) => "NetworkPolicy",
        }
    }

    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// Spark replaces the whole list with one controller reference.
    pub fn set_owner(&mut self, owner: OwnerReference) {
        self.metadata_mut().owner_references = Some(vec![owner]);
    }

    /// The JSON Spark sends; every variant serializes with apiVersion/kind.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The owner reference Spark writes: controller, no blockOwnerDeletion.
pub fn driver_owner(pod_name: &str, pod_uid: &str) -> OwnerReference {
    OwnerReference {
        api_version: "v1".into(),
        kind: "Pod".into(),
        name: pod_name.into(),
        uid: pod_uid.into(),
        controller: Some(true),
        block_owner_deletion: None,
    }
}

/// The key of the executor pod template in its ConfigMap (Spark's
/// `podspec-configmap-key`).
pub const POD_TEMPLATE_KEY: &str = "podspec-configmap-key";

/// The driver pod and what follows it, in Spark's creation order.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverObjects {
    pub namespace: String,
    pub pod: Pod,
    /// Applied after the pod with an owner reference to it; the conf
    /// ConfigMap comes last.
    pub applied: Vec<Applied>,
}

impl DriverObjects {
    pub fn pod_name(&self) -> &str {
        self.pod.metadata.name.as_deref().unwrap_or_default()
    }

    pub fn app_id(&self) -> &str {
        self.pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(SPARK_APP_SELECTOR))
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The executor pod template as given, when there is one: the executors
    /// are built from it.
    pub fn executor_template(&self) -> Option<&str> {
        self.applied.iter().find_map(|o| match o {
            Applied::ConfigMap(map) => map.data.as_ref()?.get(POD_TEMPLATE_KEY).map(String::as_str),
            _ => None,
        })
    }

    /// Every object as JSON, pod first.
    pub fn to_json(&self) -> Vec<serde_json::Value> {
        let pod = serde_json::to_value(&self.pod).unwrap_or(serde_json::Value::Null);
        std::iter::once(pod).chain(self.applied.iter().map(Applied::to_json)).collect()
    }
}
