//! The role's init containers and sidecars (kubeflow's `addInitContainers`,
//! `addSidecarContainers`): each is appended unless the pod already has a
//! container of the same name and image.

use k8s_openapi::api::core::v1::{Container, PodSpec};

use super::role::RoleSpec;
use crate::submit::MappingError;

pub(crate) fn add_init_containers(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if !role.pod.init_containers.is_empty() {
        append_missing(spec.init_containers.get_or_insert_default(), &role.pod.init_containers);
    }
    Ok(())
}

pub(crate) fn add_sidecars(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    append_missing(&mut spec.containers, &role.pod.sidecars);
    Ok(())
}

fn append_missing(existing: &mut Vec<Container>, wanted: &[Container]) {
    for container in wanted {
        let image = |c: &Container| c.image.clone().unwrap_or_default();
        if !existing.iter().any(|c| c.name == container.name && image(c) == image(container)) {
            existing.push(container.clone());
        }
    }
}
