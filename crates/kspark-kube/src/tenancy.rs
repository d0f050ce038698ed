//! Applying, inspecting and removing a tenant. Everything is server-side
//! applied under kspark's own field manager, so re-running is idempotent
//! and ownership of each field is visible in managedFields.

use k8s_openapi::api::core::v1::{LimitRange, Namespace, ResourceQuota, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kspark_manifests::tenancy::{self, Difference, FIELD_MANAGER, MANAGED_BY, TENANT_LABEL, TenantObject, TenantSpec};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::{Api, Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ClusterError;

/// One object's state compared with what kspark would apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectState {
    Ok,
    Missing,
    Differs(Vec<Difference>),
}

/// Applies every object in order (namespace first).
pub async fn apply(client: &Client, spec: &TenantSpec) -> Result<Vec<String>, ClusterError> {
    let mut applied = Vec::new();
    for object in tenancy::objects(spec) {
        let what = format!("{} {}", object.kind(), object.name());
        let value = object.to_json();
        let result = match &object {
            TenantObject::Namespace(_) => {
                let api: Api<Namespace> = Api::all(client.clone());
                api.patch(&object.name(), &params(), &Patch::Apply(&value)).await.map(|_| ())
            }
            TenantObject::ServiceAccount(_) => patch::<ServiceAccount>(client, spec, &object, &value).await,
            TenantObject::Role(_) => patch::<Role>(client, spec, &object, &value).await,
            TenantObject::RoleBinding(_) => patch::<RoleBinding>(client, spec, &object, &value).await,
            TenantObject::ResourceQuota(_) => patch::<ResourceQuota>(client, spec, &object, &value).await,
            TenantObject::LimitRange(_) => patch::<LimitRange>(client, spec, &object, &value).await,
        };
        result.map_err(|e| ClusterError::from_kube(format!("apply {what} in {}", spec.namespace), e))?;
        applied.push(what);
    }
    Ok(applied)
}

fn params() -> PatchParams {
    PatchParams::apply(FIELD_MANAGER).force()
}

async fn patch<K>(
    client: &Client,
    spec: &TenantSpec,
    object: &TenantObject,
    value: &serde_json::Value,
) -> Result<(), kube::Error>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + Serialize
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), &spec.namespace);
    api.patch(&object.name(), &params(), &Patch::Apply(value)).await.map(|_| ())
}

/// The spec a namespace was created with, if kspark created it.
pub async fn recorded_spec(client: &Client, namespace: &str) -> Result<Option<TenantSpec>, ClusterError> {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns =
        api.get_opt(namespace).await.map_err(|e| ClusterError::from_kube(format!("read namespace {namespace}"), e))?;
    Ok(ns
        .and_then(|n| n.metadata.annotations)
        .and_then(|a| a.get(tenancy::SPEC_ANNOTATION).cloned())
        .and_then(|text| serde_json::from_str(&text).ok()))
}

/// Each object kspark would apply, and its state in the cluster.
pub async fn show(client: &Client, spec: &TenantSpec) -> Result<Vec<(String, ObjectState)>, ClusterError> {
    let mut out = Vec::new();
    for object in tenancy::objects(spec) {
        let what = format!("{} {}", object.kind(), object.name());
        let live = match &object {
            TenantObject::Namespace(_) => get::<Namespace>(Api::all(client.clone()), &object).await,
            TenantObject::ServiceAccount(_) => {
                get::<ServiceAccount>(Api::namespaced(client.clone(), &spec.namespace), &object).await
            }
            TenantObject::Role(_) => get::<Role>(Api::namespaced(client.clone(), &spec.namespace), &object).await,
            TenantObject::RoleBinding(_) => {
                get::<RoleBinding>(Api::namespaced(client.clone(), &spec.namespace), &object).await
            }
            TenantObject::ResourceQuota(_) => {
                get::<ResourceQuota>(Api::namespaced(client.clone(), &spec.namespace), &object).await
            }
            TenantObject::LimitRange(_) => {
                get::<LimitRange>(Api::namespaced(client.clone(), &spec.namespace), &object).await
            }
        }
        .map_err(|e| ClusterError::from_kube(format!("read {what}"), e))?;
        let state = match live {
            None => ObjectState::Missing,
            Some(live) => match tenancy::differences(&object.to_json(), &live) {
                d if d.is_empty() => ObjectState::Ok,
                d => ObjectState::Differs(d),
            },
        };
        out.push((what, state));
    }
    Ok(out)
}

async fn get<K>(api: Api<K>, object: &TenantObject) -> Result<Option<serde_json::Value>, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
{
    Ok(api.get_opt(&object.name()).await?.map(|o| serde_json::to_value(o).unwrap_or_default()))
}

/// Removes what kspark created: the namespace itself when kspark created
/// it, otherwise only the objects carrying kspark's labels.
pub async fn delete(client: &Client, namespace: &str) -> Result<Vec<String>, ClusterError> {
    let ns_api: Api<Namespace> = Api::all(client.clone());
    let ns = ns_api
        .get_opt(namespace)
        .await
        .map_err(|e| ClusterError::from_kube(format!("read namespace {namespace}"), e))?;
    let ours = ns
        .as_ref()
        .and_then(|n| n.metadata.labels.as_ref())
        .is_some_and(|l| l.get(MANAGED_BY.0).map(String::as_str) == Some(MANAGED_BY.1));
    if ours {
        ns_api
            .delete(namespace, &DeleteParams::default())
            .await
            .map_err(|e| ClusterError::from_kube(format!("delete namespace {namespace}"), e))?;
        return Ok(vec![format!("Namespace {namespace} (and everything in it)")]);
    }
    let selector = format!("{}={},{TENANT_LABEL}={namespace}", MANAGED_BY.0, MANAGED_BY.1);
    let mut deleted = Vec::new();
    deleted.extend(delete_labelled::<RoleBinding>(client, namespace, &selector).await?);
    deleted.extend(delete_labelled::<Role>(client, namespace, &selector).await?);
    deleted.extend(delete_labelled::<ServiceAccount>(client, namespace, &selector).await?);
    deleted.extend(delete_labelled::<ResourceQuota>(client, namespace, &selector).await?);
    deleted.extend(delete_labelled::<LimitRange>(client, namespace, &selector).await?);
    Ok(deleted)
}

async fn delete_labelled<K>(client: &Client, namespace: &str, selector: &str) -> Result<Vec<String>, ClusterError>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let kind = K::kind(&());
    let list = api
        .list(&ListParams::default().labels(selector))
        .await
        .map_err(|e| ClusterError::from_kube(format!("list {kind} in {namespace}"), e))?;
    let mut deleted = Vec::new();
    for item in list.items {
        let name = item.meta().name.clone().unwrap_or_default();
        api.delete(&name, &DeleteParams::default())
            .await
            .map_err(|e| ClusterError::from_kube(format!("delete {kind} {name}"), e))?;
        deleted.push(format!("{kind} {name}"));
    }
    Ok(deleted)
}
