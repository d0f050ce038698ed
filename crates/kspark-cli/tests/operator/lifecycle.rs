//! `kspark operator run` against a real control plane with the simulated
//! node: SparkApplications go through kubeflow's lifecycle. Each test runs
//! its own operator process, scoped to a namespace of its own.

use std::ops::ControlFlow;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::{
    admin, cluster, free_port, http_get, http_get_ok, kspark, namespace, operator, operator_account_kubeconfig,
    operator_as,
};
use k8s_openapi::api::core::v1::{Pod, ResourceQuota};
use k8s_openapi::api::events::v1::Event;
use kspark_sparkapp::{ApplicationStateType, ScheduleState, SparkApplication};
use kspark_testcluster::operator::spark_pi_application;
use kspark_testcluster::{TestUser, block_on, eventually, poll_until};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

/// A namespace with the driver service account `spark` (the CRDs installed).
/// An operator process for `ns`; killed when dropped.
fn apps(ns: &str) -> Api<SparkApplication> {
    Api::namespaced(admin(), ns)
}

/// A SparkPi-like application whose driver the fake node plays by `outcome`.
fn app(name: &str, outcome: &str) -> Value {
    let mut app = spark_pi_application(name);
    app["spec"]["driver"]["annotations"] = json!({"kspark.test/outcome": outcome, "kspark.test/run-millis": "300"});
    app
}

fn create(ns: &str, value: Value) -> SparkApplication {
    let app: SparkApplication = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    block_on(apps(ns).create(&PostParams::default(), &app)).unwrap_or_else(|e| panic!("create: {e}"))
}

fn get(ns: &str, name: &str) -> Option<SparkApplication> {
    block_on(apps(ns).get_opt(name)).unwrap_or_else(|e| panic!("get {name}: {e}"))
}

fn state(app: &SparkApplication) -> ApplicationStateType {
    app.status.as_ref().map(|s| s.app_state.state).unwrap_or_default()
}

/// Polls until `done` holds; panics with the last status after `timeout`.
fn wait_for(ns: &str, name: &str, timeout: Duration, done: impl Fn(&SparkApplication) -> bool) -> SparkApplication {
    poll_until(timeout, name, || {
        let current = get(ns, name).unwrap_or_else(|| panic!("{name} is gone"));
        if done(&current) { ControlFlow::Break(current) } else { ControlFlow::Continue(current.status) }
    })
}

fn wait_state(ns: &str, name: &str, wanted: ApplicationStateType) -> SparkApplication {
    wait_for(ns, name, Duration::from_secs(60), |a| state(a) == wanted)
}

fn driver_pods(ns: &str) -> Vec<Pod> {
    let pods: Api<Pod> = Api::namespaced(admin(), ns);
    let params = ListParams::default().labels("spark-role=driver");
    block_on(pods.list(&params)).map(|l| l.items).unwrap_or_else(|e| panic!("list pods: {e}"))
}

#[test]
fn an_application_runs_to_completed_with_kubeflows_status() {
    let ns = namespace("op-ok");
    let _operator = operator(&ns, &[]);
    create(&ns, app("pi", "succeed"));
    let done = wait_state(&ns, "pi", ApplicationStateType::Completed);
    let status = done.status.unwrap_or_default();
    assert_eq!(status.submission_attempts, 1);
    assert_eq!(status.execution_attempts, 1);
    assert_eq!(status.driver_info.pod_name, "pi-driver");
    assert!(status.spark_application_id.starts_with("spark-"), "{status:?}");
    assert!(status.termination_time.is_some() && status.last_submission_attempt_time.is_some());
    let drivers = driver_pods(&ns);
    assert_eq!(drivers.len(), 1);
    let labels = drivers[0].metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("sparkoperator.k8s.io/submission-id"), Some(&status.submission_id));
    assert_eq!(labels.get("spark-app-selector"), Some(&status.spark_application_id));
    let owner = drivers[0].metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(owner.first().map(|o| o.kind.as_str()), Some("SparkApplication"));
}

#[test]
fn a_failing_driver_ends_failed_with_its_exit_code() {
    let ns = namespace("op-fail");
    let _operator = operator(&ns, &[]);
    create(&ns, app("bad", "fail:3:division by zero"));
    let failed = wait_state(&ns, "bad", ApplicationStateType::Failed);
    let message = failed.status.unwrap_or_default().app_state.error_message;
    assert!(message.contains("ExitCode: 3"), "{message}");
    assert!(message.contains("division by zero"), "{message}");
}

