//! The in-cluster service account, as client-go finds it: the API server
//! from `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`, the token, CA and
//! namespace from the files Kubernetes mounts into every pod. The token is
//! given to the client as a file, so a rotated token (kubelet renews
//! projected tokens before they expire) is read again, at least once a
//! minute, as client-go does.

use std::path::{Path, PathBuf};

use kube::Config;
use secrecy::SecretString;

use crate::connect::{clean_token, read_ca};
use crate::error::ConnectError;

/// Where Kubernetes mounts the service account's files.
pub const DEFAULT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Overrides [`DEFAULT_DIR`] when set (tests, or a token mounted elsewhere).
pub const DIR_ENV: &str = "KSPARK_SERVICEACCOUNT_DIR";

/// A client configuration for the pod's service account.
pub struct InCluster {
    pub config: Config,
    pub namespace: Option<String>,
    /// The token as read now, for reports (`kspark auth`, expiry checks);
    /// requests read the file themselves.
    pub token: SecretString,
    pub token_path: PathBuf,
}

/// The directory holding `token`, `ca.crt` and `namespace`.
pub fn dir() -> PathBuf {
    std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()).map_or_else(|| PathBuf::from(DEFAULT_DIR), PathBuf::from)
}

/// The service account's configuration; `None` outside a pod (no
/// `KUBERNETES_SERVICE_HOST`/`PORT` or no token file), as client-go decides.
pub fn load() -> Result<Option<InCluster>, ConnectError> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(host), Some(port)) = (var("KUBERNETES_SERVICE_HOST"), var("KUBERNETES_SERVICE_PORT")) else {
        return Ok(None);
    };
    let dir = dir();
    let token_path = dir.join("token");
    if !token_path.is_file() {
        return Ok(None);
    }
    let url = api_url(&host, &port)?;
    let cluster_url = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| ConnectError::BadUrl { url: url.clone(), reason: e.to_string() })?;
    let token = std::fs::read_to_string(&token_path)
        .map_err(|e| file_error("token", &token_path, e.to_string()))
        .map(|t| SecretString::from(clean_token(&t)))?;
    let namespace =
        std::fs::read_to_string(dir.join("namespace")).ok().map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let mut config = Config::new(cluster_url);
    config.root_cert = Some(read_ca(&dir.join("ca.crt"), "in-cluster service account ca.crt")?);
    config.auth_info.token_file = Some(token_path.display().to_string());
    if let Some(ns) = &namespace {
        config.default_namespace = ns.clone();
    }
    Ok(Some(InCluster { config, namespace, token, token_path }))
}

/// `https://HOST:PORT`, with an IPv6 host in brackets.
fn api_url(host: &str, port: &str) -> Result<String, ConnectError> {
    let port: u16 = port.trim().parse().map_err(|e: std::num::ParseIntError| ConnectError::BadUrl {
        url: format!("{host}:{port}"),
        reason: format!("KUBERNETES_SERVICE_PORT: {e}"),
    })?;
    let host = match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(ip)) => format!("[{ip}]"),
        _ => host.to_string(),
    };
    Ok(format!("https://{host}:{port}"))
}

fn file_error(file: &str, path: &Path, reason: String) -> ConnectError {
    ConnectError::CredentialFile { key: format!("in-cluster service account {file}"), path: path.to_path_buf(), reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_bracket_ipv6_hosts() {
        assert_eq!(api_url("10.0.0.1", "443").ok().as_deref(), Some("https://10.0.0.1:443"));
        assert_eq!(api_url("fd00::1", "6443").ok().as_deref(), Some("https://[fd00::1]:6443"));
        assert_eq!(
            api_url("kubernetes.default.svc", "443").ok().as_deref(),
            Some("https://kubernetes.default.svc:443")
        );
        assert!(matches!(api_url("h", "http"), Err(ConnectError::BadUrl { .. })));
    }
}
