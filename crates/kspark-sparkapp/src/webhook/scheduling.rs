//! Where and how the pod is scheduled (kubeflow's `addPriorityClassName`,
//! `addSchedulerName`, `addNodeSelectors`, `addAffinity`, `addTolerations`).

use k8s_openapi::api::core::v1::PodSpec;

use super::role::RoleSpec;
use crate::submit::MappingError;

/// A priority class replaces any priority and preemption policy already set,
/// which the API server then fills in from the class.
pub(crate) fn add_priority_class_name(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if let Some(name) = role.priority_class_name.filter(|n| !n.is_empty()) {
        spec.priority_class_name = Some(name.clone());
        spec.priority = None;
        spec.preemption_policy = None;
    }
    Ok(())
}

/// `spec.batchScheduler`, when set at all, decides over the role's
/// `schedulerName` (even when it is empty, which then sets nothing).
pub(crate) fn add_scheduler_name(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    let chosen = role.app.spec.batch_scheduler.as_ref().or(role.pod.scheduler_name.as_ref());
    if let Some(name) = chosen.filter(|n| !n.is_empty()) {
        spec.scheduler_name = Some(name.clone());
    }
    Ok(())
}

/// The role's node selector, merged over the pod's.
pub(crate) fn add_node_selector(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if !role.pod.node_selector.is_empty() {
        spec.node_selector.get_or_insert_default().extend(role.pod.node_selector.clone());
    }
    Ok(())
}

/// The role's affinity replaces the pod's.
pub(crate) fn add_affinity(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if let Some(affinity) = &role.pod.affinity {
        spec.affinity = Some(affinity.clone());
    }
    Ok(())
}

pub(crate) fn add_tolerations(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if !role.pod.tolerations.is_empty() {
        spec.tolerations.get_or_insert_default().extend(role.pod.tolerations.iter().cloned());
    }
    Ok(())
}
