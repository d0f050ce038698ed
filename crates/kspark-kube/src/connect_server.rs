//! The cluster side of a Spark Connect server: its ConfigMap, pod and
//! Service made, or kept, as the SparkConnect says. The operator calls this
//! with objects owned by the SparkConnect; `kspark connect --no-operator`
//! with the ConfigMap and Service owned by the server pod. Nothing here
//! knows which.
//!
//! kubeflow never changes a server pod once made (a pod's spec is mostly
//! immutable), so an edited SparkConnect keeps its old server there. Here
//! the pod carries a digest of what it was made from; a different one means
//! the spec changed, and the old pod is deleted so that a new one replaces it.

use k8s_openapi::api::core::v1::{ConfigMap, Pod, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kspark_sparkapp::SparkConnect;
use kspark_sparkapp::connect::objects;
use kspark_sparkapp::submit::MappingError;
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, PostParams, Preconditions};
use md5::{Digest, Md5};

use crate::error::ClusterError;

/// The annotation on a server pod with the digest of its pod and ConfigMap
/// as built.
pub const SPEC_DIGEST: &str = "kspark.io/spark-connect-digest";

/// What [`ensure_server_pod`] found or did.
#[derive(Debug, Clone)]
pub enum ServerPod {
    /// Made now.
    Created(Pod),
    /// There, made from the same spec.
    Current(Pod),
    /// There but made from an older spec, or on its way out: deleted, so a
    /// later call makes the new one.
    Replacing(Pod),
}

impl ServerPod {
    pub fn pod(&self) -> &Pod {
        match self {
            ServerPod::Created(pod) | ServerPod::Current(pod) | ServerPod::Replacing(pod) => pod,
        }
    }
}

fn name_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> (String, String) {
    (meta.namespace.clone().unwrap_or_default(), meta.name.clone().unwrap_or_default())
}

/// The digest of the objects a server is made from: any change to the
/// server's command line, template, image or executor template changes it.
pub fn digest(pod: &Pod, config_map: &ConfigMap) -> String {
    let mut hasher = Md5::new();
    hasher.update(serde_json::to_vec(&pod.spec).unwrap_or_default());
    hasher.update(serde_json::to_vec(&pod.metadata.labels).unwrap_or_default());
    hasher.update(serde_json::to_vec(&config_map.data).unwrap_or_default());
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates the ConfigMap, or brings an existing one's data and labels to
/// what it should be.
pub async fn apply_config_map(client: &Client, desired: &ConfigMap) -> Result<(), ClusterError> {
    let (ns, name) = name_of(&desired.metadata);
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let action = || format!("create ConfigMap {name} in namespace {ns}");
    match api.create(&PostParams::default(), desired).await {
        Ok(_) => return Ok(()),
        Err(e) if crate::is_conflict(&e) => {}
        Err(e) => return Err(ClusterError::from_kube(action(), e)),
    }
    let update = || format!("update ConfigMap {name} in namespace {ns}");
    let mut existing = api.get(&name).await.map_err(|e| ClusterError::from_kube(update(), e))?;
    let labels = existing.metadata.labels.get_or_insert_with(Default::default);
    let labels_current = desired.metadata.labels.iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
    if existing.data == desired.data && labels_current {
        return Ok(());
    }
    labels.extend(desired.metadata.labels.clone().unwrap_or_default());
    existing.data = desired.data.clone();
    existing.metadata.managed_fields = None;
    api.replace(&name, &PostParams::default(), &existing).await.map_err(|e| ClusterError::from_kube(update(), e))?;
    Ok(())
}

/// Makes the server pod unless one made from the same objects is there;
/// deletes one made from others (see the module's note).
pub async fn ensure_server_pod(
    client: &Client,
    desired: &Pod,
    config_map: &ConfigMap,
) -> Result<ServerPod, ClusterError> {
    let (ns, name) = name_of(&desired.metadata);
    let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let digest = digest(desired, config_map);
    let existing = api
        .get_opt(&name)
        .await
        .map_err(|e| ClusterError::from_kube(format!("read pod {name} in namespace {ns}"), e))?;
    let Some(existing) = existing else {
        let mut pod = desired.clone();
        pod.metadata.annotations.get_or_insert_with(Default::default).insert(SPEC_DIGEST.to_string(), digest);
        return match api.create(&PostParams::default(), &pod).await {
            Ok(created) => Ok(ServerPod::Created(created)),
            // Made by a concurrent call: the next one reads it.
            Err(e) if crate::is_conflict(&e) => Ok(ServerPod::Replacing(pod)),
            Err(e) => Err(ClusterError::from_kube(format!("create pod {name} in namespace {ns}"), e)),
        };
    };
    if existing.metadata.deletion_timestamp.is_some() {
        return Ok(ServerPod::Replacing(existing));
    }
    let made_from = existing.metadata.annotations.as_ref().and_then(|a| a.get(SPEC_DIGEST));
    // A pod without the annotation was made by someone else (kubeflow's
    // operator before kspark's): kept, as kubeflow keeps it.
    if made_from.is_none_or(|d| *d == digest) {
        return Ok(ServerPod::Current(existing));
    }
    let uid = existing.metadata.uid.clone();
    let params =
        DeleteParams { preconditions: Some(Preconditions { uid, resource_version: None }), ..Default::default() };
    match api.delete(&name, &params).await {
        Ok(_) => Ok(ServerPod::Replacing(existing)),
        Err(e) if crate::is_not_found(&e) || crate::is_conflict(&e) => Ok(ServerPod::Replacing(existing)),
        Err(e) => Err(ClusterError::from_kube(format!("delete the outdated pod {name} in namespace {ns}"), e)),
    }
}

/// Creates the Service unless it is there (its selector and ports never
/// change: they follow from the SparkConnect's name alone).
pub async fn ensure_service(client: &Client, desired: &Service) -> Result<(), ClusterError> {
    let (ns, name) = name_of(&desired.metadata);
    let api: Api<Service> = Api::namespaced(client.clone(), &ns);
    match api.create(&PostParams::default(), desired).await {
        Ok(_) => Ok(()),
        Err(e) if crate::is_conflict(&e) => Ok(()),
        Err(e) => Err(ClusterError::from_kube(format!("create Service {name} in namespace {ns}"), e)),
    }
}

/// The executor pods of the server of SparkConnect `connect_name`.
pub async fn executors(client: &Client, ns: &str, connect_name: &str) -> Result<Vec<Pod>, ClusterError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let selector = kspark_sparkapp::connect::names::executor_selector(connect_name);
    let list = api
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| ClusterError::from_kube(format!("list the executors of {connect_name} in namespace {ns}"), e))?;
    Ok(list.items)
}

