//! `image build --push`: the image made without a Docker daemon. The base
//! image's layers go registry to registry (a cross-repository mount when
//! both are in one registry, else a copy of each blob the target lacks);
//! one new layer (jars + app), a new config (the base's, with the layer's
//! diff_id and a history entry: env, entrypoint and user unchanged) and a
//! new manifest are pushed.

use futures::TryStreamExt;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_INDEX_MEDIA_TYPE, OCI_IMAGE_MEDIA_TYPE,
};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use serde_json::{Value, json};
use thiserror::Error;

use crate::credentials::Credential;
use crate::layer::Layer;
use crate::maven::sha256_hex;

const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

#[derive(Debug, Error)]
pub enum BuildError {
    #[error("`{0}` is not an image reference: {1}")]
    Reference(String, String),
    #[error("`{0}` is not a platform: write os/arch[/variant], e.g. linux/amd64")]
    Platform(String),
    #[error("{what} {image}: {source}")]
    Registry { what: &'static str, image: String, source: oci_client::errors::OciDistributionError },
    #[error("{image} has no {platform} image; it has {available}")]
    NoPlatform { image: String, platform: String, available: String },
    #[error("{image}: unexpected manifest: {reason}")]
    Manifest { image: String, reason: String },
}

/// os/architecture[/variant].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn parse(text: &str) -> Result<Platform, BuildError> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => {
                Ok(Platform { os: os.to_string(), architecture: arch.to_string(), variant: None })
            }
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Platform { os: os.to_string(), architecture: arch.to_string(), variant: Some(variant.to_string()) })
            }
            _ => Err(BuildError::Platform(text.to_string())),
        }
    }

    fn matches(&self, platform: &Value) -> bool {
        let field = |name: &str| platform.get(name).and_then(Value::as_str);
        field("os") == Some(self.os.as_str())
            && field("architecture") == Some(self.architecture.as_str())
            && (self.variant.is_none() || field("variant") == self.variant.as_deref())
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Everything a push needs.
pub struct PushRequest<'a> {
    pub base: &'a str,
    pub target: &'a str,
    pub platform: Platform,
    pub base_credential: Credential,
    pub target_credential: Credential,
    /// Registries (host:port) spoken to over plain HTTP (a local registry).
    pub plain_http: Vec<String>,
    pub layer: &'a Layer,
    /// The history entry's created_by.
    pub created_by: String,
}

/// What was pushed.
#[derive(Debug)]
pub struct Pushed {
    /// The target reference with the manifest digest.
    pub image: String,
    pub manifest_digest: String,
    pub base_layers: usize,
    pub mounted: usize,
    pub copied: usize,
    pub already_there: usize,
}

pub fn parse_reference(text: &str) -> Result<Reference, BuildError> {
    text.parse::<Reference>().map_err(|e| BuildError::Reference(text.to_string(), e.to_string()))
}

