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
        Connected::start_with(&cluster().kubeconfig(TestUser::Alice), args)
    }

    fn start_with(kubeconfig: &std::path::Path, args: &[&str]) -> Connected {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let stderr = dir.path().join("stderr");
        let log = std::fs::File::create(&stderr).unwrap_or_else(|e| panic!("{e}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_kspark"))
            .arg("connect")
            .args(args)
            .env("KUBECONFIG", kubeconfig)
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

/// A service account whose token the test replaces: a kubeconfig whose
/// exec plugin prints the token in a file (as kubelogin or `az` print a
/// fresh one), with the submitter rights of the tenant.
struct RotatingToken {
    ns: String,
    dir: tempfile::TempDir,
    generation: u32,
}

const NOTEBOOK_ACCOUNT: &str = "notebook";

impl RotatingToken {
    fn new(ns: &str) -> RotatingToken {
        let account: k8s_openapi::api::core::v1::ServiceAccount =
            serde_json::from_value(json!({"metadata": {"name": NOTEBOOK_ACCOUNT}})).unwrap_or_else(|e| panic!("{e}"));
        let accounts: Api<k8s_openapi::api::core::v1::ServiceAccount> = Api::namespaced(admin(), ns);
        block_on(accounts.create(&PostParams::default(), &account)).unwrap_or_else(|e| panic!("{e}"));
        let binding: k8s_openapi::api::rbac::v1::RoleBinding = serde_json::from_value(json!({
            "metadata": {"name": "notebook-submits"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "kspark-spark-submitter"},
            "subjects": [{"kind": "ServiceAccount", "name": NOTEBOOK_ACCOUNT, "namespace": ns}]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let bindings: Api<k8s_openapi::api::rbac::v1::RoleBinding> = Api::namespaced(admin(), ns);
        block_on(bindings.create(&PostParams::default(), &binding)).unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut token = RotatingToken { ns: ns.to_string(), dir, generation: 0 };
        token.write_kubeconfig();
        token.rotate();
        token
    }

    fn token_file(&self) -> std::path::PathBuf {
        self.dir.path().join("token")
    }

    fn kubeconfig(&self) -> std::path::PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// Alice's kubeconfig with the plugin in place of her token.
    fn write_kubeconfig(&self) {
        let plugin = self.dir.path().join("token-plugin.sh");
        let script = format!(
            "#!/bin/sh\nprintf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"%s\"}}}}' \"$(cat {})\"\n",
            self.token_file().display()
        );
        std::fs::write(&plugin, script).unwrap_or_else(|e| panic!("{e}"));
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o700)).unwrap_or_else(|e| panic!("{e}"));
        let alice = std::fs::read_to_string(cluster().kubeconfig(TestUser::Alice)).unwrap_or_else(|e| panic!("{e}"));
        let mut config: Value = serde_saphyr::from_str(&alice).unwrap_or_else(|e| panic!("{e}"));
        config["users"][0]["user"] = json!({"exec": {
            "apiVersion": "client.authentication.k8s.io/v1", "command": plugin.display().to_string(),
            "interactiveMode": "Never"}});
        let text = serde_json::to_string(&config).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(self.kubeconfig(), text).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Whether the API server answers 401 to `token`.
    fn refused(&self, token: &str) -> bool {
        let path = cluster().kubeconfig(TestUser::Alice);
        let mut kubeconfig = kube::config::Kubeconfig::read_from(&path).unwrap_or_else(|e| panic!("{e}"));
        if let Some(user) = kubeconfig.auth_infos.first_mut().and_then(|u| u.auth_info.as_mut()) {
            user.token = Some(token.to_string().into());
        }
        let ns = self.ns.clone();
        block_on(async move {
            let options = kube::config::KubeConfigOptions::default();
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options).await;
            let client = kube::Client::try_from(config.unwrap_or_else(|e| panic!("{e}")));
            let pods: Api<Pod> = Api::namespaced(client.unwrap_or_else(|e| panic!("{e}")), &ns);
            matches!(pods.list(&Default::default()).await, Err(kube::Error::Api(s)) if s.code == 401)
        })
    }

    fn secrets(&self) -> Api<k8s_openapi::api::core::v1::Secret> {
        Api::namespaced(admin(), &self.ns)
    }

    fn secret_name(&self) -> String {
        format!("notebook-token-{}", self.generation)
    }

    /// Revokes the current token (its Secret goes; the API server refuses
    /// it from then on) and hands out a new one.
    fn rotate(&mut self) {
        if self.generation > 0 {
            let old = self.secret_name();
            let revoked = std::fs::read_to_string(self.token_file()).unwrap_or_default();
            block_on(self.secrets().delete(&old, &DeleteParams::default())).unwrap_or_else(|e| panic!("{e}"));
            eventually(30, "the old token refused", || self.refused(&revoked));
        }
        self.generation += 1;
        let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
            "metadata": {"name": self.secret_name(),
                         "annotations": {"kubernetes.io/service-account.name": NOTEBOOK_ACCOUNT}},
            "type": "kubernetes.io/service-account-token"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        block_on(self.secrets().create(&PostParams::default(), &secret)).unwrap_or_else(|e| panic!("{e}"));
        let token = kspark_testcluster::poll_until(Duration::from_secs(30), "the new token", || {
            let secret = block_on(self.secrets().get(&self.secret_name())).ok();
            match secret.and_then(|s| s.data).and_then(|d| d.get("token").cloned()) {
                Some(token) => std::ops::ControlFlow::Break(String::from_utf8_lossy(&token.0).into_owned()),
                None => std::ops::ControlFlow::Continue(()),
            }
        });
        std::fs::write(self.token_file(), token).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// What kubeflow's e2e suite does next: a pod in the cluster reaches the
/// server's gRPC port through its Service (DNS, kube-proxy).
fn reached_through_its_service(ns: &str, service: &str) {
    let reach = format!("exec 3<>/dev/tcp/{service}.{ns}.svc/15002 && echo reached");
    let probe: Pod = serde_json::from_value(json!({
        "metadata": {"name": "connect-probe"},
        "spec": {"restartPolicy": "Never",
                 "containers": [{"name": "probe", "image": IMAGE, "command": ["bash", "-c", reach]}]}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let pods: Api<Pod> = Api::namespaced(admin(), ns);
    block_on(pods.create(&PostParams::default(), &probe)).unwrap_or_else(|e| panic!("probe pod: {e}"));
    kspark_testcluster::poll_until(Duration::from_secs(120), "the probe pod to reach the Service", || {
        let phase = block_on(pods.get("connect-probe")).ok().and_then(|p| p.status).and_then(|s| s.phase);
        match phase.as_deref() {
            Some("Succeeded") => std::ops::ControlFlow::Break(()),
            Some("Failed") => panic!("the probe pod could not reach {service}.{ns}.svc:15002"),
            other => std::ops::ControlFlow::Continue(other.map(str::to_string)),
        }
    });
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
    reached_through_its_service(&ns, &format!("{name}-server"));
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
fn kspark_connect_without_an_operator_serves_a_client_across_a_token_rotation_and_deletes_the_server_once_idle() {
    let ns = crate::tenant_for_alice("connect-direct");
    let mut token = RotatingToken::new(&ns);
    let _node = one_at_a_time();
    let started = Instant::now();
    let mut connected = Connected::start_with(
        &token.kubeconfig(),
        &[
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
        ],
    );
    let report = queries_answer_right(&connected);
    eprintln!("kspark connect --no-operator to first answer: {:?} ({report})", started.elapsed());
    // The token is revoked and replaced (as an hourly Entra ID token is):
    // new connections get a fresh one from the plugin.
    token.rotate();
    // A client that stays connected longer than the idle timeout keeps it.
    let (out, held) = run_client(&connected.url, &["--hold", "30"]);
    assert!(out.status.success(), "{}\n{}", text(&out), connected.log());
    assert_eq!(held["sum_after_hold"], 499500, "{held}");
    assert!(server_pod(&ns, "nb-server").is_some(), "deleted while busy: {}", connected.log());
    assert!(connected.log().contains("getting a fresh one"), "the revoked token was not replaced: {}", connected.log());
    // Then, idle for 20 s: deleted, and kspark connect ends.
    let exit = connected.wait_exit(Duration::from_secs(60));
    assert!(exit.is_some_and(|s| s.success()), "{exit:?}: {}", connected.log());
    eventually(120, "the server pod and its Service gone", || {
        let services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(admin(), &ns);
        server_pod(&ns, "nb-server").is_none() && block_on(services.get_opt("nb-server")).ok().flatten().is_none()
    });
}
