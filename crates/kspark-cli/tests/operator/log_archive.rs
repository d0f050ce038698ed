//! Logs that outlive the pods, against the real control plane with the
//! fake node (which serves scripted container logs) and real stores:
//! Azurite (`abfss://`) and a directory (`file://`).
//! The operator archives a finished application before its TTL may delete
//! it and records where in `status.logArchive`; `kspark submit
//! --archive-logs` archives after waiting; `kspark logs` reads the archive
//! once the pods are gone.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::{admin, cluster, namespace, operator_with_env, text};
use k8s_openapi::api::core::v1::{Event, Pod};
use kspark_sparkapp::status::LogArchiveStatus;
use kspark_sparkapp::{ApplicationStateType, SparkApplication};
use kspark_storage::{Archive, EnvVars};
use kspark_testcluster::azurite::{ACCOUNT_KEY, Azurite};
use kspark_testcluster::{TestUser, block_on, eventually};
use kube::Api;
use kube::api::{DeleteParams, ListParams, PostParams};
use serde_json::json;

const DRIVER_LOG: &str = "Pi is roughly 3.14\nbye";

fn kspark() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kspark"));
    cmd.env_remove("KUBECONFIG").env("HOME", std::env::temp_dir());
    cmd
}

/// An operator process for `ns`; killed when dropped.
fn application(name: &str, run_millis: u32, ttl: Option<i64>) -> SparkApplication {
    let mut value = json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "metadata": {"name": name},
        "spec": {
            "type": "Scala", "mode": "cluster", "image": "apache/spark:4.0.5",
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "sparkVersion": "4.0.5",
            "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark", "annotations": {
                "kspark.test/run-millis": run_millis.to_string(), "kspark.test/log": DRIVER_LOG}},
            "executor": {"instances": 1, "cores": 1, "memory": "512m"}
        }
    });
    if let Some(ttl) = ttl {
        value["spec"]["timeToLiveSeconds"] = json!(ttl);
    }
    serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
}

fn apps(ns: &str) -> Api<SparkApplication> {
    Api::namespaced(admin(), ns)
}

fn create(ns: &str, app: &SparkApplication) {
    block_on(apps(ns).create(&PostParams::default(), app)).unwrap_or_else(|e| panic!("create: {e}"));
}

fn record(app: &SparkApplication) -> LogArchiveStatus {
    app.status.as_ref().and_then(|s| s.log_archive.clone()).unwrap_or_default()
}

/// Polls until `done` holds for the application; panics after `secs`.
fn wait_app(ns: &str, name: &str, secs: u64, done: impl Fn(&SparkApplication) -> bool) -> SparkApplication {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let app = block_on(apps(ns).get_opt(name)).unwrap_or_else(|e| panic!("{e}"));
        match app {
            Some(app) if done(&app) => return app,
            Some(app) => assert!(Instant::now() < deadline, "{name}: still {:?}", app.status),
            None => panic!("{name} is gone"),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn pods(ns: &str) -> Vec<Pod> {
    let api: Api<Pod> = Api::namespaced(admin(), ns);
    block_on(api.list(&ListParams::default())).map(|l| l.items).unwrap_or_else(|e| panic!("{e}"))
}

fn driver(ns: &str) -> Option<Pod> {
    pods(ns)
        .into_iter()
        .find(|p| p.metadata.labels.as_ref().and_then(|l| l.get("spark-role")).is_some_and(|r| r == "driver"))
}

/// Deletes every pod of `ns` now and waits until they are gone.
fn delete_pods(ns: &str) {
    let api: Api<Pod> = Api::namespaced(admin(), ns);
    for pod in pods(ns) {
        let name = pod.metadata.name.unwrap_or_default();
        let _ = block_on(api.delete(&name, &DeleteParams { grace_period_seconds: Some(0), ..Default::default() }));
    }
    eventually(30, "the pods to be gone", || pods(ns).is_empty());
}

/// An executor of `driver`, printing `executor N says hi`, until deleted.
fn executor(ns: &str, driver: &Pod, n: u32) {
    let app_id = driver.metadata.labels.as_ref().and_then(|l| l.get("spark-app-selector")).cloned().unwrap_or_default();
    let owner = json!({"apiVersion": "v1", "kind": "Pod", "controller": true,
        "name": driver.metadata.name, "uid": driver.metadata.uid});
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": format!("exec-{n}"), "labels": {"spark-app-selector": app_id, "spark-role": "executor",
            "spark-exec-id": n.to_string()}, "ownerReferences": [owner],
            "annotations": {"kspark.test/outcome": "run-forever", "kspark.test/log": format!("executor {n} says hi")}},
        "spec": {"containers": [{"name": "spark-kubernetes-executor", "image": "apache/spark:4.0.5"}]}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    block_on(Api::<Pod>::namespaced(admin(), ns).create(&PostParams::default(), &pod))
        .unwrap_or_else(|e| panic!("executor: {e}"));
}

