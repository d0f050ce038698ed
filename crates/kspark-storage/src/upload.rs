//! Uploading the local files of one submission, all or nothing: when one
//! upload fails the others are deleted again, and a submission that fails
//! after the uploads can delete them with [`Uploaded::delete`].

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{StorageError, credential_hint, redact};
use crate::stores::{self, EnvVars, HadoopConf, Opened};

/// Parts of this size go up in parallel for large files (block blobs,
/// S3/GCS multipart uploads); smaller files are one request.
const PART_SIZE: usize = 8 * 1024 * 1024;
const PARALLEL_FILES: usize = 4;
const PARALLEL_PARTS: usize = 4;

/// One file to put below the upload path.
#[derive(Debug, Clone)]
pub struct FileUpload {
    pub source: PathBuf,
    /// `spark-upload-UUID/NAME`, below the upload path.
    pub object: String,
    /// The URI the driver gets (for messages).
    pub target: String,
}

/// The upload path, opened with its credentials.
pub struct UploadTarget {
    uri: String,
    opened: Opened,
}

/// What was uploaded, to delete when the submission fails.
#[must_use = "delete the uploads if the submission fails"]
pub struct Uploaded {
    store: Arc<dyn ObjectStore>,
    objects: Vec<(Path, String, String)>,
    local_root: Option<PathBuf>,
    pub bytes: u64,
}

impl UploadTarget {
    /// Opens the store of `uri` with the credentials in `env` and `hadoop`;
    /// contacts nothing yet.
    pub fn open(uri: &str, hadoop: &HadoopConf, env: &EnvVars) -> Result<UploadTarget, StorageError> {
        install_crypto_provider();
        Ok(UploadTarget { uri: uri.to_string(), opened: stores::open(uri, hadoop, env)? })
    }

    /// The bytes of `object` (`spark-upload-UUID/NAME`) below the upload path.
    pub async fn get(&self, object: &str) -> Result<Vec<u8>, StorageError> {
        let path = self.opened.object_path(object);
        let failed = |e: object_store::Error| StorageError::Read {
            file: object.into(),
            source: std::io::Error::other(redact(&e.to_string())),
        };
        let result = self.opened.store.get(&path).await.map_err(failed)?;
        result.bytes().await.map(|b| b.to_vec()).map_err(failed)
    }

    /// The objects below the upload path, relative to it.
    pub async fn list(&self) -> Result<Vec<String>, StorageError> {
        let base = self.opened.object_path("");
        let prefix = (!self.opened.base.is_empty()).then_some(&base);
        let metas: Vec<_> = self.opened.store.list(prefix).collect().await;
        let mut names = Vec::new();
        for meta in metas {
            let meta = meta.map_err(|e| StorageError::Read {
                file: self.uri.clone().into(),
                source: std::io::Error::other(redact(&e.to_string())),
            })?;
            let full = meta.location.to_string();
            let relative = full.strip_prefix(&base.to_string()).unwrap_or(&full).trim_start_matches('/').to_string();
            names.push(relative);
        }
        names.sort();
        Ok(names)
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Uploads every file; on the first failure deletes what went up and
    /// returns that failure.
    pub async fn upload_all(&self, files: &[FileUpload]) -> Result<Uploaded, StorageError> {
        let results: Vec<Result<(Path, FileUpload, u64), StorageError>> = futures::stream::iter(files)
            .map(|file| self.upload_one(file))
            .buffer_unordered(PARALLEL_FILES)
            .collect()
            .await;
        let mut uploaded = self.empty();
        let mut failure = None;
        for result in results {
            match result {
                Ok((path, file, bytes)) => {
                    uploaded.objects.push((path, file.target, file.object));
                    uploaded.bytes += bytes;
                }
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        match failure {
            None => Ok(uploaded),
            Some(e) => {
                if let Err(cleanup) = uploaded.delete().await {
                    tracing::warn!("{cleanup}");
                    eprintln!("kspark: warning: {cleanup}");
                }
                Err(e)
            }
        }
    }

    fn empty(&self) -> Uploaded {
        Uploaded {
            store: Arc::clone(&self.opened.store),
            objects: Vec::new(),
            local_root: self.opened.local_root.clone(),
            bytes: 0,
        }
    }

    async fn upload_one(&self, file: &FileUpload) -> Result<(Path, FileUpload, u64), StorageError> {
        let path = self.opened.object_path(&file.object);
        let failed = |e: &dyn std::fmt::Display| StorageError::Upload {
            file: file.source.clone(),
            target: file.target.clone(),
            message: redact(&e.to_string()),
            hint: credential_hint(self.opened.family),
        };
        let mut source = tokio::fs::File::open(&file.source)
            .await
            .map_err(|source| StorageError::Read { file: file.source.clone(), source })?;
        let mut writer = BufWriter::with_capacity(Arc::clone(&self.opened.store), path.clone(), PART_SIZE)
            .with_max_concurrency(PARALLEL_PARTS);
        let bytes = match send_chunks(&mut source, &mut writer).await {
            Ok(bytes) => bytes,
            Err(e) => {
                // Aborting frees the parts already sent; nothing was committed.
                let _ = writer.abort().await;
                return Err(failed(&e));
            }
        };
        // Completes the object (or the multipart upload); a failure here
        // leaves at most uncommitted parts, which the stores expire.
        writer.shutdown().await.map_err(|e| failed(&e))?;
        Ok((path, file.clone(), bytes))
    }
}

/// Reads the file in part-sized chunks and hands each to the writer
/// without copying (a byte-stream copy would go 8 KiB at a time).
async fn send_chunks(source: &mut tokio::fs::File, writer: &mut BufWriter) -> Result<u64, Box<dyn std::error::Error>> {
    let mut total = 0u64;
    loop {
        let mut chunk = Vec::with_capacity(PART_SIZE);
        while chunk.len() < PART_SIZE {
            if (&mut *source).take((PART_SIZE - chunk.len()) as u64).read_to_end(&mut chunk).await? == 0 {
                break;
            }
        }
        if chunk.is_empty() {
            return Ok(total);
        }
        total += chunk.len() as u64;
        writer.put(Bytes::from(chunk)).await?;
    }
}

/// object_store's HTTP client takes TLS from the process-wide rustls
/// provider: ring, the one kube's client uses too. Installing it twice is
/// harmless (the first one stays).
pub(crate) fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Uploaded {
    pub fn count(&self) -> usize {
        self.objects.len()
    }

    /// The URIs of what was uploaded, as the driver gets them.
    pub fn targets(&self) -> impl Iterator<Item = &str> {
        self.objects.iter().map(|(_, t, _)| t.as_str())
    }

    /// Deletes every uploaded object (and, on a file system, the emptied
    /// `spark-upload-UUID` directory); reports the first that could not go.
    pub async fn delete(self) -> Result<(), StorageError> {
        let mut first_error = None;
        for (path, target, object) in &self.objects {
            if let Err(e) = self.store.delete(path).await
                && !matches!(e, object_store::Error::NotFound { .. })
            {
                first_error = first_error
                    .or(Some(StorageError::Delete { target: target.clone(), message: redact(&e.to_string()) }));
                continue;
            }
            if let Some(dir) = self.local_root.as_ref().and_then(|root| root.join(object).parent().map(PathBuf::from)) {
                // Only an empty directory goes; the upload root stays.
                let _ = std::fs::remove_dir(dir);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
