//! Where an upload path points: a directory on a shared file system, or a
//! prefix in an Azure container, an S3 bucket or a GCS bucket — parsed from
//! the Hadoop-style URI Spark users write.

use std::path::PathBuf;

use crate::error::StorageError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `file:///shared/dir`
    Local { root: PathBuf },
    /// `abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/prefix` (also abfs,
    /// wasb, wasbs and the `blob.` host).
    Azure { account: String, container: String, host: String, prefix: Vec<String> },
    /// `s3a://BUCKET/prefix` (also `s3://`).
    S3 { bucket: String, prefix: Vec<String> },
    /// `gs://BUCKET/prefix`
    Gcs { bucket: String, prefix: Vec<String> },
}

impl Location {
    pub fn parse(uri: &str) -> Result<Location, StorageError> {
        let bad = |why: &str| StorageError::BadLocation { uri: uri.to_string(), why: why.to_string() };
        let (scheme, rest) = uri.split_once(':').ok_or_else(|| bad("it has no scheme"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme == "file" {
            let path = match rest.strip_prefix("//") {
                Some(authority_and_path) => &authority_and_path[authority_and_path.find('/').unwrap_or(0)..],
                None => rest,
            };
            if !path.starts_with('/') {
                return Err(bad("a file: upload path must be absolute, e.g. file:///shared/spark-uploads"));
            }
            return Ok(Location::Local { root: PathBuf::from(path) });
        }
        let rest = rest.strip_prefix("//").ok_or_else(|| bad("expected SCHEME://…"))?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect();
        if authority.is_empty() {
            return Err(bad("it names no bucket or container"));
        }
        match scheme.as_str() {
            "abfs" | "abfss" | "wasb" | "wasbs" => {
                let (container, host) = authority.split_once('@').ok_or_else(|| {
                    bad("Azure paths are CONTAINER@ACCOUNT.dfs.core.windows.net (or .blob.core.windows.net)")
                })?;
                let account = host.split('.').next().unwrap_or_default();
                if container.is_empty() || account.is_empty() || !host.contains('.') {
                    return Err(bad("Azure paths are CONTAINER@ACCOUNT.dfs.core.windows.net"));
                }
                Ok(Location::Azure {
                    account: account.to_string(),
                    container: container.to_string(),
                    host: host.to_string(),
                    prefix,
                })
            }
            "s3a" | "s3" => Ok(Location::S3 { bucket: authority.to_string(), prefix }),
            "gs" => Ok(Location::Gcs { bucket: authority.to_string(), prefix }),
            other => Err(bad(&format!("kspark cannot write to `{other}:`; use abfss, abfs, wasbs, s3a, gs or file"))),
        }
    }

    /// The Blob endpoint of an Azure host: ADLS Gen2's `dfs.` host serves
    /// the same data through the Blob API at `blob.`.
    pub fn azure_blob_endpoint(host: &str) -> String {
        match host.split_once('.') {
            Some((account, rest)) => {
                let suffix = rest.strip_prefix("dfs.").or_else(|| rest.strip_prefix("blob.")).unwrap_or(rest);
                format!("https://{account}.blob.{suffix}")
            }
            None => format!("https://{host}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_uris_of_every_scheme() {
        for scheme in ["abfss", "abfs", "wasbs", "wasb"] {
            let loc = Location::parse(&format!("{scheme}://data@acct.dfs.core.windows.net/spark//uploads/"));
            assert_eq!(
                loc.ok(),
                Some(Location::Azure {
                    account: "acct".into(),
                    container: "data".into(),
                    host: "acct.dfs.core.windows.net".into(),
                    prefix: vec!["spark".into(), "uploads".into()],
                })
            );
        }
        assert!(Location::parse("abfss://acct.dfs.core.windows.net/x").is_err());
        assert_eq!(
            Location::azure_blob_endpoint("acct.dfs.core.chinacloudapi.cn"),
            "https://acct.blob.core.chinacloudapi.cn"
        );
    }

    #[test]
    fn files_buckets_and_refusals() {
        assert_eq!(Location::parse("file:///tmp/up/").ok(), Some(Location::Local { root: "/tmp/up/".into() }));
        assert_eq!(Location::parse("file:/tmp/up").ok(), Some(Location::Local { root: "/tmp/up".into() }));
        assert!(Location::parse("file:tmp").is_err());
        assert_eq!(
            Location::parse("s3a://b/p").ok(),
            Some(Location::S3 { bucket: "b".into(), prefix: vec!["p".into()] })
        );
        assert_eq!(Location::parse("gs://b").ok(), Some(Location::Gcs { bucket: "b".into(), prefix: vec![] }));
        let err = Location::parse("hdfs://nn/x").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("hdfs"), "{err}");
    }
}