fn logs(ns_name: &str, extra: &[&str], env: &[(String, String)]) -> Output {
    kspark()
        .arg("logs")
        .arg(ns_name)
        .args(extra)
        .env("KUBECONFIG", cluster().kubeconfig(TestUser::Admin))
        .envs(env.iter().cloned())
        .output()
        .unwrap_or_else(|e| panic!("kspark logs: {e}"))
}

fn archived(uri: &str, file: &str, env: &[(String, String)]) -> String {
    let env: EnvVars = env.iter().cloned().collect();
    let archive = Archive::open(uri, &Default::default(), &env).unwrap_or_else(|e| panic!("{e}"));
    let bytes = block_on(archive.get(file)).unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8_lossy(&bytes).into_owned()
}

fn events(ns: &str, reason: &str) -> Vec<String> {
    let api: Api<Event> = Api::namespaced(admin(), ns);
    let list = block_on(api.list(&ListParams::default())).map(|l| l.items).unwrap_or_default();
    list.into_iter().filter(|e| e.reason.as_deref() == Some(reason)).filter_map(|e| e.message).collect()
}

#[test]
fn the_operator_archives_a_finished_application_and_logs_reads_it_once_the_pods_are_gone() {
    let azurite = Azurite::start().unwrap_or_else(|e| panic!("azurite: {e}"));
    azurite.create_container("logs").unwrap_or_else(|e| panic!("{e}"));
    let env = azurite.client_env();
    let ns = namespace("archive-op");
    let prefix = "abfss://logs@devstoreaccount1.dfs.core.windows.net/spark";
    let _operator = operator_with_env(&ns, &["--archive-logs", prefix, "--archive-executor-logs"], &env);
    create(&ns, &application("pi", 4000, None));
    // An executor the driver "started", still running when the driver ends.
    eventually(30, "the driver to run", || {
        driver(&ns).is_some_and(|d| d.status.and_then(|s| s.phase).as_deref() == Some("Running"))
    });
    let driver_pod = driver(&ns).unwrap_or_else(|| panic!("no driver"));
    executor(&ns, &driver_pod, 1);

    let app = wait_app(&ns, "pi", 60, |a| record(a).archived_time.is_some());
    assert_eq!(app.status.as_ref().map(|s| s.app_state.state), Some(ApplicationStateType::Completed));
    let submission = app.status.as_ref().map(|s| s.submission_id.clone()).unwrap_or_default();
    let record = record(&app);
    let location = format!("{prefix}/{ns}/pi/{submission}");
    assert_eq!(record.location, location);
    assert_eq!(record.files, vec!["driver.log".to_string(), "executor-1.log".to_string()]);
    assert_eq!((record.attempts, record.last_error.as_str()), (1, ""));
    let status_text = serde_json::to_string(&app.status).unwrap_or_default();
    assert!(!status_text.contains(ACCOUNT_KEY), "no secret in the status: {status_text}");
    let driver_log = archived(&location, "driver.log", &env);
    assert!(driver_log.starts_with("Pi is roughly 3.14\nbye\n") && driver_log.contains("exited 0"), "{driver_log}");
    assert!(archived(&location, "executor-1.log", &env).contains("executor 1 says hi"));
    assert!(!events(&ns, "SparkApplicationLogsArchived").is_empty(), "a Normal event says where");

    let status = kspark()
        .args(["status", &format!("{ns}:pi")])
        .env("KUBECONFIG", cluster().kubeconfig(TestUser::Admin))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(shown.contains(&format!("logs archived at {location}/ (driver.log, executor-1.log)")), "{}", text(&status));

    delete_pods(&ns);
    let out = logs(&format!("{ns}:pi"), &[], &env);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), driver_log);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("reading the archive at {location}/")), "{stderr}");
    let out = logs(&format!("{ns}:pi"), &["--all-executors"], &env);
    let all = String::from_utf8_lossy(&out.stdout);
    assert!(all.contains("Pi is roughly") && all.contains("executor 1 says hi"), "{}", text(&out));
}

