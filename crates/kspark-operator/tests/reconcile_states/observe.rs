//! SUBMITTED and RUNNING follow the driver pod's phase (kubeflow's
//! updateDriverState and updateExecutorState): pending, running, succeeded,
//! failed, in an unknown phase, or missing past the creation grace period.

use std::time::Duration;

use kspark_operator::context::LifecycleOptions;
use kspark_sparkapp::ApplicationStateType as S;
use kspark_sparkapp::status::ExecutorState;
use serde_json::json;

use crate::case::Case;
use crate::objects::{
    TEST_APP_ID, driver_failed, driver_name, driver_pod, executor_pod, phase, spark_pi, submitted_status,
};
use crate::requeued;

/// A case with application `pi` in `state`, submitted a second ago, and
/// its driver pod in `driver_status` (no driver pod when `None`).
fn submitted(prefix: &str, options: LifecycleOptions, state: &str, driver_status: Option<serde_json::Value>) -> Case {
    let case = Case::with_options(prefix, options);
    let status = submitted_status("pi", state, 1, json!({"sparkApplicationId": ""}));
    case.create_app(spark_pi("pi"), Some(status));
    if let Some(driver_status) = driver_status {
        case.create_pod(driver_pod("pi"), Some(driver_status));
    }
    case
}

#[test]
fn a_submitted_application_stays_submitted_while_its_driver_is_pending() {
    let case = submitted("st-pending", LifecycleOptions::default(), "SUBMITTED", Some(phase("Pending")));
    let action = case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Submitted, "{status:?}");
    assert_eq!(status.spark_application_id, TEST_APP_ID, "the driver's spark-app-selector was not recorded");
    assert!(case.events("pi").is_empty(), "{:?}", case.events("pi"));
    assert!(requeued(&action), "a pending driver that no scheduler takes must be looked at again: {action:?}");
}

#[test]
fn a_submitted_application_runs_when_its_driver_runs() {
    let case = submitted("st-running", LifecycleOptions::default(), "SUBMITTED", Some(phase("Running")));
    case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Running, "{status:?}");
    assert!(status.app_state.error_message.is_empty() && status.termination_time.is_none(), "{status:?}");
    assert_eq!(case.events("pi"), ["SparkDriverRunning"]);
}

/// kubeflow: a running application lists its executors, at most
/// `max_tracked_executors` of them (by executor ID).
fn running_with_two_executors(prefix: &str, max_tracked_executors: usize) -> Case {
    let options = LifecycleOptions { max_tracked_executors, ..LifecycleOptions::default() };
    let case = submitted(prefix, options, "RUNNING", Some(phase("Running")));
    for id in [1, 2] {
        case.create_pod(executor_pod("pi", id), Some(phase("Running")));
    }
    case
}

#[test]
fn a_running_application_tracks_its_executors() {
    let case = running_with_two_executors("st-execs", 10);
    case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Running, "{status:?}");
    let tracked: Vec<(&str, ExecutorState)> = status.executor_state.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(tracked, [("pi-exec-1", ExecutorState::Running), ("pi-exec-2", ExecutorState::Running)]);
    assert_eq!(case.events("pi"), ["SparkExecutorRunning", "SparkExecutorRunning"]);
}

#[test]
fn a_running_application_tracks_at_most_max_tracked_executors() {
    let case = running_with_two_executors("st-maxexecs", 1);
    case.reconcile("pi");
    let tracked: Vec<String> = case.status("pi").executor_state.into_keys().collect();
    assert_eq!(tracked, ["pi-exec-1"]);
}

#[test]
fn a_running_application_whose_driver_succeeded_completes() {
    let case = submitted("st-succeeded", LifecycleOptions::default(), "RUNNING", Some(phase("Succeeded")));
    let action = case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Completed, "{status:?}");
    assert!(status.termination_time.is_some(), "{status:?}");
    assert_eq!(case.events("pi"), ["SparkDriverCompleted", "SparkApplicationCompleted"]);
    assert!(!requeued(&action), "a completed application without a TTL waits for changes only: {action:?}");
}

#[test]
fn a_running_application_whose_driver_failed_fails_with_the_driver_s_reason() {
    let case = submitted("st-failed", LifecycleOptions::default(), "RUNNING", Some(driver_failed(1, "boom")));
    case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Failed, "{status:?}");
    let expected = "driver container failed with ExitCode: 1, Reason: Error; termination message: boom";
    assert_eq!(status.app_state.error_message, expected);
    assert!(status.termination_time.is_some(), "{status:?}");
    assert_eq!(case.events("pi"), ["SparkDriverFailed", "SparkApplicationFailed"]);
}

#[test]
fn a_running_application_whose_driver_is_in_an_unknown_phase_is_unknown() {
    let case = submitted("st-unknown", LifecycleOptions::default(), "RUNNING", Some(phase("Unknown")));
    case.reconcile("pi");
    assert_eq!(case.status("pi").app_state.state, S::Unknown);
    assert_eq!(case.events("pi"), ["SparkDriverUnknownState"]);
}

#[test]
fn a_submitted_application_without_its_driver_waits_out_the_grace_period() {
    let options = LifecycleOptions { driver_pod_creation_grace: Duration::from_secs(60), ..Default::default() };
    let case = submitted("st-grace", options, "SUBMITTED", None);
    let action = case.reconcile("pi");
    assert_eq!(case.status("pi").app_state.state, S::Submitted);
    assert!(case.events("pi").is_empty(), "{:?}", case.events("pi"));
    assert!(requeued(&action), "{action:?}");
}

#[test]
fn a_submitted_application_without_its_driver_after_the_grace_period_fails() {
    let options = LifecycleOptions { driver_pod_creation_grace: Duration::ZERO, ..Default::default() };
    let case = submitted("st-nodriver", options, "SUBMITTED", None);
    case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Failed, "{status:?}");
    assert_eq!(status.app_state.error_message, "driver pod not found");
    assert_eq!(case.events("pi"), ["SparkDriverNotFound", "SparkApplicationFailed"]);
    assert!(case.pod(&driver_name("pi")).is_none());
}
