//! Why a SparkApplication cannot be turned into a spark-submit command line.

use thiserror::Error;

/// A malformed SparkApplication, naming the field (`spec.driver.cores`).
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{field}: {problem}")]
pub struct MappingError {
    /// Path of the offending field, e.g. `spec.driver.volumeMounts[0]`.
    pub field: String,
    pub problem: Problem,
}

/// What is wrong with the field. Each message ends with what to do.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Problem {
    #[error("missing; set it (the API server always does for stored objects)")]
    Missing,
    #[error(
        "`{0}` is not a DNS-1035 label; use lower-case letters, digits and '-', start with a letter, at most 63 characters"
    )]
    InvalidName(String),
    #[error("must be at least {min}, got {value}; raise it or leave it out for kubeflow's default")]
    BelowMinimum { min: i64, value: i64 },
    #[error("{0}")]
    InvalidSize(String),
    #[error("this key is not allowed: {0}")]
    DeniedSparkConfKey(&'static str),
    #[error("must equal the application namespace `{namespace}`, got `{value}`; remove it from sparkConf")]
    NamespaceMismatch { namespace: String, value: String },
    #[error("cannot be set together with spec.driver.nodeSelector or spec.executor.nodeSelector; use one level")]
    NodeSelectorConflict,
    #[error(
        "pod templates need Spark 3.0.0 or later, sparkVersion is `{0}`; raise spec.sparkVersion or drop the template"
    )]
    TemplateNeedsSpark3(String),
    #[error("is not a pod template: {0}; fix the field's type or remove it")]
    InvalidTemplate(String),
    #[error("mounts volume `{0}`, which is not in spec.volumes; add it there or fix the name")]
    VolumeNotFound(String),
    #[error(
        "volume `{0}` is a Spark local dir (its name starts with spark-local-dir-), which must be emptyDir, hostPath, nfs or persistentVolumeClaim; change its type or its name"
    )]
    UnsupportedLocalDirVolume(String),
    #[error(
        "the pod has no container for Spark to run in, so kubeflow's pod mutations have nowhere to go; give the template a container"
    )]
    NoSparkContainer,
    #[error("image is not specified; set spec.image, or the image of the Spark container in the pod template")]
    NoImage,
}

impl MappingError {
    pub(crate) fn new(field: impl Into<String>, problem: Problem) -> Self {
        Self { field: field.into(), problem }
    }
}
