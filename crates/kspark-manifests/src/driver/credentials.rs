//! Spark's `DriverKubernetesCredentialsFeatureStep`: credentials for the
//! driver's own API client travel in a Secret; without them the driver runs
//! as the configured service account.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::core::v1::{SecretVolumeSource, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::DriverState;
use crate::error::ManifestError;
use crate::objects::Applied;

const PREFIX: &str = "spark.kubernetes.authenticate.driver";
const MOUNT_DIR: &str = "/mnt/secrets/spark-kubernetes-credentials";
const VOLUME: &str = "kubernetes-credentials";

pub(super) fn apply(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let data = secret_data(st);
    if data.is_empty() {
        service_account(st);
        return Ok(());
    }
    let name = format!("{}-kubernetes-credentials", st.prefix);
    for (item, suffix) in [
        ("ca-cert", "caCertFile"),
        ("client-key", "clientKeyFile"),
        ("client-cert", "clientCertFile"),
        ("oauth-token", "oauthTokenFile"),
    ] {
        let key = format!("{PREFIX}.mounted.{suffix}");
        let explicit = st.ctx.submission.conf.get(&key).map(str::to_string);
        if let Some(path) = explicit.or_else(|| data.contains_key(item).then(|| format!("{MOUNT_DIR}/{item}"))) {
            st.set_prop(&key, path);
        }
    }
    st.add_volume(Volume {
        name: VOLUME.into(),
        secret: Some(SecretVolumeSource { secret_name: Some(name.clone()), ..Default::default() }),
        ..Default::default()
    });
    st.add_mount(VOLUME, MOUNT_DIR);
    st.credentials_mounted = true;
    st.applied.push(Applied::Secret(Secret {
        metadata: ObjectMeta { name: Some(name), ..Default::default() },
        immutable: Some(true),
        data: Some(data),
        ..Default::default()
    }));
    Ok(())
}

fn secret_data(st: &DriverState<'_, '_>) -> BTreeMap<String, ByteString> {
    let files = &st.ctx.inputs.driver_credentials;
    let token = st.ctx.submission.conf.get(&format!("{PREFIX}.oauthToken")).map(|t| t.as_bytes().to_vec());
    [
        ("oauth-token", token),
        ("ca-cert", files.ca_cert.clone()),
        ("client-key", files.client_key.clone()),
        ("client-cert", files.client_cert.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|bytes| (k.to_string(), ByteString(bytes))))
    .collect()
}

fn service_account(st: &mut DriverState<'_, '_>) {
    let Some(account) = st.ctx.submission.conf.get(&format!("{PREFIX}.serviceAccountName")) else {
        return;
    };
    let account = account.to_string();
    let spec = st.spec();
    spec.service_account = Some(account.clone());
    spec.service_account_name = Some(account);
}
