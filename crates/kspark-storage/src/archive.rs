//! A directory of archived logs in object storage: the same stores and
//! credentials as uploads ([`crate::stores`]), written from streams so that
//! a large log never sits in memory, read back whole by `kspark logs`.

use std::sync::Arc;

use bytes::Bytes;
use futures::{AsyncRead, AsyncReadExt, StreamExt};
use object_store::ObjectStoreExt;
use object_store::buffered::BufWriter;
use tokio::io::AsyncWriteExt;

use crate::error::{StorageError, credential_hint, redact};
use crate::stores::{self, EnvVars, HadoopConf, Opened};

/// Logs go up in parts of this size (block blobs, multipart uploads).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Reads from the log stream are this large at most.
const READ_SIZE: usize = 64 * 1024;

/// One archive directory, e.g. `abfss://logs@acct.dfs.core.windows.net/spark/NS/APP/SUBMISSION`.
pub struct Archive {
    uri: String,
    opened: Opened,
}

impl Archive {
    /// Opens the store of `uri` with the credentials in `env` and `hadoop`
    /// (as [`crate::UploadTarget::open`]); contacts nothing yet.
    pub fn open(uri: &str, hadoop: &HadoopConf, env: &EnvVars) -> Result<Archive, StorageError> {
        crate::upload::install_crypto_provider();
        let uri = uri.trim_end_matches('/').to_string();
        let opened = stores::open(&uri, hadoop, env)?;
        Ok(Archive { uri, opened })
    }

    /// This directory's URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The URI of `name` in this directory.
    pub fn uri_of(&self, name: &str) -> String {
        format!("{}/{}", self.uri, name.trim_start_matches('/'))
    }

    /// A subdirectory (`NS/APP/SUBMISSION`), same store and credentials.
    pub fn child(&self, relative: &str) -> Archive {
        let mut base = self.opened.base.clone();
        base.extend(relative.split('/').filter(|p| !p.is_empty()).map(str::to_string));
        Archive {
            uri: self.uri_of(relative).trim_end_matches('/').to_string(),
            opened: Opened { base, ..self.opened.clone() },
        }
    }

    /// Writes everything `reader` yields to `name`; returns the bytes written.
    /// Nothing is committed when reading or writing fails.
    pub async fn put_stream(&self, name: &str, mut reader: impl AsyncRead + Unpin) -> Result<u64, StorageError> {
        let target = self.uri_of(name);
        let failed = |e: &dyn std::fmt::Display| StorageError::Archive {
            target: target.clone(),
            message: redact(&e.to_string()),
            hint: credential_hint(self.opened.family),
        };
        let path = self.opened.object_path(name);
        let mut writer = BufWriter::with_capacity(Arc::clone(&self.opened.store), path, PART_SIZE);
        let mut total = 0u64;
        let mut buf = vec![0u8; READ_SIZE];
        loop {
            let read = match reader.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(failed(&format!("reading the log: {e}")));
                }
            };
            total += read as u64;
            if let Err(e) = writer.put(Bytes::copy_from_slice(&buf[..read])).await {
                let _ = writer.abort().await;
                return Err(failed(&e));
            }
        }
        writer.shutdown().await.map_err(|e| failed(&e))?;
        Ok(total)
    }

    /// The bytes of `name`.
    pub async fn get(&self, name: &str) -> Result<Vec<u8>, StorageError> {
        let target = self.uri_of(name);
        let failed = |e: object_store::Error| match e {
            object_store::Error::NotFound { .. } => StorageError::NotArchived { target: target.clone() },
            other => StorageError::ReadArchive {
                target: target.clone(),
                message: redact(&other.to_string()),
                hint: credential_hint(self.opened.family),
            },
        };
        let result = self.opened.store.get(&self.opened.object_path(name)).await.map_err(failed)?;
        result.bytes().await.map(|b| b.to_vec()).map_err(failed)
    }

    /// The names below this directory (relative to it), oldest first.
    pub async fn list(&self) -> Result<Vec<String>, StorageError> {
        let base = self.opened.object_path("");
        let prefix = (!self.opened.base.is_empty()).then_some(&base);
        let metas: Vec<_> = self.opened.store.list(prefix).collect().await;
        let mut found = Vec::new();
        for meta in metas {
            let meta = match meta {
                Ok(meta) => meta,
                // A directory that does not exist (yet) holds nothing.
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => {
                    return Err(StorageError::ReadArchive {
                        target: self.uri.clone(),
                        message: redact(&e.to_string()),
                        hint: credential_hint(self.opened.family),
                    });
                }
            };
            let full = meta.location.to_string();
            let relative = full.strip_prefix(&base.to_string()).unwrap_or(&full).trim_start_matches('/').to_string();
            found.push((meta.last_modified, relative));
        }
        found.sort();
        Ok(found.into_iter().map(|(_, name)| name).collect())
    }
}
