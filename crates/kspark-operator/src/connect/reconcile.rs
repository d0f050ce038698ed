//! One reconcile of one SparkConnect, in kubeflow's order: the ConfigMap,
//! the server pod, the Service, then the status from the server pod and
//! the executors. Where kubeflow only logs and retries (a spec it cannot
//! build a pod from, a quota with no room) the status here says so: a bad
//! spec is `Failed` naming the field, a full quota `Provisioning` with the
//! API server's words, retried until the pod fits.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kspark_kube::connect_server::{self, ServerObjects, ServerPod};
use kspark_kube::{ClusterError, is_conflict, is_not_found};
use kspark_sparkapp::connect::names;
use kspark_sparkapp::connect::status::{INVALID_SPEC, QUOTA_EXCEEDED, blocked_status, next_status};
use kspark_sparkapp::{ConnectState, SparkConnect, SparkConnectStatus};
use kube::Resource;
use kube::api::{Api, PostParams};
use kube::core::DynamicObject;
use kube::runtime::controller::Action;

use super::{ConnectContext, connect_resource};
use crate::events::Note;

/// Retry after a write that lost to a newer version (the watch brings it).
const AFTER_CONFLICT: Duration = Duration::from_millis(200);
/// While the old server pod of a changed spec goes away.
const WHILE_REPLACING: Duration = Duration::from_secs(1);
/// A quota frees up without an event on the SparkConnect: look again.
const QUOTA_RETRY: Duration = Duration::from_secs(10);
/// Pods' events bring every change; this only bounds a missed one.
const RESYNC: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("cannot write the status of {name}: it does not serialise: {source}")]
    SerialiseStatus { name: String, source: serde_json::Error },
    #[error("cannot write the status of {name}: {source}")]
    WriteStatus { name: String, source: kube::Error },
}

impl ConnectError {
    /// The `kind` label of the error counter.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectError::Cluster(_) => "connect_objects",
            ConnectError::SerialiseStatus { .. } => "serialise_status",
            ConnectError::WriteStatus { .. } => "write_status",
        }
    }
}

/// What a SparkConnect's server is made of, built before anything is
/// written; an error names the field.
fn build(connect: &SparkConnect, master: &str) -> Result<ServerObjects, String> {
    ServerObjects::build(connect, master).map_err(|e| e.to_string())
}

pub async fn reconcile(object: Arc<DynamicObject>, ctx: Arc<ConnectContext>) -> Result<Action, ConnectError> {
    ctx.metrics.reconciles.inc();
    let key = crate::backoff::key_of(&object.metadata);
    let result = reconcile_connect(&object, &ctx).await;
    if result.is_ok() {
        ctx.backoff.succeeded(&key);
    }
    result
}

async fn reconcile_connect(object: &DynamicObject, ctx: &ConnectContext) -> Result<Action, ConnectError> {
    // Owner references remove the rest.
    if object.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let before = status_of(object);
    let built = match typed(object).and_then(|connect| Ok((build(&connect, &ctx.master_url)?, connect))) {
        Ok(built) => built,
        Err(reason) => return refuse(object, &before, &reason, ctx).await,
    };
    let (built, connect) = built;
    connect_server::apply_config_map(&ctx.client, &built.config_map).await?;
    let server = match connect_server::ensure_server_pod(&ctx.client, &built.pod, &built.config_map).await {
        Ok(server) => server,
        Err(e @ ClusterError::Forbidden { .. }) if e.to_string().contains("exceeded quota") => {
            return wait_for_room(object, &before, &e.to_string(), ctx).await;
        }
        Err(e) => return Err(e.into()),
    };
    connect_server::ensure_service(&ctx.client, &built.service).await?;
    let (ns, name) = (namespace(object), name(object));
    let executors = connect_server::executors(&ctx.client, ns, name).await?;
    let service_name = names::server_service_name(&connect);
    let status = next_status(&before, server.pod(), &service_name, &executors, now());
    if status != before && !write_status(object, &status, ctx).await? {
        return Ok(Action::requeue(AFTER_CONFLICT));
    }
    for note in notes(&before, &status, &server) {
        ctx.events.publish_for(object.object_ref(&connect_resource()), &note).await;
    }
    Ok(match server {
        ServerPod::Replacing(_) => Action::requeue(WHILE_REPLACING),
        _ => Action::requeue(RESYNC),
    })
}