#[test]
fn an_unreachable_store_warns_retries_and_holds_the_ttl_deletion_until_archived() {
    let azurite = Azurite::start().unwrap_or_else(|e| panic!("azurite: {e}"));
    let env = azurite.client_env();
    let ns = namespace("archive-retry");
    // The container does not exist yet: every write fails until it does.
    let prefix = "abfss://later@devstoreaccount1.dfs.core.windows.net/spark";
    let _operator = operator_with_env(&ns, &["--archive-logs", prefix, "--archive-timeout", "10s"], &env);
    create(&ns, &application("pi", 300, Some(1)));
    let app = wait_app(&ns, "pi", 60, |a| record(a).attempts >= 2);
    assert_eq!(app.status.as_ref().map(|s| s.app_state.state), Some(ApplicationStateType::Completed));
    let failing = record(&app);
    assert!(failing.archived_time.is_none() && failing.last_error.contains("later"), "{failing:?}");
    assert!(!failing.last_error.contains(ACCOUNT_KEY));
    let warnings = events(&ns, "SparkApplicationLogArchiveFailed");
    assert!(warnings.iter().any(|w| w.contains("trying again")), "{warnings:?}");
    // Its TTL (1 s) has passed, but the application and its driver stay until archived.
    assert!(driver(&ns).is_some());

    azurite.create_container("later").unwrap_or_else(|e| panic!("{e}"));
    eventually(60, "the TTL deletion after archiving", || block_on(apps(&ns).get_opt("pi")).ok().flatten().is_none());
    let submission = app.status.as_ref().map(|s| s.submission_id.clone()).unwrap_or_default();
    let log = archived(&format!("{prefix}/{ns}/pi/{submission}"), "driver.log", &env);
    assert!(log.starts_with("Pi is roughly 3.14"), "{log}");
}

fn submit_args(ns: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "submit",
        "--master",
        &format!("k8s://{}", cluster().server_url()),
        "--deploy-mode",
        "cluster",
        "--name",
        "archived",
        "--class",
        "org.example.Main",
        "--conf",
        "spark.kubernetes.container.image=apache/spark:4.0.5",
        "--conf",
        &format!("spark.kubernetes.namespace={ns}"),
        "--conf",
        "spark.kubernetes.authenticate.driver.serviceAccountName=spark",
        "--conf",
        "spark.kubernetes.driver.annotation.kspark.test/run-millis=300",
        "--conf",
        &format!("spark.kubernetes.driver.annotation.kspark.test/log={}", DRIVER_LOG.replace('\n', "\\n")),
        "--driver-memory",
        "512m",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("local:///opt/app/app.jar".into());
    args
}

fn as_alice(args: &[String], state: &Path) -> Output {
    kspark()
        .args(args)
        .env("KUBECONFIG", cluster().kubeconfig(TestUser::Alice))
        .env("XDG_STATE_HOME", state)
        .output()
        .unwrap_or_else(|e| panic!("kspark: {e}"))
}

#[test]
fn submit_archives_to_a_directory_and_logs_finds_it_by_record_or_prefix() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ns = namespace("archive-submit");
    let prefix = format!("file://{}/logs", dir.path().display());

    // A URI that cannot be a store: refused before anything is created.
    let out = as_alice(&submit_args(&ns, &["--archive-logs", "hdfs://nn/logs"]), state.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--archive-logs") && pods(&ns).is_empty(), "{}", text(&out));

    let out = as_alice(&submit_args(&ns, &["--archive-logs", &prefix]), state.path());
    assert!(out.status.success(), "{}", text(&out));
    let driver_pod = driver(&ns).unwrap_or_else(|| panic!("no driver"));
    let labels = driver_pod.metadata.labels.clone().unwrap_or_default();
    let app_id = labels.get("spark-app-selector").cloned().unwrap_or_default();
    let location = format!("{prefix}/{ns}/archived/{app_id}");
    assert!(text(&out).contains(&format!("archived the logs of {ns}:")), "{}", text(&out));
    let file = dir.path().join(format!("logs/{ns}/archived/{app_id}/driver.log"));
    let log = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(log.starts_with("Pi is roughly 3.14\nbye\n") && log.contains("exited 0"), "{log}");
    let records = std::fs::read_to_string(state.path().join("kspark/log-archives.jsonl")).unwrap_or_default();
    assert!(records.contains(&location), "this machine's record: {records}");

    let pod_name = driver_pod.metadata.name.clone().unwrap_or_default();
    delete_pods(&ns);
    // This machine's record finds it by driver pod …
    let out = as_alice(&["logs".to_string(), format!("{ns}:{pod_name}")], state.path());
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), log);
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("reading the archive at {location}/")));
    // … and without the record, --archive finds the newest below the prefix by app name.
    let elsewhere = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = as_alice(&["logs".to_string(), format!("{ns}:archived")], elsewhere.path());
    assert!(!out.status.success(), "no record, no prefix: {}", text(&out));
    let args = ["logs".to_string(), format!("{ns}:archived"), "--archive".into(), prefix.clone()];
    let out = as_alice(&args, elsewhere.path());
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), log);

    // A store that refuses the write: a warning; the exit code stays the application's.
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"not a directory").unwrap_or_else(|e| panic!("{e}"));
    let refusing = format!("file://{}/logs", blocker.display());
    let out = as_alice(&submit_args(&ns, &["--archive-logs", &refusing]), state.path());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("warning: the logs were not archived"), "{}", text(&out));
}

