//! The order of the user's volumes. `KubernetesVolumeUtils.parseVolumesWithPrefix`
//! collects the distinct (type, name) pairs of the settings map's keys
//! into a Scala `Set`, then maps that to a `Set` of `KubernetesVolumeSpec`.
//! Up to four volumes keep the order in which the map's keys name them;
//! beyond four, both sets are hash tries, ordered by the tuples' and then
//! the specs' case-class hash codes.

use super::volumes::VolumeConf;
use crate::features::LineFeatures;
use crate::jvm_order::Scala;
use crate::jvm_order::hashing::{map_hash_2_13, option_hash, product_hash, string_hash, tuple2_hash};
use crate::jvm_order::immutable_hash::to_set_order;

/// `volumes` in order of first appearance in Spark's settings map.
pub(super) fn spark_order(volumes: Vec<VolumeConf>, features: LineFeatures) -> Vec<VolumeConf> {
    let scala = features.scala;
    let pairs = to_set_order(volumes, |v| tuple2_hash(&v.kind, &v.name, scala), scala);
    to_set_order(pairs, |v| spec_hash(v, features), scala)
}

/// `KubernetesVolumeSpec.hashCode` (its fields differ between 3.5 and 4.x).
fn spec_hash(vol: &VolumeConf, features: LineFeatures) -> i32 {
    let text = |key: &str| string_hash(vol.get(key).unwrap_or_default());
    let read_only = vol.get("mount.readOnly").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut fields = vec![string_hash(&vol.name), text("mount.path"), text("mount.subPath")];
    if features.sub_path_expr {
        fields.push(text("mount.subPathExpr"));
    }
    fields.push(if read_only { 1231 } else { 1237 });
    fields.push(volume_conf_hash(vol, features));
    product_hash("KubernetesVolumeSpec", &fields, features.scala)
}

/// The hash of the type-specific case class (`KubernetesHostPathVolumeConf`, …).
fn volume_conf_hash(vol: &VolumeConf, features: LineFeatures) -> i32 {
    let scala = features.scala;
    let text = |key: &str| string_hash(vol.get(key).unwrap_or_default());
    let option = |key: &str| option_hash(vol.get(key).map(string_hash), scala);
    let (class, fields) = match vol.kind.as_str() {
        "hostPath" if features.host_path_type => {
            ("KubernetesHostPathVolumeConf", vec![text("options.path"), text("options.type")])
        }
        "hostPath" => ("KubernetesHostPathVolumeConf", vec![text("options.path")]),
        "emptyDir" => ("KubernetesEmptyDirVolumeConf", vec![option("options.medium"), option("options.sizeLimit")]),
        "nfs" => ("KubernetesNFSVolumeConf", vec![text("options.path"), text("options.server")]),
        _ => {
            let mut fields =
                vec![text("options.claimName"), option("options.storageClass"), option("options.sizeLimit")];
            if features.pvc_4x && scala == Scala::V2_13 {
                // `Option(labels)`, `Option(annotations)`: always `Some`, maybe empty.
                fields.push(option_hash(Some(map_hash_2_13(&vol.prefixed("label."))), scala));
                fields.push(option_hash(Some(map_hash_2_13(&vol.prefixed("annotation."))), scala));
            }
            ("KubernetesPVCVolumeConf", fields)
        }
    };
    product_hash(class, &fields, scala)
}
