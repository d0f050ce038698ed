//! One object store per upload path, with credentials found the way each
//! cloud's own tools find them, plus the Hadoop settings Spark users already
//! pass (`spark.hadoop.fs.azure.account.key.HOST`, `spark.hadoop.fs.s3a.*`).

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;

use crate::error::{StorageError, credential_hint, redact};
use crate::location::Location;

/// Hadoop settings (`spark.hadoop.` stripped), e.g. `fs.s3a.endpoint`.
pub type HadoopConf = BTreeMap<String, String>;

/// The submitter's environment variables (Azure credentials are read from
/// here rather than from the process, so that tests can pass their own).
pub type EnvVars = BTreeMap<String, String>;

/// Azurite's default Blob address and its development account key (public).
const EMULATOR_URL: &str = "http://127.0.0.1:10000";
const EMULATOR_KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// An opened store and the prefix below which uploads go.
#[derive(Clone)]
pub(crate) struct Opened {
    pub store: Arc<dyn ObjectStore>,
    pub base: Vec<String>,
    pub family: &'static str,
    /// For `file:` the directory, so that emptied upload directories can go.
    pub local_root: Option<PathBuf>,
}

impl Opened {
    pub fn object_path(&self, relative: &str) -> Path {
        let parts = self.base.iter().map(String::as_str).chain(relative.split('/')).filter(|p| !p.is_empty());
        Path::from_iter(parts)
    }
}

pub(crate) fn open(uri: &str, hadoop: &HadoopConf, env: &EnvVars) -> Result<Opened, StorageError> {
    let location = Location::parse(uri)?;
    let failed = |family: &'static str, e: object_store::Error| StorageError::Open {
        uri: uri.to_string(),
        message: redact(&e.to_string()),
        hint: credential_hint(family),
    };
    Ok(match location {
        Location::Local { root } => {
            let base: Vec<String> =
                root.components().skip(1).map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            Opened { store: Arc::new(LocalFileSystem::new()), base, family: "file", local_root: Some(root) }
        }
        Location::Azure { account, container, host, prefix } => {
            let store = azure(&account, &container, &host, hadoop, env).build().map_err(|e| failed("azure", e))?;
            Opened { store: Arc::new(store), base: prefix, family: "azure", local_root: None }
        }
        Location::S3 { bucket, prefix } => {
            let store = s3(&bucket, hadoop).build().map_err(|e| failed("s3", e))?;
            Opened { store: Arc::new(store), base: prefix, family: "s3", local_root: None }
        }
        Location::Gcs { bucket, prefix } => {
            let store =
                GoogleCloudStorageBuilder::from_env().with_bucket_name(bucket).build().map_err(|e| failed("gcs", e))?;
            Opened { store: Arc::new(store), base: prefix, family: "gcs", local_root: None }
        }
    })
}

/// `AZURE_*` variables (account key, SAS, service principal, workload
/// identity; `AZURE_STORAGE_USE_EMULATOR` with `AZURITE_BLOB_STORAGE_URL`
/// for Azurite), then the Hadoop account key or SAS of this host, then the
/// Azure CLI's login (`az login`) when nothing else is configured.
fn azure(account: &str, container: &str, host: &str, hadoop: &HadoopConf, env: &EnvVars) -> MicrosoftAzureBuilder {
    let mut builder = MicrosoftAzureBuilder::new().with_account(account).with_container_name(container);
    let mut emulator = false;
    for (name, value) in env.iter().filter(|(k, _)| k.starts_with("AZURE_")) {
        match name.to_ascii_lowercase().parse::<AzureConfigKey>() {
            Ok(AzureConfigKey::UseEmulator) => emulator = value.eq_ignore_ascii_case("true") || value == "1",
            Ok(key) => builder = builder.with_config(key, value),
            Err(_) => {}
        }
    }
    if emulator {
        // Azurite serves every account path-style below one address.
        let url = env.get("AZURITE_BLOB_STORAGE_URL").map_or(EMULATOR_URL, String::as_str);
        builder = builder.with_endpoint(format!("{}/{account}", url.trim_end_matches('/'))).with_allow_http(true);
    } else if !host.ends_with(".dfs.core.windows.net")
        && !host.ends_with(".blob.core.windows.net")
        && builder.get_config_value(&AzureConfigKey::Endpoint).is_none()
    {
        builder = builder.with_endpoint(Location::azure_blob_endpoint(host));
    }
    let blob_host = Location::azure_blob_endpoint(host).trim_start_matches("https://").to_string();
    let hadoop_value = |what: &str| {
        [host, blob_host.as_str()].iter().find_map(|h| hadoop.get(&format!("fs.azure.{what}.{h}")).cloned())
    };
    if let Some(key) = hadoop_value("account.key") {
        builder = builder.with_access_key(key);
    } else if let Some(sas) = hadoop_value("sas.fixed.token") {
        builder = builder.with_config(AzureConfigKey::SasKey, sas);
    }
    let has_credential = [
        AzureConfigKey::AccessKey,
        AzureConfigKey::SasKey,
        AzureConfigKey::Token,
        AzureConfigKey::ClientSecret,
        AzureConfigKey::FederatedTokenFile,
        AzureConfigKey::MsiEndpoint,
    ]
    .iter()
    .any(|k| builder.get_config_value(k).is_some());
    if emulator && !has_credential {
        builder = builder.with_access_key(EMULATOR_KEY);
    } else if !has_credential && !env.contains_key("IDENTITY_ENDPOINT") && on_path("az", env) {
        builder = builder.with_use_azure_cli(true);
    }
    builder
}

