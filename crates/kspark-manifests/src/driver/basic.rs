//! Spark's `BasicDriverFeatureStep`: identity labels, image, ports, the
//! base environment, CPU and memory, node selection and pull secrets.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ContainerPort, EnvVar, EnvVarSource, LocalObjectReference, ObjectFieldSelector, ResourceRequirements,
    SecurityContext,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::DriverState;
use crate::error::ManifestError;
use crate::labels::{DRIVER_ROLE, SPARK_APP_NAME, SPARK_APP_SELECTOR, SPARK_ROLE, SPARK_VERSION};
use crate::memory;
use crate::names;
use crate::quantity;

const RESERVED_LABELS: [&str; 4] = [SPARK_VERSION, SPARK_APP_SELECTOR, SPARK_APP_NAME, SPARK_ROLE];
const PULL_POLICIES: [&str; 3] = ["Always", "Never", "IfNotPresent"];

pub(super) fn apply(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    metadata(st)?;
    pod_spec(st);
    container_identity(st)?;
    ports(st)?;
    base_env(st);
    resources(st)?;
    validate_executor_settings(st)?;
    let ctx = st.ctx;
    let kind = ctx.submission.kind;
    st.set_prop("spark.kubernetes.driver.pod.name", st.pod_name.clone());
    st.set_prop("spark.app.id", ctx.ids.app_id.clone());
    st.set_prop("spark.kubernetes.submitInDriver", "true");
    let factor = memory::default_overhead_factor(&ctx.submission.conf, kind)?;
    st.set_prop("spark.kubernetes.memoryOverheadFactor", memory::java_double(factor));
    Ok(())
}

/// Spark's own labels win over the template's and the user's.
pub(crate) fn driver_labels(st: &DriverState<'_, '_>) -> Result<BTreeMap<String, String>, ManifestError> {
    let conf = &st.ctx.submission.conf;
    let mut labels = BTreeMap::new();
    for (key, value) in conf.with_prefix("spark.kubernetes.driver.label.") {
        if RESERVED_LABELS.contains(&key) {
            return Err(ManifestError::invalid(
                format!("spark.kubernetes.driver.label.{key}"),
                format!("label {key} is reserved for Spark bookkeeping"),
            ));
        }
        let value = if st.features.app_id_in_labels {
            value.replace("{{APP_ID}}", &st.ctx.ids.app_id)
        } else {
            value.to_string()
        };
        labels.insert(key.to_string(), value);
    }
    labels.insert(SPARK_VERSION.into(), st.ctx.version.to_string());
    labels.insert(SPARK_APP_SELECTOR.into(), st.ctx.ids.app_id.clone());
    labels.insert(SPARK_APP_NAME.into(), names::app_name_label(st.ctx.app_name()));
    labels.insert(SPARK_ROLE.into(), DRIVER_ROLE.into());
    Ok(labels)
}

fn metadata(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let labels = driver_labels(st)?;
    let app_id = st.ctx.ids.app_id.clone();
    let annotations: Vec<(String, String)> = st
        .ctx
        .submission
        .conf
        .with_prefix("spark.kubernetes.driver.annotation.")
        .map(|(k, v)| (k.to_string(), v.replace("{{APP_ID}}", &app_id)))
        .collect();
    let meta = &mut st.pod.metadata;
    meta.name = Some(st.pod_name.clone());
    meta.labels.get_or_insert_with(BTreeMap::new).extend(labels);
    if !annotations.is_empty() {
        meta.annotations.get_or_insert_with(BTreeMap::new).extend(annotations);
    }
    Ok(())
}

fn pod_spec(st: &mut DriverState<'_, '_>) {
    let conf = &st.ctx.submission.conf;
    let selectors: Vec<(String, String)> = conf
        .with_prefix("spark.kubernetes.node.selector.")
        .chain(conf.with_prefix("spark.kubernetes.driver.node.selector."))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let pull_secrets: Vec<LocalObjectReference> = conf
        .get("spark.kubernetes.container.image.pullSecrets")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| LocalObjectReference { name: s.to_string() })
        .collect();
    let scheduler = conf
        .get("spark.kubernetes.driver.scheduler.name")
        .or_else(|| conf.get("spark.kubernetes.scheduler.name"))
        .map(str::to_string);
    let spec = st.spec();
    spec.restart_policy = Some("Never".into());
    if !selectors.is_empty() {
        spec.node_selector.get_or_insert_with(BTreeMap::new).extend(selectors);
    }
    if !pull_secrets.is_empty() {
        spec.image_pull_secrets.get_or_insert_with(Vec::new).extend(pull_secrets);
    }
    if scheduler.is_some() {
        spec.scheduler_name = scheduler;
    }
}

fn container_identity(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let conf = &st.ctx.submission.conf;
    let image = conf
        .get("spark.kubernetes.driver.container.image")
        .or_else(|| conf.get("spark.kubernetes.container.image"))
        .filter(|i| !i.trim().is_empty())
        .ok_or(ManifestError::NoImage)?
        .to_string();
    let policy = conf.get("spark.kubernetes.container.image.pullPolicy").unwrap_or("IfNotPresent");
    if !PULL_POLICIES.contains(&policy) {
        return Err(conf
            .error("spark.kubernetes.container.image.pullPolicy", "must be Always, Never or IfNotPresent")
            .into());
    }
    let policy = policy.to_string();
    let c = &mut st.container;
    if c.name.is_empty() {
        c.name = "spark-kubernetes-driver".into();
    }
    c.image = Some(image);
    c.image_pull_policy = Some(policy);
    if st.features.no_privilege_escalation {
        let key = [
            "spark.kubernetes.driver.securityContext.allowPrivilegeEscalation",
            "spark.kubernetes.securityContext.allowPrivilegeEscalation",
        ]
        .into_iter()
        .find(|k| conf.contains(k));
        let allow = match key {
            Some(k) => conf.bool(k)?.unwrap_or(false),
            None => false,
        };
        st.container.security_context.get_or_insert_with(SecurityContext::default).allow_privilege_escalation =
            Some(allow);
    }
    Ok(())
}

