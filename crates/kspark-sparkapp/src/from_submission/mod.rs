//! A spark-submit command line as a SparkApplication: the bridge from a
//! laptop command to GitOps (`kspark submit --as-resource`). The inverse of
//! [`crate::submit::submit_args`]: every setting kubeflow has a spec field
//! for goes into that field, `spark.hadoop.*` into hadoopConf, the rest into
//! sparkConf, so that kubeflow's operator hands Spark the same settings.
//!
//! What a SparkApplication cannot carry is refused with the key named:
//! files on this machine (Spark's client would upload or ship them),
//! pod template files, and credentials. Settings only the submitting client
//! reads (its own credentials, context, whether to wait) are left out with a
//! note. Pure: the caller resolves the command line and looks at the
//! environment.

mod conf;
mod error;
mod name;
mod roles;
mod templates;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kspark_config::uploads::is_local;
use kspark_config::version::VersionOrigin;
use kspark_config::{AppKind, SparkVersion, Submission};

pub use error::ConversionError;

use crate::application::{SparkApplication, SparkApplicationSpec, SparkApplicationType};
use crate::dependencies::Dependencies;
use crate::scheduling::DynamicAllocation;
use conf::{Remaining, split_list};

/// Spark's namespace when `spark.kubernetes.namespace` is not set.
const DEFAULT_NAMESPACE: &str = "default";
/// Spark's executor count on Kubernetes without dynamic allocation
/// (`SchedulerBackendUtils.DEFAULT_NUMBER_EXECUTORS`); kubeflow's defaulting
/// would otherwise make it 1.
const SPARK_DEFAULT_EXECUTORS: i32 = 2;

/// Read by the submitting client only: its own credentials and context, and
/// whether it waits. The operator uses its own.
const CLIENT_ONLY_PREFIXES: [&str; 2] = ["spark.kubernetes.authenticate.submission.", "spark.kubernetes.context"];
const CLIENT_ONLY_KEYS: [&str; 8] = [
    "spark.master",
    "spark.submit.deployMode",
    "spark.kubernetes.submission.waitAppCompletion",
    "spark.kubernetes.authenticate.oauthToken",
    "spark.kubernetes.authenticate.oauthTokenFile",
    "spark.kubernetes.authenticate.caCertFile",
    "spark.kubernetes.authenticate.clientKeyFile",
    "spark.kubernetes.authenticate.clientCertFile",
];

/// Settings that name a file on this machine that Spark's client reads
/// (besides the upload lists, which [`refuse_local_files`] checks entry by entry).
const LOCAL_PATH_KEYS: [&str; 2] = ["spark.kubernetes.kerberos.krb5.path", "spark.jars.ivySettings"];

/// What the caller knows besides the resolved submission.
#[derive(Clone, Debug, Default)]
pub struct ResourceInputs {
    /// `--spark-version`, for when the image tag names no version.
    pub spark_version: Option<String>,
    /// `HADOOP_CONF_DIR` when set: Spark's client would ship its files.
    pub hadoop_conf_dir: Option<String>,
    /// The conf dir's files Spark's client would ship (not spark-defaults.conf).
    pub conf_dir_files: Vec<String>,
    /// The content (a Pod) of `spark.kubernetes.driver.podTemplateFile`, read by the caller.
    pub driver_template: Option<serde_json::Value>,
    /// The content of `spark.kubernetes.executor.podTemplateFile`.
    pub executor_template: Option<serde_json::Value>,
}

/// The SparkApplication, and what the user should know about it.
#[derive(Clone, Debug)]
pub struct Converted {
    pub app: SparkApplication,
    pub notes: Vec<String>,
}

/// The SparkApplication that makes kubeflow's operator submit `submission`.
pub fn from_submission(submission: &Submission, inputs: &ResourceInputs) -> Result<Converted, ConversionError> {
    refuse_submitter_files(inputs)?;
    let mut conf = Remaining(submission.conf.iter().map(|(k, s)| (k.to_string(), s.value.clone())).collect());
    let mut notes = drop_client_only(&mut conf);
    if let Some(key) = conf.0.keys().find(|k| k.contains('=')) {
        return Err(ConversionError::EqualsInKey { key: key.clone() });
    }
    refuse_local_files(submission, &conf)?;
    let app_name = conf.take("spark.app.name").unwrap_or_default();
    let name = name::dns1035(&app_name);
    if name != app_name {
        notes.push(format!("the SparkApplication is called `{name}` (spark.app.name `{app_name}` is not a DNS-1035 label); Spark gets that name too"));
    }
    let namespace = conf.take("spark.kubernetes.namespace").filter(|n| !n.is_empty());
    let spec = spec(submission, inputs, &mut conf, &mut notes)?;
    let mut app = SparkApplication::new(&name, spec);
    app.metadata = ObjectMeta {
        name: Some(name),
        namespace: Some(namespace.unwrap_or_else(|| DEFAULT_NAMESPACE.to_string())),
        ..ObjectMeta::default()
    };
    Ok(Converted { app, notes })
}

