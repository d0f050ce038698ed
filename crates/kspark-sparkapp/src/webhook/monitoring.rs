//! The Prometheus ConfigMap volume and the JMX exporter's port (kubeflow's
//! `addPrometheusConfig`), for the roles whose metrics are exposed.

use k8s_openapi::api::core::v1::PodSpec;

use super::configmaps::mount_config_map;
use super::networking::add_container_port;
use super::role::{Role, RoleSpec};
use crate::submit::MappingError;
use crate::submit::monitoring::{DEFAULT_PROMETHEUS_PORT, PROMETHEUS_CONFIG_MOUNT_PATH};

const PORT_PROTOCOL: &str = "TCP";
const DEFAULT_PORT_NAME: &str = "jmx-exporter";

/// Nothing when the image carries both the metrics properties and the
/// exporter's configuration (the controller then creates no ConfigMap).
pub(crate) fn add_prometheus_config(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    let Some(monitoring) = &role.app.spec.monitoring else { return Ok(()) };
    let Some(prometheus) = &monitoring.prometheus else { return Ok(()) };
    let non_empty = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
    if non_empty(&monitoring.metrics_properties_file) && non_empty(&prometheus.config_file) {
        return Ok(());
    }
    let exposed = match role.role {
        Role::Driver => monitoring.expose_driver_metrics,
        Role::Executor => monitoring.expose_executor_metrics,
    };
    if !exposed {
        return Ok(());
    }
    let config_map = format!("{}-prom-conf", role.app.metadata.name.as_deref().unwrap_or_default());
    let volume = format!("{config_map}-vol");
    mount_config_map(spec, role, &config_map, &volume, PROMETHEUS_CONFIG_MOUNT_PATH)?;
    let port = prometheus.port.unwrap_or(DEFAULT_PROMETHEUS_PORT);
    let name = prometheus.port_name.as_deref().unwrap_or(DEFAULT_PORT_NAME);
    add_container_port(spec, role, port, PORT_PROTOCOL, name)
}
