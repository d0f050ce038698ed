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
        let content = get_with_retries(&client, &url).await?;
        let actual = sha256_hex(&content);
        if actual != jar.sha256 {
            return Err(DownloadError::Checksum { url, expected: jar.sha256.clone(), actual });
        }
        out.push(DownloadedJar { jar: jar.clone(), content });
    }
    Ok(out)
}

/// A passing network fault gets two more tries; an HTTP error status
/// (404: a wrong table) does not.
async fn get_with_retries(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, DownloadError> {
    const TRIES: u32 = 3;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = match client.get(url).send().await.and_then(|r| r.error_for_status()) {
            Ok(response) => response.bytes().await.map(|b| b.to_vec()),
            Err(e) => Err(e),
        };
        match result {
            Ok(content) => return Ok(content),
            Err(source) if source.status().is_some() || attempt >= TRIES => {
                return Err(DownloadError::Http { url: url.to_string(), source });
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_secs(1 << attempt)).await,
        }
    }
}