fn spec(
    submission: &Submission,
    inputs: &ResourceInputs,
    conf: &mut Remaining,
    notes: &mut Vec<String>,
) -> Result<SparkApplicationSpec, ConversionError> {
    let image = conf.take("spark.kubernetes.container.image");
    let version_image = conf.get("spark.kubernetes.driver.container.image").map(str::to_string).or(image.clone());
    let (version, origin) = SparkVersion::choose(version_image.as_deref(), inputs.spark_version.as_deref())?;
    if origin == VersionOrigin::NewestSupported {
        notes.push(format!("sparkVersion is {version}, the newest kspark knows: the image tag names no version; set --spark-version to change it"));
    }
    let deps = dependencies(submission, conf);
    let mut driver = roles::driver(conf)?;
    driver.pod.template = templates::take(conf, "driver", inputs.driver_template.as_ref(), notes)?;
    let mut executor = roles::executor(conf)?;
    executor.pod.template = templates::take(conf, "executor", inputs.executor_template.as_ref(), notes)?;
    let dynamic_allocation = dynamic_allocation(conf);
    if executor.instances.is_none() && dynamic_allocation.is_none() && conf.get("spark.executor.instances").is_none() {
        executor.instances = Some(SPARK_DEFAULT_EXECUTORS);
    }
    let python_version = match conf.get("spark.kubernetes.pyspark.pythonVersion") {
        Some("2" | "3") => conf.take("spark.kubernetes.pyspark.pythonVersion"),
        _ => None,
    };
    Ok(SparkApplicationSpec {
        type_: match submission.kind {
            AppKind::Java => SparkApplicationType::Java,
            AppKind::Python => SparkApplicationType::Python,
            AppKind::R => SparkApplicationType::R,
        },
        spark_version: version.to_string(),
        proxy_user: submission.proxy_user.clone(),
        image,
        image_pull_policy: conf.take("spark.kubernetes.container.image.pullPolicy"),
        image_pull_secrets: conf.take_list("spark.kubernetes.container.image.pullSecrets"),
        main_class: (submission.kind == AppKind::Java).then(|| submission.main_class.clone()),
        main_application_file: submission.primary_resource.clone(),
        arguments: submission.app_args.clone(),
        hadoop_conf: conf.take_prefixed("spark.hadoop."),
        driver,
        executor,
        deps,
        node_selector: conf.take_prefixed("spark.kubernetes.node.selector."),
        python_version,
        memory_overhead_factor: conf.take("spark.kubernetes.memoryOverheadFactor"),
        dynamic_allocation,
        spark_conf: std::mem::take(&mut conf.0),
        ..empty_spec()
    })
}

fn empty_spec() -> SparkApplicationSpec {
    SparkApplicationSpec {
        suspend: None,
        type_: SparkApplicationType::Java,
        spark_version: String::new(),
        mode: None,
        proxy_user: None,
        image: None,
        image_pull_policy: None,
        image_pull_secrets: Vec::new(),
        main_class: None,
        main_application_file: String::new(),
        arguments: Vec::new(),
        spark_conf: BTreeMap::new(),
        hadoop_conf: BTreeMap::new(),
        spark_config_map: None,
        hadoop_config_map: None,
        volumes: Vec::new(),
        driver: Default::default(),
        executor: Default::default(),
        deps: Dependencies::default(),
        restart_policy: Default::default(),
        node_selector: BTreeMap::new(),
        failure_retries: None,
        retry_interval: None,
        python_version: None,
        memory_overhead_factor: None,
        monitoring: None,
        batch_scheduler: None,
        time_to_live_seconds: None,
        batch_scheduler_options: None,
        spark_ui_options: None,
        driver_ingress_options: Vec::new(),
        dynamic_allocation: None,
        driver_pod_disruption_budget: None,
    }
}

