//! Spark's `DriverServiceFeatureStep`: a headless Service in front of the
//! driver, through which executors reach it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{DriverState, basic};
use crate::error::ManifestError;
use crate::labels::SPARK_APP_SELECTOR;
use crate::names;
use crate::objects::Applied;

const FAMILY_POLICIES: [&str; 3] = ["SingleStack", "PreferDualStack", "RequireDualStack"];

pub(super) fn apply(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let conf = &st.ctx.submission.conf;
    for key in ["spark.driver.bindAddress", "spark.driver.host"] {
        if conf.contains(key) {
            return Err(conf
                .error(key, "is not supported in Kubernetes cluster mode (the driver binds to its pod IP)")
                .into());
        }
    }
    let name = names::driver_service_name(&st.prefix, &st.ctx.ids.service_fallback_id);
    let ports = basic::driver_ports(st)?;
    let spec = service_spec(st, ports.clone())?;
    let mut labels: BTreeMap<String, String> = conf
        .with_prefix("spark.kubernetes.driver.service.label.")
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    labels.insert(SPARK_APP_SELECTOR.into(), st.ctx.ids.app_id.clone());
    let annotations: BTreeMap<String, String> = conf
        .with_prefix("spark.kubernetes.driver.service.annotation.")
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    st.set_prop("spark.driver.host", format!("{name}.{}.svc", st.namespace));
    st.set_prop("spark.driver.port", port_of(&ports, "driver-rpc-port").to_string());
    st.set_prop("spark.driver.blockManager.port", service_block_manager_port(st)?.to_string());
    st.applied.push(Applied::Service(Service {
        metadata: ObjectMeta {
            name: Some(name),
            labels: Some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..Default::default()
        },
        spec: Some(spec),
        ..Default::default()
    }));
    Ok(())
}

fn port_of(ports: &[(&str, i32)], name: &str) -> i32 {
    ports.iter().find(|(n, _)| *n == name).map_or(0, |(_, p)| *p)
}

/// Unlike the pod, the Service does not fall back to spark.blockManager.port.
fn service_block_manager_port(st: &DriverState<'_, '_>) -> Result<i64, ManifestError> {
    Ok(st.ctx.submission.conf.int("spark.driver.blockManager.port")?.unwrap_or(7079))
}

fn service_spec(st: &DriverState<'_, '_>, ports: Vec<(&'static str, i32)>) -> Result<ServiceSpec, ManifestError> {
    let conf = &st.ctx.submission.conf;
    let policy = conf.get("spark.kubernetes.driver.service.ipFamilyPolicy").unwrap_or("SingleStack");
    if !FAMILY_POLICIES.contains(&policy) {
        return Err(conf
            .error(
                "spark.kubernetes.driver.service.ipFamilyPolicy",
                "must be SingleStack, PreferDualStack or RequireDualStack",
            )
            .into());
    }
    let families: Vec<String> = conf
        .get("spark.kubernetes.driver.service.ipFamilies")
        .unwrap_or("IPv4")
        .split(',')
        .map(|f| f.trim().to_string())
        .collect();
    let block_manager = service_block_manager_port(st)? as i32;
    let service_ports = ports
        .into_iter()
        .map(|(name, port)| {
            let port = if name == "blockmanager" { block_manager } else { port };
            ServicePort {
                name: Some(name.into()),
                port,
                target_port: Some(IntOrString::Int(port)),
                app_protocol: (name == "spark-connect" && st.features.connect_app_protocol).then(|| "grpc".into()),
                ..Default::default()
            }
        })
        .collect();
    Ok(ServiceSpec {
        cluster_ip: Some("None".into()),
        ip_family_policy: Some(policy.into()),
        ip_families: Some(families),
        selector: Some(basic::driver_labels(st)?),
        ports: Some(service_ports),
        publish_not_ready_addresses: match st.features.explicit_publish_not_ready {
            true => Some(conf.bool("spark.kubernetes.driver.service.publishNotReadyAddresses")?.unwrap_or(false)),
            false => None,
        },
        ..Default::default()
    })
}
