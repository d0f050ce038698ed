//! `kspark operator run` with ScheduledSparkApplications against a real
//! control plane and the simulated node. Schedules are `@every 2s`-style so
//! the tests run in seconds; downtime is simulated by stopping the operator
//! and moving its clock (`KSPARK_OPERATOR_CLOCK_FILE`, an offset from the
//! system clock) forward.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{admin, cluster, kspark_path, namespace};
use kspark_sparkapp::{
    ApplicationStateType, ScheduleState, ScheduledSparkApplication, ScheduledSparkApplicationStatus, SparkApplication,
};
use kspark_testcluster::operator::OperatorProcess;
use kspark_testcluster::{block_on, eventually, poll_until};
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const SCHEDULE_LABEL: &str = "sparkoperator.k8s.io/scheduled-app-name";

/// An operator process with a clock file of its own; killed when dropped.
fn operator(ns: &str, clock: &Path, extra: &[&str]) -> OperatorProcess {
    let env = [("KSPARK_OPERATOR_CLOCK_FILE".to_string(), clock.display().to_string())];
    OperatorProcess::start_with_env(cluster(), kspark_path(), ns, extra, &env).unwrap_or_else(|e| panic!("{e}"))
}

/// The operator's clock: an offset file in a directory removed at the end.
struct TestClock {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl TestClock {
    fn new() -> TestClock {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("clock-offset");
        TestClock { _dir: dir, path }
    }

    fn set_offset(&self, offset: &str) {
        std::fs::write(&self.path, offset).unwrap_or_else(|e| panic!("{e}"));
    }
}

fn schedules(ns: &str) -> Api<ScheduledSparkApplication> {
    Api::namespaced(admin(), ns)
}

fn apps(ns: &str) -> Api<SparkApplication> {
    Api::namespaced(admin(), ns)
}

/// A SparkPi template whose driver the fake node plays by `outcome` for `millis`.
fn template(outcome: &str, millis: u64) -> Value {
    json!({
        "type": "Scala", "mode": "cluster", "image": "apache/spark:4.0.5",
        "mainClass": "org.apache.spark.examples.SparkPi",
        "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
        "sparkVersion": "4.0.5",
        "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark",
                   "annotations": {"kspark.test/outcome": outcome, "kspark.test/run-millis": millis.to_string()}},
        "executor": {"instances": 1, "cores": 1, "memory": "512m"}
    })
}

fn scheduled(name: &str, schedule: &str, spec: Value) -> Value {
    let mut value = json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "ScheduledSparkApplication",
        "metadata": {"name": name, "labels": {"team": "etl"}},
        "spec": {"schedule": schedule, "template": template("succeed", 300)}
    });
    if let (Some(target), Some(extra)) = (value["spec"].as_object_mut(), spec.as_object()) {
        target.extend(extra.clone());
    }
    value
}

fn create(ns: &str, value: Value) -> ScheduledSparkApplication {
    let object: ScheduledSparkApplication = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    block_on(schedules(ns).create(&PostParams::default(), &object)).unwrap_or_else(|e| panic!("create: {e}"))
}

fn status(ns: &str, name: &str) -> ScheduledSparkApplicationStatus {
    let current = block_on(schedules(ns).get(name)).unwrap_or_else(|e| panic!("get {name}: {e}"));
    current.status.unwrap_or_default()
}

fn wait_status(
    ns: &str,
    name: &str,
    timeout: Duration,
    done: impl Fn(&ScheduledSparkApplicationStatus) -> bool,
) -> ScheduledSparkApplicationStatus {
    poll_until(timeout, name, || {
        let current = status(ns, name);
        if done(&current) { ControlFlow::Break(current) } else { ControlFlow::Continue(current) }
    })
}

/// The runs of a schedule (by kubeflow's label), oldest name first.
fn runs(ns: &str, schedule: &str) -> Vec<SparkApplication> {
    let params = ListParams::default().labels(&format!("{SCHEDULE_LABEL}={schedule}"));
    let mut list = block_on(apps(ns).list(&params)).map(|l| l.items).unwrap_or_else(|e| panic!("list: {e}"));
    list.retain(|a| a.metadata.deletion_timestamp.is_none());
    list.sort_by_key(|a| a.metadata.name.clone());
    list
}

fn names(runs: &[SparkApplication]) -> Vec<String> {
    runs.iter().filter_map(|a| a.metadata.name.clone()).collect()
}

