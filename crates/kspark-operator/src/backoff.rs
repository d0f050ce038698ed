//! Per-object backoff after failed reconciles, as kubeflow's controller
//! gets from controller-runtime's rate-limited queue: a lasting failure
//! (a right missing from the operator's Role, an API server refusing
//! writes) costs a request every few minutes per object, not every 2 s.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// The wait after the first failure; each further one doubles it.
const FIRST_RETRY: Duration = Duration::from_secs(2);
/// The longest wait between retries.
const LONGEST_RETRY: Duration = Duration::from_secs(300);

/// Failures in a row, by object (`namespace/name`).
#[derive(Default)]
pub struct Backoff {
    failures: Mutex<HashMap<String, u32>>,
}

impl Backoff {
    /// Records one more failure of `key` and says how long to wait before
    /// the retry: 2 s × 2ⁿ for the n-th failure in a row, at most 5 minutes.
    pub fn failed(&self, key: &str) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = failures.entry(key.to_string()).or_insert(0);
        let wait = retry_after(*count);
        *count = count.saturating_add(1);
        wait
    }

    /// A reconcile of `key` succeeded: its next failure waits 2 s again.
    pub fn succeeded(&self, key: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(key);
    }
}

/// The wait after `earlier` failures in a row.
fn retry_after(earlier: u32) -> Duration {
    FIRST_RETRY.saturating_mul(2u32.saturating_pow(earlier.min(16))).min(LONGEST_RETRY)
}

/// The key of an object: its namespace and name.
pub fn key_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    format!("{}/{}", meta.namespace.as_deref().unwrap_or_default(), meta.name.as_deref().unwrap_or_default())
}

/// The controllers' answer to a failed reconcile of `kind` (`SparkConnect`,
/// …): the error counted by its kind, logged, and the object tried again
/// after its backoff.
pub fn retry_after_failure(
    backoff: &Backoff,
    metrics: &crate::metrics::Metrics,
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    kind: &str,
    error_kind: &'static str,
    error: &dyn std::fmt::Display,
) -> kube::runtime::controller::Action {
    metrics.reconcile_errors.get_or_create(&crate::metrics::error_kind_label(error_kind)).inc();
    let retry_in = backoff.failed(&key_of(meta));
    tracing::warn!(
        kind,
        name = meta.name.as_deref().unwrap_or_default(),
        namespace = meta.namespace.as_deref().unwrap_or_default(),
        %error,
        retry_in = ?retry_in,
        "reconcile failed; retrying"
    );
    kube::runtime::controller::Action::requeue(retry_in)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_five_minutes_and_reset_on_success() {
        let backoff = Backoff::default();
        let waits: Vec<u64> = (0..10).map(|_| backoff.failed("ns/a").as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(backoff.failed("ns/b"), FIRST_RETRY, "each object has its own count");
        backoff.succeeded("ns/a");
        assert_eq!(backoff.failed("ns/a"), FIRST_RETRY);
        assert_eq!(retry_after(u32::MAX), LONGEST_RETRY);
    }
}
