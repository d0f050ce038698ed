//! kspark and kubeflow's SparkApplications on a real control plane
//! (kspark-testcluster) with the SparkApplication CRD installed. No operator
//! runs: the tests create the driver pods and write the status subresource
//! as kubeflow's operator would, then check what `kspark list | status |
//! wait | logs | events | kill` say, and what `submit --as-resource` creates.
//! (tests/cluster/commands.rs runs without the CRD: there everything behaves as
//! without an operator.)

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{admin, cluster, text};
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kspark_sparkapp::SparkApplication;
use kspark_testcluster::{TestUser, block_on, eventually};
use kube::Api;
use kube::api::{DynamicObject, Patch, PatchParams, PostParams};
use kube::core::ApiResource;
use serde_json::{Value, json};

/// A namespace of the test's own, with the CRD installed (once per binary).
fn namespace(prefix: &str) -> String {
    static CRD: OnceLock<()> = OnceLock::new();
    CRD.get_or_init(|| block_on(install_crd()));
    let ns = kspark_testcluster::unique_name(prefix);
    block_on(cluster().create_namespace(&ns)).unwrap_or_else(|e| panic!("namespace {ns}: {e}"));
    ns
}

async fn install_crd() {
    let crd = kspark_sparkapp::crd::spark_application_crd();
    let client = cluster().admin_client().await.unwrap_or_else(|e| panic!("admin client: {e}"));
    let api: Api<CustomResourceDefinition> = Api::all(client);
    let name = crd.metadata.name.clone().unwrap_or_default();
    api.patch(&name, &PatchParams::apply("kspark-test").force(), &Patch::Apply(&crd))
        .await
        .unwrap_or_else(|e| panic!("CRD: {e}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let current = api.get(&name).await.unwrap_or_else(|e| panic!("CRD: {e}"));
        let conditions = current.status.and_then(|s| s.conditions).unwrap_or_default();
        if conditions.iter().any(|c| c.type_ == "Established" && c.status == "True") {
            return;
        }
        assert!(Instant::now() < deadline, "CRD not established: {conditions:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn admin_kubeconfig() -> PathBuf {
    cluster().kubeconfig(TestUser::Admin)
}

fn kspark_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kspark"));
    cmd.args(args).env("KUBECONFIG", admin_kubeconfig()).env("HOME", std::env::temp_dir());
    cmd.env_remove("HADOOP_CONF_DIR").env_remove("SPARK_CONF_DIR").env_remove("SPARK_HOME");
    cmd
}

fn kspark(args: &[&str]) -> Output {
    kspark_command(args).output().unwrap_or_else(|e| panic!("cannot run kspark: {e}"))
}

fn apps(ns: &str) -> Api<SparkApplication> {
    Api::namespaced(admin(), ns)
}

/// A SparkApplication as a user would write it.
fn create_app(ns: &str, name: &str) -> SparkApplication {
    let app: SparkApplication = serde_json::from_value(json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"type": "Scala", "sparkVersion": "4.0.5", "image": "apache/spark:4.0.5",
                 "mainClass": "org.apache.spark.examples.SparkPi",
                 "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
                 "driver": {}, "executor": {"instances": 1}}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    block_on(apps(ns).create(&PostParams::default(), &app)).unwrap_or_else(|e| panic!("create {name}: {e}"))
}

/// The driver pod kubeflow's operator would have had Spark create, owned by
/// the application; the fake node plays `outcome`.
fn operator_driver(ns: &str, app: &SparkApplication, outcome: &str, log: &str) -> String {
    let name = app.metadata.name.clone().unwrap_or_default();
    let pod_name = format!("{name}-driver");
    let owner = json!({"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "name": name, "uid": app.metadata.uid, "controller": true});
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": pod_name, "ownerReferences": [owner],
            "labels": {"sparkoperator.k8s.io/app-name": name, "sparkoperator.k8s.io/launched-by-spark-operator": "true",
                       "spark-app-selector": format!("spark-{name}"), "spark-role": "driver", "spark-app-name": name},
            "annotations": {"kspark.test/outcome": outcome, "kspark.test/log": log, "kspark.test/run-millis": "300"}},
        "spec": {"containers": [{"name": "spark-kubernetes-driver", "image": "apache/spark:4.0.5"}]}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    block_on(Api::<Pod>::namespaced(admin(), ns).create(&PostParams::default(), &pod))
        .unwrap_or_else(|e| panic!("driver pod: {e}"));
    pod_name
}

/// Writes the status subresource as kubeflow's operator does.
fn set_status(ns: &str, name: &str, state: &str, error: &str, driver: &str) {
    let status = json!({"status": {
        "applicationState": {"state": state, "errorMessage": error},
        "driverInfo": {"podName": driver},
        "sparkApplicationId": format!("spark-{name}"),
        "submissionID": "7d4c2f1e-0000-4000-8000-000000000001",
        "submissionAttempts": 1, "executionAttempts": 1,
        "lastSubmissionAttemptTime": "2026-01-01T00:00:00Z", "terminationTime": null,
    }});
    block_on(apps(ns).patch_status(name, &PatchParams::default(), &Patch::Merge(&status)))
        .unwrap_or_else(|e| panic!("status of {name}: {e}"));
}

fn pod_phase(ns: &str, pod: &str) -> Option<String> {
    let pod = block_on(Api::<Pod>::namespaced(admin(), ns).get_opt(pod)).ok()??;
    pod.status?.phase
}

/// A plain spark-submit driver (no operator labels) in the same namespace.
fn plain_driver(ns: &str) {
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "plain-driver",
            "labels": {"spark-app-selector": "spark-plain", "spark-role": "driver", "spark-app-name": "plain"},
            "annotations": {"kspark.test/outcome": "run-forever"}},
        "spec": {"containers": [{"name": "spark-kubernetes-driver", "image": "apache/spark:4.0.5"}]}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    block_on(Api::<Pod>::namespaced(admin(), ns).create(&PostParams::default(), &pod))
        .unwrap_or_else(|e| panic!("plain driver: {e}"));
}

#[test]
fn list_status_logs_events_and_kill_see_sparkapplications() {
    let ns = namespace("apps");
    let app = create_app(&ns, "etl");
    let driver = operator_driver(&ns, &app, "run-forever", "hello from the operator's driver");
    set_status(&ns, "etl", "RUNNING", "", &driver);
    plain_driver(&ns);
    eventually(30, "both drivers to run", || {
        pod_phase(&ns, &driver).as_deref() == Some("Running")
            && pod_phase(&ns, "plain-driver").as_deref() == Some("Running")
    });

    let out = kspark(&["list", "-n", &ns, "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let rows = listed.as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 2, "one row per application, the operator's driver not twice: {listed:#}");
    let etl = rows.iter().find(|r| r["name"] == "etl").unwrap_or_else(|| panic!("{listed:#}"));
    assert_eq!(etl["via"], "operator");
    assert_eq!(etl["state"], "RUNNING");
    assert_eq!(etl["driverPod"], driver.as_str());
    assert_eq!(etl["operator"]["executionAttempts"], 1);
    let plain = rows.iter().find(|r| r["name"] == "plain").unwrap_or_else(|| panic!("{listed:#}"));
    assert_eq!(plain["via"], "submit");
    let table = text(&kspark(&["list", "-n", &ns]));
    assert!(table.contains("VIA") && table.contains("operator") && table.contains("submit"), "{table}");

    let status = text(&kspark(&["status", &format!("{ns}:etl")]));
    assert!(status.contains("sparkapplication RUNNING (submission attempts 1, execution attempts 1)"), "{status}");
    assert!(status.contains(&format!("driver {ns}:{driver}  Running")), "{status}");
    let globbed = text(&kspark(&["status", &format!("{ns}:*")]));
    assert!(globbed.contains("sparkapplication RUNNING") && globbed.contains("plain-driver"), "{globbed}");
    // The operator's driver shows under its application, not as an application of its own.
    assert!(!globbed.lines().any(|l| l.starts_with(&format!("{ns}:{driver}"))), "{globbed}");

    let logs = kspark(&["logs", &format!("{ns}:etl")]);
    assert!(logs.status.success(), "{}", text(&logs));
    assert!(String::from_utf8_lossy(&logs.stdout).contains("hello from the operator's driver"), "{}", text(&logs));

    app_event(&ns, &app, "SparkApplicationSubmitted", "SparkApplication etl was submitted successfully");
    let events = text(&kspark(&["events", &format!("{ns}:etl")]));
    assert!(events.contains("SparkApplicationSubmitted") && events.contains("Scheduled"), "{events}");

    let killed = kspark(&["kill", &format!("{ns}:etl")]);
    assert!(killed.status.success(), "{}", text(&killed));
    assert!(text(&killed).contains(&format!("deleted sparkapplication {ns}/etl")), "{}", text(&killed));
    assert!(block_on(apps(&ns).get_opt("etl")).ok().flatten().is_none(), "the SparkApplication is still there");
    eventually(60, "the garbage collector to delete the operator's driver", || pod_phase(&ns, &driver).is_none());
    assert_eq!(pod_phase(&ns, "plain-driver").as_deref(), Some("Running"), "kill touched the other application");
}

fn app_event(ns: &str, app: &SparkApplication, reason: &str, message: &str) {
    let event: Event = serde_json::from_value(json!({
        "metadata": {"name": kspark_testcluster::unique_name("etl-event"), "namespace": ns},
        "involvedObject": {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "name": app.metadata.name, "namespace": ns, "uid": app.metadata.uid},
        "reason": reason, "message": message, "type": "Normal",
        "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z",
        "source": {"component": "spark-operator"}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    block_on(Api::<Event>::namespaced(admin(), ns).create(&PostParams::default(), &event))
        .unwrap_or_else(|e| panic!("event: {e}"));
}

/// Runs `kspark wait` in the background while `then` plays the operator.
fn wait_while(args: &[&str], then: impl FnOnce()) -> Output {
    let child = kspark_command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
    let child = child.unwrap_or_else(|e| panic!("cannot run kspark: {e}"));
    std::thread::sleep(Duration::from_secs(2));
    then();
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn wait_follows_a_sparkapplication_to_its_final_state() {
    let ns = namespace("wait");
    // COMPLETED: exit 0.
    let app = create_app(&ns, "done");
    let driver = operator_driver(&ns, &app, "succeed", "done");
    set_status(&ns, "done", "SUBMITTED", "", &driver);
    let out = wait_while(&["wait", &format!("{ns}:done")], || {
        set_status(&ns, "done", "RUNNING", "", &driver);
        set_status(&ns, "done", "COMPLETED", "", &driver);
    });
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("sparkapplication RUNNING") && text(&out).contains("completed"), "{}", text(&out));

    // FAILED with a driver that exited 3: exit 3 and the operator's message.
    let app = create_app(&ns, "broken");
    let driver = operator_driver(&ns, &app, "fail:3:boom in main", "failing");
    eventually(30, "the driver to fail", || pod_phase(&ns, &driver).as_deref() == Some("Failed"));
    let out = wait_while(&["wait", &format!("{ns}:broken"), "-o", "json"], || {
        set_status(&ns, "broken", "FAILED", "driver container failed with ExitCode: 3, Reason: Error", &driver);
    });
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("driver container failed with ExitCode: 3"), "{}", text(&out));
    let last: Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_default();
    assert_eq!(last["state"], "FAILED", "{}", text(&out));

    // SUBMISSION_FAILED before any driver: exit 1 with the message; no
    // driver means logs have nothing to follow.
    create_app(&ns, "unsubmittable");
    set_status(&ns, "unsubmittable", "SUBMISSION_FAILED", "failed to run spark-submit: bad image", "");
    let out = kspark(&["wait", &format!("{ns}:unsubmittable")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("SUBMISSION_FAILED: failed to run spark-submit: bad image"), "{}", text(&out));
    let logs = kspark(&["logs", &format!("{ns}:unsubmittable")]);
    assert_eq!(logs.status.code(), Some(1), "{}", text(&logs));
    assert!(text(&logs).contains("has no driver pod"), "{}", text(&logs));

    // Never submitted within --timeout: exit 124, the application stays.
    create_app(&ns, "stuck");
    let out = kspark(&["wait", &format!("{ns}:stuck"), "--timeout", "2s"]);
    assert_eq!(out.status.code(), Some(124), "{}", text(&out));
    assert!(text(&out).contains("has not started running"), "{}", text(&out));
    assert!(block_on(apps(&ns).get_opt("stuck")).ok().flatten().is_some());

    // Deleted while waiting: exit 1.
    create_app(&ns, "gone");
    let out = wait_while(&["wait", &format!("{ns}:gone")], || {
        block_on(apps(&ns).delete("gone", &Default::default())).unwrap_or_else(|e| panic!("{e}"));
    });
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("was deleted"), "{}", text(&out));
}

fn as_resource_args<'a>(ns: &'a str, master: &'a str, extra: &[&'a str], resource: &'a str) -> Vec<&'a str> {
    let mut args = vec![
        "submit",
        "--as-resource",
        "--master",
        master,
        "--deploy-mode",
        "cluster",
        "--name",
        "Daily ETL",
        "--conf",
        "spark.kubernetes.container.image=apache/spark:4.0.5",
        "--conf",
        "spark.kubernetes.authenticate.driver.serviceAccountName=spark",
        "--driver-memory",
        "2g",
        "--num-executors",
        "3",
    ];
    let conf = Box::leak(format!("spark.kubernetes.namespace={ns}").into_boxed_str());
    args.extend(["--conf", conf]);
    args.extend(extra);
    args.push(resource);
    args
}

#[test]
fn submit_as_resource_creates_a_sparkapplication_once() {
    let ns = namespace("asres");
    let master = format!("k8s://{}", cluster().server_url());
    let args = as_resource_args(&ns, &master, &[], "local:///opt/app/etl.py");
    let out = kspark(&args);
    assert!(out.status.success(), "{}", text(&out));
    let log = text(&out);
    assert!(
        log.contains(&format!(
            "kspark: created sparkapplication {ns}/daily-etl; follow it with kspark wait {ns}:daily-etl"
        )),
        "{log}"
    );
    let app = block_on(apps(&ns).get("daily-etl")).unwrap_or_else(|e| panic!("{e}"));
    let spec = serde_json::to_value(&app.spec).unwrap_or_default();
    assert_eq!(spec["type"], "Python");
    assert_eq!(spec["sparkVersion"], "4.0.5");
    assert_eq!(spec["mainApplicationFile"], "local:///opt/app/etl.py");
    assert_eq!(spec["driver"]["memory"], "2g");
    assert_eq!(spec["driver"]["serviceAccount"], "spark");
    assert_eq!(spec["executor"]["instances"], 3);

    let again = kspark(&args);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(text(&again).contains("exists already") && text(&again).contains("hint:"), "{}", text(&again));
    assert!(kspark(&["status", &format!("{ns}:daily-etl")]).status.success());
}

#[test]
fn submit_as_resource_dry_run_prints_one_the_api_server_accepts() {
    let ns = namespace("dry");
    let master = "k8s://https://unreachable.invalid:6443";
    let template = concat!(
        "spark.kubernetes.driver.podTemplateFile=",
        env!("CARGO_MANIFEST_DIR"),
        "/../../golden/fixtures/driver-template-full.yaml"
    );
    let extra = [
        "--dry-run",
        "-o",
        "yaml",
        "--class",
        "org.example.Etl",
        "--conf",
        "spark.hadoop.fs.s3a.endpoint=http://minio:9000",
        "--conf",
        template,
    ];
    let out = kspark(&as_resource_args(&ns, master, &extra, "s3a://bucket/etl.jar"));
    assert!(out.status.success(), "{}", text(&out));
    let printed: Value =
        serde_saphyr::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap_or_else(|e| panic!("{e}\n{}", text(&out)));
    assert_eq!(printed["kind"], "SparkApplication");
    assert_eq!(printed["spec"]["hadoopConf"]["fs.s3a.endpoint"], "http://minio:9000");
    assert_eq!(printed["spec"]["mainClass"], "org.example.Etl");
    assert_eq!(printed["spec"]["driver"]["template"]["spec"]["serviceAccountName"], "template-sa", "{}", text(&out));
    let object: DynamicObject = serde_json::from_value(printed).unwrap_or_else(|e| panic!("{e}"));
    let resource = ApiResource::erase::<SparkApplication>(&());
    let api: Api<DynamicObject> = Api::namespaced_with(admin(), &ns, &resource);
    let stored = block_on(api.create(&PostParams::default(), &object))
        .unwrap_or_else(|e| panic!("the API server refused it: {e}"));
    // The schemaless template is kept as printed.
    assert_eq!(stored.data["spec"]["driver"]["template"], object.data["spec"]["driver"]["template"]);
    // Nothing was created by the dry run itself: only the one just posted.
    assert_eq!(block_on(apps(&ns).list(&Default::default())).map(|l| l.items.len()).unwrap_or_default(), 1);

    let local = kspark(&as_resource_args(&ns, master, &["--dry-run"], "./etl.py"));
    assert_eq!(local.status.code(), Some(2), "{}", text(&local));
    assert!(text(&local).contains("the primary resource `./etl.py` is a file on this machine"), "{}", text(&local));
}
