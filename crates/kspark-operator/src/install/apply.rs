//! Server-side applies the install objects, CRDs first, waiting until they
//! are established so that the operator can start right after.

use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kspark_kube::ClusterError;
use kube::api::{Patch, PatchParams};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use kube::{Api, Client};

use super::objects::InstallObject;

const FIELD_MANAGER: &str = "kspark";

pub async fn apply(client: &Client, objects: &[InstallObject]) -> Result<Vec<String>, ClusterError> {
    let mut applied = Vec::new();
    for object in objects {
        apply_one(client, object).await?;
        applied.push(object.describe());
    }
    for object in objects {
        if let InstallObject::Crd(crd) = object {
            wait_established(client, crd.metadata.name.as_deref().unwrap_or_default()).await?;
        }
    }
    Ok(applied)
}

async fn apply_one(client: &Client, object: &InstallObject) -> Result<(), ClusterError> {
    let value = object.to_json();
    let api_version = value["apiVersion"].as_str().unwrap_or_default();
    let kind = value["kind"].as_str().unwrap_or_default();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
    let name = value["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let api: Api<DynamicObject> = match value["metadata"]["namespace"].as_str() {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    api.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&value))
        .await
        .map(|_| ())
        .map_err(|e| ClusterError::from_kube(format!("apply {kind} {name}"), e))
}

async fn wait_established(client: &Client, name: &str) -> Result<(), ClusterError> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for _ in 0..100 {
        let crd = api.get(name).await.map_err(|e| ClusterError::from_kube(format!("read CRD {name}"), e))?;
        let conditions = crd.status.and_then(|s| s.conditions).unwrap_or_default();
        if conditions.iter().any(|c| c.type_ == "Established" && c.status == "True") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(ClusterError::Transport {
        action: format!("wait for CRD {name}"),
        message: "not Established after 10 s".into(),
    })
}
