//! `tenant delete`: removes what kspark created. A namespace kspark created
//! goes with everything in it; in a namespace kspark adopted, only the
//! objects carrying kspark's managed-by label are deleted, and kspark's
//! label and spec are taken off the objects it adopted.

use kspark_manifests::tenant::{FIELD_MANAGER, MANAGED_BY_LABEL, MANAGED_BY_VALUE, TENANT_LABEL};
use kspark_manifests::tenant::{is_managed, managed_selector};
use kube::Client;
use kube::api::{DeleteParams, Patch, PatchParams};

use super::apply::delete as delete_one;
use super::kinds::{Kind, get, names};
use crate::error::ClusterError;

/// What `delete` will do, shown before it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletePlan {
    pub namespace: String,
    /// kspark created the namespace: deleting it deletes everything in it,
    /// applications included.
    pub whole_namespace: bool,
    /// Objects kspark created, in a namespace it did not create.
    pub objects: Vec<(Kind, String)>,
    /// Objects that existed before kspark, which only lose kspark's label
    /// (and the namespace its recorded spec).
    pub released: Vec<(Kind, String)>,
}

impl DeletePlan {
    pub fn is_empty(&self) -> bool {
        !self.whole_namespace && self.objects.is_empty() && self.released.is_empty()
    }
}

/// `None` when the namespace does not exist.
pub async fn plan(client: &Client, namespace: &str) -> Result<Option<DeletePlan>, ClusterError> {
    let Some(ns) = get(client, Kind::Namespace, namespace, namespace).await? else { return Ok(None) };
    let mut plan = DeletePlan {
        namespace: namespace.to_string(),
        whole_namespace: is_managed(ns.metadata.labels.as_ref()),
        objects: Vec::new(),
        released: Vec::new(),
    };
    if plan.whole_namespace {
        return Ok(Some(plan));
    }
    let adopted = format!("{TENANT_LABEL}={namespace},{MANAGED_BY_LABEL}!={MANAGED_BY_VALUE}");
    for kind in Kind::NAMESPACED {
        let created = names(client, kind, namespace, &managed_selector(namespace)).await?;
        plan.objects.extend(created.into_iter().map(|n| (kind, n)));
        plan.released.extend(names(client, kind, namespace, &adopted).await?.into_iter().map(|n| (kind, n)));
    }
    let touched = ns.metadata.labels.as_ref().is_some_and(|l| l.contains_key(TENANT_LABEL));
    if touched {
        plan.released.push((Kind::Namespace, namespace.to_string()));
    }
    Ok(Some(plan))
}

pub async fn delete(client: &Client, plan: &DeletePlan) -> Result<(), ClusterError> {
    let ns = &plan.namespace;
    if plan.whole_namespace {
        return Kind::Namespace
            .api(client, ns)
            .delete(ns, &DeleteParams::background())
            .await
            .map(drop)
            .map_err(|e| ClusterError::from_kube(format!("delete namespace {ns}"), e));
    }
    for (kind, name) in &plan.objects {
        delete_one(client, *kind, ns, name).await?;
    }
    for (kind, name) in &plan.released {
        release(client, *kind, ns, name).await?;
    }
    Ok(())
}

/// Applying an object with none of kspark's fields, as kspark's field
/// manager, removes exactly the fields kspark owned and nobody else set.
async fn release(client: &Client, kind: Kind, namespace: &str, name: &str) -> Result<(), ClusterError> {
    let mut metadata = serde_json::json!({ "name": name });
    if kind != Kind::Namespace {
        metadata["namespace"] = namespace.into();
    }
    let empty =
        serde_json::json!({ "apiVersion": kind.resource().api_version, "kind": kind.name(), "metadata": metadata });
    kind.api(client, namespace)
        .patch(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(empty))
        .await
        .map(drop)
        .map_err(|e| {
            ClusterError::from_kube(format!("remove kspark's label from {}", kind.describe(namespace, name)), e)
        })
}
