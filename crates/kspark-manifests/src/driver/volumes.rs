//! Spark's `MountVolumesFeatureStep`: `spark.kubernetes.driver.volumes.*`
//! (hostPath, emptyDir, persistentVolumeClaim, nfs), and the PVCs Spark
//! creates itself when both a storage class and a size are given.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, HostPathVolumeSource, NFSVolumeSource, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{DriverState, volume_order};
use crate::error::ManifestError;
use crate::labels::SPARK_APP_SELECTOR;
use crate::objects::Applied;

const PREFIX: &str = "spark.kubernetes.driver.volumes.";
const TYPES: [&str; 4] = ["hostPath", "emptyDir", "persistentVolumeClaim", "nfs"];

/// One configured volume's settings, keyed by what follows its name.
pub(super) struct VolumeConf {
    pub kind: String,
    pub name: String,
    /// Position in Spark's order (numbers OnDemand claims).
    pub index: usize,
    pub keys: BTreeMap<String, String>,
}

impl VolumeConf {
    /// The settings under `prefix` (e.g. `label.`), prefix stripped.
    pub(super) fn prefixed(&self, prefix: &str) -> Vec<(String, String)> {
        self.keys.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|l| (l.to_string(), v.clone()))).collect()
    }

    fn key(&self, rest: &str) -> String {
        format!("{PREFIX}{}.{}.{rest}", self.kind, self.name)
    }

    pub(super) fn get(&self, rest: &str) -> Option<&str> {
        self.keys.get(rest).map(String::as_str)
    }

    fn required(&self, rest: &str) -> Result<&str, ManifestError> {
        self.get(rest).ok_or_else(|| ManifestError::invalid(self.key(rest), "is required for this volume"))
    }
}

pub(super) fn apply(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let volumes = parse(st)?;
    let mut paths = BTreeSet::new();
    for vol in &volumes {
        let mut mount = mount(vol)?;
        if !st.features.sub_path_expr {
            mount.sub_path_expr = None;
        }
        if !paths.insert(mount.mount_path.clone()) {
            return Err(ManifestError::invalid(
                vol.key("mount.path"),
                format!("duplicated mountPath {}", mount.mount_path),
            ));
        }
        let volume = volume(st, vol)?;
        st.add_mount_full(mount);
        st.add_volume(volume);
    }
    Ok(())
}

/// The configured volumes, in Spark's order.
fn parse(st: &DriverState<'_, '_>) -> Result<Vec<VolumeConf>, ManifestError> {
    let mut grouped: Vec<VolumeConf> = Vec::new();
    for (rest, value) in st.spark_prefixed(PREFIX) {
        let mut parts = rest.splitn(3, '.');
        let (Some(kind), Some(name), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ManifestError::invalid(
                format!("{PREFIX}{rest}"),
                "expected spark.kubernetes.driver.volumes.TYPE.NAME.KEY",
            ));
        };
        if !TYPES.contains(&kind) {
            return Err(ManifestError::invalid(
                format!("{PREFIX}{rest}"),
                format!("volume type `{kind}` is not supported (use hostPath, emptyDir, persistentVolumeClaim or nfs)"),
            ));
        }
        match grouped.iter_mut().find(|v| v.kind == kind && v.name == name) {
            Some(v) => {
                v.keys.insert(key.into(), value);
            }
            None => grouped.push(VolumeConf {
                kind: kind.into(),
                name: name.into(),
                index: 0,
                keys: BTreeMap::from([(key.to_string(), value)]),
            }),
        }
    }
    let mut ordered = volume_order::spark_order(grouped, st.features);
    for (index, vol) in ordered.iter_mut().enumerate() {
        vol.index = index;
    }
    Ok(ordered)
}

