//! SUCCEEDING and FAILING end the application or rerun it as its restart
//! policy says; COMPLETED and FAILED are deleted once their time to live
//! has passed (kubeflow's TTL cases), and left alone otherwise.

use kspark_operator::context::LifecycleOptions;
use kspark_sparkapp::ApplicationStateType as S;
use kspark_sparkapp::labels;
use serde_json::{Value, json};

use crate::case::Case;
use crate::objects::{
    TEST_APP_ID, ago, driver_failed, driver_name, driver_pod, phase, spark_pi, spark_pi_with, status, submitted_status,
};
use crate::requeued;

/// A case with application `app` (named `pi`) ended by its driver, in
/// `state`, its driver in `driver_status`, the last attempt `seconds_ago`.
fn ended(prefix: &str, app: Value, state: &str, seconds_ago: i64, driver_status: Value) -> Case {
    let case = Case::new(prefix);
    let extra = json!({
        "terminationTime": ago(30),
        "applicationState": {"state": state, "errorMessage": "driver container failed"},
        "executorState": {"pi-exec-1": "FAILED"},
    });
    case.create_app(app, Some(submitted_status("pi", state, seconds_ago, extra)));
    case.create_pod(driver_pod("pi"), Some(driver_status));
    case
}

fn on_failure(retries: i32, interval_seconds: i64) -> Value {
    spark_pi_with(
        "pi",
        "restartPolicy",
        json!({"type": "OnFailure", "onFailureRetries": retries, "onFailureRetryInterval": interval_seconds}),
    )
}

#[test]
fn a_succeeding_application_completes() {
    let case = ended("st-succeeding", spark_pi("pi"), "SUCCEEDING", 300, phase("Succeeded"));
    case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Completed, "{status:?}");
    assert!(status.termination_time.is_some(), "{status:?}");
    assert_eq!(case.events("pi"), ["SparkApplicationCompleted"]);
}

#[test]
fn a_failing_application_with_no_retry_left_fails() {
    let case = ended("st-failing", on_failure(0, 10), "FAILING", 300, driver_failed(1, "boom"));
    case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Failed, "{status:?}");
    assert_eq!(status.app_state.error_message, "driver container failed");
    assert_eq!(case.events("pi"), ["SparkApplicationFailed"]);
    assert!(case.pod(&driver_name("pi")).is_some(), "a failed application keeps its driver (for its logs)");
}

#[test]
fn a_failing_application_with_retries_waits_for_its_retry_interval() {
    let case = ended("st-failwait", on_failure(3, 600), "FAILING", 1, driver_failed(1, "boom"));
    let action = case.reconcile("pi");
    assert_eq!(case.status("pi").app_state.state, S::Failing);
    assert!(case.pod(&driver_name("pi")).is_some(), "the driver was deleted before the retry was due");
    assert!(case.events("pi").is_empty(), "{:?}", case.events("pi"));
    assert!(requeued(&action), "the retry must be looked at when it is due: {action:?}");
}

/// kubeflow's reset before a rerun (no application ID, termination time,
/// error or executors; the old driver deleted), then kspark's submission
/// of the next attempt in the same reconcile, since the old driver, bound
/// to no node, is gone at once.
fn assert_rerun_submitted(case: &Case, old_driver_uid: Option<String>) {
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Submitted, "{status:?}");
    assert_eq!((status.submission_attempts, status.execution_attempts), (2, 2));
    assert!(status.spark_application_id.starts_with("spark-") && status.spark_application_id != TEST_APP_ID);
    assert!(status.termination_time.is_none() && status.app_state.error_message.is_empty(), "{status:?}");
    assert!(status.executor_state.is_empty(), "{status:?}");
    let driver = case.pod(&driver_name("pi")).unwrap_or_else(|| panic!("the rerun has no driver"));
    assert_ne!(driver.metadata.uid, old_driver_uid, "the old driver was not replaced");
    let label = driver.metadata.labels.as_ref().and_then(|l| l.get(labels::SUBMISSION_ID)).cloned();
    assert_eq!(label.as_deref(), Some(status.submission_id.as_str()));
    assert_eq!(case.events("pi"), ["SparkApplicationPendingRerun", "SparkApplicationSubmitted"]);
}

#[test]
fn a_failing_application_with_retries_reruns_once_its_interval_is_over() {
    let case = ended("st-failretry", on_failure(3, 10), "FAILING", 300, driver_failed(1, "boom"));
    let old = case.pod(&driver_name("pi")).and_then(|p| p.metadata.uid);
    case.reconcile("pi");
    assert_rerun_submitted(&case, old);
}

#[test]
fn a_succeeding_application_with_restart_policy_always_reruns() {
    let app = spark_pi_with("pi", "restartPolicy", json!({"type": "Always"}));
    let case = ended("st-always", app, "SUCCEEDING", 300, phase("Succeeded"));
    let old = case.pod(&driver_name("pi")).and_then(|p| p.metadata.uid);
    case.reconcile("pi");
    assert_rerun_submitted(&case, old);
}

/// A case with application `pi` in `state`, terminated `seconds_ago`.
fn terminated(prefix: &str, app: Value, state: &str, seconds_ago: i64, default_ttl_seconds: i64) -> Case {
    let case = Case::with_options(prefix, LifecycleOptions { default_ttl_seconds, ..Default::default() });
    case.create_app(app, Some(status(state, json!({"terminationTime": ago(seconds_ago)}))));
    case
}

#[test]
fn a_terminated_application_past_its_ttl_is_deleted() {
    let app = spark_pi_with("pi", "timeToLiveSeconds", json!(60));
    for (prefix, state) in [("st-ttl-done", "COMPLETED"), ("st-ttl-failed", "FAILED")] {
        let case = terminated(prefix, app.clone(), state, 120, 0);
        let action = case.reconcile("pi");
        assert!(case.app("pi").is_none(), "{state}: the expired application is still there");
        assert!(!requeued(&action), "{state}: {action:?}");
    }
}

#[test]
fn a_terminated_application_past_the_default_ttl_is_deleted() {
    let case = terminated("st-defttl", spark_pi("pi"), "COMPLETED", 120, 60);
    case.reconcile("pi");
    assert!(case.app("pi").is_none(), "the application outlived the operator's default TTL");
}

#[test]
fn a_terminated_application_within_its_ttl_is_kept_and_looked_at_again() {
    let case = terminated("st-ttl-later", spark_pi("pi"), "COMPLETED", 30, 60);
    let action = case.reconcile("pi");
    assert_eq!(case.status("pi").app_state.state, S::Completed);
    assert!(requeued(&action), "the deletion must come when the TTL ends: {action:?}");
}

#[test]
fn a_terminated_application_without_a_ttl_is_left_alone() {
    let case = terminated("st-no-ttl", spark_pi("pi"), "FAILED", 120, 0);
    let before = case.status("pi");
    let action = case.reconcile("pi");
    assert_eq!(case.status("pi"), before, "the status of a terminated application changed");
    assert!(case.events("pi").is_empty(), "{:?}", case.events("pi"));
    assert!(!requeued(&action), "{action:?}");
}
