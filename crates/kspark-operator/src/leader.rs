//! Leader election with a coordination.k8s.io Lease: one replica
//! reconciles, the others wait to take over. A leader that loses the lease
//! stops at once (and is restarted by its Deployment), as controller-runtime
//! does, so two replicas never submit at the same time.

use kube::Client;
use kube_lease_manager::LeaseManagerBuilder;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct LeaseSettings {
    pub name: String,
    pub namespace: String,
    pub identity: String,
    /// Seconds a lease stays valid without renewal.
    pub duration_seconds: u64,
    /// Seconds before expiry when the holder renews.
    pub grace_seconds: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("leader election with Lease {namespace}/{name} failed: {message}")]
pub struct LeaderError {
    name: String,
    namespace: String,
    message: String,
}

/// Blocks until this replica holds the lease; the returned receiver turns
/// false when it loses it.
pub async fn acquire(client: Client, settings: &LeaseSettings) -> Result<watch::Receiver<bool>, LeaderError> {
    let error =
        |message: String| LeaderError { name: settings.name.clone(), namespace: settings.namespace.clone(), message };
    let manager = LeaseManagerBuilder::new(client, &settings.name)
        .with_namespace(&settings.namespace)
        .with_identity(&settings.identity)
        .with_duration(settings.duration_seconds)
        .with_grace(settings.grace_seconds)
        .with_field_manager("kspark-operator")
        .build()
        .await
        .map_err(|e| error(e.to_string()))?;
    let (mut leading, _task) = manager.watch().await;
    tracing::info!(lease = %settings.name, identity = %settings.identity, "waiting to lead");
    while !*leading.borrow_and_update() {
        leading.changed().await.map_err(|e| error(e.to_string()))?;
    }
    tracing::info!(lease = %settings.name, identity = %settings.identity, "leading");
    Ok(leading)
}
