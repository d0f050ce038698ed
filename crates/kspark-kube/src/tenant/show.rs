//! `tenant show`: each object kspark would apply, compared on the fields
//! kspark sets with what is in the cluster, plus what kspark labelled for
//! the tenant and would no longer apply.

use kspark_manifests::tenant::{ObjectState, TenantObject, TenantSpec, managed_selector, objects, state};
use kube::Client;

use super::existing::adoption;
use super::kinds::{Kind, get, names};
use crate::error::ClusterError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub kind: Kind,
    pub name: String,
    pub state: ObjectState,
}

pub async fn show(client: &Client, spec: &TenantSpec) -> Result<Vec<Report>, ClusterError> {
    let desired = objects(spec, adoption(client, spec).await?);
    let mut reports = Vec::new();
    for object in &desired {
        reports.push(compare(client, &spec.namespace, object).await?);
    }
    for kind in Kind::NAMESPACED {
        for name in names(client, kind, &spec.namespace, &managed_selector(&spec.namespace)).await? {
            if !desired.iter().any(|o| Kind::of(o) == kind && o.name() == name) {
                reports.push(Report { kind, name, state: ObjectState::Extra });
            }
        }
    }
    Ok(reports)
}

async fn compare(client: &Client, namespace: &str, object: &TenantObject) -> Result<Report, ClusterError> {
    let (kind, name) = (Kind::of(object), object.name().to_string());
    let live = get(client, kind, namespace, &name).await?.map(|o| serde_json::to_value(o).unwrap_or_default());
    Ok(Report { kind, name, state: state(&object.to_json(), live.as_ref()) })
}
