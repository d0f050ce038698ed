//! A failure that lasts is retried less and less often (kubeflow's
//! controller gets this from controller-runtime's rate-limited queue), and
//! the object heals at the next retry once the cause is gone. The failure
//! is real: the installed operator's Role loses the right to write a
//! ScheduledSparkApplication's status, so every reconcile of the schedule
//! fails at its status write and nothing else triggers it.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use crate::{admin, free_port, http_get, http_get_ok, installed_operator, namespace};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role};
use kspark_sparkapp::{ScheduleState, ScheduledSparkApplication};
use kspark_testcluster::{block_on, poll_some, poll_until};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

const STATUS: &str = "scheduledsparkapplications/status";
/// The failed reconciles of schedules' status writes, as /metrics counts them.
const FAILED_WRITES: &str = "kspark_operator_reconcile_errors_total{kind=\"write_status\"} ";
/// How long the failures are counted from the first.
const WINDOW: Duration = Duration::from_secs(20);

fn without_status_rights(role: &mut Role) {
    for rule in role.rules.iter_mut().flatten() {
        if let Some(resources) = rule.resources.as_mut() {
            resources.retain(|r| r != STATUS);
        }
    }
}

fn failed_writes(addr: &str) -> Option<u64> {
    let metrics = http_get(addr, "/metrics");
    let line = metrics.lines().find(|l| l.starts_with(FAILED_WRITES))?;
    line[FAILED_WRITES.len()..].trim().parse().ok()
}

fn create_schedule(ns: &str) {
    let schedule: ScheduledSparkApplication = serde_json::from_value(json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "ScheduledSparkApplication",
        "metadata": {"name": "nightly"},
        "spec": {"schedule": "0 3 * * *", "template": {
            "type": "Scala", "mode": "cluster", "image": "apache/spark:4.0.5", "sparkVersion": "4.0.5",
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "driver": {"serviceAccount": "spark"}, "executor": {"instances": 1}}}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    block_on(Api::<ScheduledSparkApplication>::namespaced(admin(), ns).create(&PostParams::default(), &schedule))
        .unwrap_or_else(|e| panic!("{e}"));
}

fn give_back_status_rights(ns: &str) {
    let rule = PolicyRule {
        api_groups: Some(vec!["sparkoperator.k8s.io".into()]),
        resources: Some(vec![STATUS.into()]),
        verbs: vec!["get".into(), "update".into(), "patch".into()],
        ..Default::default()
    };
    let roles: Api<Role> = Api::namespaced(admin(), ns);
    let mut role = block_on(roles.get("kspark-operator")).unwrap_or_else(|e| panic!("{e}"));
    role.rules.get_or_insert_default().push(rule);
    role.metadata.managed_fields = None;
    block_on(roles.patch("kspark-operator", &PatchParams::default(), &Patch::Merge(&role)))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_lasting_failure_is_retried_less_and_less_often_and_heals_at_the_next_retry() {
    let ns = namespace("op-backoff");
    let addr = format!("127.0.0.1:{}", free_port());
    let _operator = installed_operator(&ns, &["--metrics-addr", &addr], without_status_rights);
    poll_until(Duration::from_secs(30), "the operator ready", || {
        if http_get_ok(&addr, "/readyz") { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    create_schedule(&ns);
    poll_some(Duration::from_secs(30), "the first failed status write", || failed_writes(&addr));
    let first = Instant::now();
    std::thread::sleep(WINDOW);
    // 2 s, 4 s, 8 s between tries: the 1st, 3rd, 7th and 15th second. A
    // fixed 2 s would make about 10, no retry at all 1.
    let failures = failed_writes(&addr).unwrap_or_default();
    assert!((3..=5).contains(&failures), "{failures} failed writes in {WINDOW:?}");

    // The next retry (16 s after the last) finds the right back.
    give_back_status_rights(&ns);
    let schedules: Api<ScheduledSparkApplication> = Api::namespaced(admin(), &ns);
    poll_until(Duration::from_secs(60), "the schedule Scheduled", || {
        let schedule = block_on(schedules.get("nightly")).unwrap_or_else(|e| panic!("{e}"));
        match schedule.status.map(|s| s.schedule_state) {
            Some(ScheduleState::Scheduled) => ControlFlow::Break(()),
            other => ControlFlow::Continue(other),
        }
    });
    let healed_after = first.elapsed();
    assert!(healed_after >= WINDOW, "healed after {healed_after:?}");
    let after = failed_writes(&addr).unwrap_or_default();
    assert!(after <= failures + 1, "{after} failed writes by the time it healed ({failures} at {WINDOW:?})");
}
