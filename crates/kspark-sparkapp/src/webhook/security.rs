//! Security contexts (kubeflow's `addContainerSecurityContext`,
//! `addPodSecurityContext`): the role's replace the pod's.

use k8s_openapi::api::core::v1::PodSpec;

use super::role::RoleSpec;
use super::spark_container;
use crate::submit::MappingError;

pub(crate) fn add_container_security_context(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    // kubeflow looks for the container even when there is nothing to set.
    let container = spark_container(spec, role)?;
    if let Some(context) = &role.pod.security_context {
        container.security_context = Some(context.clone());
    }
    Ok(())
}

pub(crate) fn add_pod_security_context(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if let Some(context) = &role.pod.pod_security_context {
        spec.security_context = Some(context.clone());
    }
    Ok(())
}
