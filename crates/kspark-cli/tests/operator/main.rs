//! SparkApplications and the operator on one shared test control plane with the
//! operator's CRDs installed (docs/guide/src/aks.md's walk-through installs them too, so it is
//! here); every test works in namespaces of its own and runs its own
//! `kspark operator run` scoped to them.
//!
//! One test binary per shared control plane: a cluster starts once for all of its
//! modules, and the helpers they share live here.

mod aks_doc;
mod backoff;
mod connect;
mod driver_pdb;
mod entra;
mod exposure;
mod lifecycle;
mod log_archive;
mod namespace_selector;
mod scheduled;
mod sparkapps;
mod workload_identity;

use k8s_openapi::api::rbac::v1::Role;
use kspark_testcluster::operator::{OperatorProcess, installed_operator_kubeconfig, operator_namespace};
use kspark_testcluster::{TestCluster, block_on};
use kube::Client;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The test binary's control plane, started by the first test that asks.
pub fn cluster() -> &'static TestCluster {
    TestCluster::shared()
}

/// A client with the control plane's admin credentials.
pub fn admin() -> Client {
    block_on(cluster().admin_client()).unwrap_or_else(|e| panic!("admin client: {e}"))
}

/// The kspark binary under test.
pub fn kspark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kspark"))
}

/// A command's stdout and stderr together, for assertions and failure messages.
pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The kspark binary under test, as a path (what the harness's operator helpers take).
pub fn kspark_path() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_kspark"))
}

/// A fresh namespace of the test's own, with the driver service account `spark`
/// and the operator's CRDs installed.
pub fn namespace(prefix: &str) -> String {
    operator_namespace(cluster(), kspark_path(), prefix).unwrap_or_else(|e| panic!("{e}"))
}

/// `kspark operator run` watching `ns`, with `extra` flags; killed when dropped.
pub fn operator(ns: &str, extra: &[&str]) -> OperatorProcess {
    operator_with_env(ns, extra, &[])
}

/// [`operator`] with environment variables set for the process.
pub fn operator_with_env(ns: &str, extra: &[&str], env: &[(String, String)]) -> OperatorProcess {
    OperatorProcess::start_with_env(cluster(), kspark_path(), ns, extra, env).unwrap_or_else(|e| panic!("{e}"))
}

/// A kubeconfig authenticating as the service account `kspark operator
/// install` made in `operator_ns`, once it may list the operator's objects
/// in `watched` (every namespace: `None`).
pub fn operator_account_kubeconfig(operator_ns: &str, watched: Option<&str>) -> PathBuf {
    installed_operator_kubeconfig(cluster(), operator_ns, watched).unwrap_or_else(|e| panic!("{e}"))
}

/// [`OperatorProcess::start_installed`]: the operator for `ns` with the
/// installed RBAC, edited by `edit`; killed when dropped.
pub fn installed_operator(ns: &str, extra: &[&str], edit: impl FnOnce(&mut Role)) -> OperatorProcess {
    OperatorProcess::start_installed(cluster(), kspark_path(), ns, extra, edit).unwrap_or_else(|e| panic!("{e}"))
}

/// `kspark operator run ARGS --kubeconfig KUBECONFIG`: the operator with the
/// rights of the account the kubeconfig names; killed when dropped.
pub fn operator_as(args: &[&str], kubeconfig: &Path) -> OperatorProcess {
    OperatorProcess::spawn(cluster(), kspark_path(), args, kubeconfig, &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// A plain HTTP/1.0 GET against the operator's listener.
pub fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
    let _ = write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

/// Whether the operator's listener answers `path` with 200.
pub fn http_get_ok(addr: &str, path: &str) -> bool {
    std::net::TcpStream::connect(addr).is_ok() && http_get(addr, path).starts_with("HTTP/1.0 200")
}

/// A port on 127.0.0.1 free a moment ago, for an operator's listener.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}
