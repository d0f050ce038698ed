//! `spec.suspend`: any live application goes SUSPENDING, its driver is
//! deleted and it rests SUSPENDED; unset again, it goes RESUMING and is
//! submitted (kubeflow's suspend and resume cases). A terminated
//! application ignores it.

use kspark_sparkapp::ApplicationStateType as S;
use serde_json::{Value, json};

use crate::case::Case;
use crate::objects::{driver_name, driver_pod, phase, spark_pi_with, status, submitted_status};
use crate::requeued;

/// A case with application `pi`, `spec.suspend` = `suspend`, in `status`,
/// and a running driver when `with_driver`.
fn suspend_case(prefix: &str, suspend: bool, status: Value, with_driver: bool) -> Case {
    let case = Case::new(prefix);
    case.create_app(spark_pi_with("pi", "suspend", json!(suspend)), Some(status));
    if with_driver {
        case.create_pod(driver_pod("pi"), Some(phase("Running")));
    }
    case
}

/// Suspended: no driver, no run left in the status, nothing more to do
/// until the spec changes.
fn assert_suspended(case: &Case, action: &kube::runtime::controller::Action) {
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Suspended, "{status:?}");
    assert!(status.spark_application_id.is_empty() && status.driver_info.pod_name.is_empty(), "{status:?}");
    assert!(case.pod(&driver_name("pi")).is_none(), "a suspended application kept its driver");
    assert_eq!(case.events("pi"), ["SparkApplicationSuspending"]);
    assert!(!requeued(action), "{action:?}");
}

#[test]
fn a_new_application_with_suspend_is_suspended_without_a_driver() {
    let case = Case::new("st-susp-new");
    case.create_app(spark_pi_with("pi", "suspend", json!(true)), None);
    let action = case.reconcile("pi");
    assert_suspended(&case, &action);
}

#[test]
fn a_running_application_with_suspend_loses_its_driver_and_is_suspended() {
    let case = suspend_case("st-susp-run", true, submitted_status("pi", "RUNNING", 300, json!({})), true);
    let action = case.reconcile("pi");
    assert_suspended(&case, &action);
}

#[test]
fn a_resuming_application_with_suspend_is_suspended() {
    let case = suspend_case("st-susp-resuming", true, status("RESUMING", json!({})), false);
    let action = case.reconcile("pi");
    assert_suspended(&case, &action);
}

#[test]
fn a_terminated_application_ignores_suspend() {
    let case = suspend_case("st-susp-failed", true, status("FAILED", json!({})), false);
    case.reconcile("pi");
    assert_eq!(case.status("pi").app_state.state, S::Failed);
    assert!(case.events("pi").is_empty(), "{:?}", case.events("pi"));
}

#[test]
fn a_suspended_application_stays_suspended_while_suspend_is_set() {
    let case = suspend_case("st-susp-stay", true, status("SUSPENDED", json!({})), false);
    let action = case.reconcile("pi");
    assert_eq!(case.status("pi").app_state.state, S::Suspended);
    assert!(case.pod(&driver_name("pi")).is_none() && case.events("pi").is_empty());
    assert!(!requeued(&action), "{action:?}");
}

/// Resumed: submitted again, the attempts counted on.
fn assert_resumed(case: &Case, events: &[&str]) {
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Submitted, "{status:?}");
    assert!(case.pod(&driver_name("pi")).is_some(), "a resumed application has no driver");
    assert_eq!(case.events("pi"), events);
}

#[test]
fn a_suspended_application_resumes_and_is_submitted() {
    let case = suspend_case("st-resume", false, status("SUSPENDED", json!({})), false);
    case.reconcile("pi");
    assert_resumed(&case, &["SparkApplicationResuming", "SparkApplicationSubmitted"]);
    assert_eq!(case.status("pi").submission_attempts, 1);
}

#[test]
fn a_suspending_application_told_to_resume_is_suspended_then_resumed() {
    let case = suspend_case("st-susp-resume", false, submitted_status("pi", "SUSPENDING", 300, json!({})), true);
    let old = case.pod(&driver_name("pi")).and_then(|p| p.metadata.uid);
    case.reconcile("pi");
    assert_resumed(&case, &["SparkApplicationSuspending", "SparkApplicationResuming", "SparkApplicationSubmitted"]);
    let driver = case.pod(&driver_name("pi")).and_then(|p| p.metadata.uid);
    assert_ne!(driver, old, "the driver from before the suspension is still there");
}
