//! `spec.volumes` that the role mounts, with their mounts (kubeflow's
//! `addVolumes`); Spark local dirs (`spark-local-dir-*`) are Spark
//! settings instead (see `submit`).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{PodSpec, Volume, VolumeMount};

use super::role::RoleSpec;
use super::spark_container;
use crate::submit::MappingError;

const LOCAL_DIR_PREFIX: &str = "spark-local-dir-";

/// Each mounted volume once, in the order of the role's mounts; every mount
/// of a known volume goes to the Spark container. Mounts of volumes that are
/// not in `spec.volumes` are left out, as kubeflow does.
pub(crate) fn add_volumes(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    // A later volume of the same name wins, as in kubeflow's map.
    let volumes: BTreeMap<&str, &Volume> = role.app.spec.volumes.iter().map(|v| (v.name.as_str(), v)).collect();
    let mut added = BTreeSet::new();
    for mount in &role.pod.volume_mounts {
        if mount.name.starts_with(LOCAL_DIR_PREFIX) {
            continue;
        }
        let Some(volume) = volumes.get(mount.name.as_str()) else { continue };
        if added.insert(mount.name.as_str()) {
            add_volume(spec, (*volume).clone());
        }
        add_mount(spec, role, mount.clone())?;
    }
    Ok(())
}

pub(crate) fn add_volume(spec: &mut PodSpec, volume: Volume) {
    spec.volumes.get_or_insert_default().push(volume);
}

pub(crate) fn add_mount(spec: &mut PodSpec, role: &RoleSpec, mount: VolumeMount) -> Result<(), MappingError> {
    spark_container(spec, role)?.volume_mounts.get_or_insert_default().push(mount);
    Ok(())
}
