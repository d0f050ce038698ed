//! The run directory: PKI, tokens, kubeconfigs, etcd data and logs of one
//! cluster, and the paths inside it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::users::random_hex;

/// Paths inside a run directory.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn pki_dir(&self) -> PathBuf {
        self.root.join("pki")
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }
    pub fn log(&self, component: &str) -> PathBuf {
        self.logs_dir().join(format!("{component}.log"))
    }
    pub fn etcd_data(&self) -> PathBuf {
        self.root.join("etcd-data")
    }
    pub fn token_file(&self) -> PathBuf {
        self.root.join("tokens.csv")
    }
    pub fn kubeconfigs_dir(&self) -> PathBuf {
        self.root.join("kubeconfigs")
    }
    pub fn kubeconfig(&self, name: &str) -> PathBuf {
        self.kubeconfigs_dir().join(format!("{name}.yaml"))
    }
}

/// A run directory, removed on drop unless it was given by the caller or
/// should be kept for inspection.
#[derive(Debug)]
pub(crate) struct RunDir {
    layout: Layout,
    remove_on_drop: bool,
}

/// Parent of the run directories this crate creates itself.
fn default_base() -> PathBuf {
    std::env::temp_dir().join("kspark-testcluster")
}

impl RunDir {
    /// Uses `given` (kept afterwards; an earlier run's etcd data and logs in
    /// it are removed), or creates `run-<pid>-<random>` under
    /// the temp dir (removed afterwards). Creating one first removes the run
    /// directories of processes that no longer exist: the shared cluster is
    /// a static that is never dropped, so its directory (with a 64 MB etcd
    /// WAL) would otherwise pile up run after run.
    pub(crate) fn create(given: Option<&Path>) -> Result<Self> {
        let (root, remove_on_drop) = match given {
            Some(dir) => (dir.to_path_buf(), false),
            None => {
                let base = default_base();
                reap_stale(&base);
                let name = format!("run-{}-{}", std::process::id(), random_hex(4));
                (base.join(name), true)
            }
        };
        let layout = Layout { root };
        if !remove_on_drop {
            // A given directory may hold an earlier run: a fresh cluster
            // needs fresh etcd data, and appended logs would mislead.
            for dir in [layout.etcd_data(), layout.logs_dir()] {
                remove_if_present(&dir)?;
            }
        }
        for dir in [layout.root().to_path_buf(), layout.pki_dir(), layout.logs_dir(), layout.kubeconfigs_dir()] {
            fsutil::create_dir_all(&dir)?;
        }
        Ok(Self { layout, remove_on_drop })
    }

    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Keeps the directory after drop (e.g. after a failed start, so the
    /// logs named in the error still exist).
    pub(crate) fn keep(&mut self) {
        self.remove_on_drop = false;
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if self.remove_on_drop && std::env::var_os("KSPARK_TESTCLUSTER_KEEP").is_none() {
            // Best effort: a leftover directory is reaped by the next run.
            let _ = std::fs::remove_dir_all(self.layout.root());
        }
    }
}

fn remove_if_present(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(format!("removing {}", dir.display()), e)),
        _ => Ok(()),
    }
}

fn reap_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = owner_pid(&name.to_string_lossy()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            // Best effort, see above.
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The PID in `run-<pid>-<random>`.
fn owner_pid(name: &str) -> Option<u32> {
    name.strip_prefix("run-")?.split('-').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_pid_parses_run_names() {
        assert_eq!(owner_pid("run-123-abcd"), Some(123));
        assert_eq!(owner_pid("other"), None);
        assert_eq!(owner_pid("run-x-1"), None);
    }

    #[test]
    fn default_run_dir_is_removed_on_drop() -> Result<()> {
        let root = {
            let dir = RunDir::create(None)?;
            assert!(dir.layout().pki_dir().is_dir());
            dir.layout().root().to_path_buf()
        };
        if std::env::var_os("KSPARK_TESTCLUSTER_KEEP").is_none() {
            assert!(!root.exists());
        }
        Ok(())
    }
}
