//! `kspark operator run --enable-driver-pdb` (kubeflow's flag) with
//! `spec.driverPodDisruptionBudget` on the real control plane: kubeflow's
//! PodDisruptionBudget over the driver while it runs, counted by the real
//! disruption controller (no disruption allowed), deleted when the
//! application completes and by the garbage collector with the
//! application. One operator runs as the service account `kspark operator
//! install` makes, so that its RBAC is checked to be enough.

use std::ops::ControlFlow;
use std::time::Duration;

use crate::{admin, installed_operator, namespace, operator};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kspark_sparkapp::{ApplicationStateType, SparkApplication};
use kspark_testcluster::{block_on, poll_some, poll_until};
use kube::Api;
use kube::api::{DeleteParams, ListParams, PostParams};
use serde_json::{Value, json};

/// An application whose driver the simulated node plays as `outcome` for
/// `run_millis`.
fn create_app(ns: &str, name: &str, outcome: &str, run_millis: u64, budget: Option<bool>) -> SparkApplication {
    let mut value = json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "metadata": {"name": name},
        "spec": {
            "type": "Scala", "mode": "cluster", "image": "apache/spark:4.0.5", "sparkVersion": "4.0.5",
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark",
                "annotations": {"kspark.test/outcome": outcome, "kspark.test/run-millis": run_millis.to_string()}},
            "executor": {"instances": 1, "cores": 1, "memory": "512m"}
        }
    });
    if let Some(budget) = budget {
        value["spec"]["driverPodDisruptionBudget"] = Value::Bool(budget);
    }
    let app: SparkApplication = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    block_on(apps(ns).create(&PostParams::default(), &app)).unwrap_or_else(|e| panic!("create {name}: {e}"))
}

fn apps(ns: &str) -> Api<SparkApplication> {
    Api::namespaced(admin(), ns)
}

fn state(app: &SparkApplication) -> ApplicationStateType {
    app.status.as_ref().map(|s| s.app_state.state).unwrap_or_default()
}

