//! Spark Connect on real pods: kubeflow's `spark-connect.yaml` through the
//! operator the Helm chart installs, and `kspark connect` without an
//! operator; a Python client (`pyspark-client` from PyPI, the server's Spark
//! line) runs queries through the local port `kspark connect` prints.
//!
//! The node has the machine's 2 CPUs and kubeflow's example asks 3 (a
//! 1-CPU server and two 1-CPU executors). Its namespace therefore gets a
//! MutatingAdmissionPolicy that lowers every pod's CPU request to 250m; the
//! example itself is applied unmodified but for its name.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kspark_sparkapp::connect::status::pod_is_ready;
use kspark_testcluster::{TestUser, block_on, eventually, unique_name};
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::{Value, json};

use crate::operator::{HelmRelease, create_as, documents_in, repo_file, script};
use crate::{IMAGE, admin, cluster, kspark_as, one_at_a_time, text};

/// pyspark-client's release for the example's Spark 4.0.4 (and, same
/// line, for the 4.0.5 image the other tests run).
const CLIENT_VERSION: &str = "4.0.4";

fn policy_resource(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("admissionregistration.k8s.io", "v1beta1", kind))
}

/// Pods created in one namespace ask at most 250m CPU; removed when dropped.
struct SmallCpuRequests(String);

impl SmallCpuRequests {
    fn bind(ns: &str) -> SmallCpuRequests {
        let name = format!("kspark-test-small-cpu-{ns}");
        let requests = "Object{spec: Object.spec{containers: object.spec.containers.map(c, \
            Object.spec.containers{name: c.name, resources: Object.spec.containers.resources{requests: {'cpu': '250m'}}})}}";
        let policy = json!({
            "apiVersion": "admissionregistration.k8s.io/v1beta1", "kind": "MutatingAdmissionPolicy",
            "metadata": {"name": name},
            "spec": {
                "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                    "operations": ["CREATE"], "resources": ["pods"]}]},
                "failurePolicy": "Fail", "reinvocationPolicy": "Never",
                "mutations": [{"patchType": "ApplyConfiguration", "applyConfiguration": {"expression": requests}}]
            }
        });
        let binding = json!({
            "apiVersion": "admissionregistration.k8s.io/v1beta1", "kind": "MutatingAdmissionPolicyBinding",
            "metadata": {"name": name},
            "spec": {"policyName": name,
                     "matchResources": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}}
        });
        for (kind, object) in [("MutatingAdmissionPolicy", policy), ("MutatingAdmissionPolicyBinding", binding)] {
            let api: Api<DynamicObject> = Api::all_with(admin(), &policy_resource(kind));
            let object: DynamicObject = serde_json::from_value(object).unwrap_or_else(|e| panic!("{e}"));
            block_on(api.create(&PostParams::default(), &object)).unwrap_or_else(|e| panic!("create {kind}: {e}"));
        }
        let guard = SmallCpuRequests(name);
        eventually(30, "the policy to lower a dry-run pod's CPU request", || dry_run_cpu_request(ns) == "250m");
        guard
    }
}

impl Drop for SmallCpuRequests {
    fn drop(&mut self) {
        for kind in ["MutatingAdmissionPolicyBinding", "MutatingAdmissionPolicy"] {
            let api: Api<DynamicObject> = Api::all_with(admin(), &policy_resource(kind));
            let _ = block_on(api.delete(&self.0, &DeleteParams::default()));
        }
    }
}

/// The CPU request of a pod asking 1 CPU, as admission leaves it (dry run).
fn dry_run_cpu_request(ns: &str) -> String {
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "cpu-probe"},
        "spec": {"containers": [{"name": "c", "image": IMAGE, "resources": {"requests": {"cpu": "1"}}}]}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let api: Api<Pod> = Api::namespaced(admin(), ns);
    let params = PostParams { dry_run: true, ..Default::default() };
    let made = block_on(api.create(&params, &pod)).unwrap_or_else(|e| panic!("dry-run pod: {e}"));
    let requests = made.spec.and_then(|s| s.containers[0].resources.clone()).and_then(|r| r.requests);
    requests.and_then(|r| r.get("cpu").map(|q| q.0.clone())).unwrap_or_default()
}