/// kubeflow publishes no events for SparkConnects; these say what a user
/// watching `kubectl get events` wants to know.
fn notes(before: &SparkConnectStatus, after: &SparkConnectStatus, server: &ServerPod) -> Vec<Note> {
    let pod = server.pod().metadata.name.clone().unwrap_or_default();
    let mut notes = Vec::new();
    match server {
        ServerPod::Created(_) => {
            notes.push(Note::normal("SparkConnectServerCreated", format!("server pod {pod} created")))
        }
        ServerPod::Replacing(_) if before.server.pod_name == pod && before.state == ConnectState::Ready => notes.push(
            Note::normal("SparkConnectServerReplaced", format!("the spec changed: server pod {pod} is replaced")),
        ),
        _ => {}
    }
    if after.state == ConnectState::Ready && before.state != ConnectState::Ready {
        notes.push(Note::normal("SparkConnectReady", format!("server pod {pod} is ready")));
    }
    notes
}

/// `Failed`, naming the field, until the spec is fixed.
async fn refuse(
    object: &DynamicObject,
    before: &SparkConnectStatus,
    reason: &str,
    ctx: &ConnectContext,
) -> Result<Action, ConnectError> {
    let message = format!("{reason}; nothing is created until it is fixed");
    let status = blocked_status(before, ConnectState::Failed, INVALID_SPEC, &message, now());
    if status == *before {
        return Ok(Action::await_change());
    }
    tracing::warn!(connect = name(object), namespace = namespace(object), %reason, "invalid SparkConnect");
    if !write_status(object, &status, ctx).await? {
        return Ok(Action::requeue(AFTER_CONFLICT));
    }
    let note = Note::warning("SparkConnectFailed", message);
    ctx.events.publish_for(object.object_ref(&connect_resource()), &note).await;
    Ok(Action::await_change())
}

/// `Provisioning` with the quota's refusal, looked at again until it fits.
async fn wait_for_room(
    object: &DynamicObject,
    before: &SparkConnectStatus,
    refusal: &str,
    ctx: &ConnectContext,
) -> Result<Action, ConnectError> {
    let message = format!("waiting: {refusal}");
    let status = blocked_status(before, ConnectState::Provisioning, QUOTA_EXCEEDED, &message, now());
    if status != *before {
        if !write_status(object, &status, ctx).await? {
            return Ok(Action::requeue(AFTER_CONFLICT));
        }
        let note = Note::warning("SparkConnectWaiting", message);
        ctx.events.publish_for(object.object_ref(&connect_resource()), &note).await;
    }
    Ok(Action::requeue(QUOTA_RETRY))
}

/// Writes the status conditioned on the version read; false if a newer
/// version won (it is reconciled when the watch brings it).
async fn write_status(
    object: &DynamicObject,
    status: &SparkConnectStatus,
    ctx: &ConnectContext,
) -> Result<bool, ConnectError> {
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.client.clone(), namespace(object), &connect_resource());
    let mut object = object.clone();
    let name = name(&object).to_string();
    object.metadata.managed_fields = None;
    object.data["status"] =
        serde_json::to_value(status).map_err(|source| ConnectError::SerialiseStatus { name: name.clone(), source })?;
    match api.replace_status(&name, &PostParams::default(), &object).await {
        Ok(_) => Ok(true),
        Err(e) if is_conflict(&e) || is_not_found(&e) => Ok(false),
        Err(source) => Err(ConnectError::WriteStatus { name, source }),
    }
}