#[test]
fn a_store_that_does_not_answer_times_out_each_attempt_and_the_application_still_completes() {
    // Nothing listens there: object_store would retry for minutes; --archive-timeout cuts each attempt.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let dead = format!("http://{}", listener.local_addr().map(|a| a.to_string()).unwrap_or_default());
    drop(listener);
    let env = vec![
        ("AZURE_STORAGE_USE_EMULATOR".to_string(), "true".to_string()),
        ("AZURITE_BLOB_STORAGE_URL".to_string(), dead),
        ("AZURE_STORAGE_ACCOUNT_KEY".to_string(), ACCOUNT_KEY.to_string()),
    ];
    let ns = namespace("archive-dead");
    let prefix = "abfss://logs@devstoreaccount1.dfs.core.windows.net/spark";
    let _operator = operator_with_env(&ns, &["--archive-logs", prefix, "--archive-timeout", "2s"], &env);
    create(&ns, &application("pi", 300, None));
    let app = wait_app(&ns, "pi", 60, |a| record(a).attempts >= 1);
    assert_eq!(app.status.as_ref().map(|s| s.app_state.state), Some(ApplicationStateType::Completed));
    let failing = record(&app);
    assert!(failing.archived_time.is_none() && !failing.last_error.is_empty(), "{failing:?}");
    let warnings = events(&ns, "SparkApplicationLogArchiveFailed");
    assert!(warnings.iter().any(|w| w.contains("attempt 1/8")), "{warnings:?}");
    assert!(warnings.iter().all(|w| !w.contains(ACCOUNT_KEY)), "{warnings:?}");
}

#[test]
fn each_run_of_a_restarted_application_keeps_its_logs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ns = namespace("archive-rerun");
    let prefix = format!("file://{}/logs", dir.path().display());
    let _operator = operator_with_env(&ns, &["--archive-logs", &prefix], &[]);
    let mut app = application("pi", 300, None);
    let mut value = serde_json::to_value(&app).unwrap_or_else(|e| panic!("{e}"));
    value["spec"]["driver"]["annotations"]["kspark.test/outcome"] = json!("fail:3");
    value["spec"]["restartPolicy"] = json!({"type": "OnFailure", "onFailureRetries": 1, "onFailureRetryInterval": 1});
    app = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    create(&ns, &app);
    let ended = wait_app(&ns, "pi", 90, |a| record(a).archived_time.is_some());
    assert_eq!(ended.status.as_ref().map(|s| s.app_state.state), Some(ApplicationStateType::Failed));
    let runs: Vec<String> = std::fs::read_dir(dir.path().join(format!("logs/{ns}/pi")))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    assert_eq!(runs.len(), 2, "one directory per run: {runs:?}");
    for run in &runs {
        let log =
            std::fs::read_to_string(dir.path().join(format!("logs/{ns}/pi/{run}/driver.log"))).unwrap_or_default();
        assert!(log.contains("exited 3"), "{run}: {log}");
    }
    let last = ended.status.as_ref().map(|s| s.submission_id.clone()).unwrap_or_default();
    assert_eq!(record(&ended).location, format!("{prefix}/{ns}/pi/{last}"), "the status names the final run's");
}
