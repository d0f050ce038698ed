//! The executors of one application, counted by phase, for the live view
//! and for the diagnosis of executors that never appear.

use k8s_openapi::api::core::v1::Pod;
use kspark_manifests::labels::executors_selector;
use kube::api::ListParams;
use kube::{Api, Client};

/// Executors by phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExecutorCounts {
    pub running: usize,
    pub pending: usize,
    pub failed: usize,
    pub succeeded: usize,
}

pub async fn count(client: &Client, namespace: &str, app_id: &str) -> Result<ExecutorCounts, kube::Error> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let params = ListParams::default().labels(&executors_selector(app_id));
    let mut counts = ExecutorCounts::default();
    for pod in api.list(&params).await?.items {
        match pod.status.and_then(|s| s.phase).as_deref() {
            Some("Running") => counts.running += 1,
            Some("Failed") => counts.failed += 1,
            Some("Succeeded") => counts.succeeded += 1,
            _ => counts.pending += 1,
        }
    }
    Ok(counts)
}
