//! Why a spark-submit command line cannot become a SparkApplication.

use thiserror::Error;

/// A setting a SparkApplication cannot carry, naming the key. Each message
/// ends with a hint.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConversionError {
    #[error(
        "{key} `{entry}` is a file on this machine; the operator's pods cannot reach it and a SparkApplication \
         cannot upload it; hint: put it into the image (local:///path) or somewhere the cluster reads \
         (https://, s3a://, abfss://, gs://) and name that"
    )]
    LocalFile { key: String, entry: String },
    #[error(
        "{key} names a pod template that could not be read as a Pod; hint: fix the file, or drop the option \
         and write the template into spec.{role}.template of the SparkApplication (print it with --dry-run -o yaml)"
    )]
    PodTemplateFile { key: String, role: &'static str },
    #[error(
        "{key} puts a credential into the SparkApplication, where everyone who can read the resource sees it; \
         hint: give the {role} a service account instead (spark.kubernetes.authenticate.{role}.serviceAccountName)"
    )]
    Credential { key: String, role: &'static str },
    #[error(
        "{origin} ({path}): Spark's client would ship these files from this machine, which a SparkApplication \
         cannot; hint: {hint}"
    )]
    SubmitterFiles { origin: String, path: String, hint: &'static str },
    #[error(
        "setting `{key}` has `=` in its name, and kubeflow's operator passes every setting as `--conf KEY=VALUE`, \
         which Spark splits at the first `=`; hint: rename the key (in a properties file `\\=` escapes it)"
    )]
    EqualsInKey { key: String },
    #[error("{0}")]
    Version(#[from] kspark_config::version::VersionError),
}
