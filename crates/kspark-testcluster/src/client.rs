//! kube-rs clients from the kubeconfig files this crate writes.

use std::path::Path;

use kube::Client;
use kube::config::{Config, KubeConfigOptions, Kubeconfig};

use crate::error::{Error, Result};

/// A client configured exactly as a user of `path` would be.
pub async fn client_from_kubeconfig(path: &Path) -> Result<Client> {
    let config = config_from_kubeconfig(path).await?;
    Client::try_from(config).map_err(|e| Error::ClientConfig { path: path.to_path_buf(), message: e.to_string() })
}

/// The kube-rs [`Config`] of a kubeconfig file (its current context).
pub async fn config_from_kubeconfig(path: &Path) -> Result<Config> {
    let failed = |message: String| Error::ClientConfig { path: path.to_path_buf(), message };
    let kubeconfig = Kubeconfig::read_from(path).map_err(|e| failed(e.to_string()))?;
    Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await.map_err(|e| failed(e.to_string()))
}
