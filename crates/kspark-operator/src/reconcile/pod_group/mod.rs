//! Volcano's PodGroup of an application (kubeflow's volcano scheduler):
//! created before the driver when the application names Volcano, deleted
//! when it ends (COMPLETED/FAILED); the owner reference lets Kubernetes'
//! garbage collector remove it with the application otherwise.
//!
//! kubeflow refuses to use Volcano when its PodGroup CRD is not installed;
//! here that refusal is the application's submission failure, naming the CRD.

use kspark_sparkapp::batch_scheduler::BatchScheduler;
use kspark_sparkapp::batch_scheduler::volcano::{POD_GROUP_API_VERSION, POD_GROUP_CRD, PodGroup, pod_group_name};
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

/// kubeflow's `syncPodGroup`: creates the group, or sets `minMember` back
/// to the wanted size on one that exists (from an earlier attempt).
pub async fn sync(group: &PodGroup, work: &Work, ctx: &Context) -> Result<(), PodGroupError> {
    ensure_crd(ctx).await?;
    let name = group.metadata.name.clone().unwrap_or_default();
    let api: Api<PodGroup> = Api::namespaced(ctx.client.clone(), work.namespace());
    let failed = |e: kube::Error| classify(format!("cannot create Volcano PodGroup {name}"), e);
    match api.get_opt(&name).await.map_err(failed)? {
        None => match api.create(&PostParams::default(), group).await {
            Ok(_) => {}
            // Created in between: an earlier reconcile of this application.
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => return Err(failed(e)),
        },
        Some(existing) if existing.spec.min_member != group.spec.min_member => {
            let patch = serde_json::json!({"spec": {"minMember": group.spec.min_member}});
            api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await.map_err(failed)?;
        }
        Some(_) => {}
    }
    tracing::info!(app = work.name(), namespace = work.namespace(), pod_group = %name, "PodGroup in place");
    Ok(())
}

/// Whether the API server serves PodGroups (discovery needs no RBAC).
async fn ensure_crd(ctx: &Context) -> Result<(), PodGroupError> {
    let missing = || {
        PodGroupError::Refused(format!(
            "spec.batchScheduler is volcano, but the CustomResourceDefinition {POD_GROUP_CRD} \
             ({POD_GROUP_API_VERSION} PodGroup) is not installed in the cluster (hint: install Volcano, \
             https://volcano.sh/en/docs/installation/, or remove spec.batchScheduler)"
        ))
    };
    match ctx.client.list_api_group_resources(POD_GROUP_API_VERSION).await {
        Ok(list) if list.resources.iter().any(|r| r.name == "podgroups") => Ok(()),
        Ok(_) => Err(missing()),
        Err(kube::Error::Api(s)) if s.code == 404 => Err(missing()),
        Err(e) => Err(classify(format!("cannot look up {POD_GROUP_API_VERSION}"), e)),
    }
}

fn classify(what: String, error: kube::Error) -> PodGroupError {
    let message = format!("{what}: {error}");
    match &error {
        kube::Error::Api(s) if s.code == 409 || s.code == 429 || s.code >= 500 => PodGroupError::Transient(message),
        kube::Error::Api(_) => PodGroupError::Refused(message),
        _ => PodGroupError::Transient(message),
    }
}

/// kubeflow's volcano `Cleanup` when the application ends: its PodGroup
/// goes (a missing one, or a missing CRD, is no error).
pub async fn delete(work: &Work, ctx: &Context) -> Result<(), ReconcileError> {
    if BatchScheduler::of(&work.app) != Some(BatchScheduler::Volcano) {
        return Ok(());
    }
    let name = pod_group_name(&work.app);
    let api: Api<PodGroup> = Api::namespaced(ctx.client.clone(), work.namespace());
    match api.delete(&name, &DeleteParams::background()).await {
        Ok(_) => {
            tracing::info!(app = work.name(), namespace = work.namespace(), pod_group = %name, "deleted PodGroup");
            Ok(())
        }
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        // An operator installed without the PodGroup rule: the owner
        // reference still has it removed with the application.
        Err(kube::Error::Api(s)) if s.code == 403 => {
            tracing::warn!(app = work.name(), pod_group = %name, error = %s.message, "cannot delete PodGroup");
            Ok(())
        }
        Err(source) => Err(ReconcileError::Delete { what: format!("Volcano PodGroup {name}"), source }),
    }
}