fn mount(vol: &VolumeConf) -> Result<VolumeMount, ManifestError> {
    let read_only = match vol.get("mount.readOnly") {
        None => false,
        Some(v) => v
            .trim()
            .parse::<bool>()
            .map_err(|_| ManifestError::invalid(vol.key("mount.readOnly"), "expected true or false"))?,
    };
    let sub_path = vol.get("mount.subPath").unwrap_or_default();
    let sub_path_expr = vol.get("mount.subPathExpr").unwrap_or_default();
    if !sub_path.is_empty() && !sub_path_expr.is_empty() {
        return Err(ManifestError::invalid(vol.key("mount.subPathExpr"), "cannot be combined with mount.subPath"));
    }
    Ok(VolumeMount {
        name: vol.name.clone(),
        mount_path: vol.required("mount.path")?.to_string(),
        read_only: Some(read_only),
        sub_path: Some(sub_path.to_string()),
        sub_path_expr: Some(sub_path_expr.to_string()),
        ..Default::default()
    })
}

fn volume(st: &mut DriverState<'_, '_>, vol: &VolumeConf) -> Result<Volume, ManifestError> {
    let mut volume = Volume { name: vol.name.clone(), ..Default::default() };
    match vol.kind.as_str() {
        "hostPath" => {
            volume.host_path = Some(HostPathVolumeSource {
                path: vol.required("options.path")?.to_string(),
                type_: Some(
                    if st.features.host_path_type { vol.get("options.type").unwrap_or_default() } else { "" }
                        .to_string(),
                ),
            });
        }
        "emptyDir" => {
            volume.empty_dir = Some(EmptyDirVolumeSource {
                medium: Some(vol.get("options.medium").unwrap_or_default().to_string()),
                size_limit: vol.get("options.sizeLimit").map(|s| checked_size(vol, s)).transpose()?,
            });
        }
        "nfs" => {
            volume.nfs = Some(NFSVolumeSource {
                path: vol.required("options.path")?.to_string(),
                server: vol.required("options.server")?.to_string(),
                read_only: None,
            });
        }
        _ => volume.persistent_volume_claim = Some(claim(st, vol)?),
    }
    Ok(volume)
}

fn claim(st: &mut DriverState<'_, '_>, vol: &VolumeConf) -> Result<PersistentVolumeClaimVolumeSource, ManifestError> {
    let requested = vol.required("options.claimName")?;
    let claim_name = if requested.contains("OnDemand") {
        format!("{}-driver-pvc-{}", st.prefix, vol.index)
    } else {
        requested.to_string()
    };
    if let (Some(class), Some(size)) = (vol.get("options.storageClass"), vol.get("options.sizeLimit")) {
        let size = checked_size(vol, size)?;
        let pvc = pvc(st, vol, &claim_name, class, size);
        st.applied.push(Applied::PersistentVolumeClaim(pvc));
    }
    let read_only = vol.get("mount.readOnly").map(|v| v.trim() == "true").unwrap_or(false);
    Ok(PersistentVolumeClaimVolumeSource { claim_name, read_only: Some(read_only) })
}

fn pvc(st: &DriverState<'_, '_>, vol: &VolumeConf, name: &str, class: &str, size: Quantity) -> PersistentVolumeClaim {
    let prefixed = |prefix: &str| -> BTreeMap<String, String> {
        if !st.features.pvc_4x {
            return BTreeMap::new();
        }
        vol.prefixed(prefix).into_iter().collect()
    };
    let mut labels = prefixed("label.");
    labels.insert(SPARK_APP_SELECTOR.into(), st.ctx.ids.app_id.clone());
    let annotations = prefixed("annotation.");
    let legacy = st.ctx.submission.conf.get("spark.kubernetes.legacy.useReadWriteOnceAccessMode") == Some("true");
    let access_mode = if legacy || !st.features.pvc_4x { "ReadWriteOnce" } else { "ReadWriteOncePod" };
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..Default::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            storage_class_name: Some(class.to_string()),
            access_modes: Some(vec![access_mode.to_string()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_string(), size)])),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A bare number below 1024 is almost certainly a forgotten unit.
fn checked_size(vol: &VolumeConf, size: &str) -> Result<Quantity, ManifestError> {
    if size.chars().all(|c| c.is_ascii_digit()) && size.parse::<u64>().is_ok_and(|n| n < 1024) {
        return Err(ManifestError::invalid(
            vol.key("options.sizeLimit"),
            format!("{size} is smaller than 1KiB: missing units?"),
        ));
    }
    Ok(Quantity(size.to_string()))
}
