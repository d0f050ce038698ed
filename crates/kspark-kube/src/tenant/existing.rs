//! What is already in the cluster before kspark acts: which objects it did
//! not create, and the spec a tenant was last created with.

use kspark_manifests::tenant::{Adopted, SPEC_ANNOTATION, TenantSpec, is_managed};
use kube::Client;

use super::kinds::{Kind, get};
use crate::error::ClusterError;

/// What `tenant show` compares against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    NoNamespace,
    /// The namespace exists but `kspark tenant create` never ran on it.
    NotATenant,
    /// The annotation is there but not a spec kspark can read.
    Unreadable(String),
    Spec(TenantSpec),
}

/// The namespace and the driver's account are the objects with names kspark
/// does not choose; when they exist without kspark's label, they are
/// somebody else's and stay so.
pub async fn adoption(client: &Client, spec: &TenantSpec) -> Result<Adopted, ClusterError> {
    let ns = &spec.namespace;
    let foreign = |o: Option<kube::api::DynamicObject>| o.is_some_and(|o| !is_managed(o.metadata.labels.as_ref()));
    Ok(Adopted {
        namespace: foreign(get(client, Kind::Namespace, ns, ns).await?),
        service_account: foreign(get(client, Kind::ServiceAccount, ns, &spec.service_account).await?),
    })
}

pub async fn recorded(client: &Client, namespace: &str) -> Result<Recorded, ClusterError> {
    let Some(ns) = get(client, Kind::Namespace, namespace, namespace).await? else {
        return Ok(Recorded::NoNamespace);
    };
    let Some(text) = ns.metadata.annotations.as_ref().and_then(|a| a.get(SPEC_ANNOTATION)) else {
        return Ok(Recorded::NotATenant);
    };
    Ok(match serde_json::from_str(text) {
        Ok(spec) => Recorded::Spec(spec),
        Err(e) => Recorded::Unreadable(e.to_string()),
    })
}

/// A namespace being deleted accepts no new objects; say so plainly rather
/// than with the API server's 403, which reads like missing RBAC.
pub async fn refuse_terminating(client: &Client, namespace: &str) -> Result<(), ClusterError> {
    let ns = get(client, Kind::Namespace, namespace, namespace).await?;
    if ns.is_some_and(|n| n.metadata.deletion_timestamp.is_some()) {
        return Err(ClusterError::Rejected {
            action: format!("set up namespace {namespace}"),
            message: "the namespace is being deleted (Terminating); run this again once it is gone".into(),
            code: crate::api_status::CONFLICT,
        });
    }
    Ok(())
}
