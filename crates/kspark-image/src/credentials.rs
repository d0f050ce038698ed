//! Registry credentials: an ACR token (`--registry-token` or
//! KSPARK_REGISTRY_TOKEN, sent as ACR's refresh-token user
//! 00000000-0000-0000-0000-000000000000), else the Docker config's `auths`
//! entry for the registry (`$DOCKER_CONFIG/config.json` or
//! ~/.docker/config.json; base64 `user:pass`), else anonymous.
//! Secrets stay in `SecretString`s and are never shown.

use std::path::{Path, PathBuf};

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use thiserror::Error;

/// The user name ACR takes with a refresh token as password.
pub const ACR_TOKEN_USER: &str = "00000000-0000-0000-0000-000000000000";

#[derive(Debug, Error)]
pub enum CredentialError {
    #[error("cannot read the Docker config {0}: {1}")]
    Read(String, std::io::Error),
    #[error("the Docker config {0} is not valid JSON: {1}")]
    Parse(String, serde_json::Error),
    #[error(
        "the Docker config {file} has an `auth` for {registry} that is not base64 of user:password; run `docker login {registry}` again"
    )]
    BadAuth { file: String, registry: String },
}

/// How to authenticate to one registry.
#[derive(Clone)]
pub enum Credential {
    Anonymous,
    Basic { user: String, password: SecretString },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Anonymous => write!(f, "Anonymous"),
            Credential::Basic { user, .. } => write!(f, "Basic({user}, <redacted>)"),
        }
    }
}

impl Credential {
    pub fn to_registry_auth(&self) -> oci_client::secrets::RegistryAuth {
        match self {
            Credential::Anonymous => oci_client::secrets::RegistryAuth::Anonymous,
            Credential::Basic { user, password } => {
                oci_client::secrets::RegistryAuth::Basic(user.clone(), password.expose_secret().to_string())
            }
        }
    }
}

#[derive(Deserialize, Default)]
struct DockerConfig {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, DockerAuth>,
}

#[derive(Deserialize, Default)]
struct DockerAuth {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

/// The Docker config kspark reads: `$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker/config.json"))
}

/// The credential for `registry` (host[:port], as in an image reference).
pub fn lookup(
    registry: &str,
    token: Option<&SecretString>,
    docker_config: Option<&Path>,
) -> Result<Credential, CredentialError> {
    if let Some(token) = token {
        return Ok(Credential::Basic { user: ACR_TOKEN_USER.to_string(), password: token.clone() });
    }
    let Some(file) = docker_config.filter(|f| f.exists()) else {
        return Ok(Credential::Anonymous);
    };
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| CredentialError::Read(shown.clone(), e))?;
    let config: DockerConfig = serde_json::from_str(&text).map_err(|e| CredentialError::Parse(shown.clone(), e))?;
    let Some(entry) = config.auths.iter().find(|(key, _)| names_registry(key, registry)).map(|(_, v)| v) else {
        return Ok(Credential::Anonymous);
    };
    from_entry(entry).ok_or_else(|| CredentialError::BadAuth { file: shown, registry: registry.to_string() })
}

fn from_entry(entry: &DockerAuth) -> Option<Credential> {
    if let Some(auth) = &entry.auth {
        let decoded = base64::engine::general_purpose::STANDARD.decode(auth.trim()).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, password) = decoded.split_once(':')?;
        return Some(Credential::Basic { user: user.to_string(), password: password.to_string().into() });
    }
    // `az acr login` without Docker writes an identity token (an ACR refresh token).
    if let Some(token) = &entry.identitytoken {
        return Some(Credential::Basic { user: ACR_TOKEN_USER.to_string(), password: token.clone().into() });
    }
    match (&entry.username, &entry.password) {
        (Some(user), Some(password)) => {
            Some(Credential::Basic { user: user.clone(), password: password.clone().into() })
        }
        _ => None,
    }
}

/// Docker keys `auths` by host, by URL (`https://host/`), and Docker Hub as
/// `https://index.docker.io/v1/`.
fn names_registry(key: &str, registry: &str) -> bool {
    let host = key.trim_start_matches("https://").trim_start_matches("http://");
    let host = host.split('/').next().unwrap_or(host);
    let hub = |h: &str| matches!(h, "docker.io" | "index.docker.io" | "registry-1.docker.io");
    host == registry || (hub(host) && hub(registry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), json).expect("write");
        file
    }

    fn password(c: &Credential) -> (String, String) {
        match c {
            Credential::Basic { user, password } => (user.clone(), password.expose_secret().to_string()),
            Credential::Anonymous => ("".into(), "".into()),
        }
    }

    #[test]
    fn docker_config_auths_are_found_by_host_or_url() {
        // base64("alice:s3cret") and base64("bob:hub")
        let file = config(
            r#"{"auths":{"myacr.azurecr.io":{"auth":"YWxpY2U6czNjcmV0"},"https://index.docker.io/v1/":{"auth":"Ym9iOmh1Yg=="}}}"#,
        );
        let acr = lookup("myacr.azurecr.io", None, Some(file.path())).expect("lookup");
        assert_eq!(password(&acr), ("alice".into(), "s3cret".into()));
        let hub = lookup("docker.io", None, Some(file.path())).expect("lookup");
        assert_eq!(password(&hub), ("bob".into(), "hub".into()));
        assert!(matches!(lookup("other.io", None, Some(file.path())).expect("lookup"), Credential::Anonymous));
    }

    #[test]
    fn a_token_wins_and_uses_acrs_refresh_token_user() {
        let file = config(r#"{"auths":{"myacr.azurecr.io":{"auth":"YWxpY2U6czNjcmV0"}}}"#);
        let token = SecretString::from("tok");
        let c = lookup("myacr.azurecr.io", Some(&token), Some(file.path())).expect("lookup");
        assert_eq!(password(&c), (ACR_TOKEN_USER.into(), "tok".into()));
    }

    #[test]
    fn a_bad_entry_is_named_without_its_secret_and_debug_redacts() {
        let file = config(r#"{"auths":{"myacr.azurecr.io":{"auth":"!!notbase64-s3cret"}}}"#);
        let err = lookup("myacr.azurecr.io", None, Some(file.path())).expect_err("bad").to_string();
        assert!(err.contains("myacr.azurecr.io") && !err.contains("s3cret"), "{err}");
        let shown = format!("{:?}", Credential::Basic { user: "u".into(), password: "s3cret".to_string().into() });
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
