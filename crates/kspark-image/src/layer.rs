//! The one layer `image build` adds: the jars in /opt/spark/jars and the
//! application in /opt/app, as a gzip'ed tar. Entries are sorted, owned by
//! root and stamped with time 0, so the same inputs give the same digest.
//! Folders the base image already has (/opt, /opt/spark/jars) get no entry,
//! so their owner and mode stay the base's.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use thiserror::Error;

use crate::app_files::{self, AppFile, AppFileError};
use crate::maven::{DownloadedJar, sha256_hex};
use crate::{APP_DIR, SPARK_JARS_DIR};

#[derive(Debug, Error)]
pub enum LayerError {
    #[error(transparent)]
    App(#[from] AppFileError),
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("cannot write the layer: {0}")]
    Write(std::io::Error),
}

/// A compressed layer and the digests the manifest and config need.
pub struct Layer {
    pub compressed: Vec<u8>,
    /// `sha256:…` of the compressed bytes (the blob).
    pub digest: String,
    /// `sha256:…` of the uncompressed tar (the config's rootfs.diff_ids).
    pub diff_id: String,
}

pub fn build(jars: &[DownloadedJar], apps: &[AppFile]) -> Result<Layer, LayerError> {
    let mut tar = tar::Builder::new(Vec::new());
    for jar in jars {
        let path = format!("{SPARK_JARS_DIR}/{}", jar.jar.file_name());
        append_file(&mut tar, &path, &jar.content, 0o644)?;
    }
    if !apps.is_empty() {
        append_dir(&mut tar, APP_DIR)?;
    }
    for app in apps {
        for (source, image_path) in app_files::walk(app)? {
            if let Some(dir) = image_path.strip_suffix('/') {
                append_dir(&mut tar, dir)?;
                continue;
            }
            let shown = source.display().to_string();
            let content = std::fs::read(&source).map_err(|e| LayerError::Read(shown.clone(), e))?;
            let mode = file_mode(&source).map_err(|e| LayerError::Read(shown, e))?;
            append_file(&mut tar, &image_path, &content, mode)?;
        }
    }
    let uncompressed = tar.into_inner().map_err(LayerError::Write)?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&uncompressed).map_err(LayerError::Write)?;
    let compressed = gz.finish().map_err(LayerError::Write)?;
    Ok(Layer {
        digest: format!("sha256:{}", sha256_hex(&compressed)),
        diff_id: format!("sha256:{}", sha256_hex(&uncompressed)),
        compressed,
    })
}

/// Executables stay executable for everyone; everything else is 0644.
fn file_mode(path: &std::path::Path) -> std::io::Result<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        Ok(if mode & 0o111 != 0 { 0o755 } else { 0o644 })
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).map(|_| 0o644)
    }
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header
}

fn append_file(tar: &mut tar::Builder<Vec<u8>>, path: &str, content: &[u8], mode: u32) -> Result<(), LayerError> {
    let mut header = header(tar::EntryType::Regular, content.len() as u64, mode);
    tar.append_data(&mut header, path.trim_start_matches('/'), content).map_err(LayerError::Write)
}

fn append_dir(tar: &mut tar::Builder<Vec<u8>>, path: &str) -> Result<(), LayerError> {
    let mut header = header(tar::EntryType::Directory, 0, 0o755);
    let path = format!("{}/", path.trim_start_matches('/').trim_end_matches('/'));
    tar.append_data(&mut header, path, std::io::empty()).map_err(LayerError::Write)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure_jars::line_for;
    use kspark_config::SparkVersion;
    use std::io::Read;

    #[test]
    fn jars_and_app_files_land_where_spark_finds_them_reproducibly() {
        let context = tempfile::tempdir().expect("temp dir");
        std::fs::write(context.path().join("job.py"), "print(1)\n").expect("write");
        let apps = app_files::resolve(context.path(), &["job.py".into()]).expect("app");
        let jar = line_for(SparkVersion::new(4, 0, 5)).expect("line").jars[0].clone();
        let jars = [DownloadedJar { jar, content: b"not really a jar".to_vec() }];
        let layer = build(&jars, &apps).expect("layer");
        assert_eq!(build(&jars, &apps).expect("layer").digest, layer.digest, "same inputs, same digest");
        let mut tar_bytes = Vec::new();
        flate2::read::GzDecoder::new(&layer.compressed[..]).read_to_end(&mut tar_bytes).expect("gunzip");
        assert_eq!(layer.diff_id, format!("sha256:{}", sha256_hex(&tar_bytes)));
        let mut archive = tar::Archive::new(&tar_bytes[..]);
        let paths: Vec<String> = archive
            .entries()
            .expect("entries")
            .map(|e| e.expect("entry").path().expect("path").display().to_string())
            .collect();
        assert_eq!(paths, ["opt/spark/jars/hadoop-azure-3.4.1.jar", "opt/app/", "opt/app/job.py"]);
    }
}