/// The SparkConnect `name` in `ns`; `None` when there is none, or when
/// the cluster has no SparkConnect CRD (no operator).
pub async fn get_connect(client: &Client, ns: &str, name: &str) -> Result<Option<SparkConnect>, ClusterError> {
    let api: Api<SparkConnect> = Api::namespaced(client.clone(), ns);
    match api.get_opt(name).await {
        Ok(found) => Ok(found),
        Err(e) if crate::is_not_found(&e) => Ok(None),
        Err(e) => Err(ClusterError::from_kube(format!("read SparkConnect {ns}:{name}"), e)),
    }
}

/// Whether the cluster serves SparkConnects (an operator's CRD is installed).
pub async fn has_connect_crd(client: &Client, ns: &str) -> Result<bool, ClusterError> {
    let api: Api<SparkConnect> = Api::namespaced(client.clone(), ns);
    match api.list(&ListParams::default().limit(1)).await {
        Ok(_) => Ok(true),
        Err(e) if crate::is_not_found(&e) => Ok(false),
        Err(e) => Err(ClusterError::from_kube(format!("list SparkConnects in namespace {ns}"), e)),
    }
}

pub async fn create_connect(client: &Client, connect: &SparkConnect) -> Result<SparkConnect, ClusterError> {
    let (ns, name) = name_of(&connect.metadata);
    let api: Api<SparkConnect> = Api::namespaced(client.clone(), &ns);
    api.create(&PostParams::default(), connect)
        .await
        .map_err(|e| ClusterError::from_kube(format!("create SparkConnect {ns}:{name}"), e))
}

/// Deletes the SparkConnect; owner references take its server with it.
/// False when there was none.
pub async fn delete_connect(client: &Client, ns: &str, name: &str) -> Result<bool, ClusterError> {
    let api: Api<SparkConnect> = Api::namespaced(client.clone(), ns);
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(true),
        Err(e) if crate::is_not_found(&e) => Ok(false),
        Err(e) => Err(ClusterError::from_kube(format!("delete SparkConnect {ns}:{name}"), e)),
    }
}

