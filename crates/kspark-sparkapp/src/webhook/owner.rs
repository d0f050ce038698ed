//! The driver pod's owner reference to its SparkApplication (kubeflow's
//! `addOwnerReference`; executors are owned by the driver, set by Spark).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::application::SparkApplication;

pub(crate) fn add_owner_reference(metadata: &mut ObjectMeta, app: &SparkApplication) {
    let reference = controller_reference(app);
    let references = metadata.owner_references.get_or_insert_default();
    if !references.contains(&reference) {
        references.push(reference);
    }
}

/// kubeflow's `NewControllerRef` to the application (also its PodGroup's).
pub(crate) fn controller_reference(app: &SparkApplication) -> OwnerReference {
    OwnerReference {
        api_version: "sparkoperator.k8s.io/v1beta2".to_string(),
        kind: "SparkApplication".to_string(),
        name: app.metadata.name.clone().unwrap_or_default(),
        uid: app.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The driver pods kspark builds already carry this reference (kubeflow
    // puts it into the driver template), so the golden cases cannot see this
    // mutation; kubeflow's addOwnerReference appends it when missing, once.
    #[test]
    fn appends_the_controller_reference_once() {
        let app: SparkApplication = serde_json::from_value(serde_json::json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": "pi", "uid": "u-1"},
            "spec": {"type": "Scala", "sparkVersion": "3.5.9", "mainApplicationFile": "local:///a.jar", "driver": {}, "executor": {}}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let other = OwnerReference { kind: "Other".into(), ..Default::default() };
        let mut metadata = ObjectMeta { owner_references: Some(vec![other.clone()]), ..Default::default() };
        add_owner_reference(&mut metadata, &app);
        add_owner_reference(&mut metadata, &app);
        let references = metadata.owner_references.unwrap_or_default();
        assert_eq!(references.len(), 2);
        assert_eq!(references[0], other);
        assert_eq!(
            references[1],
            OwnerReference {
                api_version: "sparkoperator.k8s.io/v1beta2".into(),
                kind: "SparkApplication".into(),
                name: "pi".into(),
                uid: "u-1".into(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }
        );
    }
}