pub async fn push(request: PushRequest<'_>) -> Result<Pushed, BuildError> {
    crate::install_crypto_provider();
    let base = parse_reference(request.base)?;
    let target = parse_reference(request.target)?;
    let client = Client::new(ClientConfig {
        protocol: ClientProtocol::HttpsExcept(request.plain_http.clone()),
        platform_resolver: None,
        // One PUT per blob: every registry takes it (go-containerregistry's
        // registry answers chunked PATCHes without the Location oci-client wants).
        use_monolithic_push: true,
        ..Default::default()
    });
    let target_auth = request.target_credential.to_registry_auth();
    // oci-client keeps one credential per registry: in one registry, the
    // target's (which may pull too) serves both.
    let base_auth = if base.resolve_registry() == target.resolve_registry() {
        target_auth.clone()
    } else {
        request.base_credential.to_registry_auth()
    };
    let registry_error = |what, image: &Reference| {
        let image = image.whole();
        move |source| BuildError::Registry { what, image, source }
    };
    client
        .auth(&base, &base_auth, RegistryOperation::Pull)
        .await
        .map_err(registry_error("cannot log in to pull", &base))?;
    client
        .auth(&target, &target_auth, RegistryOperation::Push)
        .await
        .map_err(registry_error("cannot log in to push", &target))?;

    let (manifest_ref, mut manifest) = platform_manifest(&client, &base, &base_auth, &request.platform).await?;
    let manifest_type = manifest.get("mediaType").and_then(Value::as_str).unwrap_or(OCI_IMAGE_MEDIA_TYPE).to_string();
    let config_digest = descriptor_digest(&manifest["config"], &manifest_ref)?;
    let layers = manifest.get("layers").and_then(Value::as_array).cloned().unwrap_or_default();

    let mut pushed = Pushed {
        image: String::new(),
        manifest_digest: String::new(),
        base_layers: layers.len(),
        mounted: 0,
        copied: 0,
        already_there: 0,
    };
    for layer in &layers {
        let digest = descriptor_digest(layer, &manifest_ref)?;
        let size = layer.get("size").and_then(Value::as_u64).ok_or_else(|| BuildError::Manifest {
            image: manifest_ref.whole(),
            reason: format!("layer {digest} has no size"),
        })?;
        match transfer_blob(&client, &manifest_ref, &target, &digest, size).await? {
            Transfer::AlreadyThere => pushed.already_there += 1,
            Transfer::Mounted => pushed.mounted += 1,
            Transfer::Copied => pushed.copied += 1,
        }
    }

    let mut base_config = Vec::new();
    client
        .pull_blob(&manifest_ref, config_digest.as_str(), &mut base_config)
        .await
        .map_err(registry_error("cannot pull the config of", &manifest_ref))?;
    let config = new_config(&base_config, request.layer, &request.created_by, &manifest_ref)?;
    let config_digest = format!("sha256:{}", sha256_hex(&config));

    client
        .push_blob(&target, request.layer.compressed.clone(), &request.layer.digest)
        .await
        .map_err(registry_error("cannot push the new layer to", &target))?;
    client
        .push_blob(&target, config.clone(), &config_digest)
        .await
        .map_err(registry_error("cannot push the config to", &target))?;

    let layer_type = if manifest_type == IMAGE_MANIFEST_MEDIA_TYPE { DOCKER_LAYER } else { OCI_LAYER };
    manifest["config"]["digest"] = json!(config_digest);
    manifest["config"]["size"] = json!(config.len());
    if let Some(layers) = manifest.get_mut("layers").and_then(Value::as_array_mut) {
        layers.push(
            json!({"mediaType": layer_type, "digest": request.layer.digest, "size": request.layer.compressed.len()}),
        );
    }
    let body = serde_json::to_vec(&manifest)
        .map_err(|e| BuildError::Manifest { image: target.whole(), reason: e.to_string() })?;
    let content_type = manifest_type.parse().map_err(|_| BuildError::Manifest {
        image: manifest_ref.whole(),
        reason: format!("media type `{manifest_type}` is not a header value"),
    })?;
    client
        .push_manifest_raw(&target, body.clone(), content_type)
        .await
        .map_err(registry_error("cannot push the manifest to", &target))?;
    pushed.manifest_digest = format!("sha256:{}", sha256_hex(&body));
    pushed.image = format!("{}@{}", target.whole(), pushed.manifest_digest);
    Ok(pushed)
}

/// The image manifest of `platform`: the base's own when it is one, the
/// index entry's when it is an index (multi-arch).
async fn platform_manifest(
    client: &Client,
    base: &Reference,
    auth: &RegistryAuth,
    platform: &Platform,
) -> Result<(Reference, Value), BuildError> {
    let accepted =
        [OCI_IMAGE_INDEX_MEDIA_TYPE, IMAGE_MANIFEST_LIST_MEDIA_TYPE, OCI_IMAGE_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE];
    let pull = |reference: Reference| async move {
        let (bytes, _) = client.pull_manifest_raw(&reference, auth, &accepted).await.map_err(|source| {
            BuildError::Registry { what: "cannot pull the manifest of", image: reference.whole(), source }
        })?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| BuildError::Manifest { image: reference.whole(), reason: e.to_string() })?;
        Ok::<_, BuildError>((reference, value))
    };
    let (reference, value) = pull(base.clone()).await?;
    let Some(entries) = value.get("manifests").and_then(Value::as_array) else {
        return Ok((reference, value));
    };
    let chosen = entries.iter().find(|m| m.get("platform").is_some_and(|p| platform.matches(p)));
    let Some(chosen) = chosen else {
        let available: Vec<String> = entries
            .iter()
            .filter_map(|m| m.get("platform"))
            .map(|p| {
                let field = |n: &str| p.get(n).and_then(Value::as_str).unwrap_or("?").to_string();
                match p.get("variant").and_then(Value::as_str) {
                    Some(v) => format!("{}/{}/{v}", field("os"), field("architecture")),
                    None => format!("{}/{}", field("os"), field("architecture")),
                }
            })
            .collect();
        return Err(BuildError::NoPlatform {
            image: base.whole(),
            platform: platform.to_string(),
            available: available.join(", "),
        });
    };
    let digest = descriptor_digest(chosen, base)?;
    pull(Reference::with_digest(base.registry().to_string(), base.repository().to_string(), digest)).await
}

