//! kubeflow's `--namespace-selector` on the real control plane, checked as
//! kubeflow's e2e test (test/e2e/namespace_filtering_test.go) checks it,
//! with the operator running as the service account `kspark operator
//! install --namespace-selector` makes: an application in a selected
//! namespace runs, one in an unselected namespace stays new; one created
//! before its namespace gets the label stays new until it changes, one
//! created after runs at once. Besides: a `--namespace` is reconciled
//! whatever its labels (kubeflow ORs the two), ScheduledSparkApplications
//! are filtered alike, and selectors Kubernetes refuses stop the operator
//! before it starts.

use std::ops::ControlFlow;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{admin, cluster, kspark_path, namespace, operator_account_kubeconfig, operator_as};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kspark_sparkapp::{ApplicationStateType, ScheduleState, ScheduledSparkApplication, SparkApplication};
use kspark_testcluster::operator::{OperatorProcess, install_operator_crds};
use kspark_testcluster::{TestUser, block_on, poll_until, unique_name};
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

/// The label the test's selector asks for (its value is the test's own).
const KEY: &str = "kspark.test/selected";

/// `kspark operator run --namespace LISTED --namespace-selector SELECTOR` as
/// the service account of `kspark operator install` with the same flags;
/// killed when dropped.
struct SelectingOperator {
    /// Kept for its Drop, which stops the operator.
    _process: OperatorProcess,
}

impl SelectingOperator {
    fn start(listed: &str, selector: &str) -> SelectingOperator {
        install_operator_crds(cluster(), kspark_path()).unwrap_or_else(|e| panic!("{e}"));
        let operator_ns = unique_name("op-system");
        let install = Command::new(kspark_path())
            .args(["operator", "install", "--namespace", &operator_ns, "--watch-namespace", listed])
            .args(["--namespace-selector", selector])
            // Bound to every namespace, the policy would refuse the other
            // tests' deliberately invalid applications.
            .args(["--no-admission-policy", "--kubeconfig"])
            .arg(cluster().kubeconfig(TestUser::Admin))
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&install.stderr);
        assert!(install.status.success() && stderr.contains("ClusterRole kspark-operator"), "{stderr}");
        let kubeconfig = operator_account_kubeconfig(&operator_ns, None);
        SelectingOperator {
            _process: operator_as(&["--namespace", listed, "--namespace-selector", selector], &kubeconfig),
        }
    }
}

fn label_namespace(ns: &str, value: &str) {
    let patch = json!({"metadata": {"labels": {KEY: value}}});
    block_on(Api::<Namespace>::all(admin()).patch(ns, &PatchParams::default(), &Patch::Merge(&patch)))
        .unwrap_or_else(|e| panic!("label {ns}: {e}"));
}

fn apps(ns: &str) -> Api<SparkApplication> {
    Api::namespaced(admin(), ns)
}

/// An application whose driver the simulated node completes.
fn create_app(ns: &str, name: &str) {
    let app: SparkApplication = serde_json::from_value(json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "metadata": {"name": name},
        "spec": {
            "type": "Scala", "mode": "cluster", "image": "apache/spark:4.0.5", "sparkVersion": "4.0.5",
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark",
                "annotations": {"kspark.test/outcome": "succeed", "kspark.test/run-millis": "200"}},
            "executor": {"instances": 1, "cores": 1, "memory": "512m"}
        }
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    block_on(apps(ns).create(&PostParams::default(), &app)).unwrap_or_else(|e| panic!("create {name}: {e}"));
}

