//! The objects the cases start from: a SparkApplication, its status in a
//! given state, and driver and executor pods as Spark labels them — pods
//! that no scheduler takes and no node runs, so that their phases are only
//! ever the ones a test sets.

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kspark_manifests::labels::{SPARK_APP_SELECTOR, SPARK_EXEC_ID, SPARK_ROLE};
use kspark_sparkapp::labels;
use kspark_testcluster::operator::spark_pi_application;
use serde_json::{Value, json};

/// A scheduler name nobody serves: the pods stay unbound, untouched by the
/// simulated node, and are deleted at once (no kubelet to wait for).
const NO_SCHEDULER: &str = "kspark-test-nobody";

/// The `spark-app-selector` of pods a test makes (Spark's `spark.app.id`).
pub const TEST_APP_ID: &str = "spark-0123456789abcdef0123456789abcdef";
/// The submission of the pods a test makes: a random UUID, as kubeflow's
/// are (kspark's own are name-based).
pub const TEST_SUBMISSION_ID: &str = "6b2d8e14-0c3f-4a97-8e5b-1f9a7c3d2e60";

/// SparkPi as kubeflow's examples run it; the driver the operator creates
/// runs forever on the simulated node, so nothing changes under a test.
pub fn spark_pi(name: &str) -> Value {
    let mut app = spark_pi_application(name);
    app["spec"]["driver"]["annotations"] = json!({"kspark.test/outcome": "run-forever"});
    app
}

/// [`spark_pi`] with `field` of its spec set to `value`.
pub fn spark_pi_with(name: &str, field: &str, value: Value) -> Value {
    let mut app = spark_pi(name);
    app["spec"][field] = value;
    app
}

/// A status in `state`, with kubeflow's always-present `driverInfo`, and
/// `extra` fields merged in.
pub fn status(state: &str, extra: Value) -> Value {
    let mut status = json!({"applicationState": {"state": state}, "driverInfo": {}});
    if let (Some(fields), Some(more)) = (status.as_object_mut(), extra.as_object()) {
        fields.extend(more.clone());
    }
    status
}

/// A status of an application whose driver `<name>-driver` was submitted
/// `seconds_ago` (its first attempt), in `state`, with `extra` merged in.
pub fn submitted_status(name: &str, state: &str, seconds_ago: i64, extra: Value) -> Value {
    let mut status = status(
        state,
        json!({
            "driverInfo": {"podName": driver_name(name)},
            "sparkApplicationId": TEST_APP_ID,
            "submissionID": TEST_SUBMISSION_ID,
            "submissionAttempts": 1,
            "executionAttempts": 1,
            "lastSubmissionAttemptTime": ago(seconds_ago),
        }),
    );
    if let (Some(fields), Some(more)) = (status.as_object_mut(), extra.as_object()) {
        fields.extend(more.clone());
    }
    status
}

/// A Kubernetes time `seconds` ago.
pub fn ago(seconds: i64) -> Value {
    let then = Timestamp::now() - SignedDuration::from_secs(seconds);
    serde_json::to_value(Time(then)).unwrap_or_default()
}

/// kubeflow's driver pod name for an application that names none.
pub fn driver_name(app: &str) -> String {
    format!("{app}-driver")
}

fn spark_pod(name: &str, app: &str, role: &str, container: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {
            labels::APP_NAME: app,
            labels::LAUNCHED_BY_SPARK_OPERATOR: "true",
            SPARK_ROLE: role,
            SPARK_APP_SELECTOR: TEST_APP_ID,
            labels::SUBMISSION_ID: TEST_SUBMISSION_ID,
        }},
        "spec": {
            "schedulerName": NO_SCHEDULER,
            "containers": [{"name": container, "image": "apache/spark:4.0.5"}]
        }
    })
}

/// The driver pod of application `app`.
pub fn driver_pod(app: &str) -> Value {
    spark_pod(&driver_name(app), app, "driver", "spark-kubernetes-driver")
}

/// Executor `id` of application `app`.
pub fn executor_pod(app: &str, id: u32) -> Value {
    let mut pod = spark_pod(&format!("{app}-exec-{id}"), app, "executor", "spark-kubernetes-executor");
    pod["metadata"]["labels"][SPARK_EXEC_ID] = json!(id.to_string());
    pod
}

/// A pod status in `phase`.
pub fn phase(phase: &str) -> Value {
    json!({"phase": phase})
}

/// A Failed driver whose container exited with `code` and `message`.
pub fn driver_failed(code: i32, message: &str) -> Value {
    json!({
        "phase": "Failed",
        "containerStatuses": [{
            "name": "spark-kubernetes-driver", "image": "apache/spark:4.0.5", "imageID": "",
            "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": code, "reason": "Error", "message": message}}
        }]
    })
}
