//! Spark's `HadoopConfDriverFeatureStep`: the submitter's `HADOOP_CONF_DIR`
//! travels in a ConfigMap, or an existing one is mounted.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, ConfigMapVolumeSource, KeyToPath, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::DriverState;
use crate::error::ManifestError;
use crate::objects::Applied;

const VOLUME: &str = "hadoop-properties";
const MOUNT: &str = "/opt/hadoop/conf";
const EXISTING_KEY: &str = "spark.kubernetes.hadoop.configMapName";

pub(super) fn apply(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let existing = st.ctx.submission.conf.get(EXISTING_KEY).map(str::to_string);
    let files = st.ctx.inputs.hadoop_conf_files.clone();
    match (existing, files) {
        (Some(_), Some(_)) => Err(st
            .ctx
            .submission
            .conf
            .error(EXISTING_KEY, "cannot be combined with HADOOP_CONF_DIR in the environment; unset one")
            .into()),
        (Some(name), None) => {
            mount(st, &name, None);
            Ok(())
        }
        (None, Some(files)) => {
            let name = format!("{}-hadoop-config", st.prefix);
            let items = files.keys().cloned().collect();
            mount(st, &name, Some(items));
            st.set_prop("spark.kubernetes.executor.hadoopConfigMapName", name.clone());
            st.applied.push(config_map(name, files));
            Ok(())
        }
        (None, None) => Ok(()),
    }
}

fn mount(st: &mut DriverState<'_, '_>, name: &str, items: Option<Vec<String>>) {
    st.add_volume(Volume {
        name: VOLUME.into(),
        config_map: Some(ConfigMapVolumeSource {
            name: name.into(),
            items: items
                .map(|files| files.into_iter().map(|f| KeyToPath { key: f.clone(), path: f, mode: None }).collect()),
            ..Default::default()
        }),
        ..Default::default()
    });
    st.add_mount(VOLUME, MOUNT);
    st.add_env("HADOOP_CONF_DIR", MOUNT);
}

fn config_map(name: String, files: BTreeMap<String, String>) -> Applied {
    Applied::ConfigMap(ConfigMap {
        metadata: ObjectMeta { name: Some(name), ..Default::default() },
        immutable: Some(true),
        data: Some(files),
        ..Default::default()
    })
}
