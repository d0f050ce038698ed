//! Spark's `PodTemplateConfigMapStep`: the executor pod template travels to
//! the driver in a ConfigMap, and the setting is rewritten to its mount.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, ConfigMapVolumeSource, KeyToPath, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::DriverState;
use crate::error::ManifestError;
use crate::objects::{Applied, POD_TEMPLATE_KEY as KEY};

const VOLUME: &str = "pod-template-volume";
const MOUNT_DIR: &str = "/opt/spark/pod-template";
const FILE: &str = "pod-spec-template.yml";

pub(super) fn apply(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let Some(text) = st.ctx.inputs.executor_template_text.clone() else {
        return Ok(());
    };
    let name = format!("{}-driver-podspec-conf-map", st.prefix);
    st.add_volume(Volume {
        name: VOLUME.into(),
        config_map: Some(ConfigMapVolumeSource {
            name: name.clone(),
            items: Some(vec![KeyToPath { key: KEY.into(), path: FILE.into(), mode: None }]),
            ..Default::default()
        }),
        ..Default::default()
    });
    st.add_mount(VOLUME, MOUNT_DIR);
    st.set_prop("spark.kubernetes.executor.podTemplateFile", format!("{MOUNT_DIR}/{FILE}"));
    st.applied.push(Applied::ConfigMap(ConfigMap {
        metadata: ObjectMeta { name: Some(name), ..Default::default() },
        immutable: Some(true),
        data: Some(BTreeMap::from([(KEY.to_string(), text)])),
        ..Default::default()
    }));
    Ok(())
}
