//! Removing a run: the driver pod (Kubernetes then removes what it owns:
//! executors, the driver Service and ConfigMaps).

use k8s_openapi::api::core::v1::Pod;
use kspark_kube::is_not_found;
use kube::Api;
use kube::api::DeleteParams;

use super::{ReconcileError, Work};
use crate::context::Context;

/// The driver pod's name: the recorded one, else the one the spec implies
/// (kubeflow's GetDriverPodName), as when the status write after a
/// submission was lost.
pub fn driver_pod_name(work: &Work) -> String {
    let recorded = &work.status().driver_info.pod_name;
    if !recorded.is_empty() {
        return recorded.clone();
    }
    kspark_sparkapp::submit::driver_pod_name(&work.app, work.name())
}

pub async fn delete_resources(work: &mut Work, ctx: &Context) -> Result<(), ReconcileError> {
    // kubeflow: the driver's PodDisruptionBudget first.
    super::driver_pdb::remove(work, ctx).await;
    let name = driver_pod_name(work);
    tracing::info!(app = work.name(), namespace = work.namespace(), state = ?work.state(), pod = %name, "deleting the driver pod");
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), work.namespace());
    match pods.delete(&name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(source) => Err(ReconcileError::Delete { what: format!("driver pod {name}"), source }),
    }
}

/// Asks the API server (not the cache, which may lag) whether the driver
/// pod is gone.
pub async fn resources_gone(work: &Work, ctx: &Context) -> Result<bool, ReconcileError> {
    let name = driver_pod_name(work);
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), work.namespace());
    pods.get_metadata_opt(&name)
        .await
        .map(|pod| pod.is_none())
        .map_err(|source| ReconcileError::Read { what: format!("driver pod {name}"), source })
}
