//! Downloads the table's jars from Maven Central, each checked against its
//! pinned SHA-256 before anything uses it.

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::azure_jars::{MAVEN_CENTRAL, PinnedJar};

#[derive(Debug, Error)]
pub enum DownloadError {
    #[error("cannot download {url}: {source}")]
    Http { url: String, source: reqwest::Error },
    #[error(
        "{url} has SHA-256 {actual}, but kspark pins {expected}; the download was damaged or the artifact changed — try again, and report it if it persists"
    )]
    Checksum { url: String, expected: String, actual: String },
}

/// A downloaded jar, its content checked.
pub struct DownloadedJar {
    pub jar: PinnedJar,
    pub content: Vec<u8>,
}

pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Downloads every jar from `repository` (Maven Central unless a test
/// serves its own) and checks each against its pin.
pub async fn download_all(jars: &[PinnedJar], repository: Option<&str>) -> Result<Vec<DownloadedJar>, DownloadError> {
    crate::install_crypto_provider();
    let client = reqwest::Client::new();
    let repository = repository.unwrap_or(MAVEN_CENTRAL);
    let mut out = Vec::with_capacity(jars.len());
    for jar in jars {
        let url = jar.url(repository);
        let http = |source| DownloadError::Http { url: url.clone(), source };
        let response = client.get(&url).send().await.and_then(|r| r.error_for_status()).map_err(http)?;
        let content = response.bytes().await.map_err(http)?.to_vec();
        let actual = sha256_hex(&content);
        if actual != jar.sha256 {
            return Err(DownloadError::Checksum { url, expected: jar.sha256.clone(), actual });
        }
        out.push(DownloadedJar { jar: jar.clone(), content });
    }
    Ok(out)
}
