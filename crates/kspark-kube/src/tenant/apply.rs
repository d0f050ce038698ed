//! `tenant create`: server-side apply of every object in order, under
//! kspark's field manager with force, so that a second run changes nothing
//! and a run after someone edited an object puts kspark's fields back.
//! Objects kspark labelled for the tenant but no longer wants (a quota
//! dropped from the flags, a renamed service account) are deleted.

use kspark_manifests::tenant::{FIELD_MANAGER, TenantObject, TenantSpec, managed_selector, objects};
use kube::Client;
use kube::api::{DeleteParams, Patch, PatchParams};

use super::existing::{adoption, refuse_terminating};
use super::kinds::{Kind, get, names};
use crate::error::ClusterError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Configured,
    Unchanged,
    /// Deleted: kspark created it for this tenant and no longer wants it.
    Pruned,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Configured => "configured",
            Outcome::Unchanged => "unchanged",
            Outcome::Pruned => "deleted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: Kind,
    pub name: String,
    pub outcome: Outcome,
}

pub async fn create(client: &Client, spec: &TenantSpec) -> Result<Vec<Change>, ClusterError> {
    refuse_terminating(client, &spec.namespace).await?;
    let desired = objects(spec, adoption(client, spec).await?);
    let mut changes = Vec::new();
    for object in &desired {
        changes.push(apply(client, &spec.namespace, object).await?);
    }
    changes.extend(prune(client, &spec.namespace, &desired).await?);
    Ok(changes)
}

/// Applies one object; the resourceVersion before and after tells whether
/// anything changed.
async fn apply(client: &Client, namespace: &str, object: &TenantObject) -> Result<Change, ClusterError> {
    let (kind, name) = (Kind::of(object), object.name().to_string());
    let before = get(client, kind, namespace, &name).await?.and_then(|o| o.metadata.resource_version);
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let after = kind
        .api(client, namespace)
        .patch(&name, &params, &Patch::Apply(object.to_json()))
        .await
        .map_err(|e| ClusterError::from_kube(format!("apply {}", kind.describe(namespace, &name)), e))?
        .metadata
        .resource_version;
    let outcome = match before {
        None => Outcome::Created,
        Some(rv) if Some(&rv) == after.as_ref() => Outcome::Unchanged,
        Some(_) => Outcome::Configured,
    };
    Ok(Change { kind, name, outcome })
}

async fn prune(client: &Client, namespace: &str, desired: &[TenantObject]) -> Result<Vec<Change>, ClusterError> {
    let mut pruned = Vec::new();
    for kind in Kind::NAMESPACED {
        for name in names(client, kind, namespace, &managed_selector(namespace)).await? {
            if desired.iter().any(|o| Kind::of(o) == kind && o.name() == name) {
                continue;
            }
            delete(client, kind, namespace, &name).await?;
            pruned.push(Change { kind, name, outcome: Outcome::Pruned });
        }
    }
    Ok(pruned)
}

/// Deletes one object; one that is already gone is fine.
pub(super) async fn delete(client: &Client, kind: Kind, namespace: &str, name: &str) -> Result<(), ClusterError> {
    match kind.api(client, namespace).delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = ClusterError::from_kube(format!("delete {}", kind.describe(namespace, name)), e);
            if err.is_not_found() { Ok(()) } else { Err(err) }
        }
    }
}