/// Waits up to 60 s for `name` to be in state `wanted`; a failure names the
/// state it was in instead.
fn wait_state(ns: &str, name: &str, wanted: ApplicationStateType) -> SparkApplication {
    poll_until(Duration::from_secs(60), &format!("{name} to be {wanted:?}"), || {
        let app = block_on(apps(ns).get(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        if state(&app) == wanted { ControlFlow::Break(app) } else { ControlFlow::Continue(app.status) }
    })
}

fn pdbs(ns: &str) -> Api<PodDisruptionBudget> {
    Api::namespaced(admin(), ns)
}

fn pdb(ns: &str, name: &str) -> Option<PodDisruptionBudget> {
    block_on(pdbs(ns).get_opt(name)).unwrap_or_else(|e| panic!("get PDB {name}: {e}"))
}

fn pdb_names(ns: &str) -> Vec<String> {
    let list = block_on(pdbs(ns).list(&ListParams::default())).unwrap_or_else(|e| panic!("list PDBs: {e}"));
    list.items.into_iter().filter_map(|p| p.metadata.name).collect()
}

#[test]
fn a_running_driver_has_kubeflows_budget_until_it_completes() {
    let ns = namespace("op-pdb");
    let _operator = installed_operator(&ns, &["--enable-driver-pdb"], |_| {});
    create_app(&ns, "pi", "succeed", 12_000, Some(true));
    let running = wait_state(&ns, "pi", ApplicationStateType::Running);
    let driver = running.status.clone().unwrap_or_default().driver_info.pod_name;
    assert_eq!(driver, "pi-driver");

    let budget = poll_some(Duration::from_secs(60), "the driver's PodDisruptionBudget", || pdb(&ns, "pi-driver"));
    let labels = budget.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("sparkoperator.k8s.io/launched-by-spark-operator").map(String::as_str), Some("true"));
    assert_eq!(labels.get("sparkoperator.k8s.io/app-name").map(String::as_str), Some("pi"));
    let owner = budget.metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(owner.len(), 1, "{owner:?}");
    assert_eq!((owner[0].kind.as_str(), owner[0].name.as_str()), ("SparkApplication", "pi"));
    assert_eq!(Some(owner[0].uid.as_str()), running.metadata.uid.as_deref());
    assert_eq!(owner[0].controller, Some(true));
    let spec = serde_json::to_value(budget.spec.clone()).unwrap_or_default();
    assert_eq!(
        spec,
        json!({"minAvailable": 1, "selector": {"matchLabels": {"sparkoperator.k8s.io/app-name": "pi", "spark-role": "driver"}}})
    );

    // kube-controller-manager's disruption controller: one healthy driver,
    // one needed, no disruption allowed.
    let status = poll_some(Duration::from_secs(60), "the disruption controller to count the driver", || {
        let status = pdb(&ns, "pi-driver")?.status?;
        (status.expected_pods == 1 && status.current_healthy == 1).then_some(status)
    });
    assert_eq!((status.desired_healthy, status.disruptions_allowed), (1, 0), "{status:?}");

    wait_state(&ns, "pi", ApplicationStateType::Completed);
    poll_some(Duration::from_secs(60), "the budget to be deleted at COMPLETED", || {
        pdb(&ns, "pi-driver").is_none().then_some(())
    });
    assert!(block_on(Api::<Pod>::namespaced(admin(), &ns).get_opt(&driver)).ok().flatten().is_some());
}

#[test]
fn the_budget_goes_with_its_application() {
    let ns = namespace("op-pdb-gc");
    let _operator = operator(&ns, &["--enable-driver-pdb"]);
    create_app(&ns, "forever", "run-forever", 0, Some(true));
    wait_state(&ns, "forever", ApplicationStateType::Running);
    poll_some(Duration::from_secs(60), "the driver's PodDisruptionBudget", || pdb(&ns, "forever-driver"));
    block_on(apps(&ns).delete("forever", &DeleteParams::background())).unwrap_or_else(|e| panic!("delete: {e}"));
    poll_some(Duration::from_secs(60), "the budget to be collected with its application", || {
        pdb(&ns, "forever-driver").is_none().then_some(())
    });
}

#[test]
fn without_the_flag_or_the_field_no_budget_is_made() {
    let no_flag = namespace("op-pdb-off");
    let no_field = namespace("op-pdb-nofield");
    let _without_flag = operator(&no_flag, &[]);
    let _with_flag = operator(&no_field, &["--enable-driver-pdb"]);
    create_app(&no_flag, "asks", "run-forever", 0, Some(true));
    create_app(&no_field, "declines", "run-forever", 0, Some(false));
    create_app(&no_field, "silent", "run-forever", 0, None);
    wait_state(&no_flag, "asks", ApplicationStateType::Running);
    wait_state(&no_field, "declines", ApplicationStateType::Running);
    wait_state(&no_field, "silent", ApplicationStateType::Running);
    // A budget is made within a reconcile of RUNNING; give a few more.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(pdb_names(&no_flag), Vec::<String>::new());
    assert_eq!(pdb_names(&no_field), Vec::<String>::new());
}

/// kubeflow fails the reconcile when the budget cannot be made, and retries;
/// kspark too, but the application's state is written first: a budget the
/// operator may not create never holds its application back.
#[test]
fn a_budget_the_operator_may_not_create_does_not_hold_the_application_back() {
    let ns = namespace("op-pdb-denied");
    let _operator = installed_operator(&ns, &["--enable-driver-pdb"], |role| {
        let rules = role.rules.get_or_insert_default();
        rules.retain(|r| !r.api_groups.as_ref().is_some_and(|g| g.iter().any(|g| g == "policy")));
    });
    // Long enough that RUNNING is seen even on a loaded machine.
    create_app(&ns, "denied", "succeed", 10_000, Some(true));
    wait_state(&ns, "denied", ApplicationStateType::Running);
    wait_state(&ns, "denied", ApplicationStateType::Completed);
    assert_eq!(pdb_names(&ns), Vec::<String>::new());
}