/// The driver's ports: RPC, block manager, UI (and Spark Connect on 4.1+).
pub(crate) fn driver_ports(st: &DriverState<'_, '_>) -> Result<Vec<(&'static str, i32)>, ManifestError> {
    let conf = &st.ctx.submission.conf;
    let port = |keys: &[&str], default: i64| -> Result<i32, ManifestError> {
        for key in keys {
            if let Some(v) = conf.int(key)? {
                return i32::try_from(v)
                    .ok()
                    .filter(|p| (0..=65535).contains(p))
                    .ok_or_else(|| conf.error(key, "not a port number (0-65535)").into());
            }
        }
        Ok(default as i32)
    };
    let mut ports = vec![
        ("driver-rpc-port", port(&["spark.driver.port"], 7078)?),
        ("blockmanager", port(&["spark.driver.blockManager.port", "spark.blockManager.port"], 7079)?),
        ("spark-ui", port(&["spark.ui.port"], 4040)?),
    ];
    if st.features.connect_port {
        ports.push(("spark-connect", port(&["spark.connect.grpc.binding.port"], 15002)?));
    }
    Ok(ports)
}

fn ports(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let ports = driver_ports(st)?;
    let list = st.container.ports.get_or_insert_with(Vec::new);
    list.extend(ports.into_iter().map(|(name, port)| ContainerPort {
        name: Some(name.into()),
        container_port: port,
        protocol: Some("TCP".into()),
        ..Default::default()
    }));
    Ok(())
}

fn base_env(st: &mut DriverState<'_, '_>) {
    let ctx = st.ctx;
    st.add_env("SPARK_USER", &ctx.inputs.user);
    st.add_env("SPARK_APPLICATION_ID", &ctx.ids.app_id);
    for (name, value) in st.spark_prefixed("spark.kubernetes.driverEnv.") {
        st.add_env(&name, &value);
    }
    st.add_env_var(EnvVar {
        name: "SPARK_DRIVER_BIND_ADDRESS".into(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector { api_version: Some("v1".into()), field_path: "status.podIP".into() }),
            ..Default::default()
        }),
    });
}

fn resources(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let ctx = st.ctx;
    let conf = &ctx.submission.conf;
    let cpu_request = match conf.get("spark.kubernetes.driver.request.cores") {
        Some(v) => quantity::checked(conf, "spark.kubernetes.driver.request.cores", v)?,
        None => conf.int("spark.driver.cores")?.unwrap_or(1).to_string(),
    };
    let cpu_limit = conf
        .get("spark.kubernetes.driver.limit.cores")
        .map(|v| quantity::checked(conf, "spark.kubernetes.driver.limit.cores", v))
        .transpose()?;
    let mib = memory::container_mib(conf, ctx.submission.kind, "driver", st.features)?;
    let custom = custom_resources(st)?;
    let res = st.container.resources.get_or_insert_with(ResourceRequirements::default);
    let requests = res.requests.get_or_insert_with(BTreeMap::new);
    requests.insert("cpu".into(), Quantity(cpu_request));
    requests.insert("memory".into(), Quantity(format!("{mib}Mi")));
    let limits = res.limits.get_or_insert_with(BTreeMap::new);
    if let Some(limit) = cpu_limit {
        limits.insert("cpu".into(), Quantity(limit));
    }
    limits.insert("memory".into(), Quantity(format!("{mib}Mi")));
    limits.extend(custom);
    Ok(())
}

/// Executors are built later by the driver, but a bad executor setting is
/// reported now, before anything is created.
fn validate_executor_settings(st: &DriverState<'_, '_>) -> Result<(), ManifestError> {
    let conf = &st.ctx.submission.conf;
    memory::container_mib(conf, st.ctx.submission.kind, "executor", st.features)?;
    for key in ["spark.executor.cores", "spark.executor.instances", "spark.driver.cores"] {
        if conf.int(key)?.is_some_and(|n| n < 0) {
            return Err(conf.error(key, "must not be negative").into());
        }
    }
    for key in ["spark.kubernetes.executor.request.cores", "spark.kubernetes.executor.limit.cores"] {
        if let Some(v) = conf.get(key) {
            quantity::checked(conf, key, v)?;
        }
    }
    Ok(())
}

/// `spark.driver.resource.<name>.{amount,vendor}` (GPUs and the like).
fn custom_resources(st: &DriverState<'_, '_>) -> Result<Vec<(String, Quantity)>, ManifestError> {
    let conf = &st.ctx.submission.conf;
    let mut out = Vec::new();
    for (rest, amount) in conf.with_prefix("spark.driver.resource.") {
        let Some(name) = rest.strip_suffix(".amount") else {
            continue;
        };
        let vendor_key = format!("spark.driver.resource.{name}.vendor");
        let vendor = conf.get(&vendor_key).ok_or_else(|| {
            ManifestError::invalid(
                vendor_key.clone(),
                format!("required when spark.driver.resource.{name}.amount is set"),
            )
        })?;
        out.push((format!("{vendor}/{name}"), Quantity(amount.to_string())));
    }
    Ok(out)
}