fn descriptor_digest(descriptor: &Value, image: &Reference) -> Result<String, BuildError> {
    descriptor
        .get("digest")
        .and_then(Value::as_str)
        .filter(|d| d.starts_with("sha256:"))
        .map(str::to_string)
        .ok_or_else(|| BuildError::Manifest {
            image: image.whole(),
            reason: format!("a descriptor without a sha256 digest: {descriptor}"),
        })
}

enum Transfer {
    AlreadyThere,
    Mounted,
    Copied,
}

/// Gets one base blob into the target repository, cheapest way first.
async fn transfer_blob(
    client: &Client,
    from: &Reference,
    to: &Reference,
    digest: &str,
    size: u64,
) -> Result<Transfer, BuildError> {
    let registry_error = |what, image: &Reference| {
        let image = image.whole();
        move |source| BuildError::Registry { what, image, source }
    };
    if client.blob_exists(to, digest).await.map_err(registry_error("cannot look for a layer in", to))? {
        return Ok(Transfer::AlreadyThere);
    }
    if from.resolve_registry() == to.resolve_registry()
        && client.mount_blob(to, from, digest).await.is_ok()
        && client.blob_exists(to, digest).await.unwrap_or(false)
    {
        return Ok(Transfer::Mounted);
    }
    // Streamed through, never held whole: a Spark image's layers are
    // hundreds of MB. The target registry checks the digest on commit.
    let pulled = client.pull_blob_stream(from, digest).await.map_err(registry_error("cannot pull a layer of", from))?;
    let stream = pulled.stream.map_err(oci_client::errors::OciDistributionError::IoError);
    client
        .push_blob_stream(to, stream, digest, Some(size))
        .await
        .map_err(registry_error("cannot push a layer to", to))?;
    Ok(Transfer::Copied)
}

/// The base config with the new layer's diff_id and a history entry.
fn new_config(base: &[u8], layer: &Layer, created_by: &str, image: &Reference) -> Result<Vec<u8>, BuildError> {
    let bad = |reason: String| BuildError::Manifest { image: image.whole(), reason };
    let mut config: Value = serde_json::from_slice(base).map_err(|e| bad(format!("config: {e}")))?;
    let diff_ids = config
        .pointer_mut("/rootfs/diff_ids")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| bad("the config has no rootfs.diff_ids".into()))?;
    diff_ids.push(json!(layer.diff_id));
    let entry = json!({"created_by": created_by, "comment": "kspark image build"});
    match config.get_mut("history").and_then(Value::as_array_mut) {
        Some(history) => history.push(entry),
        None => config["history"] = json!([entry]),
    }
    serde_json::to_vec(&config).map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_parse_and_match_index_entries() {
        let p = Platform::parse("linux/arm64/v8").expect("platform");
        assert!(p.matches(&json!({"os": "linux", "architecture": "arm64", "variant": "v8"})));
        assert!(!p.matches(&json!({"os": "linux", "architecture": "amd64"})));
        let amd = Platform::parse("linux/amd64").expect("platform");
        assert!(amd.matches(&json!({"os": "linux", "architecture": "amd64"})));
        assert!(Platform::parse("linux").is_err() && Platform::parse("linux//").is_err());
    }
}
