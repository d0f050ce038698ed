//! A namespace set up the way a Spark admin prepares one by hand, so that
//! tests can check what kspark does for a tenant who was given exactly that.
//!
//! * ServiceAccount `spark` (the driver's identity);
//! * Role `spark-driver` (pods, services, configmaps, persistentvolumeclaims:
//!   create/get/list/watch/delete/deletecollection/patch/update) bound to `spark`;
//! * Role `spark-submitter` (pods create/get/list/watch/delete, pods/log get,
//!   services/configmaps/secrets/persistentvolumeclaims create/get/patch/delete,
//!   events list) bound to the user.
//!
//! Applied with server-side apply, so calling it twice is harmless.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::api::{ObjectMeta, Patch, PatchParams};
use kube::{Api, Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::readiness;

/// The driver's service account in a seeded namespace.
pub const DRIVER_SERVICE_ACCOUNT: &str = "spark";
/// Role (and RoleBinding) of the driver.
pub const DRIVER_ROLE: &str = "spark-driver";
/// Role (and RoleBinding) of the submitting user.
pub const SUBMITTER_ROLE: &str = "spark-submitter";

const FIELD_MANAGER: &str = "kspark-testcluster";

/// Sets up `namespace` for `user` (a user name as the apiserver sees it,
/// e.g. `alice`) and waits for its `default` service account.
pub async fn create_tenant_like_seed(client: &Client, namespace: &str, user: &str) -> Result<()> {
    apply_cluster(client, &namespace_object(namespace)).await?;
    apply(client, namespace, &service_account(namespace)).await?;
    apply(client, namespace, &driver_role(namespace)).await?;
    let driver = Subject {
        kind: "ServiceAccount".into(),
        name: DRIVER_SERVICE_ACCOUNT.into(),
        namespace: Some(namespace.into()),
        ..Default::default()
    };
    apply(client, namespace, &binding(namespace, DRIVER_ROLE, driver)).await?;
    apply(client, namespace, &submitter_role(namespace)).await?;
    let person = Subject {
        kind: "User".into(),
        name: user.into(),
        api_group: Some("rbac.authorization.k8s.io".into()),
        ..Default::default()
    };
    apply(client, namespace, &binding(namespace, SUBMITTER_ROLE, person)).await?;
    readiness::default_service_account(client, namespace, Duration::from_secs(60)).await
}

fn meta(namespace: Option<&str>, name: &str) -> ObjectMeta {
    ObjectMeta { name: Some(name.into()), namespace: namespace.map(Into::into), ..Default::default() }
}

fn namespace_object(name: &str) -> Namespace {
    Namespace { metadata: meta(None, name), ..Default::default() }
}

fn service_account(namespace: &str) -> ServiceAccount {
    ServiceAccount { metadata: meta(Some(namespace), DRIVER_SERVICE_ACCOUNT), ..Default::default() }
}

fn rule(resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(resources.iter().map(|r| r.to_string()).collect()),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    }
}

fn driver_role(namespace: &str) -> Role {
    Role {
        metadata: meta(Some(namespace), DRIVER_ROLE),
        rules: Some(vec![rule(
            &["pods", "services", "configmaps", "persistentvolumeclaims"],
            &["create", "get", "list", "watch", "delete", "deletecollection", "patch", "update"],
        )]),
    }
}

fn submitter_role(namespace: &str) -> Role {
    Role {
        metadata: meta(Some(namespace), SUBMITTER_ROLE),
        rules: Some(vec![
            rule(&["pods"], &["create", "get", "list", "watch", "delete"]),
            rule(&["pods/log"], &["get"]),
            rule(
                &["services", "configmaps", "secrets", "persistentvolumeclaims"],
                &["create", "get", "patch", "delete"],
            ),
            rule(&["events"], &["list"]),
        ]),
    }
}

fn binding(namespace: &str, role: &str, subject: Subject) -> RoleBinding {
    RoleBinding {
        metadata: meta(Some(namespace), role),
        role_ref: RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "Role".into(), name: role.into() },
        subjects: Some(vec![subject]),
    }
}

async fn apply<K>(client: &Client, namespace: &str, object: &K) -> Result<()>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope> + Clone + Serialize + DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    patch(&api, object).await
}

async fn apply_cluster<K>(client: &Client, object: &K) -> Result<()>
where
    K: Resource<Scope = k8s_openapi::ClusterResourceScope> + Clone + Serialize + DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::all(client.clone());
    patch(&api, object).await
}

async fn patch<K>(api: &Api<K>, object: &K) -> Result<()>
where
    K: Resource + Clone + Serialize + DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    let name = object.meta().name.clone().unwrap_or_default();
    let what = format!("applying {} {name}", K::kind(&Default::default()));
    api.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(object))
        .await
        .map(drop)
        .map_err(|e| Error::kube(what, e))
}
