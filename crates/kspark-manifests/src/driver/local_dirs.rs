//! Spark's `LocalDirsFeatureStep`: scratch space for shuffle and spills.

use k8s_openapi::api::core::v1::{EmptyDirVolumeSource, Volume};

use super::DriverState;
use crate::error::ManifestError;

const VOLUME_PREFIX: &str = "spark-local-dir-";

pub(super) fn apply(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let from_template: Vec<String> = st
        .container
        .volume_mounts
        .iter()
        .flatten()
        .filter(|m| m.name.starts_with(VOLUME_PREFIX))
        .map(|m| m.mount_path.clone())
        .collect();
    let dirs = if from_template.is_empty() {
        let dirs = configured_dirs(st);
        let tmpfs = st.ctx.submission.conf.bool("spark.kubernetes.local.dirs.tmpfs")?.unwrap_or(false);
        for (i, dir) in dirs.iter().enumerate() {
            let name = format!("{VOLUME_PREFIX}{}", i + 1);
            st.add_volume(Volume {
                name: name.clone(),
                empty_dir: Some(EmptyDirVolumeSource { medium: tmpfs.then(|| "Memory".to_string()), size_limit: None }),
                ..Default::default()
            });
            st.add_mount(&name, dir);
        }
        dirs
    } else {
        from_template
    };
    st.add_env("SPARK_LOCAL_DIRS", &dirs.join(","));
    Ok(())
}

/// The submitter's `SPARK_LOCAL_DIRS`, else `spark.local.dir`, else a fresh
/// `/var/data/spark-<uuid>`.
fn configured_dirs(st: &DriverState<'_, '_>) -> Vec<String> {
    let text = st
        .ctx
        .inputs
        .local_dirs_env
        .clone()
        .or_else(|| st.ctx.submission.conf.get("spark.local.dir").map(str::to_string))
        .unwrap_or_else(|| format!("/var/data/spark-{}", st.ctx.ids.local_dir_uuid));
    text.split(',').map(str::to_string).collect()
}
