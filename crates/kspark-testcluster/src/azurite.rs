//! Azurite, Microsoft's Azure Storage emulator (Blob service only), for
//! tests of uploads to `abfss://` / `wasbs://` paths. Installed with npm
//! into `~/.cache/kspark/azurite` (pinned version) on first use, started on
//! a free 127.0.0.1 port with a fresh data directory, killed on drop.
//!
//! Clients reach it with the well-known development account
//! ([`ACCOUNT`], [`ACCOUNT_KEY`]) at [`Azurite::blob_url`], e.g. through
//! `AZURE_STORAGE_USE_EMULATOR=true` and `AZURITE_BLOB_STORAGE_URL`.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::process::{LOG_TAIL_LINES, ProcessGroup, ProcessSpec};

/// The npm package version the tests run against.
pub const AZURITE_VERSION: &str = "3.37.0";
/// Microsoft's Blob SDK, which creates containers for the tests (kspark
/// itself never creates containers, like Spark's uploader).
const STORAGE_BLOB_VERSION: &str = "12.34.0";
/// Azurite's (and the Azure SDKs') development storage account.
pub const ACCOUNT: &str = "devstoreaccount1";
/// The published key of [`ACCOUNT`]; not a secret.
pub const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A running Azurite Blob service.
pub struct Azurite {
    port: u16,
    install_dir: PathBuf,
    data: tempfile_dir::TempDir,
    processes: ProcessGroup,
}

impl Azurite {
    /// Installs (once) and starts Azurite; waits until it accepts connections.
    pub fn start() -> Result<Azurite> {
        let install_dir = install()?;
        let program = install_dir.join("node_modules/.bin/azurite-blob");
        let data = tempfile_dir::TempDir::new("kspark-azurite")?;
        let port = free_port()?;
        let processes = ProcessGroup::new()?;
        let log = data.path().join("azurite.log");
        let location = data.path().join("data");
        fsutil::create_dir_all(&location)?;
        processes.start(ProcessSpec {
            name: "azurite-blob".into(),
            program,
            args: [
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                &port.to_string(),
                "--location",
                &location.to_string_lossy(),
                "--skipApiVersionCheck",
                "--loose",
                "--silent",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            log: log.clone(),
            cwd: data.path().to_path_buf(),
        })?;
        let azurite = Azurite { port, install_dir, data, processes };
        azurite.wait_ready(&log)?;
        Ok(azurite)
    }

    /// `http://127.0.0.1:PORT` (the account is the first path segment).
    pub fn blob_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Environment for kspark (object_store) to use this emulator.
    pub fn client_env(&self) -> Vec<(String, String)> {
        vec![
            ("AZURE_STORAGE_USE_EMULATOR".into(), "true".into()),
            ("AZURITE_BLOB_STORAGE_URL".into(), self.blob_url()),
            ("AZURE_STORAGE_ACCOUNT_KEY".into(), ACCOUNT_KEY.into()),
        ]
    }

    /// Creates a container with Microsoft's Blob SDK (Node.js).
    pub fn create_container(&self, name: &str) -> Result<()> {
        let script = "const b = require('@azure/storage-blob');\
            const [url, account, key, name] = process.argv.slice(1);\
            const svc = new b.BlobServiceClient(url + '/' + account, new b.StorageSharedKeyCredential(account, key));\
            svc.getContainerClient(name).createIfNotExists().then(() => process.exit(0), e => { console.error(e.message); process.exit(1); });";
        let output = Command::new("node")
            .arg("-e")
            .arg(script)
            .args([self.blob_url().as_str(), ACCOUNT, ACCOUNT_KEY, name])
            .current_dir(&self.install_dir)
            .env("NODE_PATH", self.install_dir.join("node_modules"))
            .output()
            .map_err(|e| Error::io("running node", e))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(Error::io(
                format!("creating container {name} in azurite: {}", String::from_utf8_lossy(&output.stderr)),
                std::io::Error::other("node failed"),
            ))
        }
    }

    /// Where Azurite keeps its data and log.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    fn wait_ready(&self, log: &Path) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            self.processes.ensure_running("azurite-blob")?;
            if TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, self.port).into(), Duration::from_millis(200)).is_ok()
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(Error::io(
            format!(
                "azurite did not listen on 127.0.0.1:{} within 60 s; log {}:\n{}",
                self.port,
                log.display(),
                fsutil::tail(log, LOG_TAIL_LINES)
            ),
            std::io::Error::from(std::io::ErrorKind::TimedOut),
        ))
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        self.processes.stop_all();
    }
}

/// `npm install --prefix ~/.cache/kspark/azurite-VERSION azurite@VERSION
/// @azure/storage-blob@VERSION` unless already there; returns that prefix.
fn install() -> Result<PathBuf> {
    // Tests of one binary start Azurite in parallel: one installs, the others
    // wait for it and then find it installed. (Across processes the staging
    // directory is per process and the rename below decides.)
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let cache = std::env::var_os("KSPARK_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kspark")))
        .unwrap_or_else(|| std::env::temp_dir().join("kspark-cache"));
    let prefix = cache.join(format!("azurite-{AZURITE_VERSION}"));
    let launcher = prefix.join("node_modules/.bin/azurite-blob");
    if launcher.is_file() {
        return Ok(prefix);
    }
    // Install next to the final place and rename, so that concurrent test
    // binaries never see half an installation.
    fsutil::create_dir_all(&cache)?;
    let staging = cache.join(format!(".azurite-{AZURITE_VERSION}-{}", std::process::id()));
    let output = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&staging)
        .arg(format!("azurite@{AZURITE_VERSION}"))
        .arg(format!("@azure/storage-blob@{STORAGE_BLOB_VERSION}"))
        .output()
        .map_err(|e| Error::io("running npm (install Node.js and npm to test Azure uploads)", e))?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(Error::io(
            format!("npm install azurite@{AZURITE_VERSION} failed:\n{}", String::from_utf8_lossy(&output.stderr)),
            std::io::Error::other("npm failed"),
        ));
    }
    if std::fs::rename(&staging, &prefix).is_err() {
        // Another process won the race; its installation is as good.
        let _ = std::fs::remove_dir_all(&staging);
    }
    if launcher.is_file() {
        Ok(prefix)
    } else {
        Err(Error::io(
            format!("{} missing after npm install", launcher.display()),
            std::io::Error::other("no launcher"),
        ))
    }
}

fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| Error::io("reserving a port on 127.0.0.1", e))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| Error::io("reading a reserved port", e))
}

/// A directory removed on drop (the crate has no tempfile dependency).
mod tempfile_dir {
    use std::path::{Path, PathBuf};

    use crate::error::Result;
    use crate::fsutil;

    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new(stem: &str) -> Result<TempDir> {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default();
            let dir = std::env::temp_dir().join(format!("{stem}-{}-{nanos}", std::process::id()));
            fsutil::create_dir_all(&dir)?;
            Ok(TempDir(dir))
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