fn state(ns: &str, name: &str) -> ApplicationStateType {
    let app = block_on(apps(ns).get(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    app.status.map(|s| s.app_state.state).unwrap_or_default()
}

fn wait_completed(ns: &str, name: &str) {
    poll_until(Duration::from_secs(60), &format!("{ns}/{name} to complete"), || match state(ns, name) {
        ApplicationStateType::Completed => ControlFlow::Break(()),
        other => ControlFlow::Continue(other),
    })
}

/// Still new, with no status and no driver, for all of `period`.
fn assert_untouched(ns: &str, name: &str, period: Duration) {
    let start = Instant::now();
    loop {
        let app = block_on(apps(ns).get(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(app.status.is_none(), "{ns}/{name} was reconciled: {:?}", app.status);
        if start.elapsed() > period {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let pods = block_on(Api::<Pod>::namespaced(admin(), ns).list(&ListParams::default()))
        .unwrap_or_else(|e| panic!("{e}"))
        .items;
    assert!(pods.is_empty(), "pods in {ns}: {:?}", pods.iter().map(|p| &p.metadata.name).collect::<Vec<_>>());
}

/// A change that is no spec change (kubeflow's "manually triggered").
fn annotate(ns: &str, name: &str) {
    let patch = json!({"metadata": {"annotations": {"kspark.test/touched": "yes"}}});
    block_on(apps(ns).patch(name, &PatchParams::default(), &Patch::Merge(&patch)))
        .unwrap_or_else(|e| panic!("annotate {name}: {e}"));
}

fn schedules(ns: &str) -> Api<ScheduledSparkApplication> {
    Api::namespaced(admin(), ns)
}

fn create_schedule(ns: &str) {
    let template = json!({
        "type": "Scala", "mode": "cluster", "image": "apache/spark:4.0.5", "sparkVersion": "4.0.5",
        "mainClass": "org.apache.spark.examples.SparkPi",
        "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
        "driver": {"serviceAccount": "spark"}, "executor": {"instances": 1}
    });
    let value: Value = json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "ScheduledSparkApplication",
        "metadata": {"name": "nightly"},
        "spec": {"schedule": "0 3 * * *", "template": template}
    });
    let schedule: ScheduledSparkApplication = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    block_on(schedules(ns).create(&PostParams::default(), &schedule)).unwrap_or_else(|e| panic!("{e}"));
}

fn schedule_state(ns: &str) -> Option<ScheduleState> {
    let schedule = block_on(schedules(ns).get("nightly")).unwrap_or_else(|e| panic!("{e}"));
    schedule.status.map(|s| s.schedule_state)
}

#[test]
fn only_listed_and_selected_namespaces_are_reconciled_as_kubeflows_e2e_test_expects() {
    let value = unique_name("on");
    let selector = format!("{KEY}={value}");
    let listed = namespace("sel-listed");
    let selected = namespace("sel-yes");
    let unselected = namespace("sel-no");
    let later = namespace("sel-later");
    label_namespace(&selected, &value);
    // A label that does not match is as good as none.
    label_namespace(&unselected, "off");
    let _operator = SelectingOperator::start(&listed, &selector);

    for (ns, name) in [(&selected, "selected"), (&listed, "listed"), (&unselected, "unselected"), (&later, "early")] {
        create_app(ns, name);
    }
    wait_completed(&selected, "selected");
    wait_completed(&listed, "listed");
    // Created with those two, which the operator has finished: left alone.
    assert_untouched(&unselected, "unselected", Duration::from_secs(3));
    assert_untouched(&later, "early", Duration::from_secs(1));

    // kubeflow's "known limitation": the label alone does not bring the
    // application there; a new one runs at once, the old one at its next
    // change.
    label_namespace(&later, &value);
    create_app(&later, "late");
    wait_completed(&later, "late");
    assert_eq!(state(&later, "early"), ApplicationStateType::New, "reconciled without a change of its own");
    annotate(&later, "early");
    wait_completed(&later, "early");

    // Schedules pass the same filter.
    create_schedule(&selected);
    create_schedule(&unselected);
    poll_until(Duration::from_secs(30), "the selected namespace's schedule", || match schedule_state(&selected) {
        Some(ScheduleState::Scheduled) => ControlFlow::Break(()),
        other => ControlFlow::Continue(other),
    });
    assert_eq!(schedule_state(&unselected), None, "the unselected namespace's schedule was reconciled");
}

/// kubeflow's operator refuses to start with a selector Kubernetes cannot
/// parse (its e2e test lists these); so do `run` and `install`, before any
/// connection, naming the flag.
#[test]
fn selectors_kubernetes_refuses_stop_the_operator_before_it_starts() {
    for selector in ["=value", "env in (prod,staging", "env in prod,staging)", "key!value", "env in (prod staging)"] {
        for command in [&["operator", "run"][..], &["operator", "install", "--dry-run"][..]] {
            let out = Command::new(kspark_path())
                .args(command)
                .args(["--kubeconfig", "/nonexistent/kubeconfig", "--namespace-selector", selector])
                .output()
                .unwrap_or_else(|e| panic!("kspark: {e}"));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command:?} {selector:?}: {stderr}");
            assert!(stderr.contains("--namespace-selector") && stderr.contains("hint"), "{selector:?}: {stderr}");
            assert!(out.stdout.is_empty(), "{command:?} {selector:?} printed objects");
        }
    }
}