#[test]
fn submission_failures_retry_until_the_retries_are_exhausted() {
    let ns = namespace("op-retry");
    let _operator = operator(&ns, &[]);
    let mut value = app("noimage", "succeed");
    // A memory size Spark cannot parse fails every submission attempt.
    value["spec"]["sparkConf"] = json!({"spark.driver.memoryOverhead": "lots"});
    value["spec"]["restartPolicy"] = json!({
        "type": "OnFailure", "onSubmissionFailureRetries": 2, "onSubmissionFailureRetryInterval": 1
    });
    create(&ns, value);
    let failed = wait_state(&ns, "noimage", ApplicationStateType::Failed);
    let status = failed.status.unwrap_or_default();
    assert_eq!(status.submission_attempts, 3, "{status:?}");
    assert!(status.app_state.error_message.contains("spark.driver.memoryOverhead"), "{status:?}");
    assert!(driver_pods(&ns).is_empty());
}

/// kubeflow's e2e test `fail-submission` (test/e2e/bad_examples): a driver
/// service account that does not exist is a submission failure, retried
/// per `spec.restartPolicy`, then FAILED; never a wait.
#[test]
fn a_missing_driver_service_account_fails_submission_as_kubeflows_e2e_test_expects() {
    let ns = namespace("op-no-sa");
    let addr = format!("127.0.0.1:{}", free_port());
    let _operator = operator(&ns, &["--metrics-addr", &addr]);
    let mut value = app("fail-submission", "succeed");
    value["spec"]["driver"]["serviceAccount"] = json!("non-existent");
    value["spec"]["restartPolicy"] =
        json!({"type": "OnFailure", "onSubmissionFailureRetries": 3, "onSubmissionFailureRetryInterval": 1});
    create(&ns, value);
    // Every state seen until it ends, as the e2e test collects them.
    let mut seen = Vec::new();
    let start = Instant::now();
    let failed = loop {
        let current = get(&ns, "fail-submission").unwrap_or_else(|| panic!("fail-submission is gone"));
        if state(&current) == ApplicationStateType::Failed {
            break current;
        }
        seen.push(state(&current));
        assert!(start.elapsed() < Duration::from_secs(60), "not FAILED: {:?} after {seen:?}", current.status);
        std::thread::sleep(Duration::from_millis(100));
    };
    let status = failed.status.unwrap_or_default();
    assert_eq!(status.submission_attempts, 4, "onSubmissionFailureRetries + 1: {status:?}");
    let allowed = [ApplicationStateType::New, ApplicationStateType::SubmissionFailed];
    assert!(seen.iter().all(|s| allowed.contains(s)), "{seen:?}");
    assert!(seen.contains(&ApplicationStateType::SubmissionFailed), "{seen:?}");
    let message = &status.app_state.error_message;
    let expected = format!(
        "failed to run spark-submit: driver service account non-existent does not exist in namespace {ns} (hint: "
    );
    assert!(message.starts_with(&expected), "{message}");
    assert!(driver_pods(&ns).is_empty());

    // kubeflow's events: one SubmissionFailed per attempt, then Failed.
    let events = block_on(Api::<Event>::namespaced(admin(), &ns).list(&ListParams::default()))
        .unwrap_or_else(|e| panic!("{e}"))
        .items;
    let notes = |reason: &str| -> Vec<String> {
        events.iter().filter(|e| e.reason.as_deref() == Some(reason)).filter_map(|e| e.note.clone()).collect()
    };
    let submission_failed = notes("SparkApplicationSubmissionFailed");
    assert!(!submission_failed.is_empty());
    assert!(
        submission_failed
            .iter()
            .all(|n| n.starts_with(&format!("failed to submit SparkApplication fail-submission: {expected}"))),
        "{submission_failed:?}"
    );
    assert_eq!(notes("SparkApplicationFailed"), vec![format!("SparkApplication fail-submission failed: {message}")]);
    assert!(notes("SparkApplicationWaiting").is_empty());

    // kubeflow's metrics follow state changes: SUBMISSION_FAILED entered
    // once (the retries stay in it), FAILED once, nothing submitted.
    let label = format!("{{app_namespace=\"{ns}\"}}");
    let wanted = [
        format!("spark_application_failed_submission_count_total{label} 1"),
        format!("spark_application_failure_count_total{label} 1"),
    ];
    let start = Instant::now();
    let metrics = loop {
        let metrics = http_get(&addr, "/metrics");
        if wanted.iter().all(|line| metrics.contains(line)) || start.elapsed() > Duration::from_secs(10) {
            break metrics;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    for line in &wanted {
        assert!(metrics.contains(line), "no `{line}` in\n{metrics}");
    }
    assert!(!metrics.contains(&format!("spark_application_submit_count_total{label}")), "{metrics}");
}

#[test]
fn a_failed_run_is_restarted_on_failure() {
    let ns = namespace("op-rerun");
    let _operator = operator(&ns, &[]);
    let mut value = app("flaky", "fail:1");
    value["spec"]["restartPolicy"] = json!({"type": "OnFailure", "onFailureRetries": 1, "onFailureRetryInterval": 1});
    create(&ns, value);
    let failed = wait_for(&ns, "flaky", Duration::from_secs(90), |a| {
        state(a) == ApplicationStateType::Failed && a.status.as_ref().is_some_and(|s| s.execution_attempts == 2)
    });
    assert_eq!(failed.status.unwrap_or_default().submission_attempts, 2);
}

#[test]
fn completed_applications_are_deleted_after_their_ttl() {
    let ns = namespace("op-ttl");
    let _operator = operator(&ns, &[]);
    let mut value = app("short", "succeed");
    value["spec"]["timeToLiveSeconds"] = json!(1);
    create(&ns, value);
    poll_until(Duration::from_secs(60), "short to be deleted", || match get(&ns, "short") {
        Some(app) => ControlFlow::Continue(app.status),
        None => ControlFlow::Break(()),
    });
}

#[test]
fn suspended_applications_wait_and_resume() {
    let ns = namespace("op-suspend");
    let _operator = operator(&ns, &[]);
    let mut value = app("later", "succeed");
    value["spec"]["suspend"] = json!(true);
    create(&ns, value);
    wait_state(&ns, "later", ApplicationStateType::Suspended);
    std::thread::sleep(Duration::from_secs(1));
    assert!(driver_pods(&ns).is_empty());
    let patch = json!({"spec": {"suspend": false}});
    block_on(apps(&ns).patch("later", &PatchParams::default(), &Patch::Merge(&patch)))
        .unwrap_or_else(|e| panic!("{e}"));
    wait_state(&ns, "later", ApplicationStateType::Completed);
}

#[test]
fn a_spec_change_reruns_the_application() {
    let ns = namespace("op-change");
    let _operator = operator(&ns, &[]);
    let mut value = app("change", "run-forever");
    value["spec"]["driver"]["annotations"]["kspark.test/outcome"] = json!("run-forever");
    create(&ns, value);
    let first = wait_state(&ns, "change", ApplicationStateType::Running).status.unwrap_or_default();
    let patch = json!({"spec": {"driver": {"annotations": {"kspark.test/outcome": "succeed"}}}});
    block_on(apps(&ns).patch("change", &PatchParams::default(), &Patch::Merge(&patch)))
        .unwrap_or_else(|e| panic!("{e}"));
    let done = wait_state(&ns, "change", ApplicationStateType::Completed).status.unwrap_or_default();
    assert_ne!(done.submission_id, first.submission_id);
    assert_eq!(done.submission_attempts, 1, "kubeflow resets the attempts on a spec change");
}

#[test]
fn an_application_the_quota_cannot_take_waits_with_the_reason() {
    let ns = namespace("op-quota");
    let quota: ResourceQuota = serde_json::from_value(json!({
        "metadata": {"name": "small"},
        "spec": {"hard": {"requests.memory": "1Gi", "requests.cpu": "8"}}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let quotas: Api<ResourceQuota> = Api::namespaced(admin(), &ns);
    block_on(quotas.create(&PostParams::default(), &quota)).unwrap_or_else(|e| panic!("{e}"));
    let _operator = operator(&ns, &[]);
    let mut value = app("big", "succeed");
    value["spec"]["executor"]["instances"] = json!(4);
    create(&ns, value);
    let waiting = wait_for(&ns, "big", Duration::from_secs(30), |a| {
        a.status.as_ref().is_some_and(|s| s.app_state.error_message.starts_with("waiting:"))
    });
    let status = waiting.status.unwrap_or_default();
    assert_eq!(status.app_state.state, ApplicationStateType::New);
    assert!(status.app_state.error_message.contains("quota small"), "{}", status.app_state.error_message);
    assert!(driver_pods(&ns).is_empty());
    let bigger = json!({"spec": {"hard": {"requests.memory": "64Gi"}}});
    block_on(quotas.patch("small", &PatchParams::default(), &Patch::Merge(&bigger))).unwrap_or_else(|e| panic!("{e}"));
    wait_state(&ns, "big", ApplicationStateType::Completed);
}

#[test]
fn deleting_an_application_removes_its_driver() {
    let ns = namespace("op-delete");
    let _operator = operator(&ns, &[]);
    create(&ns, app("gone", "run-forever"));
    wait_state(&ns, "gone", ApplicationStateType::Running);
    block_on(apps(&ns).delete("gone", &DeleteParams::foreground())).unwrap_or_else(|e| panic!("{e}"));
    eventually(60, "the driver pod to be deleted", || driver_pods(&ns).is_empty());
}

#[test]
fn a_malformed_application_fails_submission_naming_the_field() {
    let ns = namespace("op-bad");
    let _operator = operator(&ns, &[]);
    // The CRD admits any string; Spark's size syntax does not.
    let mut bad = app("bad-memory", "succeed");
    bad["spec"]["driver"]["memory"] = json!("lots");
    create(&ns, bad);
    create(&ns, app("fine", "succeed"));
    let failed = wait_state(&ns, "bad-memory", ApplicationStateType::Failed);
    let message = failed.status.unwrap_or_default().app_state.error_message;
    assert!(message.contains("spec.driver.memory"), "{message}");
    wait_state(&ns, "fine", ApplicationStateType::Completed);
}

#[test]
fn an_operator_killed_mid_burst_leaves_one_driver_per_application() {
    let ns = namespace("op-burst");
    let mut first = operator(&ns, &[]);
    let count = 40;
    for i in 0..count {
        create(&ns, app(&format!("burst-{i}"), "succeed"));
    }
    std::thread::sleep(Duration::from_millis(1500));
    first.kill();
    let _restarted = operator(&ns, &[]);
    for i in 0..count {
        let done = wait_for(&ns, &format!("burst-{i}"), Duration::from_secs(120), |a| state(a).is_terminated());
        assert_eq!(state(&done), ApplicationStateType::Completed, "{:?}", done.status);
        assert_eq!(done.status.unwrap_or_default().execution_attempts, 1);
    }
    let drivers = driver_pods(&ns);
    assert_eq!(drivers.len(), count, "one driver pod per application");
}

#[test]
fn two_replicas_elect_one_leader_and_the_other_takes_over() {
    let ns = namespace("op-leader");
    let lease = ["--leader-elect", "--lease-namespace", &ns, "--lease-duration", "4"];
    let mut first = operator(&ns, &lease);
    std::thread::sleep(Duration::from_secs(2));
    let _second = operator(&ns, &lease);
    create(&ns, app("one", "succeed"));
    wait_state(&ns, "one", ApplicationStateType::Completed);
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> = Api::namespaced(admin(), &ns);
    let holder = |l: Option<k8s_openapi::api::coordination::v1::Lease>| {
        l.and_then(|l| l.spec).and_then(|s| s.holder_identity).unwrap_or_default()
    };
    let before = holder(block_on(leases.get_opt("kspark-operator-lock")).unwrap_or_default());
    assert!(!before.is_empty());
    first.kill();
    create(&ns, app("two", "succeed"));
    let done = wait_for(&ns, "two", Duration::from_secs(60), |a| state(a) == ApplicationStateType::Completed);
    assert_eq!(done.status.unwrap_or_default().submission_attempts, 1);
    let after = holder(block_on(leases.get_opt("kspark-operator-lock")).unwrap_or_default());
    assert_ne!(before, after, "the second replica took the lease");
    assert_eq!(driver_pods(&ns).len(), 2);
}

#[test]
fn kubeflows_examples_run_to_completed_or_wait_for_their_batch_scheduler() {
    let ns = namespace("op-examples");
    let client = admin();
    let account: k8s_openapi::api::core::v1::ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "spark-operator-spark"}})).unwrap_or_else(|e| panic!("{e}"));
    block_on(Api::namespaced(client.clone(), &ns).create(&PostParams::default(), &account))
        .unwrap_or_else(|e| panic!("service account: {e}"));
    let _operator = operator(&ns, &[]);
    let mut expected = Vec::new();
    // kubeflow's own examples, unmodified except for the namespace and the
    // name (several share `spark-pi`).
    for (stem, mut doc) in kspark_testcluster::kubeflow_example_documents() {
        doc["metadata"]["namespace"] = json!(ns);
        let kind = doc["kind"].as_str().map(str::to_string);
        match kind.as_deref() {
            Some("SparkApplication") => {
                doc["metadata"]["name"] = json!(stem);
                expected.push((stem.clone(), doc["spec"]["batchScheduler"].as_str().map(str::to_string)));
                create(&ns, doc);
            }
            // Created as it is (the generic arm below); it fires every
            // 3 minutes, so here it is only seen scheduled (its run:
            // operator_scheduled.rs).
            Some(kind) => {
                let (group, version) =
                    doc["apiVersion"].as_str().unwrap_or("v1").rsplit_once('/').unwrap_or(("", "v1"));
                let gvk = kube::core::GroupVersionKind::gvk(group, version, kind);
                let resource = kube::core::ApiResource::from_gvk(&gvk);
                let api: Api<kube::core::DynamicObject> = Api::namespaced_with(client.clone(), &ns, &resource);
                let object: kube::core::DynamicObject = serde_json::from_value(doc).unwrap_or_else(|e| panic!("{e}"));
                block_on(api.create(&PostParams::default(), &object)).unwrap_or_else(|e| panic!("{stem} {kind}: {e}"));
            }
            None => panic!("{stem}: a document without kind"),
        }
    }
    assert!(expected.len() >= 12, "{expected:?}");
    let schedules: Api<kspark_sparkapp::ScheduledSparkApplication> = Api::namespaced(client.clone(), &ns);
    let start = Instant::now();
    loop {
        let status = block_on(schedules.get("spark-pi-scheduled")).ok().and_then(|s| s.status).unwrap_or_default();
        if status.schedule_state == ScheduleState::Scheduled && status.next_run.is_some() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "spark-pi-scheduled: {status:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let pods: Api<Pod> = Api::namespaced(client, &ns);
    for (name, scheduler) in expected {
        match scheduler {
            None => {
                let done = wait_for(&ns, &name, Duration::from_secs(180), |a| state(a).is_terminated());
                assert_eq!(state(&done), ApplicationStateType::Completed, "{name}: {:?}", done.status);
            }
            // This cluster has no Volcano: like kubeflow's operator, kspark's
            // refuses the volcano scheduler without its PodGroup CRD
            // (operator_batch_schedulers.rs installs it).
            Some(scheduler) if scheduler == "volcano" => {
                let failed = wait_state(&ns, &name, ApplicationStateType::Failed);
                let message = failed.status.unwrap_or_default().app_state.error_message;
                assert!(message.contains("podgroups.scheduling.volcano.sh"), "{name}: {message}");
            }
            // Nor scheduler-plugins: kubeflow's kube-scheduler cannot create
            // its PodGroup (operator_batch_schedulers.rs installs the CRD).
            Some(scheduler) if scheduler == "kube-scheduler" => {
                let failed = wait_state(&ns, &name, ApplicationStateType::Failed);
                let message = failed.status.unwrap_or_default().app_state.error_message;
                assert!(message.contains("podgroups.scheduling.x-k8s.io"), "{name}: {message}");
            }
            Some(scheduler) => {
                let submitted = wait_state(&ns, &name, ApplicationStateType::Submitted);
                let pod_name = submitted.status.unwrap_or_default().driver_info.pod_name;
                let pod = block_on(pods.get(&pod_name)).unwrap_or_else(|e| panic!("{name}: {e}"));
                let spec = pod.spec.unwrap_or_default();
                assert_eq!(spec.scheduler_name.as_deref(), Some(scheduler.as_str()), "{name}");
            }
        }
    }
}

#[test]
fn a_spark_submit_command_line_runs_through_the_operator_and_kspark_wait_sees_it_finish() {
    let ns = namespace("op-bridge");
    let _operator = operator(&ns, &[]);
    let kubeconfig = cluster().kubeconfig(TestUser::Admin);
    let submit = kspark()
        .args(["submit", "--as-resource", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(["--master", &format!("k8s://{}", cluster().server_url()), "--deploy-mode", "cluster"])
        .args(["--name", "bridge", "--class", "org.apache.spark.examples.SparkPi"])
        .args(["--conf", "spark.kubernetes.container.image=apache/spark:4.0.5"])
        .args(["--conf", &format!("spark.kubernetes.namespace={ns}")])
        .args(["--conf", "spark.kubernetes.authenticate.driver.serviceAccountName=spark"])
        .args(["--conf", "spark.kubernetes.driver.annotation.kspark.test/outcome=fail:7"])
        .args(["local:///opt/spark/examples/jars/spark-examples.jar", "10"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(submit.status.success(), "{}", String::from_utf8_lossy(&submit.stderr));
    let wait = kspark()
        .args(["wait", &format!("{ns}:bridge"), "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&wait.stderr);
    assert_eq!(wait.status.code(), Some(7), "the driver's exit code: {stderr}");
    let app = get(&ns, "bridge").unwrap_or_else(|| panic!("gone"));
    assert_eq!(state(&app), ApplicationStateType::Failed);
}

#[test]
fn health_readiness_and_kubeflows_metrics_are_served() {
    let ns = namespace("op-metrics");
    let addr = format!("127.0.0.1:{}", free_port());
    let spawned = now_seconds();
    let _operator = operator(&ns, &["--metrics-addr", &addr]);
    let start = Instant::now();
    while !http_get_ok(&addr, "/readyz") {
        assert!(start.elapsed() < Duration::from_secs(30), "never ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(http_get(&addr, "/healthz").starts_with("HTTP/1.0 200"));
    create(&ns, app("measured", "succeed"));
    wait_state(&ns, "measured", ApplicationStateType::Completed);
    let metrics = http_get(&addr, "/metrics");
    let label = format!("{{app_namespace=\"{ns}\"}}");
    for line in [
        format!("spark_application_submit_count_total{label} 1"),
        format!("spark_application_success_count_total{label} 1"),
        format!("spark_application_running_count{label} 0"),
    ] {
        assert!(metrics.contains(&line), "no `{line}` in\n{metrics}");
    }
    assert!(metrics.contains("spark_application_start_latency_seconds_count"), "{metrics}");
    assert!(metrics.contains("kspark_operator_reconcile_seconds_bucket"), "{metrics}");

    // The standard process metrics, as kubeflow's operator serves them (its
    // e2e test looks for process_cpu_seconds_total): of the operator's own
    // process, which started when the test spawned it.
    let sample = |name: &str| -> f64 {
        let line = metrics.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("no {name}"));
        line[name.len()..].trim().parse().unwrap_or_else(|e| panic!("{line}: {e}"))
    };
    let started = sample("process_start_time_seconds");
    // btime, the boot time it is counted from, is whole seconds.
    assert!(started >= spawned - 2.0 && started <= now_seconds(), "started {started}, spawned {spawned}");
    assert!(sample("process_cpu_seconds_total") > 0.0, "{metrics}");
    let resident = sample("process_resident_memory_bytes");
    assert!(resident > 1e6 && resident < sample("process_virtual_memory_bytes"), "{metrics}");
    assert!(sample("process_open_fds") > 0.0 && sample("process_open_fds") <= sample("process_max_fds"));
}

fn now_seconds() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or_default()
}

#[test]
fn the_installed_rbac_is_enough_for_the_operator() {
    let ns = namespace("op-rbac");
    let operator_ns = kspark_testcluster::unique_name("op-system");
    let admin_kubeconfig = cluster().kubeconfig(TestUser::Admin);
    let install = kspark()
        .args(["operator", "install", "--namespace", &operator_ns, "--watch-namespace", &ns, "--kubeconfig"])
        .arg(&admin_kubeconfig)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(install.status.success(), "{}", String::from_utf8_lossy(&install.stderr));
    let stderr = String::from_utf8_lossy(&install.stderr);
    for kind in ["Role kspark-operator", "Deployment kspark-operator", "RoleBinding kspark-operator"] {
        assert!(stderr.contains(kind), "{stderr}");
    }
    // One watched namespace: a Role there, no cluster-wide rights.
    assert!(!stderr.contains("ClusterRole"), "{stderr}");
    let kubeconfig = operator_account_kubeconfig(&operator_ns, Some(&ns));
    let _operator =
        operator_as(&["--namespace", &ns, "--leader-elect", "--lease-namespace", &operator_ns], &kubeconfig);
    create(&ns, app("least-privilege", "fail:2"));
    let mut value = app("with-metrics", "succeed");
    value["spec"]["monitoring"] =
        json!({"exposeDriverMetrics": true, "exposeExecutorMetrics": true, "prometheus": {"jmxExporterJar": "/j.jar"}});
    value["spec"]["timeToLiveSeconds"] = json!(30);
    create(&ns, value);
    // A schedule's run is a SparkApplication the operator creates.
    let mut schedule = json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "ScheduledSparkApplication",
        "metadata": {"name": "every-2s"}, "spec": {"schedule": "@every 2s", "suspend": false}
    });
    schedule["spec"]["template"] = app("run", "succeed")["spec"].clone();
    let schedule: kspark_sparkapp::ScheduledSparkApplication =
        serde_json::from_value(schedule).unwrap_or_else(|e| panic!("{e}"));
    let schedules = Api::namespaced(admin(), &ns);
    block_on(schedules.create(&PostParams::default(), &schedule)).unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    loop {
        let current: kspark_sparkapp::ScheduledSparkApplication =
            block_on(schedules.get("every-2s")).unwrap_or_else(|e| panic!("{e}"));
        let status = current.status.unwrap_or_default();
        if !status.last_run_name.is_empty() && get(&ns, &status.last_run_name).is_some() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no scheduled run: {status:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let failed = wait_state(&ns, "least-privilege", ApplicationStateType::Failed);
    assert!(failed.status.unwrap_or_default().app_state.error_message.contains("ExitCode: 2"));
    wait_state(&ns, "with-metrics", ApplicationStateType::Completed);
    let config_maps: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(admin(), &ns);
    assert!(block_on(config_maps.get_opt("with-metrics-prom-conf")).ok().flatten().is_some());
}

/// `--enable-ui-service`: kubeflow's `<app>-ui-svc` in front of the driver's
/// UI, recorded in status.driverInfo; `kspark ui` reaches the UI by the
/// SparkApplication's name.
#[test]
fn the_ui_service_is_created_and_kspark_ui_reaches_the_driver() {
    use std::io::{BufRead, Read, Write};
    let ns = namespace("op-ui");
    let _operator = operator(&ns, &["--enable-ui-service"]);
    let port = std::net::TcpListener::bind("0.0.0.0:0")
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|e| panic!("free port: {e}"))
        .port();
    let mut value = app("web", "succeed");
    value["spec"]["sparkConf"] = json!({"spark.ui.port": port.to_string()});
    value["spec"]["driver"]["annotations"] =
        json!({"kspark.test/run-millis": "8000", "kspark.test/web-ui": "operator-launched UI"});
    create(&ns, value);
    let running = wait_state(&ns, "web", ApplicationStateType::Running);
    let info = running.status.unwrap_or_default().driver_info;
    assert_eq!((info.web_ui_service_name.as_str(), info.web_ui_port), ("web-ui-svc", i32::from(port)), "{info:?}");
    let services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(admin(), &ns);
    let service = block_on(services.get("web-ui-svc")).unwrap_or_else(|e| panic!("service: {e}"));
    let spec = service.spec.unwrap_or_default();
    assert_eq!(info.web_ui_address, format!("{}:{port}", spec.cluster_ip.unwrap_or_default()));
    assert_eq!(spec.selector.unwrap_or_default().get("spark-role").map(String::as_str), Some("driver"));
    let owner = service.metadata.owner_references.unwrap_or_default();
    assert_eq!(owner.first().map(|o| o.name.as_str()), Some("web"));

    let mut child = kspark()
        .args(["ui", &format!("{ns}:web"), "--no-browser", "--port", "0", "--kubeconfig"])
        .arg(cluster().kubeconfig(TestUser::Admin))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("kspark ui: {e}"));
    let mut url = String::new();
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    std::io::BufReader::new(stdout).read_line(&mut url).unwrap_or_else(|e| panic!("url: {e}"));
    let host = url.trim().trim_start_matches("http://").trim_end_matches('/').to_string();
    let mut stream = std::net::TcpStream::connect(&host).unwrap_or_else(|e| panic!("{host}: {e}"));
    write!(stream, "GET /environment/ HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap_or_else(|e| panic!("{e}"));
    let mut page = String::new();
    stream.read_to_string(&mut page).unwrap_or_else(|e| panic!("{e}"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(page.contains("operator-launched UI path=/environment/"), "{page}");
}
