//! The kinds a tenant is made of, and untyped access to them: the cluster
//! code works on the JSON the manifests layer builds, so one path serves
//! every kind.

use k8s_openapi::api::core::v1::{LimitRange, Namespace, ResourceQuota, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kspark_manifests::tenant::TenantObject;
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::{Api, Client};

use crate::error::ClusterError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Namespace,
    ServiceAccount,
    Role,
    RoleBinding,
    ResourceQuota,
    LimitRange,
}

impl Kind {
    /// The kinds inside the namespace, grants first: the order they are
    /// deleted in, so nobody keeps access to a half-removed tenant.
    pub const NAMESPACED: [Kind; 5] =
        [Kind::RoleBinding, Kind::Role, Kind::ServiceAccount, Kind::ResourceQuota, Kind::LimitRange];

    pub fn of(object: &TenantObject) -> Kind {
        match object {
            TenantObject::Namespace(_) => Kind::Namespace,
            TenantObject::ServiceAccount(_) => Kind::ServiceAccount,
            TenantObject::Role(_) => Kind::Role,
            TenantObject::RoleBinding(_) => Kind::RoleBinding,
            TenantObject::ResourceQuota(_) => Kind::ResourceQuota,
            TenantObject::LimitRange(_) => Kind::LimitRange,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::Role => "Role",
            Kind::RoleBinding => "RoleBinding",
            Kind::ResourceQuota => "ResourceQuota",
            Kind::LimitRange => "LimitRange",
        }
    }

    pub(super) fn resource(self) -> ApiResource {
        match self {
            Kind::Namespace => ApiResource::erase::<Namespace>(&()),
            Kind::ServiceAccount => ApiResource::erase::<ServiceAccount>(&()),
            Kind::Role => ApiResource::erase::<Role>(&()),
            Kind::RoleBinding => ApiResource::erase::<RoleBinding>(&()),
            Kind::ResourceQuota => ApiResource::erase::<ResourceQuota>(&()),
            Kind::LimitRange => ApiResource::erase::<LimitRange>(&()),
        }
    }

    /// `Role x in namespace ns`, `namespace ns`: for messages.
    pub fn describe(self, namespace: &str, name: &str) -> String {
        match self {
            Kind::Namespace => format!("namespace {name}"),
            _ => format!("{self} {name} in namespace {namespace}"),
        }
    }

    pub(super) fn api(self, client: &Client, namespace: &str) -> Api<DynamicObject> {
        match self {
            Kind::Namespace => Api::all_with(client.clone(), &self.resource()),
            _ => Api::namespaced_with(client.clone(), namespace, &self.resource()),
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One object, `None` when it does not exist.
pub(super) async fn get(
    client: &Client,
    kind: Kind,
    namespace: &str,
    name: &str,
) -> Result<Option<DynamicObject>, ClusterError> {
    kind.api(client, namespace)
        .get_opt(name)
        .await
        .map_err(|e| ClusterError::from_kube(format!("read {}", kind.describe(namespace, name)), e))
}

/// Names of the objects of `kind` in `namespace` that match `selector`.
pub(super) async fn names(
    client: &Client,
    kind: Kind,
    namespace: &str,
    selector: &str,
) -> Result<Vec<String>, ClusterError> {
    let list = kind
        .api(client, namespace)
        .list(&ListParams::default().labels(selector))
        .await
        .map_err(|e| ClusterError::from_kube(format!("list {kind}s in namespace {namespace}"), e))?;
    Ok(list.items.into_iter().filter_map(|o| o.metadata.name).collect())
}
