//! How the pod ends and shares its processes (kubeflow's
//! `addTerminationGracePeriodSeconds`, `addPodLifeCycleConfig`,
//! `addShareProcessNamespace`).

use k8s_openapi::api::core::v1::PodSpec;

use super::role::RoleSpec;
use super::spark_container;
use crate::submit::MappingError;

pub(crate) fn add_termination_grace_period(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if let Some(seconds) = role.pod.termination_grace_period_seconds {
        spec.termination_grace_period_seconds = Some(seconds);
    }
    Ok(())
}

/// The role's lifecycle replaces the Spark container's.
pub(crate) fn add_lifecycle(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if let Some(lifecycle) = role.lifecycle {
        spark_container(spec, role)?.lifecycle = Some(lifecycle.clone());
    }
    Ok(())
}

/// Only `true` is written; `false` leaves the pod as it is.
pub(crate) fn add_share_process_namespace(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if role.pod.share_process_namespace == Some(true) {
        spec.share_process_namespace = Some(true);
    }
    Ok(())
}
