//! ConfigMaps mounted into the Spark container: `spec.hadoopConfigMap`,
//! `spec.sparkConfigMap` (with `HADOOP_CONF_DIR` / `SPARK_CONF_DIR`) and the
//! role's `configMaps` (kubeflow's `addHadoopConfigMap`,
//! `addSparkConfigMap`, `addGeneralConfigMaps`).

use k8s_openapi::api::core::v1::{ConfigMapVolumeSource, PodSpec, Volume, VolumeMount};
use ring::digest::{SHA256, digest};

use super::env::add_env;
use super::role::RoleSpec;
use super::volumes::{add_mount, add_volume};
use crate::submit::MappingError;

const SPARK_CONFIG_MAP_VOLUME: &str = "spark-configmap-volume";
const SPARK_CONF_DIR: &str = "/etc/spark/conf";
const HADOOP_CONFIG_MAP_VOLUME: &str = "hadoop-configmap-volume";
const HADOOP_CONF_DIR: &str = "/etc/hadoop/conf";
/// Volume names are DNS labels.
const MAX_VOLUME_NAME: usize = 63;
const VOLUME_SUFFIX: &str = "-vol";

pub(crate) fn add_hadoop_config_map(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    let Some(name) = &role.app.spec.hadoop_config_map else { return Ok(()) };
    mount_config_map(spec, role, name, HADOOP_CONFIG_MAP_VOLUME, HADOOP_CONF_DIR)?;
    add_env(spec, role, "HADOOP_CONF_DIR", HADOOP_CONF_DIR)
}

pub(crate) fn add_spark_config_map(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    let Some(name) = &role.app.spec.spark_config_map else { return Ok(()) };
    mount_config_map(spec, role, name, SPARK_CONFIG_MAP_VOLUME, SPARK_CONF_DIR)?;
    add_env(spec, role, "SPARK_CONF_DIR", SPARK_CONF_DIR)
}

pub(crate) fn add_general_config_maps(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    for config_map in &role.pod.config_maps {
        let volume = config_map_volume_name(&config_map.name);
        mount_config_map(spec, role, &config_map.name, &volume, &config_map.path)?;
    }
    Ok(())
}

/// A ConfigMap volume and its read-only mount in the Spark container.
pub(crate) fn mount_config_map(
    spec: &mut PodSpec,
    role: &RoleSpec,
    config_map: &str,
    volume: &str,
    path: &str,
) -> Result<(), MappingError> {
    add_volume(
        spec,
        Volume {
            name: volume.to_string(),
            config_map: Some(ConfigMapVolumeSource { name: config_map.to_string(), ..Default::default() }),
            ..Default::default()
        },
    );
    let mount = VolumeMount {
        name: volume.to_string(),
        read_only: Some(true),
        mount_path: path.to_string(),
        ..Default::default()
    };
    add_mount(spec, role, mount)
}

/// `<configmap>-vol`, or, when that is too long for a volume name or has
/// dots (ConfigMap names are DNS subdomains), the name with dots as dashes,
/// cut to fit, plus the first 8 hex digits of its SHA-256 so that different
/// names stay different (kubeflow's `getConfigMapVolumeName`).
pub(crate) fn config_map_volume_name(config_map: &str) -> String {
    let preferred = format!("{config_map}{VOLUME_SUFFIX}");
    if preferred.len() <= MAX_VOLUME_NAME && !preferred.contains('.') {
        return preferred;
    }
    let hash: String =
        digest(&SHA256, config_map.as_bytes()).as_ref()[..4].iter().map(|b| format!("{b:02x}")).collect();
    let suffix = format!("-{hash}{VOLUME_SUFFIX}");
    let sanitized = config_map.replace('.', "-");
    let keep = MAX_VOLUME_NAME - suffix.len();
    // ConfigMap names are ASCII; a non-ASCII one is cut at a character
    // boundary instead of mid-character like Go's byte slice.
    let cut = (0..=keep.min(sanitized.len())).rev().find(|i| sanitized.is_char_boundary(*i)).unwrap_or(0);
    let prefix = sanitized[..cut].trim_end_matches('-');
    format!("{prefix}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::config_map_volume_name;

    #[test]
    fn short_names_keep_their_form() {
        assert_eq!(config_map_volume_name("app-conf"), "app-conf-vol");
    }

    #[test]
    fn long_and_dotted_names_are_hashed_and_fit() {
        let dotted = config_map_volume_name("app.conf");
        assert!(dotted.starts_with("app-conf-") && dotted.ends_with("-vol") && dotted.len() == 21, "{dotted}");
        let long = config_map_volume_name(&"a".repeat(70));
        assert_eq!(long.len(), 63, "{long}");
        assert_ne!(config_map_volume_name(&"a".repeat(71)), long);
    }
}
