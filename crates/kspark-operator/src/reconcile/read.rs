//! Reading a SparkApplication from what the watch delivered. An object the
//! Rust type cannot read (a CRD other than kspark's, a field of the wrong
//! shape) fails on its own, with the field named in its status and an
//! Event, and never breaks the watch of all the others.

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kspark_sparkapp::{ApplicationStateType, SparkApplication, SparkApplicationSpec};
use kube::Api;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use serde_json::json;

use super::ReconcileError;
use crate::application_object::ApplicationObject;
use crate::context::Context;

pub fn application(object: &ApplicationObject) -> Result<SparkApplication, String> {
    let spec = object.spec.as_ref().ok_or_else(|| "spec: missing".to_string())?;
    // Read plainly first (most objects are fine); only a failure is read
    // again, tracking the path of the field at fault.
    let spec: SparkApplicationSpec = match serde_json::from_str(spec.get()) {
        Ok(spec) => spec,
        Err(_) => parse("spec", spec.get())?,
    };
    let status = match &object.status {
        None => None,
        Some(raw) => match serde_json::from_str(raw.get()) {
            Ok(status) => Some(status),
            Err(_) => Some(status_from_text(raw.get())?),
        },
    };
    let mut app = SparkApplication::new(object.metadata.name.as_deref().unwrap_or_default(), spec);
    app.metadata = object.metadata.clone();
    app.status = status;
    Ok(app)
}

/// A status that does not read as kubeflow's type: perhaps written by
/// someone else without `driverInfo`; else the path of the bad field.
fn status_from_text(text: &str) -> Result<kspark_sparkapp::SparkApplicationStatus, String> {
    let mut status: serde_json::Value = parse("status", text)?;
    // kubeflow always writes driverInfo, and the type requires it as
    // kubeflow's CRD does; a status someone else wrote may lack it.
    if let Some(fields) = status.as_object_mut() {
        fields.entry("driverInfo").or_insert_with(|| json!({}));
    }
    serde_path_to_error::deserialize(status).map_err(|e| located("status", e))
}

fn parse<'a, T: serde::Deserialize<'a>>(field: &str, text: &'a str) -> Result<T, String> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| located(field, e))
}

/// `spec.driver: invalid type …`: the field's path from the object's root.
fn located<E: std::fmt::Display>(field: &str, error: serde_path_to_error::Error<E>) -> String {
    let path = error.path().to_string();
    let path = if path == "." { field.to_string() } else { format!("{field}.{path}") };
    format!("{path}: {}", error.into_inner())
}

/// Marks the application FAILED with why it cannot be read (once).
pub async fn refuse(object: &ApplicationObject, problem: &str, ctx: &Context) -> Result<Action, ReconcileError> {
    let name = object.metadata.name.clone().unwrap_or_default();
    let namespace = object.metadata.namespace.clone().unwrap_or_default();
    let message = format!("the SparkApplication cannot be read: {problem}; fix the field and apply it again");
    let status: Option<serde_json::Value> = object.status.as_ref().and_then(|s| serde_json::from_str(s.get()).ok());
    let recorded = status.as_ref().and_then(|s| s.pointer("/applicationState/errorMessage")).and_then(|m| m.as_str());
    if recorded == Some(message.as_str()) {
        return Ok(Action::await_change());
    }
    tracing::warn!(app = %name, %namespace, %problem, "unreadable SparkApplication");
    let status = json!({"status": {
        "applicationState": {"state": ApplicationStateType::Failed, "errorMessage": message},
        "terminationTime": Time(Timestamp::now()),
    }});
    let api: Api<ApplicationObject> = Api::namespaced(ctx.client.clone(), &namespace);
    api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .map_err(|source| ReconcileError::WriteStatus { name: name.clone(), source })?;
    ctx.events.publish_raw(object, true, "SparkApplicationInvalid", &message).await;
    Ok(Action::await_change())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(spec: serde_json::Value, status: Option<serde_json::Value>) -> ApplicationObject {
        let mut value = json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": "a", "namespace": "n"}, "spec": spec
        });
        if let Some(status) = status {
            value["status"] = status;
        }
        serde_json::from_str(&value.to_string()).unwrap_or_else(|e| panic!("{e}"))
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