/// The SparkConnect as the Rust type reads it, or which field it cannot read.
fn typed(object: &DynamicObject) -> Result<SparkConnect, String> {
    let spec = object.data.get("spec").cloned().unwrap_or_default();
    let spec = serde_path_to_error::deserialize(spec).map_err(|e| {
        let path = e.path().to_string();
        format!("spec.{path} cannot be read: {}", e.into_inner())
    })?;
    let mut connect = SparkConnect::new(name(object), spec);
    connect.metadata = object.metadata.clone();
    Ok(connect)
}

fn status_of(object: &DynamicObject) -> SparkConnectStatus {
    object.data.get("status").cloned().and_then(|s| serde_json::from_value(s).ok()).unwrap_or_default()
}

fn name(object: &DynamicObject) -> &str {
    object.metadata.name.as_deref().unwrap_or_default()
}

fn namespace(object: &DynamicObject) -> &str {
    object.metadata.namespace.as_deref().unwrap_or_default()
}

fn now() -> Time {
    Time(Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Pod;

    fn object(spec: serde_json::Value) -> DynamicObject {
        let mut object = DynamicObject::new("c", &connect_resource()).within("ns");
        object.data = serde_json::json!({ "spec": spec });
        object
    }

    fn example_spec() -> serde_json::Value {
        serde_json::json!({
            "sparkVersion": "4.0.0",
            "image": "spark:4.0.0",
            "server": {"cores": 1, "memory": "512m"},
            "executor": {"instances": 2, "cores": 1, "memory": "512m"}
        })
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named() {
        let mut spec = example_spec();
        spec["executor"]["instances"] = serde_json::json!("two");
        let reason = typed(&object(spec)).err().unwrap_or_default();
        assert!(reason.starts_with("spec.executor.instances cannot be read"), "{reason}");
    }

    #[test]
    fn a_server_without_an_image_is_refused_naming_spec_image() {
        let mut spec = example_spec();
        spec.as_object_mut().map(|s| s.remove("image"));
        let connect = typed(&object(spec)).unwrap_or_else(|e| panic!("{e}"));
        let reason = build(&connect, "k8s://https://kubernetes.default.svc:443").err().unwrap_or_default();
        assert!(reason.starts_with("spec.image: image is not specified"), "{reason}");
    }

    #[test]
    fn a_good_spec_builds_its_three_objects_in_the_connects_namespace() {
        let connect = typed(&object(example_spec())).unwrap_or_else(|e| panic!("{e}"));
        let built = build(&connect, "k8s://https://kubernetes.default.svc:443").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(built.pod.metadata.name.as_deref(), Some("c-server"));
        assert_eq!(built.pod.metadata.namespace.as_deref(), Some("ns"));
        assert_eq!(built.config_map.metadata.name.as_deref(), Some("c-conf"));
        assert_eq!(built.service.metadata.name.as_deref(), Some("c-server"));
    }

    #[test]
    fn events_say_when_a_server_is_created_and_when_it_becomes_ready() {
        let pod = Pod {
            metadata: kube::api::ObjectMeta { name: Some("c-server".into()), ..Default::default() },
            ..Default::default()
        };
        let new = SparkConnectStatus::default();
        let ready = SparkConnectStatus { state: ConnectState::Ready, ..Default::default() };
        let created: Vec<_> =
            notes(&new, &new, &ServerPod::Created(pod.clone())).into_iter().map(|n| n.reason).collect();
        assert_eq!(created, ["SparkConnectServerCreated"]);
        let became: Vec<_> =
            notes(&new, &ready, &ServerPod::Current(pod.clone())).into_iter().map(|n| n.reason).collect();
        assert_eq!(became, ["SparkConnectReady"]);
        assert!(notes(&ready, &ready, &ServerPod::Current(pod)).is_empty(), "no repeats");
    }
}
