//! The PodGroup of an application whose batch scheduler has one (kubeflow's
//! volcano and kube-scheduler schedulers): created before the driver,
//! deleted when the application ends (COMPLETED/FAILED); the owner
//! reference lets Kubernetes' garbage collector remove it with the
//! application otherwise.
//!
//! kubeflow refuses to use Volcano when its PodGroup CRD is not installed,
//! and its kube-scheduler fails to create the group without scheduler-plugins'
//! CRD; here either is the application's submission failure, naming the CRD.

mod kinds;

use kinds::GroupKind;
use kspark_kube::api_status::{FORBIDDEN, is_transient_code};
use kspark_kube::{is_conflict, is_not_found};
use kspark_sparkapp::batch_scheduler::{self, BatchScheduler, PodGroup, kube_scheduler, volcano};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};

use super::{ReconcileError, Work};
use crate::context::Context;

/// Why the PodGroup could not be made.
pub enum PodGroupError {
    /// Worth trying again: the network, the API server's load, a conflict.
    Transient(String),
    /// The application cannot be submitted this way.
    Refused(String),
}

/// kubeflow's `syncPodGroup`: creates the group, or sets one that exists
/// (from an earlier attempt) back to the wanted spec.
pub async fn sync(group: &PodGroup, work: &Work, ctx: &Context) -> Result<(), PodGroupError> {
    match group {
        PodGroup::Volcano(group) => sync_kind(group, work, ctx).await,
        PodGroup::KubeScheduler(group) => sync_kind(group, work, ctx).await,
    }
}

async fn sync_kind<K: GroupKind>(group: &K, work: &Work, ctx: &Context) -> Result<(), PodGroupError> {
    ensure_crd::<K>(work, ctx).await?;
    let name = group.meta().name.clone().unwrap_or_default();
    let api: Api<K> = Api::namespaced(ctx.client.clone(), work.namespace());
    let failed = |e: kube::Error| classify(format!("cannot create {} PodGroup {name}", K::SCHEDULER), e);
    match api.get_opt(&name).await.map_err(failed)? {
        None => match api.create(&PostParams::default(), group).await {
            Ok(_) => {}
            // Created in between: an earlier reconcile of this application.
            Err(e) if is_conflict(&e) => {}
            Err(e) => return Err(failed(e)),
        },
        Some(existing) => {
            if let Some(patch) = K::drift(&existing, group) {
                api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await.map_err(failed)?;
            }
        }
    }
    tracing::info!(app = work.name(), namespace = work.namespace(), pod_group = %name, "PodGroup in place");
    Ok(())
}

/// Whether the API server serves the PodGroups (discovery needs no RBAC).
async fn ensure_crd<K: GroupKind>(work: &Work, ctx: &Context) -> Result<(), PodGroupError> {
    // Who chose the scheduler, and so how to choose none.
    let (chosen, way_out) = if batch_scheduler::names_none(&work.app) {
        let chosen =
            format!("spec.batchScheduler is unset and the operator's --default-batch-scheduler is {}", K::SCHEDULER);
        (chosen, "or name another scheduler in spec.batchScheduler")
    } else {
        (format!("spec.batchScheduler is {}", K::SCHEDULER), "or remove spec.batchScheduler")
    };
    let missing = || {
        PodGroupError::Refused(format!(
            "{chosen}, but the CustomResourceDefinition {} ({} PodGroup) is not installed in the cluster (hint: {}, \
             {way_out})",
            K::CRD,
            K::API_VERSION,
            K::INSTALL_HINT
        ))
    };
    match ctx.client.list_api_group_resources(K::API_VERSION).await {
        Ok(list) if list.resources.iter().any(|r| r.name == "podgroups") => Ok(()),
        Ok(_) => Err(missing()),
        Err(e) if is_not_found(&e) => Err(missing()),
        Err(e) => Err(classify(format!("cannot look up {}", K::API_VERSION), e)),
    }
}

fn classify(what: String, error: kube::Error) -> PodGroupError {
    let message = format!("{what}: {error}");
    match &error {
        kube::Error::Api(s) if is_transient_code(s.code) => PodGroupError::Transient(message),
        kube::Error::Api(_) => PodGroupError::Refused(message),
        _ => PodGroupError::Transient(message),
    }
}

/// kubeflow's `Cleanup` of the batch scheduler when the application ends:
/// its PodGroup goes (a missing one, or a missing CRD, is no error).
pub async fn delete(work: &Work, ctx: &Context) -> Result<(), ReconcileError> {
    let defaulted = batch_scheduler::with_default(&work.app, ctx.options.default_batch_scheduler);
    match BatchScheduler::of(defaulted.as_ref().unwrap_or(&work.app)) {
        Some(BatchScheduler::Volcano) => {
            delete_kind::<volcano::PodGroup>(&volcano::pod_group_name(&work.app), work, ctx).await
        }
        Some(BatchScheduler::KubeScheduler) => {
            delete_kind::<kube_scheduler::PodGroup>(&kube_scheduler::pod_group_name(&work.app), work, ctx).await
        }
        Some(BatchScheduler::Yunikorn) | None => Ok(()),
    }
}

async fn delete_kind<K: GroupKind>(name: &str, work: &Work, ctx: &Context) -> Result<(), ReconcileError> {
    let api: Api<K> = Api::namespaced(ctx.client.clone(), work.namespace());
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => {
            tracing::info!(app = work.name(), namespace = work.namespace(), pod_group = %name, "deleted PodGroup");
            Ok(())
        }
        Err(e) if is_not_found(&e) => Ok(()),
        // An operator installed without the PodGroup rule: the owner
        // reference still has it removed with the application.
        Err(kube::Error::Api(s)) if s.code == FORBIDDEN => {
            tracing::warn!(app = work.name(), pod_group = %name, error = %s.message, "cannot delete PodGroup");
            Ok(())
        }
        Err(source) => Err(ReconcileError::Delete { what: format!("{} PodGroup {name}", K::SCHEDULER), source }),
    }
}
