//! The CLI on one shared test control plane without the SparkApplication CRD (so
//! everything behaves as on a cluster without an operator); every test works in
//! namespaces of its own.
//!
//! One test binary per shared control plane: a cluster starts once for all of its
//! modules, and the helpers they share live here.

mod commands;
mod in_cluster;
mod tenant;
mod ui;
mod uploads;

use kspark_testcluster::{TestCluster, block_on};
use kube::Client;
use std::process::Output;

/// The test binary's control plane, started by the first test that asks.
pub fn cluster() -> &'static TestCluster {
    TestCluster::shared()
}

/// A client with the control plane's admin credentials.
pub fn admin() -> Client {
    block_on(cluster().admin_client()).unwrap_or_else(|e| panic!("admin client: {e}"))
}

/// A command's stdout and stderr together, for assertions and failure messages.
pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}
