//! What the cluster says about Azure workload identity: the driver service
//! account's annotations, and the issuer of the cluster's service-account
//! tokens (which Azure must be told to trust).

use k8s_openapi::api::core::v1::ServiceAccount;
use kspark_manifests::WorkloadIdentity;
use kube::{Api, Client};

use crate::error::ClusterError;

/// The identity `namespace/account` is annotated with; `None` when it is
/// not annotated or does not exist (the preflight reports a missing account).
pub async fn driver_identity(
    client: &Client,
    namespace: &str,
    account: &str,
) -> Result<Option<WorkloadIdentity>, ClusterError> {
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    let found = api
        .get_opt(account)
        .await
        .map_err(|e| ClusterError::from_kube(format!("get service account {account} in namespace {namespace}"), e))?;
    Ok(found.and_then(|sa| of_account(namespace, &sa)))
}

pub fn of_account(namespace: &str, account: &ServiceAccount) -> Option<WorkloadIdentity> {
    let name = account.metadata.name.as_deref().unwrap_or_default();
    WorkloadIdentity::from_annotations(namespace, name, account.metadata.annotations.as_ref())
}

/// The `issuer` of the API server's OpenID discovery document
/// (`/.well-known/openid-configuration`): the `--issuer` of Azure's
/// federated credential.
pub async fn issuer(client: &Client) -> Result<String, ClusterError> {
    const PATH: &str = "/.well-known/openid-configuration";
    let action = || format!("get {PATH}");
    let request = http::Request::get(PATH)
        .body(Vec::new())
        .map_err(|e| ClusterError::Transport { action: action(), message: e.to_string() })?;
    let document: serde_json::Value =
        client.request(request).await.map_err(|e| ClusterError::from_kube(action(), e))?;
    document["issuer"]
        .as_str()
        .filter(|i| !i.is_empty())
        .map(str::to_string)
        .ok_or_else(|| ClusterError::Transport { action: action(), message: "the document names no issuer".into() })
}
