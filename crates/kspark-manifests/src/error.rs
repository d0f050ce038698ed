use kspark_config::ConfError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ManifestError {
    #[error(transparent)]
    Conf(#[from] ConfError),
    #[error("no container image: set spark.kubernetes.container.image (or spark.kubernetes.driver.container.image)")]
    NoImage,
    #[error(
        "app name `{0}` has no letters or digits, but Kubernetes names and labels are built from it: choose a name with --name"
    )]
    EmptyAppName(String),
    #[error("the pod template {path} is not a Pod: {reason}")]
    BadTemplate { path: String, reason: String },
    #[error("{key}: {reason}")]
    Invalid { key: String, reason: String },
}

impl ManifestError {
    pub fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ManifestError {
        ManifestError::Invalid { key: key.into(), reason: reason.into() }
    }
}
