//! What kubeflow's validating webhook (internal/webhook/sparkapplication_validator.go,
//! sparkconf_validator.go) and its CRD's bounds reject, checked before any
//! argument is built, since kspark runs without a webhook. Also the sizes
//! Spark itself would reject only later, inside spark-submit or the driver.

use kspark_config::memory::parse_bytes;

use super::error::{MappingError, Problem};
use crate::application::{SparkApplication, SparkApplicationSpec};
use crate::pod::SparkPodSpec;
use crate::version::at_least_3_0_0;

/// kubeflow's `deniedSparkConfKeys` and the reason it gives for each. The
/// operator's ValidatingAdmissionPolicy is generated from this same list.
pub const DENIED_SPARK_CONF_KEYS: &[(&str, &str)] = &[
    (
        "spark.kubernetes.authenticate.driver.serviceAccountName",
        "configure the service account via the CRD spec instead",
    ),
    (
        "spark.kubernetes.authenticate.executor.serviceAccountName",
        "configure the service account via the CRD spec instead",
    ),
    ("spark.kubernetes.authenticate.oauthTokenFile", "authentication credentials are managed by the operator"),
    ("spark.kubernetes.authenticate.oauthToken", "authentication credentials are managed by the operator"),
    ("spark.kubernetes.authenticate.driver.oauthTokenFile", "authentication credentials are managed by the operator"),
    ("spark.kubernetes.authenticate.driver.oauthToken", "authentication credentials are managed by the operator"),
    ("spark.kubernetes.authenticate.executor.oauthTokenFile", "authentication credentials are managed by the operator"),
    ("spark.kubernetes.authenticate.executor.oauthToken", "authentication credentials are managed by the operator"),
    ("spark.master", "this value is managed by the operator"),
    ("spark.kubernetes.driver.master", "this value is managed by the operator"),
    ("spark.kubernetes.container.image", "use the image field on the CRD instead"),
    ("spark.kubernetes.driver.container.image", "use the image field on the CRD instead"),
    ("spark.kubernetes.executor.container.image", "use the image field on the CRD instead"),
];

/// The sparkConf key that must equal the application's namespace, if set.
pub const SPARK_NAMESPACE_KEY: &str = "spark.kubernetes.namespace";

/// The first problem found, in the order metadata, then spec fields.
pub(crate) fn validate(app: &SparkApplication) -> Result<(), MappingError> {
    let name = app.metadata.name.as_deref().ok_or_else(|| MappingError::new("metadata.name", Problem::Missing))?;
    if !is_dns1035_label(name) {
        return Err(MappingError::new("metadata.name", Problem::InvalidName(name.to_string())));
    }
    let namespace =
        app.metadata.namespace.as_deref().ok_or_else(|| MappingError::new("metadata.namespace", Problem::Missing))?;
    if app.metadata.uid.is_none() {
        return Err(MappingError::new("metadata.uid", Problem::Missing));
    }
    let spec = &app.spec;
    spark_conf(spec, namespace)?;
    node_selectors(spec)?;
    templates(spec)?;
    pod("spec.driver", &spec.driver.pod)?;
    pod("spec.executor", &spec.executor.pod)?;
    at_least("spec.executor.instances", spec.executor.instances.map(i64::from), 1)?;
    let port = spec.monitoring.as_ref().and_then(|m| m.prometheus.as_ref()).and_then(|p| p.port);
    at_least("spec.monitoring.prometheus.port", port.map(i64::from), 1024)?;
    if let Some(port) = port.filter(|p| *p > 49151) {
        let problem = Problem::InvalidSize(format!("must be at most 49151, got {port}; pick a port in 1024..=49151"));
        return Err(MappingError::new("spec.monitoring.prometheus.port", problem));
    }
    Ok(())
}

fn spark_conf(spec: &SparkApplicationSpec, namespace: &str) -> Result<(), MappingError> {
    for (key, value) in &spec.spark_conf {
        let field = || format!("spec.sparkConf[{key:?}]");
        if let Some((_, reason)) = DENIED_SPARK_CONF_KEYS.iter().find(|(denied, _)| denied == key) {
            return Err(MappingError::new(field(), Problem::DeniedSparkConfKey(reason)));
        }
        if key == SPARK_NAMESPACE_KEY && value != namespace {
            let problem = Problem::NamespaceMismatch { namespace: namespace.to_string(), value: value.clone() };
            return Err(MappingError::new(field(), problem));
        }
    }
    Ok(())
}

fn node_selectors(spec: &SparkApplicationSpec) -> Result<(), MappingError> {
    let per_role = !spec.driver.pod.node_selector.is_empty() || !spec.executor.pod.node_selector.is_empty();
    if !spec.node_selector.is_empty() && per_role {
        return Err(MappingError::new("spec.nodeSelector", Problem::NodeSelectorConflict));
    }
    Ok(())
}

fn templates(spec: &SparkApplicationSpec) -> Result<(), MappingError> {
    for (field, template) in
        [("spec.driver.template", &spec.driver.pod.template), ("spec.executor.template", &spec.executor.pod.template)]
    {
        if template.is_some() && !at_least_3_0_0(&spec.spark_version) {
            return Err(MappingError::new(field, Problem::TemplateNeedsSpark3(spec.spark_version.clone())));
        }
    }
    Ok(())
}

fn pod(role: &str, pod: &SparkPodSpec) -> Result<(), MappingError> {
    at_least(&format!("{role}.cores"), pod.cores.map(i64::from), 1)?;
    for (name, value) in [("memory", &pod.memory), ("memoryOverhead", &pod.memory_overhead)] {
        if let Some(value) = value {
            parse_bytes(value, "m")
                .map_err(|e| MappingError::new(format!("{role}.{name}"), Problem::InvalidSize(e.to_string())))?;
        }
    }
    Ok(())
}

fn at_least(field: &str, value: Option<i64>, min: i64) -> Result<(), MappingError> {
    match value {
        Some(value) if value < min => Err(MappingError::new(field, Problem::BelowMinimum { min, value })),
        _ => Ok(()),
    }
}

/// Kubernetes' `IsDNS1035Label`.
fn is_dns1035_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    let body = bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    let first = bytes.first().is_some_and(u8::is_ascii_lowercase);
    let last = bytes.last().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    name.len() <= 63 && body && first && last
}