/// A server without an operator (`kspark connect --no-operator`), made the
/// way `kspark submit` makes a driver: the pod first, then its ConfigMap and
/// Service owned by it, so that deleting the pod removes everything, and a
/// failure after the pod deletes it again: nothing is left half-made.
pub async fn create_unmanaged(client: &Client, built: &ServerObjects) -> Result<Pod, ClusterError> {
    let (ns, name) = name_of(&built.pod.metadata);
    let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let mut pod = built.pod.clone();
    pod.metadata.owner_references = None;
    pod.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(SPEC_DIGEST.to_string(), digest(&built.pod, &built.config_map));
    let created = api
        .create(&PostParams::default(), &pod)
        .await
        .map_err(|e| ClusterError::from_kube(format!("create pod {name} in namespace {ns}"), e))?;
    let owner = OwnerReference {
        api_version: "v1".into(),
        kind: "Pod".into(),
        name: name.clone(),
        uid: created.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: None,
    };
    let rest = async {
        let mut config_map = built.config_map.clone();
        config_map.metadata.owner_references = Some(vec![owner.clone()]);
        apply_config_map(client, &config_map).await?;
        let mut service = built.service.clone();
        service.metadata.owner_references = Some(vec![owner]);
        ensure_service(client, &service).await
    };
    if let Err(e) = rest.await {
        let _ = api.delete(&name, &DeleteParams::background()).await;
        return Err(e);
    }
    Ok(created)
}

/// The three objects a server is made of.
#[derive(Debug, Clone)]
pub struct ServerObjects {
    pub config_map: ConfigMap,
    pub pod: Pod,
    pub service: Service,
}

impl ServerObjects {
    /// kubeflow's objects for `connect`, whose server reaches the API
    /// server at `master`.
    pub fn build(connect: &SparkConnect, master: &str) -> Result<ServerObjects, MappingError> {
        Ok(ServerObjects {
            config_map: objects::config_map(connect)?,
            pod: objects::server_pod(connect, master)?,
            service: objects::server_service(connect),
        })
    }
}

/// Deletes the server pod of an unmanaged server (its ConfigMap and
/// Service go with it). False when there was none.
pub async fn delete_unmanaged(client: &Client, ns: &str, pod: &str) -> Result<bool, ClusterError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    match api.delete(pod, &DeleteParams::background()).await {
        Ok(_) => Ok(true),
        Err(e) if crate::is_not_found(&e) => Ok(false),
        Err(e) => Err(ClusterError::from_kube(format!("delete pod {ns}:{pod}"), e)),
    }
}

/// The server pod of SparkConnect `connect_name` (made by the operator or
/// by `--no-operator`), if there is one.
pub async fn server_pod(client: &Client, ns: &str, connect_name: &str) -> Result<Option<Pod>, ClusterError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let selector = kspark_sparkapp::connect::names::server_selector(connect_name);
    let list = api
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| ClusterError::from_kube(format!("find the server of {connect_name} in namespace {ns}"), e))?;
    let mut pods = list.items;
    // The newest live one: a replaced server's pod may still be going.
    pods.retain(|p| p.metadata.deletion_timestamp.is_none());
    pods.sort_by(|a, b| b.metadata.creation_timestamp.cmp(&a.metadata.creation_timestamp));
    Ok(pods.into_iter().next())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn pod(args: &str) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "s-server", "labels": {"a": "b"}},
            "spec": {"containers": [{"name": "spark-kubernetes-driver", "args": [args]}]}
        }))
        .unwrap_or_default()
    }

    fn config_map(template: &str) -> ConfigMap {
        ConfigMap { data: Some(BTreeMap::from([("t".to_string(), template.to_string())])), ..Default::default() }
    }

    #[test]
    fn the_digest_follows_the_command_line_and_the_executor_template() {
        let base = digest(&pod("--conf a=1"), &config_map("null\n"));
        assert_eq!(base, digest(&pod("--conf a=1"), &config_map("null\n")), "stable");
        assert_ne!(base, digest(&pod("--conf a=2"), &config_map("null\n")));
        assert_ne!(base, digest(&pod("--conf a=1"), &config_map("spec: {}\n")));
        assert_eq!(base.len(), 32);
    }

    #[test]
    fn the_digest_ignores_status_and_annotations() {
        let mut later = pod("--conf a=1");
        later.metadata.annotations = Some(BTreeMap::from([(SPEC_DIGEST.to_string(), "x".to_string())]));
        later.status = Some(Default::default());
        assert_eq!(digest(&pod("--conf a=1"), &config_map("")), digest(&later, &config_map("")));
    }
}