/// `kspark connect ARGS` as alice, running until dropped (killed by PID).
struct Connected {
    child: Child,
    url: String,
    stderr: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Connected {
    fn start(args: &[&str]) -> Connected {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let stderr = dir.path().join("stderr");
        let log = std::fs::File::create(&stderr).unwrap_or_else(|e| panic!("{e}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_kspark"))
            .arg("connect")
            .args(args)
            .env("KUBECONFIG", cluster().kubeconfig(TestUser::Alice))
            .env("HOME", std::env::temp_dir())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("kspark connect: {e}"));
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        let connected = Connected { child, url: line.trim().to_string(), stderr, _dir: dir };
        assert!(connected.url.starts_with("sc://127.0.0.1:"), "no URL on stdout: {}", connected.log());
        connected
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits for the process to end by itself; its exit status.
    fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        None
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python client's interpreter (a venv with pyspark-client).
fn python() -> String {
    script("connect-client.sh", &[CLIENT_VERSION])
}

/// testcluster/connect-check.py against `url`, with `extra` arguments.
fn run_client(url: &str, extra: &[&str]) -> (Output, Value) {
    let check = repo_file("testcluster/connect-check.py");
    let out = Command::new(python()).arg(check).arg(url).args(extra).output().unwrap_or_else(|e| panic!("python: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = stdout.lines().last().and_then(|l| serde_json::from_str(l).ok()).unwrap_or(Value::Null);
    (out, report)
}

/// The sum and the join come back right through the forward.
fn queries_answer_right(connected: &Connected) -> Value {
    let (out, report) = run_client(&connected.url, &[]);
    assert!(out.status.success(), "client: {}\nkspark connect: {}", text(&out), connected.log());
    assert_eq!(report["sum"], 499500, "{report}");
    assert_eq!(report["ok"], true, "the join: {report}");
    report
}

fn server_pod(ns: &str, name: &str) -> Option<Pod> {
    let api: Api<Pod> = Api::namespaced(admin(), ns);
    block_on(api.get_opt(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn connect_status(ns: &str, name: &str) -> Value {
    let gvk = GroupVersionKind::gvk("sparkoperator.k8s.io", "v1alpha1", "SparkConnect");
    let api: Api<DynamicObject> = Api::namespaced_with(admin(), ns, &ApiResource::from_gvk(&gvk));
    block_on(api.get(name)).map(|c| c.data["status"].clone()).unwrap_or(Value::Null)
}

#[test]
fn kubeflow_s_spark_connect_example_serves_a_python_client_through_kspark_connect() {
    let ns = unique_name("connect-kubeflow");
    let out = kspark_as(
        TestUser::Admin,
        &["tenant", "create", &ns, "--user", "alice", "--service-account", "spark-operator-spark"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let _small = SmallCpuRequests::bind(&ns);
    let _node = one_at_a_time();
    let _release = HelmRelease::install(&ns);
    let name = "spark-connect-e2e";
    for mut doc in documents_in(&repo_file("golden/kubeflow-connect/cases/example/connect.yaml"), &ns) {
        doc["metadata"]["name"] = Value::from(name);
        create_as(TestUser::Admin, doc);
    }
    kspark_testcluster::poll_until(Duration::from_secs(300), "Ready with 2 running executors", || {
        let status = connect_status(&ns, name);
        if status["state"] == "Ready" && status["executors"]["running"] == 2 {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(status)
        }
    });
    let connected = Connected::start(&[&format!("{ns}:{name}")]);
    let first = queries_answer_right(&connected);
    eprintln!("first query through kspark connect: {first}");

    // The server pod is deleted; the operator makes another, and the same
    // local port reaches it.
    let old = server_pod(&ns, &format!("{name}-server")).unwrap_or_else(|| panic!("no server pod"));
    let pods: Api<Pod> = Api::namespaced(admin(), &ns);
    block_on(pods.delete(&format!("{name}-server"), &DeleteParams::default())).unwrap_or_else(|e| panic!("{e}"));
    eventually(300, "a new server pod, ready", || {
        server_pod(&ns, &format!("{name}-server"))
            .is_some_and(|p| p.metadata.uid != old.metadata.uid && pod_is_ready(&p))
    });
    queries_answer_right(&connected);
    drop(connected);

    // list, logs and kill know the server by its SparkConnect's name.
    let id = format!("{ns}:{name}");
    let list = kspark_as(TestUser::Alice, &["list", "-n", &ns]);
    let listed = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(listed.lines().any(|l| l.contains(name) && l.contains("connect")), "kspark list:\n{}", text(&list));
    let logs = kspark_as(TestUser::Alice, &["logs", &id]);
    assert!(String::from_utf8_lossy(&logs.stdout).contains("Spark Connect server started"), "{}", text(&logs));
    let kill = kspark_as(TestUser::Alice, &["kill", &id]);
    assert!(kill.status.success(), "{}", text(&kill));
    eventually(60, "the SparkConnect deleted", || connect_status(&ns, name).is_null());
}

#[test]
fn kspark_connect_without_an_operator_serves_a_client_and_deletes_the_server_once_idle() {
    let ns = crate::tenant_for_alice("connect-direct");
    let _node = one_at_a_time();
    let started = Instant::now();
    let mut connected = Connected::start(&[
        &format!("{ns}:nb"),
        "--no-operator",
        "--image",
        IMAGE,
        "--executors",
        "1",
        "--executor-memory",
        "512m",
        "--server-memory",
        "1g",
        "--conf",
        "spark.kubernetes.executor.request.cores=200m",
        "--idle-timeout",
        "20s",
    ]);
    let report = queries_answer_right(&connected);
    eprintln!("kspark connect --no-operator to first answer: {:?} ({report})", started.elapsed());
    // A client that stays connected longer than the idle timeout keeps it.
    let (out, held) = run_client(&connected.url, &["--hold", "30"]);
    assert!(out.status.success(), "{}\n{}", text(&out), connected.log());
    assert_eq!(held["sum_after_hold"], 499500, "{held}");
    assert!(server_pod(&ns, "nb-server").is_some(), "deleted while busy: {}", connected.log());
    // Then, idle for 20 s: deleted, and kspark connect ends.
    let exit = connected.wait_exit(Duration::from_secs(60));
    assert!(exit.is_some_and(|s| s.success()), "{exit:?}: {}", connected.log());
    eventually(120, "the server pod and its Service gone", || {
        let services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(admin(), &ns);
        server_pod(&ns, "nb-server").is_none() && block_on(services.get_opt("nb-server")).ok().flatten().is_none()
    });
}
