//! Helm for the tests of the chart: built once from the Go module proxy by
//! `testcluster/build-helm.sh` (cached), unless `$KSPARK_HELM` names one;
//! run with its caches and configuration in a directory of the test run,
//! never in the user's home, and with no ambient KUBECONFIG.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::binaries::testcluster_script;

/// The Helm binary (`$KSPARK_HELM`, else built at versions.env's
/// HELM_VERSION). Panics with the build's output when it cannot be had: a
/// test helper.
pub fn helm_binary() -> &'static Path {
    static HELM: OnceLock<PathBuf> = OnceLock::new();
    HELM.get_or_init(|| {
        if let Some(path) = std::env::var_os("KSPARK_HELM") {
            return PathBuf::from(path);
        }
        let script = testcluster_script("build-helm.sh");
        let out = Command::new(&script).output().unwrap_or_else(|e| panic!("{}: {e}", script.display()));
        assert!(out.status.success(), "build-helm.sh failed:\n{}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}

fn helm_home() -> PathBuf {
    std::env::temp_dir().join(format!("kspark-helm-home-{}", std::process::id()))
}

extern "C" fn remove_helm_home() {
    let _ = std::fs::remove_dir_all(helm_home());
}

/// `helm` with its homes in a temporary directory of this test binary,
/// removed when the process exits.
pub fn helm_command() -> Command {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    let home = HOME.get_or_init(|| {
        let dir = helm_home();
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        crate::exit_hook::at_exit(remove_helm_home);
        dir
    });
    let mut command = Command::new(helm_binary());
    for (key, dir) in [("HELM_CACHE_HOME", "cache"), ("HELM_CONFIG_HOME", "config"), ("HELM_DATA_HOME", "data")] {
        command.env(key, home.join(dir));
    }
    command.env_remove("KUBECONFIG");
    command
}