fn state(app: &SparkApplication) -> ApplicationStateType {
    app.status.as_ref().map(|s| s.app_state.state).unwrap_or_default()
}

/// The scheduled time a run's name carries (kubeflow's nanos precision).
fn scheduled_time(run: &str) -> jiff::Timestamp {
    let nanos: i128 = run.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{run}"));
    jiff::Timestamp::from_nanosecond(nanos).unwrap_or_else(|e| panic!("{run}: {e}"))
}

fn events(ns: &str, name: &str) -> String {
    let api: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(admin(), ns);
    let list = block_on(api.list(&ListParams::default())).map(|l| l.items).unwrap_or_default();
    list.iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .map(|e| format!("{} {}\n", e.reason.clone().unwrap_or_default(), e.note.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn runs_are_created_on_schedule_with_kubeflows_labels_owner_status_and_history() {
    let ns = namespace("sched-runs");
    let clock = TestClock::new();
    let _operator = operator(&ns, &clock.path, &[]);
    let owner = create(&ns, scheduled("pi", "@every 2s", json!({"successfulRunHistoryLimit": 2})));
    let mut failing = scheduled("bad", "@every 2s", json!({}));
    failing["spec"]["template"] = template("fail:4", 200);
    create(&ns, failing);
    // Runs keep coming, two seconds apart, and finish.
    let done = wait_status(&ns, "pi", Duration::from_secs(60), |s| s.past_successful_run_names.len() == 2);
    assert_eq!(done.schedule_state, ScheduleState::Scheduled);
    let first = runs(&ns, "pi");
    let run = first.first().unwrap_or_else(|| panic!("no run"));
    let name = run.metadata.name.clone().unwrap_or_default();
    assert!(name.starts_with("pi-") && scheduled_time(&name).subsec_nanosecond() == 0, "{name}");
    let labels = run.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get(SCHEDULE_LABEL).map(String::as_str), Some("pi"));
    assert_eq!(labels.get("team").map(String::as_str), Some("etl"), "the schedule's labels are copied");
    let refs = run.metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(refs.len(), 1);
    assert_eq!((refs[0].kind.as_str(), refs[0].name.as_str()), ("ScheduledSparkApplication", "pi"));
    assert_eq!(Some(&refs[0].uid), owner.metadata.uid.as_ref());
    assert_eq!(refs[0].block_owner_deletion, Some(true));
    let times: BTreeSet<jiff::Timestamp> = names(&first).iter().map(|n| scheduled_time(n)).collect();
    let gaps: Vec<i64> = times.iter().zip(times.iter().skip(1)).map(|(a, b)| b.as_second() - a.as_second()).collect();
    assert!(gaps.iter().all(|g| (2..=4).contains(g)), "runs two seconds apart: {gaps:?}");
    // History: at most two COMPLETED runs stay (those the status lists), one FAILED.
    eventually(30, "successful history pruned to 2", || {
        let now = status(&ns, "pi");
        let completed: Vec<String> = runs(&ns, "pi")
            .iter()
            .filter(|a| state(a) == ApplicationStateType::Completed)
            .filter_map(|a| a.metadata.name.clone())
            .collect();
        completed.len() <= 2 && now.past_successful_run_names.iter().all(|n| completed.contains(n))
    });
    let bad = wait_status(&ns, "bad", Duration::from_secs(60), |s| s.past_failed_run_names.len() == 1);
    assert!(bad.past_successful_run_names.is_empty());
    eventually(30, "failed history pruned to 1", || {
        runs(&ns, "bad").iter().filter(|a| state(a) == ApplicationStateType::Failed).count() <= 1
    });
    let status = status(&ns, "pi");
    let (last, next) = (status.last_run.as_ref().map(|t| t.0), status.next_run.as_ref().map(|t| t.0));
    assert!(last.is_some() && next > last, "{status:?}");
    assert!(!status.last_run_name.is_empty());
    assert!(events(&ns, "pi").contains("ScheduledRunCreated"), "{}", events(&ns, "pi"));
}

#[test]
fn forbid_skips_while_a_run_is_active_and_replace_deletes_it() {
    let ns = namespace("sched-conc");
    let clock = TestClock::new();
    let _operator = operator(&ns, &clock.path, &[]);
    let mut forbid = scheduled("forbid", "@every 2s", json!({"concurrencyPolicy": "Forbid"}));
    forbid["spec"]["template"] = template("succeed", 9000);
    let mut replace = scheduled("replace", "@every 3s", json!({"concurrencyPolicy": "Replace"}));
    replace["spec"]["template"] = template("succeed", 120_000);
    create(&ns, forbid);
    create(&ns, replace);
    // Forbid: the first run runs ~9 s; no second one meanwhile.
    let first = wait_status(&ns, "forbid", Duration::from_secs(30), |s| !s.last_run_name.is_empty()).last_run_name;
    std::thread::sleep(Duration::from_secs(6));
    let during = names(&runs(&ns, "forbid"));
    assert_eq!(during, std::slice::from_ref(&first), "Forbid started another run while {first} was active");
    assert!(events(&ns, "forbid").contains("ScheduledRunSkipped"), "{}", events(&ns, "forbid"));
    // …and one starts once it has finished.
    let second = wait_status(&ns, "forbid", Duration::from_secs(40), |s| s.last_run_name != first).last_run_name;
    let finished = block_on(apps(&ns).get(&first)).unwrap_or_else(|e| panic!("{first}: {e}"));
    assert_eq!(state(&finished), ApplicationStateType::Completed, "{second} started before {first} ended");
    // Replace: each run is deleted when the next one starts.
    let one = wait_status(&ns, "replace", Duration::from_secs(30), |s| !s.last_run_name.is_empty()).last_run_name;
    let two = wait_status(&ns, "replace", Duration::from_secs(30), |s| s.last_run_name != one).last_run_name;
    eventually(30, "the replaced run is gone", || block_on(apps(&ns).get_opt(&one)).ok().flatten().is_none());
    assert!(names(&runs(&ns, "replace")).contains(&two));
    assert!(events(&ns, "replace").contains("ScheduledRunReplaced"), "{}", events(&ns, "replace"));
}

#[test]
fn a_suspended_schedule_starts_nothing_until_resumed() {
    let ns = namespace("sched-suspend");
    let clock = TestClock::new();
    let _operator = operator(&ns, &clock.path, &[]);
    create(&ns, scheduled("paused", "@every 2s", json!({"suspend": true})));
    std::thread::sleep(Duration::from_secs(6));
    assert!(runs(&ns, "paused").is_empty());
    assert!(status(&ns, "paused").last_run_name.is_empty());
    let resume = json!({"spec": {"suspend": false}});
    block_on(schedules(&ns).patch("paused", &PatchParams::default(), &Patch::Merge(&resume)))
        .unwrap_or_else(|e| panic!("{e}"));
    wait_status(&ns, "paused", Duration::from_secs(30), |s| !s.last_run_name.is_empty());
    // Suspending again stops new runs.
    let pause = json!({"spec": {"suspend": true}});
    block_on(schedules(&ns).patch("paused", &PatchParams::default(), &Patch::Merge(&pause)))
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_secs(1));
    let before = runs(&ns, "paused").len();
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(runs(&ns, "paused").len(), before);
}

#[test]
fn after_downtime_one_catch_up_run_and_a_restart_never_duplicates_it() {
    let ns = namespace("sched-catchup");
    let clock = TestClock::new();
    let mut running = operator(&ns, &clock.path, &[]);
    create(&ns, scheduled("hourly", "@every 1h", json!({})));
    let due = wait_status(&ns, "hourly", Duration::from_secs(30), |s| s.next_run.is_some()).next_run;
    running.kill();
    // Five hours pass while the operator is away.
    clock.set_offset("5h");
    let mut second = operator(&ns, &clock.path, &[]);
    let caught = wait_status(&ns, "hourly", Duration::from_secs(30), |s| !s.last_run_name.is_empty());
    let due = due.map(|t| t.0).unwrap_or_else(|| panic!("no nextRun"));
    assert_eq!(scheduled_time(&caught.last_run_name), due, "the missed run is named after its time");
    let next = caught.next_run.map(|t| t.0).unwrap_or_else(|| panic!("no nextRun"));
    assert!(next.duration_since(jiff::Timestamp::now()).as_hours() >= 5, "next counted from the operator's now");
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(names(&runs(&ns, "hourly")), std::slice::from_ref(&caught.last_run_name), "one catch-up run, no storm");
    second.kill();
    // A crash after creating the run but before writing the status: the
    // restarted operator meets the same name and does not create another.
    let rewind = json!({"status": {"nextRun": due}});
    block_on(schedules(&ns).patch_status("hourly", &PatchParams::default(), &Patch::Merge(&rewind)))
        .unwrap_or_else(|e| panic!("{e}"));
    let _operator = operator(&ns, &clock.path, &[]);
    wait_status(&ns, "hourly", Duration::from_secs(30), |s| s.next_run.as_ref().is_some_and(|t| t.0 > due));
    assert_eq!(names(&runs(&ns, "hourly")), [caught.last_run_name], "the run was not created twice");
}

#[test]
fn an_invalid_schedule_or_time_zone_fails_validation_with_an_event_and_runs_nothing() {
    let ns = namespace("sched-invalid");
    let clock = TestClock::new();
    let _operator = operator(&ns, &clock.path, &[]);
    create(&ns, scheduled("typo", "every day", json!({})));
    create(&ns, scheduled("mars", "@daily", json!({"timeZone": "Mars/Olympus_Mons"})));
    let typo =
        wait_status(&ns, "typo", Duration::from_secs(30), |s| s.schedule_state == ScheduleState::FailedValidation);
    assert!(typo.reason.contains("spec.schedule \"every day\""), "{}", typo.reason);
    let mars =
        wait_status(&ns, "mars", Duration::from_secs(30), |s| s.schedule_state == ScheduleState::FailedValidation);
    assert!(mars.reason.contains("spec.timeZone \"Mars/Olympus_Mons\""), "{}", mars.reason);
    // kubeflow would create runs named past 63 characters, each failing.
    let long = "a-schedule-name-too-long-for-its-runs-to-be-named";
    create(&ns, scheduled(long, "@every 2s", json!({})));
    let refused =
        wait_status(&ns, long, Duration::from_secs(30), |s| s.schedule_state == ScheduleState::FailedValidation);
    assert!(refused.reason.contains("at most 43 characters"), "{}", refused.reason);
    eventually(10, "a ScheduleInvalid event", || events(&ns, "typo").contains("ScheduleInvalid"));
    assert!(runs(&ns, "typo").is_empty() && runs(&ns, "mars").is_empty() && runs(&ns, long).is_empty());
    // Fixed, it is scheduled (kubeflow would stay FailedValidation forever).
    let fix = json!({"spec": {"schedule": "@every 2s"}});
    block_on(schedules(&ns).patch("typo", &PatchParams::default(), &Patch::Merge(&fix)))
        .unwrap_or_else(|e| panic!("{e}"));
    let fixed = wait_status(&ns, "typo", Duration::from_secs(30), |s| !s.last_run_name.is_empty());
    assert_eq!((fixed.schedule_state, fixed.reason.as_str()), (ScheduleState::Scheduled, ""));
}

#[test]
fn kubeflows_scheduled_example_runs_unmodified() {
    let ns = namespace("sched-example");
    let client = admin();
    let account: k8s_openapi::api::core::v1::ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "spark-operator-spark"}})).unwrap_or_else(|e| panic!("{e}"));
    block_on(Api::namespaced(client, &ns).create(&PostParams::default(), &account))
        .unwrap_or_else(|e| panic!("service account: {e}"));
    let (_, mut doc) = kspark_testcluster::kubeflow_example_documents()
        .into_iter()
        .find(|(stem, _)| stem == "spark-pi-scheduled")
        .unwrap_or_else(|| panic!("no spark-pi-scheduled example"));
    doc["metadata"]["namespace"] = json!(ns);
    assert_eq!(doc["spec"]["schedule"], "@every 3m");
    let clock = TestClock::new();
    let mut running = operator(&ns, &clock.path, &[]);
    create(&ns, doc);
    wait_status(&ns, "spark-pi-scheduled", Duration::from_secs(30), |s| s.schedule_state == ScheduleState::Scheduled);
    // Three minutes later (by the operator's clock) it runs.
    running.kill();
    clock.set_offset("3m");
    let _operator = operator(&ns, &clock.path, &[]);
    let started = wait_status(&ns, "spark-pi-scheduled", Duration::from_secs(30), |s| !s.last_run_name.is_empty());
    let run = started.last_run_name;
    let ended = poll_until(Duration::from_secs(120), &run, || {
        let app = block_on(apps(&ns).get(&run)).unwrap_or_else(|e| panic!("{run}: {e}"));
        if state(&app).is_terminated() { ControlFlow::Break(app) } else { ControlFlow::Continue(app.status) }
    });
    assert_eq!(state(&ended), ApplicationStateType::Completed, "{:?}", ended.status);
    let done = wait_status(&ns, "spark-pi-scheduled", Duration::from_secs(30), |s| {
        s.past_successful_run_names == [run.clone()]
    });
    assert_eq!(done.schedule_state, ScheduleState::Scheduled);
}
