//! The Helm chart charts/kspark-operator, checked with a real Helm (built
//! from the Go module proxy by testcluster/build-helm.sh, or $KSPARK_HELM;
//! scripts/test.sh runs this binary with Helm 4 and again with Helm 3).
//!
//! [`render`]: it lints, renders the same objects as `kspark operator
//! install`, refuses invalid values by name and keeps its CRDs identical to
//! the generated ones. [`release`]: on the real test control plane it
//! installs, upgrades to other values and uninstalls, leaving the CRDs.

mod release;
mod render;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn chart_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../charts/kspark-operator")
}

fn helm() -> Command {
    kspark_testcluster::helm::helm_command()
}

fn run(mut command: Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

fn stdout_of(command: Command) -> String {
    let description = format!("{command:?}");
    let out = run(command);
    assert!(out.status.success(), "{description} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn kspark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kspark"))
}

/// `values` (YAML) in a file of its own, for `--values`.
fn values_file(values: &str) -> PathBuf {
    let file = std::env::temp_dir().join(format!("kspark-helm-values-{}.yaml", kspark_testcluster::unique_name("v")));
    std::fs::write(&file, values).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    file
}
