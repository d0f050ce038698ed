//! Ports, host network, host aliases and DNS (kubeflow's
//! `addContainerPorts`, `addHostNetwork`, `addHostAliases`, `addDNSConfig`).

use k8s_openapi::api::core::v1::{ContainerPort, PodSpec};

use super::role::RoleSpec;
use super::spark_container;
use crate::submit::MappingError;

/// What a pod on the host network needs to still resolve cluster names.
const HOST_NETWORK_DNS_POLICY: &str = "ClusterFirstWithHostNet";

pub(crate) fn add_container_ports(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    for port in role.ports {
        add_container_port(spec, role, port.container_port, &port.protocol, &port.name)?;
    }
    Ok(())
}

/// Appends a port to the Spark container; empty name and protocol are left
/// out, as Go's `omitempty` does.
pub(crate) fn add_container_port(
    spec: &mut PodSpec,
    role: &RoleSpec,
    number: i32,
    protocol: &str,
    name: &str,
) -> Result<(), MappingError> {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let port = ContainerPort {
        name: non_empty(name),
        container_port: number,
        protocol: non_empty(protocol),
        ..Default::default()
    };
    spark_container(spec, role)?.ports.get_or_insert_default().push(port);
    Ok(())
}

pub(crate) fn add_host_network(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if role.pod.host_network == Some(true) {
        spec.host_network = Some(true);
        spec.dns_policy = Some(HOST_NETWORK_DNS_POLICY.to_string());
    }
    Ok(())
}

pub(crate) fn add_host_aliases(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if !role.pod.host_aliases.is_empty() {
        spec.host_aliases.get_or_insert_default().extend(role.pod.host_aliases.iter().cloned());
    }
    Ok(())
}

pub(crate) fn add_dns_config(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if let Some(dns_config) = &role.pod.dns_config {
        spec.dns_config = Some(dns_config.clone());
    }
    Ok(())
}
