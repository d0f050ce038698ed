//! The per-role options: kubeflow's driverConfOption, driverEnvOption,
//! driverSecretOption, executorConfOption, executorEnvOption and
//! executorSecretOption (internal/controller/sparkapplication/submission.go).
//! Maps are emitted in key order; Go ranges over them in random order.

use std::collections::BTreeMap;

use super::args::{Args, go_path_join};
use crate::application::SparkApplication;
use crate::labels;
use crate::pod::{SECRET_TYPE_GCP_SERVICE_ACCOUNT, SECRET_TYPE_HADOOP_DELEGATION_TOKEN, SecretInfo, SparkPodSpec};
use crate::version::at_least_3_0_0;

/// Labels the operator puts on every pod of a submission, then the
/// application's own labels and the role's settings.
pub(crate) fn driver_conf(args: &mut Args, app: &SparkApplication, name: &str, submission_id: &str) {
    let spec = &app.spec;
    let driver = &spec.driver;
    operator_labels(args, "driver", app, name, submission_id, driver.pod.template.is_none());
    role_image(args, "driver", &driver.pod, spec.image.as_ref());
    args.conf_opt("spark.driver.cores", driver.pod.cores);
    args.conf_opt("spark.kubernetes.driver.request.cores", driver.core_request.as_ref());
    args.conf_opt("spark.kubernetes.driver.limit.cores", driver.pod.core_limit.as_ref());
    args.conf_opt("spark.driver.memory", driver.pod.memory.as_ref());
    args.conf_opt("spark.driver.memoryOverhead", driver.pod.memory_overhead.as_ref());
    args.conf_opt("spark.kubernetes.authenticate.driver.serviceAccountName", driver.pod.service_account.as_ref());
    args.conf_opt("spark.driver.extraJavaOptions", driver.java_options.as_ref());
    args.conf_opt("spark.kubernetes.driver.master", driver.kubernetes_master.as_ref());
    application_labels(args, "spark.kubernetes.driver.label.", app);
    prefixed(args, "spark.kubernetes.driver.label.", &driver.pod.labels);
    prefixed(args, "spark.kubernetes.driver.annotation.", &driver.pod.annotations);
    prefixed(args, "spark.kubernetes.driver.service.label.", &driver.service_labels);
    prefixed(args, "spark.kubernetes.driver.service.annotation.", &driver.service_annotations);
    for (env, key) in &driver.pod.env_secret_key_refs {
        args.conf(format!("spark.kubernetes.driver.secretKeyRef.{env}"), format!("{}:{}", key.name, key.key));
    }
}

pub(crate) fn executor_conf(args: &mut Args, app: &SparkApplication, name: &str, submission_id: &str) {
    let spec = &app.spec;
    let executor = &spec.executor;
    operator_labels(args, "executor", app, name, submission_id, executor.pod.template.is_none());
    args.conf_opt("spark.executor.instances", executor.instances);
    role_image(args, "executor", &executor.pod, spec.image.as_ref());
    args.conf_opt("spark.executor.cores", executor.pod.cores);
    args.conf_opt("spark.kubernetes.executor.request.cores", executor.core_request.as_ref());
    args.conf_opt("spark.kubernetes.executor.limit.cores", executor.pod.core_limit.as_ref());
    args.conf_opt("spark.executor.memory", executor.pod.memory.as_ref());
    args.conf_opt("spark.executor.memoryOverhead", executor.pod.memory_overhead.as_ref());
    args.conf_opt("spark.kubernetes.authenticate.executor.serviceAccountName", executor.pod.service_account.as_ref());
    args.conf_opt("spark.kubernetes.executor.deleteOnTermination", executor.delete_on_termination);
    application_labels(args, "spark.kubernetes.executor.label.", app);
    prefixed(args, "spark.kubernetes.executor.label.", &executor.pod.labels);
    prefixed(args, "spark.kubernetes.executor.annotation.", &executor.pod.annotations);
    for (env, key) in &executor.pod.env_secret_key_refs {
        args.conf(format!("spark.kubernetes.executor.secretKeyRef.{env}"), format!("{}:{}", key.name, key.key));
    }
    args.conf_opt("spark.executor.extraJavaOptions", executor.java_options.as_ref());
}

