//! Spark's `MountSecretsFeatureStep` and `EnvSecretsFeatureStep`: user
//! Secrets as files and as environment variables.

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, SecretKeySelector, SecretVolumeSource, Volume};

use super::DriverState;
use crate::error::ManifestError;
use crate::features::Fabric8Model;
use crate::jvm_order::hashing::string_hash;
use crate::jvm_order::immutable_hash::to_set_order;

pub(super) fn apply_mounts(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let secrets = st.spark_prefixed("spark.kubernetes.driver.secrets.");
    // Spark maps the secret names to fabric8 `Volume`s through a Scala Set:
    // beyond four, the volumes follow their hash codes while the mounts keep
    // the map's order.
    let names: Vec<String> = secrets.iter().map(|(name, _)| name.clone()).collect();
    let generation = st.features.fabric8_model;
    let scala = st.features.scala;
    for secret in to_set_order(names, |name| secret_volume_hash(name, generation), scala) {
        st.add_volume(Volume {
            name: volume_name(&secret),
            secret: Some(SecretVolumeSource { secret_name: Some(secret), ..Default::default() }),
            ..Default::default()
        });
    }
    for (secret, path) in secrets {
        st.add_mount(&volume_name(&secret), &path);
    }
    Ok(())
}

fn volume_name(secret: &str) -> String {
    format!("{secret}-volume")
}

/// fabric8's Lombok `hashCode` of `Volume{name, secret: {secretName}}`: a
/// linear mix (factor 59 per field) over every field, all others null. The
/// name sits 12 fields from the end, the secret name 4; the constant
/// covers the null fields and differs between model generations (measured
/// with kubernetes-model-core 6.7.2 and 7.1.0 to 7.6.1).
fn secret_volume_hash(secret: &str, generation: Fabric8Model) -> i32 {
    let constant: u32 = match generation {
        Fabric8Model::V6 => 1_595_617_019,
        Fabric8Model::V7 => 699_682_650,
    };
    let name_factor = 59u32.wrapping_pow(12);
    let secret_factor = 59u32.wrapping_pow(4);
    constant
        .wrapping_add(name_factor.wrapping_mul(string_hash(&volume_name(secret)) as u32))
        .wrapping_add(secret_factor.wrapping_mul(string_hash(secret) as u32)) as i32
}

pub(super) fn apply_env(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let prefix = "spark.kubernetes.driver.secretKeyRef.";
    for (env, reference) in st.spark_prefixed(prefix) {
        let parts: Vec<&str> = reference.split(':').collect();
        let [name, key] = parts[..] else {
            return Err(st.ctx.submission.conf.error(&format!("{prefix}{env}"), "must be SECRET:KEY").into());
        };
        st.add_env_var(EnvVar {
            name: env,
            value: None,
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: name.to_string(),
                    key: key.to_string(),
                    optional: None,
                }),
                ..Default::default()
            }),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // `new VolumeBuilder().withName(s + "-volume").withNewSecret()
    // .withSecretName(s).endSecret().build().hashCode()` on each line's jars.
    #[test]
    fn fabric8_secret_volume_hash_codes() {
        assert_eq!(secret_volume_hash("", Fabric8Model::V6), -1_759_559_758);
        assert_eq!(secret_volume_hash("db-creds", Fabric8Model::V6), 855_682_482);
        assert_eq!(secret_volume_hash("tls", Fabric8Model::V6), 471_844_530);
        assert_eq!(secret_volume_hash("", Fabric8Model::V7), 1_639_473_169);
        assert_eq!(secret_volume_hash("db-creds", Fabric8Model::V7), -40_251_887);
        assert_eq!(secret_volume_hash("tls", Fabric8Model::V7), -424_089_839);
    }
}
