//! SUBMISSION_FAILED retries as the restart policy says; PENDING_RERUN
//! submits once the previous driver is gone; INVALIDATING (a spec changed
//! since the submission) starts over with fresh attempts.

use std::time::Duration;

use kspark_operator::identity::SPEC_DIGEST_ANNOTATION;
use kspark_sparkapp::ApplicationStateType as S;
use kspark_sparkapp::labels;
use kspark_testcluster::poll_until;
use serde_json::{Value, json};

use crate::case::Case;
use crate::objects::{driver_name, driver_pod, phase, spark_pi, spark_pi_with, submitted_status};
use crate::requeued;

/// A case with application `pi` in SUBMISSION_FAILED after `attempts`
/// submissions, the last one `seconds_ago`, allowed 2 retries 60 s apart.
fn submission_failed(prefix: &str, attempts: i32, seconds_ago: i64) -> Case {
    let case = Case::new(prefix);
    let policy = json!({"type": "OnFailure", "onSubmissionFailureRetries": 2, "onSubmissionFailureRetryInterval": 60});
    let extra = json!({
        "submissionAttempts": attempts, "executionAttempts": 0, "sparkApplicationId": "",
        "applicationState": {"state": "SUBMISSION_FAILED", "errorMessage": "failed to run spark-submit: refused"},
    });
    let status = submitted_status("pi", "SUBMISSION_FAILED", seconds_ago, extra);
    case.create_app(spark_pi_with("pi", "restartPolicy", policy), Some(status));
    case
}

#[test]
fn a_failed_submission_waits_for_its_retry_interval() {
    let case = submission_failed("st-subwait", 1, 1);
    let action = case.reconcile("pi");
    assert_eq!(case.status("pi").app_state.state, S::SubmissionFailed);
    assert!(case.pod(&driver_name("pi")).is_none(), "submitted again before the retry interval");
    assert!(requeued(&action), "the retry must be looked at when it is due: {action:?}");
}

#[test]
fn a_failed_submission_is_submitted_again_once_its_interval_is_over() {
    let case = submission_failed("st-subretry", 1, 300);
    case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Submitted, "{status:?}");
    assert_eq!((status.submission_attempts, status.execution_attempts), (2, 1));
    assert!(status.app_state.error_message.is_empty(), "{status:?}");
    assert!(case.pod(&driver_name("pi")).is_some(), "no driver for the retried submission");
    assert_eq!(case.events("pi"), ["SparkApplicationPendingRerun", "SparkApplicationSubmitted"]);
}

#[test]
fn a_failed_submission_with_no_retry_left_fails() {
    let case = submission_failed("st-subdone", 3, 300);
    case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Failed, "{status:?}");
    assert_eq!(status.app_state.error_message, "failed to run spark-submit: refused");
    assert!(status.termination_time.is_some(), "{status:?}");
    assert!(case.pod(&driver_name("pi")).is_none());
    assert_eq!(case.events("pi"), ["SparkApplicationFailed"]);
}

/// A finalizer of the test's own: it keeps the old driver, deleted, in
/// place until the test lets it go.
const HOLD: &str = "kspark.test/hold";

#[test]
fn a_pending_rerun_waits_until_the_previous_driver_is_gone_then_submits() {
    let case = Case::new("st-rerun");
    case.create_app(spark_pi("pi"), Some(submitted_status("pi", "PENDING_RERUN", 300, json!({}))));
    let mut held = driver_pod("pi");
    held["metadata"]["finalizers"] = json!([HOLD]);
    case.create_pod(held, Some(phase("Failed")));
    let action = case.reconcile("pi");
    assert_eq!(case.status("pi").app_state.state, S::PendingRerun);
    let old = case.pod(&driver_name("pi")).unwrap_or_else(|| panic!("the held driver is gone"));
    assert!(old.metadata.deletion_timestamp.is_some(), "the previous driver was not deleted");
    assert!(requeued(&action), "the deletion must be looked at again: {action:?}");

    case.patch_pod(&driver_name("pi"), json!({"metadata": {"finalizers": null}}));
    poll_until(Duration::from_secs(20), "the previous driver to go", || match case.pod(&driver_name("pi")) {
        None => std::ops::ControlFlow::Break(()),
        Some(pod) => std::ops::ControlFlow::Continue(pod.metadata.uid),
    });
    case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Submitted, "{status:?}");
    assert_eq!(status.submission_attempts, 2);
    assert_eq!(case.events("pi"), ["SparkApplicationPendingRerun", "SparkApplicationSubmitted"]);
}

/// The driver's submission label, as the operator sets it.
fn submission_label(case: &Case) -> Option<String> {
    let driver = case.pod(&driver_name("pi"))?;
    driver.metadata.labels?.get(labels::SUBMISSION_ID).cloned()
}

/// A new run after an invalidation: the attempts counted from zero again
/// and a driver of the new submission.
fn assert_submitted_anew(case: &Case, events: &[&str]) {
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Submitted, "{status:?}");
    assert_eq!((status.submission_attempts, status.execution_attempts), (1, 1));
    assert_eq!(submission_label(case).as_deref(), Some(status.submission_id.as_str()), "no new driver");
    assert_eq!(case.events("pi"), events);
}

fn running_driver(case: &Case, annotations: Value) {
    let mut driver = driver_pod("pi");
    driver["metadata"]["annotations"] = annotations;
    case.create_pod(driver, Some(phase("Running")));
}

#[test]
fn an_invalidating_application_starts_over() {
    let case = Case::new("st-invalid");
    let extra = json!({"submissionAttempts": 3, "executionAttempts": 2});
    case.create_app(spark_pi("pi"), Some(submitted_status("pi", "INVALIDATING", 300, extra)));
    running_driver(&case, json!({}));
    case.reconcile("pi");
    assert_submitted_anew(&case, &["SparkApplicationPendingRerun", "SparkApplicationSubmitted"]);
}

#[test]
fn a_spec_changed_since_the_submission_invalidates_the_running_application() {
    let case = Case::new("st-changed");
    case.create_app(spark_pi("pi"), Some(submitted_status("pi", "RUNNING", 300, json!({}))));
    running_driver(&case, json!({ SPEC_DIGEST_ANNOTATION: "the-spec-before" }));
    case.reconcile("pi");
    let expected = ["SparkApplicationSpecUpdateProcessed", "SparkApplicationPendingRerun", "SparkApplicationSubmitted"];
    assert_submitted_anew(&case, &expected);
    let driver = case.pod(&driver_name("pi")).unwrap_or_else(|| panic!("no driver"));
    let digest = driver.metadata.annotations.and_then(|a| a.get(SPEC_DIGEST_ANNOTATION).cloned());
    assert!(digest.is_some_and(|d| d != "the-spec-before"), "the new driver is not built from the new spec");
}