/// `AWS_*` variables (keys, region, web identity, container credentials),
/// the `~/.aws` profile when no keys are in the environment, then
/// `fs.s3a.*` Hadoop settings.
fn s3(bucket: &str, hadoop: &HadoopConf) -> AmazonS3Builder {
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none()
        && let Some(profile) = aws_profile::load()
    {
        builder = profile.apply(builder);
    }
    let get = |k: &str| hadoop.get(&format!("fs.s3a.{k}")).filter(|v| !v.trim().is_empty());
    if let (Some(key), Some(secret)) = (get("access.key"), get("secret.key")) {
        builder = builder.with_access_key_id(key).with_secret_access_key(secret);
        if let Some(token) = get("session.token") {
            builder = builder.with_token(token);
        }
    }
    if let Some(endpoint) = get("endpoint") {
        let endpoint = if endpoint.contains("://") { endpoint.clone() } else { format!("https://{endpoint}") };
        builder = builder.with_allow_http(endpoint.starts_with("http://")).with_endpoint(endpoint);
    }
    if let Some(region) = get("endpoint.region") {
        builder = builder.with_region(region);
    }
    if get("path.style.access").is_some_and(|v| v == "true") {
        builder = builder.with_virtual_hosted_style_request(false);
    }
    builder
}

fn on_path(program: &str, env: &EnvVars) -> bool {
    env.get("PATH")
        .map(|paths| std::env::split_paths(paths).any(|dir| FsPath::new(&dir).join(program).is_file()))
        .unwrap_or(false)
}

/// The shared credentials and config files of the AWS CLI.
mod aws_profile {
    use std::path::PathBuf;

    use object_store::aws::AmazonS3Builder;

    pub struct Profile {
        key: String,
        secret: String,
        token: Option<String>,
        region: Option<String>,
    }

    impl Profile {
        pub fn apply(self, builder: AmazonS3Builder) -> AmazonS3Builder {
            let mut builder = builder.with_access_key_id(self.key).with_secret_access_key(self.secret);
            if let Some(token) = self.token {
                builder = builder.with_token(token);
            }
            if let (Some(region), None) = (self.region, std::env::var_os("AWS_REGION")) {
                builder = builder.with_region(region);
            }
            builder
        }
    }

    pub fn load() -> Option<Profile> {
        let home = std::env::var_os("HOME").map(PathBuf::from)?;
        let name = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into());
        let file = |var: &str, default: &str| std::env::var_os(var).map(PathBuf::from).unwrap_or(home.join(default));
        let credentials = std::fs::read_to_string(file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")).ok()?;
        let config = std::fs::read_to_string(file("AWS_CONFIG_FILE", ".aws/config")).unwrap_or_default();
        let creds = section(&credentials, &name);
        let config_section = if name == "default" { name.clone() } else { format!("profile {name}") };
        let conf = section(&config, &config_section);
        let get = |lines: &[(String, String)], k: &str| lines.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        Some(Profile {
            key: get(&creds, "aws_access_key_id")?,
            secret: get(&creds, "aws_secret_access_key")?,
            token: get(&creds, "aws_session_token"),
            region: get(&conf, "region"),
        })
    }

    /// `key = value` lines of `[name]` in an INI file.
    fn section(text: &str, name: &str) -> Vec<(String, String)> {
        let mut inside = false;
        let mut out = Vec::new();
        for line in text.lines().map(str::trim) {
            if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                inside = header.trim() == name;
            } else if inside && let Some((k, v)) = line.split_once('=') {
                out.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn sections_of_an_ini_file() {
            let text = "[default]\naws_access_key_id = A\n[profile x]\nregion=eu-west-1\n";
            assert_eq!(super::section(text, "default"), vec![("aws_access_key_id".to_string(), "A".to_string())]);
            assert_eq!(super::section(text, "profile x"), vec![("region".to_string(), "eu-west-1".to_string())]);
        }
    }
}
