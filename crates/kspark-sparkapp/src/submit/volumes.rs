//! Spark local dirs: volumes named `spark-local-dir-*` and their mounts become
//! `spark.kubernetes.{driver,executor}.volumes.*` settings (kubeflow's
//! driverVolumeMountsOption / executorVolumeMountsOption). Every other volume
//! is added to the pods by kubeflow's webhook instead.

use k8s_openapi::api::core::v1::{Volume, VolumeMount};

use super::args::Args;
use super::error::{MappingError, Problem};

const LOCAL_DIR_PREFIX: &str = "spark-local-dir-";

/// The settings for one role's local-dir mounts. `role` is `driver` or
/// `executor`; `field` is the mounts' path in the spec, for errors.
pub(crate) fn local_dir_mounts(
    args: &mut Args,
    role: &str,
    field: &str,
    volumes: &[Volume],
    mounts: &[VolumeMount],
) -> Result<(), MappingError> {
    for (index, mount) in mounts.iter().enumerate() {
        if !mount.name.starts_with(LOCAL_DIR_PREFIX) {
            continue;
        }
        let field = || format!("{field}[{index}]");
        let volume = volumes
            .iter()
            .find(|v| v.name == mount.name && v.name.starts_with(LOCAL_DIR_PREFIX))
            .ok_or_else(|| MappingError::new(field(), Problem::VolumeNotFound(mount.name.clone())))?;
        let kind = volume_type(volume)
            .ok_or_else(|| MappingError::new(field(), Problem::UnsupportedLocalDirVolume(volume.name.clone())))?;
        let prefix = format!("spark.kubernetes.{role}.volumes.{kind}.{}", volume.name);
        if !mount.mount_path.is_empty() {
            args.conf(format!("{prefix}.mount.path"), &mount.mount_path);
        }
        if let Some(sub_path) = mount.sub_path.as_ref().filter(|s| !s.is_empty()) {
            args.conf(format!("{prefix}.mount.subPath"), sub_path);
        }
        if mount.read_only == Some(true) {
            args.conf(format!("{prefix}.mount.readOnly"), "true");
        }
        volume_options(args, &format!("{prefix}.options"), volume);
    }
    Ok(())
}

/// Spark's name for the volume's type, if Spark can mount it.
fn volume_type(volume: &Volume) -> Option<&'static str> {
    if volume.empty_dir.is_some() {
        Some("emptyDir")
    } else if volume.host_path.is_some() {
        Some("hostPath")
    } else if volume.nfs.is_some() {
        Some("nfs")
    } else if volume.persistent_volume_claim.is_some() {
        Some("persistentVolumeClaim")
    } else {
        None
    }
}

/// `sizeLimit` is passed as written; kubeflow prints Go's canonical form of
/// the quantity (`1024Mi` becomes `1Gi`), which differs only for quantities
/// not written canonically.
fn volume_options(args: &mut Args, prefix: &str, volume: &Volume) {
    if let Some(empty_dir) = &volume.empty_dir {
        args.conf_opt(&format!("{prefix}.sizeLimit"), empty_dir.size_limit.as_ref().map(|q| q.0.clone()));
        args.conf_non_empty(&format!("{prefix}.medium"), empty_dir.medium.as_ref());
    } else if let Some(host_path) = &volume.host_path {
        args.conf(format!("{prefix}.path"), &host_path.path);
        args.conf_opt(&format!("{prefix}.type"), host_path.type_.as_ref());
    } else if let Some(nfs) = &volume.nfs {
        args.conf(format!("{prefix}.path"), &nfs.path);
        args.conf(format!("{prefix}.server"), &nfs.server);
        if nfs.read_only == Some(true) {
            args.conf(format!("{prefix}.readOnly"), "true");
        }
    } else if let Some(claim) = &volume.persistent_volume_claim {
        args.conf(format!("{prefix}.claimName"), &claim.claim_name);
        if claim.read_only == Some(true) {
            args.conf(format!("{prefix}.readOnly"), "true");
        }
    }
}
