//! One submission, in Spark's order: create the driver pod, then
//! server-side apply every other object with an owner reference to it. If
//! anything after the pod fails, the pod is deleted (its owned objects go
//! with it), so no half-submitted application is left behind.

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::Pod;
use kspark_manifests::{Applied, DriverObjects, driver_owner};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api_status::is_conflict;
use crate::error::ClusterError;

/// Spark's client (fabric8) applies under this field manager; kspark uses
/// the same so the objects' managedFields match what Spark leaves.
pub const SPARK_FIELD_MANAGER: &str = "fabric8";

/// What was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub namespace: String,
    pub pod_name: String,
    pub pod_uid: String,
    pub app_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("{failure}; the driver pod {pod} was deleted again{cleanup}")]
    RolledBack { failure: ClusterError, pod: String, cleanup: String },
}

impl SubmitError {
    pub fn hint(&self) -> Option<String> {
        match self {
            SubmitError::Cluster(e) | SubmitError::RolledBack { failure: e, .. } => e.hint(),
        }
    }
}

pub async fn submit(client: &Client, objects: DriverObjects) -> Result<Submitted, SubmitError> {
    submit_adopting(client, objects, |_| false).await
}

/// [`submit`], except that a driver pod of the same name for which
/// `same_submission` holds is taken as this submission's own (created by an
/// earlier try that did not get to record it) and completed instead of
/// refused: the objects beside it are applied again, idempotently.
pub async fn submit_adopting(
    client: &Client,
    objects: DriverObjects,
    same_submission: impl Fn(&Pod) -> bool,
) -> Result<Submitted, SubmitError> {
    let ns = objects.namespace.clone();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let pod_name = objects.pod_name().to_string();
    let context = || format!("create driver pod {pod_name} in namespace {ns}");
    let (created, adopted) = match pods.create(&PostParams::default(), &objects.pod).await {
        Ok(created) => (created, false),
        Err(e) if is_conflict(&e) => match pods.get_opt(&pod_name).await {
            Ok(Some(existing)) if same_submission(&existing) => (existing, true),
            _ => return Err(ClusterError::from_kube(context(), e).into()),
        },
        Err(e) => return Err(ClusterError::from_kube(context(), e).into()),
    };
    let pod_uid = created.metadata.uid.clone().unwrap_or_default();
    let owner = driver_owner(&pod_name, &pod_uid);
    for mut object in objects.applied.clone() {
        object.set_owner(owner.clone());
        if let Err(failure) = apply(client, &ns, &object).await {
            // An earlier try made this ConfigMap, immutable as Spark makes
            // it; its data differ only by that try's submit time.
            if adopted && object.kind() == "ConfigMap" && failure.is_invalid() {
                continue;
            }
            // A pod this call did not create may be running already (an
            // earlier try completed the submission): it is not ours to delete.
            if adopted {
                return Err(SubmitError::Cluster(failure));
            }
            let cleanup = delete_pod(&pods, &pod_name).await;
            return Err(SubmitError::RolledBack { failure, pod: pod_name, cleanup });
        }
    }
    Ok(Submitted { namespace: ns, app_id: objects.app_id().to_string(), pod_name, pod_uid })
}

/// Deletes the driver pod after a failed submission; says if that failed.
async fn delete_pod(pods: &Api<Pod>, name: &str) -> String {
    match pods.delete(name, &DeleteParams::background()).await {
        Ok(_) => String::new(),
        Err(e) => format!(" (deleting it failed too: {e}; delete it by hand)"),
    }
}

async fn apply(client: &Client, ns: &str, object: &Applied) -> Result<(), ClusterError> {
    match object {
        Applied::Service(o) => apply_typed(client, ns, o).await,
        Applied::ConfigMap(o) => apply_typed(client, ns, o).await,
        Applied::Secret(o) => apply_typed(client, ns, o).await,
        Applied::PersistentVolumeClaim(o) => apply_typed(client, ns, o).await,
        Applied::NetworkPolicy(o) => apply_typed(client, ns, o).await,
    }
}

async fn apply_typed<K>(client: &Client, ns: &str, object: &K) -> Result<(), ClusterError>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + Serialize
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    let name = object.meta().name.clone().unwrap_or_default();
    let params = PatchParams::apply(SPARK_FIELD_MANAGER).force();
    api.patch(&name, &params, &Patch::Apply(object))
        .await
        .map(|_| ())
        .map_err(|e| ClusterError::from_kube(format!("apply {} {name} in namespace {ns}", K::kind(&())), e))
}
