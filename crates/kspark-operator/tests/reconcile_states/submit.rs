//! NEW: the submission, and a submission that fails (SUBMISSION_FAILED,
//! then FAILED when the restart policy allows no retry).

use kspark_sparkapp::ApplicationStateType as S;
use kspark_sparkapp::labels;
use serde_json::json;

use crate::case::Case;
use crate::objects::{driver_name, spark_pi};
use crate::requeued;

#[test]
fn a_new_application_is_submitted_with_its_driver_pod() {
    let case = Case::new("st-new");
    case.create_app(spark_pi("pi"), None);
    let action = case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Submitted, "{status:?}");
    assert_eq!((status.submission_attempts, status.execution_attempts), (1, 1));
    assert_eq!(status.driver_info.pod_name, driver_name("pi"));
    assert!(status.spark_application_id.starts_with("spark-"), "{status:?}");
    assert!(status.last_submission_attempt_time.is_some() && status.termination_time.is_none(), "{status:?}");
    let pod = case.pod(&driver_name("pi")).unwrap_or_else(|| panic!("no driver pod after the submission"));
    let label = pod.metadata.labels.as_ref().and_then(|l| l.get(labels::SUBMISSION_ID)).cloned();
    assert_eq!(label.as_deref(), Some(status.submission_id.as_str()), "the driver is not this submission's");
    assert_eq!(case.events("pi"), ["SparkApplicationSubmitted"]);
    // The driver is not in the cache yet: looked at again at the end of
    // the driver pod creation grace period.
    assert!(requeued(&action), "{action:?}");
}

#[test]
fn a_submission_that_fails_with_no_retry_left_fails_the_application() {
    let case = Case::new("st-subfail");
    let mut app = spark_pi("pi");
    app["spec"]["driver"]["serviceAccount"] = json!("nobody");
    case.create_app(app, None);
    case.reconcile("pi");
    let status = case.status("pi");
    assert_eq!(status.app_state.state, S::Failed, "{status:?}");
    let message = &status.app_state.error_message;
    assert!(message.starts_with("failed to run spark-submit: driver service account nobody"), "{message}");
    assert_eq!(status.submission_attempts, 1);
    assert!(status.termination_time.is_some(), "{status:?}");
    assert!(case.pod(&driver_name("pi")).is_none(), "a driver was created for a failed submission");
    assert_eq!(case.events("pi"), ["SparkApplicationSubmissionFailed", "SparkApplicationFailed"]);
}
