//! SparkApplication → the objects of its driver, through kspark's one
//! submission path: kubeflow's spark-submit arguments
//! ([`kspark_sparkapp::submit::submit_args`]) are parsed and resolved by
//! kspark-config exactly as `kspark submit` parses a command line, and
//! kspark-manifests builds Spark's objects from them. The pod templates
//! kubeflow would write to files are handed over in memory, and what its
//! pod webhook would change is changed before anything is created.

use std::collections::BTreeMap;
use std::path::PathBuf;

use kspark_config::conf::Source;
use kspark_config::{SparkVersion, Submission, SubmitArgs, SubmitEnv, uploads};
use kspark_manifests::{BuildContext, DriverObjects, LineFeatures, SubmitterInputs};
use kspark_sparkapp::SparkApplication;
use kspark_sparkapp::submit::{SubmitInputs, default_pod_template_dir, submit_args};
use kspark_sparkapp::webhook::mutate_driver_pod;

use crate::identity::AttemptIdentity;

/// Where and as whom the operator submits.
#[derive(Debug, Clone)]
pub struct SubmitterSettings {
    /// `--master` (kubeflow: the API server as seen from a pod).
    pub master_url: String,
    /// `SPARK_USER` of the submission (kubeflow's operator image runs as `spark`).
    pub user: String,
    /// Where the pod template files are said to be; kubeflow's
    /// `/tmp/spark/<submission id>` when unset. Nothing is written there:
    /// the templates travel in memory.
    pub pod_template_dir: Option<String>,
}

/// A submission ready to be sent.
#[derive(Debug, Clone)]
pub struct Built {
    pub objects: DriverObjects,
    pub submission: Submission,
    pub version: SparkVersion,
    pub features: LineFeatures,
}

/// Why an application cannot be submitted; always names what to change.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Mapping(#[from] kspark_sparkapp::submit::MappingError),
    #[error("the spark-submit arguments derived from the spec are not valid: {0}")]
    Arguments(String),
    #[error("{0}")]
    Spec(String),
}

pub fn build(
    app: &SparkApplication,
    identity: &AttemptIdentity,
    settings: &SubmitterSettings,
    extra_conf: &[(String, String)],
    now_millis: i64,
) -> Result<Built, BuildError> {
    let mut built = build_as_spark_submit(app, identity, settings, extra_conf, now_millis)?;
    // What kubeflow's pod webhook does to the driver pod when it is
    // created, done here instead (the executors' part is in their template).
    mutate_driver_pod(&mut built.objects.pod, app)?;
    Ok(built)
}

/// What real spark-submit creates for kubeflow's command line, before any
/// webhook: the objects the golden recordings hold.
pub fn build_as_spark_submit(
    app: &SparkApplication,
    identity: &AttemptIdentity,
    settings: &SubmitterSettings,
    extra_conf: &[(String, String)],
    now_millis: i64,
) -> Result<Built, BuildError> {
    let template_dir =
        settings.pod_template_dir.clone().unwrap_or_else(|| default_pod_template_dir(&identity.submission_id));
    let inputs = SubmitInputs {
        submission_id: &identity.submission_id,
        master_url: &settings.master_url,
        pod_template_dir: &template_dir,
    };
    let command = submit_args(app, &inputs)?;
    let env =
        SubmitEnv { vars: BTreeMap::from([("SPARK_USER".into(), settings.user.clone())]), cwd: PathBuf::from("/") };
    let args = SubmitArgs::parse(command.args.iter().cloned()).map_err(|e| BuildError::Arguments(e.to_string()))?;
    let mut submission = args.resolve(&env).map_err(|e| BuildError::Arguments(e.to_string()))?;
    refuse_uploads(&mut submission)?;
    for (key, value) in extra_conf {
        submission.conf.set(key.clone(), value.clone(), Source::Derived);
    }
    let version = version(app, &submission)?;
    let line = version.line().map_err(|e| BuildError::Spec(format!("spec.sparkVersion: {e}")))?;
    let pretty = |t| serde_json::to_string_pretty(t).map(|s| s + "\n");
    let driver_template =
        serde_json::to_value(&command.driver_pod_template).map_err(|e| BuildError::Spec(e.to_string()))?;
    let executor_template = pretty(&command.executor_pod_template).map_err(|e| BuildError::Spec(e.to_string()))?;
    let ctx = BuildContext {
        submission: &submission,
        version,
        ids: identity.ids.clone(),
        inputs: SubmitterInputs {
            user: settings.user.clone(),
            driver_template: Some(driver_template),
            executor_template_text: Some(executor_template),
            ..SubmitterInputs::default()
        },
        now_millis,
    };
    let objects = kspark_manifests::build_driver(&ctx).map_err(|e| BuildError::Spec(e.to_string()))?;
    Ok(Built { objects, submission, version, features: LineFeatures::of(line) })
}

/// Local files would be uploaded from the operator's own filesystem, which
/// is never what the author of a SparkApplication means.
fn refuse_uploads(submission: &mut Submission) -> Result<(), BuildError> {
    let mut ids = || uuid::Uuid::new_v4().to_string();
    let plan = uploads::plan(submission, std::path::Path::new("/"), &mut ids)
        .map_err(|e| BuildError::Spec(format!("spec.deps: {e}; use local:// (a file in the image) or a remote URL")))?;
    match plan.uploads.first() {
        None => Ok(()),
        Some(first) => Err(BuildError::Spec(format!(
            "spec.deps / spec.mainApplicationFile: {} is a file on the operator's machine ({}); use local:// for a \
             file in the image, or a remote URL (s3a://, abfss://, https://)",
            first.source.display(),
            first.origin
        ))),
    }
}

/// The image tag's version when it names one (that is the Spark that runs),
/// else `spec.sparkVersion`.
fn version(app: &SparkApplication, submission: &Submission) -> Result<SparkVersion, BuildError> {
    let conf = &submission.conf;
    let image =
        conf.get("spark.kubernetes.driver.container.image").or_else(|| conf.get("spark.kubernetes.container.image"));
    let from_tag =
        SparkVersion::choose(image, None).ok().filter(|_| image.and_then(SparkVersion::from_image).is_some());
    match from_tag {
        Some((version, _)) => Ok(version),
        None => SparkVersion::choose(None, Some(&app.spec.spark_version))
            .map(|(v, _)| v)
            .map_err(|e| BuildError::Spec(format!("spec.sparkVersion: {e}"))),
    }
}
