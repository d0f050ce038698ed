//! Spark's `MountSecretsFeatureStep` and `EnvSecretsFeatureStep`: user
//! Secrets as files and as environment variables.

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, SecretKeySelector, SecretVolumeSource, Volume};

use super::DriverState;
use crate::error::ManifestError;

pub(super) fn apply_mounts(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    // Spark's order for up to four secrets. With more, Spark collects the
    // volumes into a Set of fabric8 `Volume`s, whose order follows the
    // client library's generated `hashCode`; that is not modelled.
    for (secret, path) in st.spark_prefixed("spark.kubernetes.driver.secrets.") {
        let volume = format!("{secret}-volume");
        st.add_volume(Volume {
            name: volume.clone(),
            secret: Some(SecretVolumeSource { secret_name: Some(secret), ..Default::default() }),
            ..Default::default()
        });
        st.add_mount(&volume, &path);
    }
    Ok(())
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
