//! `spec.restartPolicy`: whether an application runs again, and when
//! (kubeflow's `ShouldRetry` and `TimeUntilNextRetryDue`).

use std::time::Duration;

use jiff::Timestamp;
use kspark_sparkapp::{ApplicationStateType, SparkApplication};

/// kubeflow's `ShouldRetry` (kept beside the types, `kspark wait` needs it too).
pub use kspark_sparkapp::restart::should_retry;

/// How long until the next attempt is due: the interval times the attempts
/// made so far, from the last attempt (kubeflow's linear back-off). `None`
/// when the status lacks what the computation needs, as kubeflow's error.
pub fn until_next_retry(app: &SparkApplication, now: Timestamp) -> Option<Duration> {
    let policy = &app.spec.restart_policy;
    let status = app.status.as_ref()?;
    let interval = match status.app_state.state {
        ApplicationStateType::SubmissionFailed => policy.on_submission_failure_retry_interval,
        ApplicationStateType::Failing => policy.on_failure_retry_interval,
        _ => None,
    }?;
    let last = status.last_submission_attempt_time.as_ref()?.0;
    if status.submission_attempts <= 0 {
        return None;
    }
    let wait_ms = interval.saturating_mul(1000).saturating_mul(i64::from(status.submission_attempts));
    let elapsed_ms = now.duration_since(last).as_millis() as i64;
    Some(Duration::from_millis(wait_ms.saturating_sub(elapsed_ms).max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn app(policy: serde_json::Value, status: serde_json::Value) -> SparkApplication {
        let value = serde_json::json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": "a", "namespace": "n"},
            "spec": {"type": "Scala", "sparkVersion": "4.0.0", "mainApplicationFile": "local:///x.jar",
                     "driver": {}, "executor": {}, "restartPolicy": policy},
            "status": status
        });
        let mut value = value;
        value["status"]["driverInfo"] = serde_json::json!({});
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn on_failure_retries_until_the_attempts_exceed_the_retries() {
        let policy = serde_json::json!({"type": "OnFailure", "onSubmissionFailureRetries": 2, "onFailureRetries": 1});
        let failed =
            |n| serde_json::json!({"applicationState": {"state": "SUBMISSION_FAILED"}, "submissionAttempts": n});
        assert!(should_retry(&app(policy.clone(), failed(1))));
        assert!(should_retry(&app(policy.clone(), failed(2))));
        assert!(!should_retry(&app(policy.clone(), failed(3))));
        let failing = |n| serde_json::json!({"applicationState": {"state": "FAILING"}, "executionAttempts": n});
        assert!(should_retry(&app(policy.clone(), failing(1))));
        assert!(!should_retry(&app(policy.clone(), failing(2))));
        let succeeding = serde_json::json!({"applicationState": {"state": "SUCCEEDING"}});
        assert!(!should_retry(&app(policy, succeeding.clone())));
        assert!(should_retry(&app(serde_json::json!({"type": "Always"}), succeeding)));
        assert!(!should_retry(&app(serde_json::json!({"type": "Never"}), failed(1))));
    }

    #[test]
    fn the_wait_grows_with_the_attempts() {
        let now = Timestamp::from_second(1_000_000).unwrap_or_default();
        let last = Time(Timestamp::from_second(1_000_000 - 3).unwrap_or_default());
        let status = serde_json::json!({"applicationState": {"state": "SUBMISSION_FAILED"}, "submissionAttempts": 2,
            "lastSubmissionAttemptTime": last});
        let a = app(serde_json::json!({"type": "OnFailure", "onSubmissionFailureRetryInterval": 5}), status);
        assert_eq!(until_next_retry(&a, now), Some(Duration::from_secs(7)));
    }
}
