//! What Spark's `Client.run` adds last: the driver conf ConfigMap holding
//! `spark.properties` (tokens redacted) and the submitter's conf-dir files,
//! mounted at /opt/spark/conf.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, ConfigMapVolumeSource, KeyToPath, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::DriverState;
use crate::error::ManifestError;
use crate::names;
use crate::objects::{Applied, DriverObjects};
use crate::properties_file;

const VOLUME: &str = "spark-conf-volume-driver";
const CONF_DIR: &str = "/opt/spark/conf";
const PROPERTIES: &str = "spark.properties";
const MAX_SIZE_KEY: &str = "spark.kubernetes.configMap.maxSize";
const MAX_SIZE_DEFAULT: i64 = 1_048_576;

pub(super) fn finish(mut st: DriverState<'_, '_>) -> Result<DriverObjects, ManifestError> {
    let name = names::driver_conf_map_name(&st.ctx.ids.conf_map_id);
    let conf_files = shipped_conf_files(&st)?;
    let properties = properties_file::render(&st, &name);
    st.add_env("SPARK_CONF_DIR", CONF_DIR);
    st.add_mount(VOLUME, CONF_DIR);
    let container = std::mem::take(&mut st.container);
    st.spec().containers.push(container);
    // `KubernetesClientUtils.buildKeyToPathObjects` sorts the items by key.
    let mut keys: Vec<String> = std::iter::once(PROPERTIES.to_string()).chain(conf_files.keys().cloned()).collect();
    keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    let items = keys.into_iter().map(|key| KeyToPath { path: key.clone(), key, mode: Some(0o644) }).collect();
    st.add_volume(Volume {
        name: VOLUME.into(),
        config_map: Some(ConfigMapVolumeSource { name: name.clone(), items: Some(items), ..Default::default() }),
        ..Default::default()
    });
    let mut data = conf_files;
    data.insert(PROPERTIES.into(), properties);
    data.insert("spark.kubernetes.namespace".into(), st.namespace.clone());
    st.applied.push(Applied::ConfigMap(ConfigMap {
        metadata: ObjectMeta { name: Some(name), namespace: Some(st.namespace.clone()), ..Default::default() },
        immutable: Some(true),
        data: Some(data),
        ..Default::default()
    }));
    let mut pod = st.pod;
    pod.metadata.namespace = None;
    Ok(DriverObjects { namespace: st.namespace, pod, applied: st.applied })
}

/// Smallest first, while the running total of name and content lengths
/// stays below `spark.kubernetes.configMap.maxSize`.
fn shipped_conf_files(st: &DriverState<'_, '_>) -> Result<BTreeMap<String, String>, ManifestError> {
    let conf = &st.ctx.submission.conf;
    let max = conf.int(MAX_SIZE_KEY)?.unwrap_or(MAX_SIZE_DEFAULT);
    if !(0..=MAX_SIZE_DEFAULT).contains(&max) {
        return Err(conf.error(MAX_SIZE_KEY, "must be between 0 and 1048576").into());
    }
    let mut files: Vec<(&String, &String)> = st.ctx.inputs.conf_dir_files.iter().collect();
    files.sort_by_key(|(n, c)| (n.len() + c.len(), n.to_string()));
    let mut total = 0i64;
    let mut shipped = BTreeMap::new();
    for (name, content) in files {
        let size = (name.len() + content.len()) as i64;
        if total + size >= max {
            break;
        }
        total += size;
        shipped.insert(name.clone(), content.clone());
    }
    Ok(shipped)
}
