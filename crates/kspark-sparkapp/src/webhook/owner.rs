//! The driver pod's owner reference to its SparkApplication (kubeflow's
//! `addOwnerReference`; executors are owned by the driver, set by Spark).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::application::SparkApplication;

pub(crate) fn add_owner_reference(metadata: &mut ObjectMeta, app: &SparkApplication) {
    let reference = OwnerReference {
        api_version: "sparkoperator.k8s.io/v1beta2".to_string(),
        kind: "SparkApplication".to_string(),
        name: app.metadata.name.clone().unwrap_or_default(),
        uid: app.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    };
    let references = metadata.owner_references.get_or_insert_default();
    if !references.contains(&reference) {
        references.push(reference);
    }
}