/// `spec.driver.envVars` → `spark.kubernetes.driverEnv.*`.
pub(crate) fn driver_env(args: &mut Args, pod: &SparkPodSpec) {
    prefixed(args, "spark.kubernetes.driverEnv.", &pod.env_vars);
}

/// `spec.executor.envVars` → `spark.executorEnv.*`.
pub(crate) fn executor_env(args: &mut Args, pod: &SparkPodSpec) {
    prefixed(args, "spark.executorEnv.", &pod.env_vars);
}

/// Secrets mounted by Spark, plus the credential variable their type implies.
pub(crate) fn driver_secrets(args: &mut Args, secrets: &[SecretInfo]) {
    role_secrets(args, "spark.kubernetes.driver.secrets.", "spark.kubernetes.driverEnv.", secrets);
}

pub(crate) fn executor_secrets(args: &mut Args, secrets: &[SecretInfo]) {
    role_secrets(args, "spark.kubernetes.executor.secrets.", "spark.executorEnv.", secrets);
}

fn role_secrets(args: &mut Args, secret_prefix: &str, env_prefix: &str, secrets: &[SecretInfo]) {
    for secret in secrets {
        args.conf(format!("{secret_prefix}{}", secret.name), &secret.path);
        let credential = match secret.secret_type.as_str() {
            SECRET_TYPE_GCP_SERVICE_ACCOUNT => Some(("GOOGLE_APPLICATION_CREDENTIALS", "key.json")),
            SECRET_TYPE_HADOOP_DELEGATION_TOKEN => Some(("HADOOP_TOKEN_FILE_LOCATION", "hadoop.token")),
            _ => None,
        };
        if let Some((env, file)) = credential {
            args.conf(format!("{env_prefix}{env}"), go_path_join(&secret.path, file));
        }
    }
}

/// app-name, launched-by, mutated-by (when kubeflow's webhook would have to
/// mutate the pod: no template, or Spark before 3.0.0) and submission-id.
fn operator_labels(args: &mut Args, role: &str, app: &SparkApplication, name: &str, id: &str, no_template: bool) {
    let prefix = format!("spark.kubernetes.{role}.label.");
    args.conf(format!("{prefix}{}", labels::APP_NAME), name);
    args.conf(format!("{prefix}{}", labels::LAUNCHED_BY_SPARK_OPERATOR), "true");
    if !at_least_3_0_0(&app.spec.spark_version) || no_template {
        args.conf(format!("{prefix}{}", labels::MUTATED_BY_SPARK_OPERATOR), "true");
    }
    args.conf(format!("{prefix}{}", labels::SUBMISSION_ID), id);
}

/// The role's image, else the application's.
fn role_image(args: &mut Args, role: &str, pod: &SparkPodSpec, app_image: Option<&String>) {
    let image = pod.image.as_ref().filter(|i| !i.is_empty()).or(app_image.filter(|i| !i.is_empty()));
    args.conf_opt(&format!("spark.kubernetes.{role}.container.image"), image);
}

/// The SparkApplication's labels, except Kueue's (kubeflow issue 2669).
fn application_labels(args: &mut Args, prefix: &str, app: &SparkApplication) {
    for (key, value) in app.metadata.labels.iter().flatten() {
        if !key.starts_with(labels::KUEUE_PREFIX) {
            args.conf(format!("{prefix}{key}"), value);
        }
    }
}

fn prefixed(args: &mut Args, prefix: &str, map: &BTreeMap<String, String>) {
    for (key, value) in map {
        args.conf(format!("{prefix}{key}"), value);
    }
}
