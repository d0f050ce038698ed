//! Reading a SparkApplication from what the watch delivered. An object the
//! Rust type cannot read (a CRD other than kspark's, a field of the wrong
//! shape) fails on its own, with the field named in its status and an
//! Event, and never breaks the watch of all the others.

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kspark_sparkapp::{ApplicationStateType, SparkApplication};
use kube::Api;
use kube::api::{Patch, PatchParams};
use kube::core::DynamicObject;
use kube::runtime::controller::Action;
use serde_json::json;

use super::ReconcileError;
use crate::context::Context;
use crate::run::application_resource;

pub fn application(object: &DynamicObject) -> Result<SparkApplication, String> {
    let mut value = serde_json::to_value(object).map_err(|e| e.to_string())?;
    // kubeflow always writes driverInfo, and the type requires it as
    // kubeflow's CRD does; a status someone else wrote may lack it.
    if let Some(status) = value.get_mut("status").and_then(|s| s.as_object_mut()) {
        status.entry("driverInfo").or_insert_with(|| serde_json::json!({}));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        format!("{path}: {}", e.into_inner())
    })
}

/// Marks the application FAILED with why it cannot be read (once).
pub async fn refuse(object: &DynamicObject, problem: &str, ctx: &Context) -> Result<Action, ReconcileError> {
    let name = object.metadata.name.clone().unwrap_or_default();
    let namespace = object.metadata.namespace.clone().unwrap_or_default();
    let message = format!("the SparkApplication cannot be read: {problem}; fix the field and apply it again");
    let recorded = object.data.pointer("/status/applicationState/errorMessage").and_then(|m| m.as_str());
    if recorded == Some(message.as_str()) {
        return Ok(Action::await_change());
    }
    tracing::warn!(app = %name, %namespace, %problem, "unreadable SparkApplication");
    let status = json!({"status": {
        "applicationState": {"state": ApplicationStateType::Failed, "errorMessage": message},
        "terminationTime": Time(Timestamp::now()),
    }});
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.client.clone(), &namespace, &application_resource());
    api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .map_err(|source| ReconcileError::WriteStatus { name: name.clone(), source })?;
    ctx.events.publish_raw(object, true, "SparkApplicationInvalid", &message).await;
    Ok(Action::await_change())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(spec: serde_json::Value, status: Option<serde_json::Value>) -> DynamicObject {
        let mut value = json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": "a", "namespace": "n"}, "spec": spec
        });
        if let Some(status) = status {
            value["status"] = status;
        }
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn spec() -> serde_json::Value {
        json!({"type": "Scala", "sparkVersion": "4.0.5", "mainApplicationFile": "local:///a.jar",
               "driver": {}, "executor": {}})
    }

    #[test]
    fn an_unreadable_field_is_named_with_its_path() {
        let mut bad = spec();
        bad["driver"]["cores"] = json!("two");
        let error = application(&object(bad, None)).err().unwrap_or_default();
        // serde's flatten (driver = pod fields + driver fields) ends the
        // path at the role; the message names the bad value.
        assert!(error.starts_with("spec.driver: ") && error.contains("\"two\""), "{error}");
    }

    #[test]
    fn a_status_without_driver_info_is_read() {
        let status = json!({"applicationState": {"state": "RUNNING"}});
        let app = application(&object(spec(), Some(status))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(app.status.map(|s| s.app_state.state), Some(ApplicationStateType::Running));
    }
}
