//! `spec.driver` and `spec.executor` from the per-role Spark settings: the
//! inverse of kubeflow's driverConfOption/executorConfOption and friends.

use crate::pod::{DriverSpec, ExecutorSpec, NameKey, SecretInfo, SparkPodSpec};

use super::conf::Remaining;
use super::error::ConversionError;

/// kubeflow's plain secret type: mounted, no credential variable.
const GENERIC_SECRET: &str = "Generic";

/// Settings holding a credential for the driver or executors; kubeflow
/// denies them in sparkConf and a resource must not carry them.
const CREDENTIAL_SUFFIXES: [&str; 5] =
    ["oauthToken", "oauthTokenFile", "caCertFile", "clientKeyFile", "clientCertFile"];

pub(super) fn driver(conf: &mut Remaining) -> Result<DriverSpec, ConversionError> {
    refuse_credentials(conf, "driver")?;
    Ok(DriverSpec {
        pod: pod(conf, "driver", "spark.kubernetes.driverEnv."),
        pod_name: conf.take("spark.kubernetes.driver.pod.name"),
        core_request: conf.take("spark.kubernetes.driver.request.cores"),
        java_options: conf.take("spark.driver.extraJavaOptions"),
        kubernetes_master: conf.take("spark.kubernetes.driver.master"),
        service_labels: conf.take_prefixed("spark.kubernetes.driver.service.label."),
        service_annotations: conf.take_prefixed("spark.kubernetes.driver.service.annotation."),
        ..DriverSpec::default()
    })
}

pub(super) fn executor(conf: &mut Remaining) -> Result<ExecutorSpec, ConversionError> {
    refuse_credentials(conf, "executor")?;
    Ok(ExecutorSpec {
        pod: pod(conf, "executor", "spark.executorEnv."),
        instances: conf.take_parsed_if("spark.executor.instances", |n: &i32| *n >= 1),
        core_request: conf.take("spark.kubernetes.executor.request.cores"),
        java_options: conf.take("spark.executor.extraJavaOptions"),
        delete_on_termination: conf.take_parsed("spark.kubernetes.executor.deleteOnTermination"),
        ..ExecutorSpec::default()
    })
}

fn pod(conf: &mut Remaining, role: &str, env_prefix: &str) -> SparkPodSpec {
    let k8s = format!("spark.kubernetes.{role}.");
    let secrets = conf
        .take_prefixed(&format!("{k8s}secrets."))
        .into_iter()
        .map(|(name, path)| SecretInfo { name, path, secret_type: GENERIC_SECRET.to_string() })
        .collect();
    let secret_key_refs = conf.take_prefixed(&format!("{k8s}secretKeyRef."));
    let (env_secret_key_refs, unsplittable): (Vec<_>, Vec<_>) =
        secret_key_refs.into_iter().partition(|(_, value)| value.contains(':'));
    // A reference without `name:key` is Spark's to reject; it stays as written.
    for (env, value) in unsplittable {
        conf.0.insert(format!("{k8s}secretKeyRef.{env}"), value);
    }
    SparkPodSpec {
        cores: conf.take_parsed_if(&format!("spark.{role}.cores"), |n: &i32| *n >= 1),
        core_limit: conf.take(&format!("{k8s}limit.cores")),
        memory: conf.take(&format!("spark.{role}.memory")),
        memory_overhead: conf.take(&format!("spark.{role}.memoryOverhead")),
        image: conf.take(&format!("{k8s}container.image")),
        service_account: conf.take(&format!("spark.kubernetes.authenticate.{role}.serviceAccountName")),
        labels: conf.take_prefixed(&format!("{k8s}label.")),
        annotations: conf.take_prefixed(&format!("{k8s}annotation.")),
        // envVars, not env: kubeflow passes envVars to Spark as these very
        // settings, while env is added to the pods by its webhook.
        env_vars: conf.take_prefixed(env_prefix),
        secrets,
        env_secret_key_refs: env_secret_key_refs
            .into_iter()
            .filter_map(|(env, value)| {
                value.split_once(':').map(|(name, key)| (env, NameKey { name: name.into(), key: key.into() }))
            })
            .collect(),
        ..SparkPodSpec::default()
    }
}

fn refuse_credentials(conf: &Remaining, role: &'static str) -> Result<(), ConversionError> {
    for suffix in CREDENTIAL_SUFFIXES {
        let key = format!("spark.kubernetes.authenticate.{role}.{suffix}");
        if conf.get(&key).is_some() {
            return Err(ConversionError::Credential { key, role });
        }
    }
    Ok(())
}
