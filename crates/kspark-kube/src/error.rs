//! Errors of the cluster layer. Messages say what happened; `hint()` says
//! what to do about it.

use std::path::PathBuf;

use thiserror::Error;

use crate::api_status::{CONFLICT, FORBIDDEN, NOT_FOUND, UNPROCESSABLE};

#[derive(Debug, Error)]
pub enum ConnectError {
    #[error("cannot read kubeconfig {path}: {reason}")]
    Kubeconfig { path: PathBuf, reason: String },
    #[error("kubeconfig has no context `{0}`")]
    NoContext(String),
    #[error(
        "no cluster to talk to: give --master k8s://https://HOST:PORT or a kubeconfig (KUBECONFIG, --kubeconfig, ~/.kube/config)"
    )]
    NoCluster,
    #[error("bad API server URL `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("{key}: cannot read {path}: {reason}")]
    CredentialFile { key: String, path: PathBuf, reason: String },
    #[error("spark.kubernetes.authenticate.submission.oauthToken and oauthTokenFile are both set; keep one")]
    TwoTokens,
    #[error("credential plugin `{command}` failed: {reason}")]
    Exec { command: String, reason: String },
    #[error("the bearer token from {source_name} expired at {expired_at} ({ago} ago)")]
    TokenExpired { source_name: String, expired_at: String, ago: String },
    #[error("the bearer token from {source_name} expires at {expires_at}, in {left}: too soon to submit safely")]
    TokenExpiring { source_name: String, expires_at: String, left: String },
    #[error("cannot set up the Kubernetes client: {0}")]
    Client(String),
    #[error(transparent)]
    Entra(#[from] crate::entra::EntraError),
}

impl ConnectError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ConnectError::TokenExpired { .. } | ConnectError::TokenExpiring { .. } => Some(
                "get a fresh token: on AKS run `az login` (or `kubelogin convert-kubeconfig -l azurecli`) and let kspark use your kubeconfig instead of a pasted token; `kspark auth token` prints the current one".into(),
            ),
            ConnectError::Exec { .. } => Some("run the plugin by hand to see what it needs (often a fresh `az login`)".into()),
            ConnectError::Entra(e) => e.hint(),
            ConnectError::NoContext(_) => Some("list contexts with `kubectl config get-contexts`".into()),
            _ => None,
        }
    }
}

#[derive(Debug, Error)]
pub enum ClusterError {
    #[error("the API server refused to {action}: {message}")]
    Forbidden { action: String, message: String },
    #[error("the API server rejected {action}: {message}")]
    Rejected { action: String, message: String, code: u16 },
    #[error("the API server says the credentials are not valid (401) while trying to {action}")]
    Unauthorized { action: String },
    #[error("{action}: {message}")]
    Transport { action: String, message: String },
}

impl ClusterError {
    /// The server found the object invalid (422), e.g. a change to an
    /// immutable field.
    pub fn is_invalid(&self) -> bool {
        matches!(self, ClusterError::Rejected { code: UNPROCESSABLE, .. })
    }

    pub fn from_kube(action: impl Into<String>, err: kube::Error) -> ClusterError {
        let action = action.into();
        match err {
            kube::Error::Api(status) if status.code == FORBIDDEN => {
                ClusterError::Forbidden { action, message: status.message.clone() }
            }
            kube::Error::Api(status) if status.code == 401 => ClusterError::Unauthorized { action },
            kube::Error::Api(status) => {
                ClusterError::Rejected { action, message: status.message.clone(), code: status.code }
            }
            other => ClusterError::Transport { action, message: describe_transport(&other) },
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, ClusterError::Rejected { code: NOT_FOUND, .. })
    }

    /// The object exists already, or changed since it was read (see
    /// [`crate::api_status`]).
    pub fn is_conflict(&self) -> bool {
        matches!(self, ClusterError::Rejected { code: CONFLICT, .. })
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            ClusterError::Forbidden { message, .. } if message.contains("exceeded quota") => Some(
                "the namespace's ResourceQuota has no room: lower spark.driver.memory/cores, or ask the admin to raise the quota (`kubectl describe resourcequota -n NS`)".into(),
            ),
            ClusterError::Forbidden { .. } => Some(
                "your identity lacks an RBAC permission in this namespace: ask the cluster admin for a RoleBinding (`kspark tenant create` sets one up), or check `kubectl auth can-i`".into(),
            ),
            ClusterError::Unauthorized { .. } => Some("your token is expired or wrong: log in again (e.g. `az login`) or fix the kubeconfig".into()),
            ClusterError::Transport { .. } => Some("check the master URL, the network path to the API server and its certificate authority".into()),
            ClusterError::Rejected { .. } => None,
        }
    }
}

/// The innermost causes of a transport error, which say what really failed
/// (refused connection, unknown CA, …).
fn describe_transport(err: &kube::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        let piece = s.to_string();
        if !text.contains(&piece) {
            text.push_str(": ");
            text.push_str(&piece);
        }
        source = s.source();
    }
    text
}