/// `spec.deps`. spark-submit appends a Java application's primary resource
/// to spark.jars; kubeflow passes it as the main application file, so it
/// is left out here.
fn dependencies(submission: &Submission, conf: &mut Remaining) -> Dependencies {
    let mut jars = conf.take_list("spark.jars");
    if submission.kind == AppKind::Java
        && let Some(at) = jars.iter().rposition(|j| *j == submission.primary_resource)
    {
        jars.remove(at);
    }
    Dependencies {
        jars,
        files: conf.take_list("spark.files"),
        py_files: conf.take_list("spark.submit.pyFiles"),
        packages: conf.take_list("spark.jars.packages"),
        exclude_packages: conf.take_list("spark.jars.excludes"),
        repositories: conf.take_list("spark.jars.repositories"),
        archives: conf.take_list("spark.archives"),
    }
}

/// `spec.dynamicAllocation` when `spark.dynamicAllocation.enabled=true`;
/// a value that is not a number stays in sparkConf.
fn dynamic_allocation(conf: &mut Remaining) -> Option<DynamicAllocation> {
    if conf.get("spark.dynamicAllocation.enabled") != Some("true") {
        return None;
    }
    conf.take("spark.dynamicAllocation.enabled");
    Some(DynamicAllocation {
        enabled: true,
        initial_executors: conf.take_parsed("spark.dynamicAllocation.initialExecutors"),
        min_executors: conf.take_parsed("spark.dynamicAllocation.minExecutors"),
        max_executors: conf.take_parsed("spark.dynamicAllocation.maxExecutors"),
        shuffle_tracking_enabled: match conf.get("spark.dynamicAllocation.shuffleTracking.enabled") {
            Some("true" | "false") => conf.take_parsed("spark.dynamicAllocation.shuffleTracking.enabled"),
            _ => None,
        },
        shuffle_tracking_timeout: conf.take_parsed("spark.dynamicAllocation.shuffleTracking.timeout"),
    })
}

fn drop_client_only(conf: &mut Remaining) -> Vec<String> {
    let dropped: Vec<String> = conf
        .0
        .keys()
        .filter(|k| CLIENT_ONLY_KEYS.contains(&k.as_str()) || CLIENT_ONLY_PREFIXES.iter().any(|p| k.starts_with(p)))
        .cloned()
        .collect();
    let mut notes = Vec::new();
    for key in dropped {
        conf.take(&key);
        // spark.master and deployMode say what the resource itself says.
        if key != "spark.master" && key != "spark.submit.deployMode" {
            notes.push(format!(
                "{key} is left out: only the submitting client reads it, and the operator is its own client"
            ));
        }
    }
    notes
}

/// Local files Spark's client would upload (with
/// spark.kubernetes.file.upload.path) or read: the operator's pod has none of them.
fn refuse_local_files(submission: &Submission, conf: &Remaining) -> Result<(), ConversionError> {
    let local = |key: &str, entry: &str| ConversionError::LocalFile { key: key.to_string(), entry: entry.to_string() };
    if is_local(&submission.primary_resource) {
        return Err(local("the primary resource", &submission.primary_resource));
    }
    for key in kspark_config::uploads::UPLOADED_KEYS {
        if let Some(entry) = conf.get(key).map(split_list).unwrap_or_default().into_iter().find(|e| is_local(e)) {
            return Err(local(key, &entry));
        }
    }
    for key in LOCAL_PATH_KEYS {
        if let Some(path) = conf.get(key).filter(|p| is_local(p)) {
            return Err(local(key, path));
        }
    }
    Ok(())
}

fn refuse_submitter_files(inputs: &ResourceInputs) -> Result<(), ConversionError> {
    if let Some(dir) = &inputs.hadoop_conf_dir {
        return Err(ConversionError::SubmitterFiles {
            origin: "HADOOP_CONF_DIR".into(),
            path: dir.clone(),
            hint: "unset HADOOP_CONF_DIR, put the files into a ConfigMap and set spec.hadoopConfigMap \
                   (or spark.kubernetes.hadoop.configMapName)",
        });
    }
    if let Some(file) = inputs.conf_dir_files.first() {
        return Err(ConversionError::SubmitterFiles {
            origin: "the Spark conf dir (SPARK_CONF_DIR or SPARK_HOME/conf)".into(),
            path: file.clone(),
            hint: "point SPARK_CONF_DIR at a directory without these files, or put them into a ConfigMap and set \
                   spec.sparkConfigMap",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
