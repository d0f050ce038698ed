//! Storage errors: each names the file and the object, and ends with a hint.
//! Texts from the object store are scrubbed of SAS signatures.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("upload path `{uri}`: {why}")]
    BadLocation { uri: String, why: String },
    #[error("cannot use upload path `{uri}`: {message}; hint: {hint}")]
    Open { uri: String, message: String, hint: String },
    #[error("cannot read {}: {source}; hint: check that the file exists and is readable", file.display())]
    Read { file: PathBuf, source: std::io::Error },
    #[error("uploading {} to {target} failed: {message}; hint: {hint}", file.display())]
    Upload { file: PathBuf, target: String, message: String, hint: String },
    #[error("cannot delete uploaded {target}: {message}; hint: delete it by hand")]
    Delete { target: String, message: String },
    #[error("archiving to {target} failed: {message}; hint: {hint}")]
    Archive { target: String, message: String, hint: String },
    #[error("cannot read the archived {target}: {message}; hint: {hint}")]
    ReadArchive { target: String, message: String, hint: String },
    #[error("{target} is not in the archive; hint: list what was archived with `kspark logs --archive PREFIX NS:NAME`")]
    NotArchived { target: String },
}

/// Object-store error text without secrets: SAS signatures (`sig=…`) can
/// appear in the URLs of failed requests.
pub(crate) fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("sig=") {
        out.push_str(&rest[..at + 4]);
        out.push_str("REDACTED");
        let tail = &rest[at + 4..];
        let end = tail.find(|c: char| c == '&' || c == '"' || c == '\'' || c.is_whitespace()).unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// What to check when the store refuses: the credentials kspark looked for.
pub(crate) fn credential_hint(scheme_family: &str) -> String {
    match scheme_family {
        "azure" => "check that the account is reachable, the credentials (AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_SAS_TOKEN, a service principal (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID), workload identity (AZURE_FEDERATED_TOKEN_FILE), `az login`, or spark.hadoop.fs.azure.account.key.HOST) and that the container exists".into(),
        "s3" => "check that S3 is reachable, the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE (~/.aws/credentials), web identity, or spark.hadoop.fs.s3a.access.key/secret.key) and that the bucket exists".into(),
        "gcs" => "check that GCS is reachable, the credentials (GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default login`) and that the bucket exists".into(),
        _ => "check that the directory is writable".into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sas_signatures_are_redacted() {
        let text = "PUT https://a.blob.core.windows.net/c/x?sv=2022&sig=abc%2Bdef&se=1 failed; sig=zzz";
        let red = super::redact(text);
        assert!(!red.contains("abc") && !red.contains("zzz") && red.contains("sig=REDACTED&se=1"), "{red}");
    }
}
