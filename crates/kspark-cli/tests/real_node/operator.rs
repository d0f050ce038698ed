//! The operator path on real pods: kspark's operator (run here as a
//! process with the admin's credentials) takes SparkApplications that a
//! tenant user applies, and kubeflow's own examples, to COMPLETED.

use std::path::{Path, PathBuf};
use std::process::Command;

use kspark_testcluster::operator::{OperatorProcess, install_operator_crds};
use kspark_testcluster::{TestUser, block_on, kubeflow_examples_dir};
use kube::Api;
use kube::api::PostParams;
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::Value;

use crate::{admin, cluster, kspark_as, one_at_a_time, tenant_for_alice, text};

fn kspark_path() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_kspark"))
}

pub(crate) fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative)
}

/// The documents of a YAML file, moved to namespace `ns`.
pub(crate) fn documents_in(path: &Path, ns: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for doc in &mut docs {
        doc["metadata"]["namespace"] = Value::from(ns);
    }
    docs
}

/// Creates `doc` as `user` (kubectl create, through the API).
pub(crate) fn create_as(user: TestUser, doc: Value) {
    let client = block_on(cluster().client(user)).unwrap_or_else(|e| panic!("client: {e}"));
    let api_version = doc["apiVersion"].as_str().unwrap_or_default().to_string();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
    let gvk = GroupVersionKind::gvk(group, version, doc["kind"].as_str().unwrap_or_default());
    let ns = doc["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
    let api: Api<DynamicObject> = Api::namespaced_with(client, &ns, &ApiResource::from_gvk(&gvk));
    let object: DynamicObject = serde_json::from_value(doc).unwrap_or_else(|e| panic!("{e}"));
    block_on(api.create(&PostParams::default(), &object)).unwrap_or_else(|e| panic!("{user:?} creates it: {e}"));
}

fn application_state(ns: &str, name: &str) -> Value {
    let gvk = GroupVersionKind::gvk("sparkoperator.k8s.io", "v1beta2", "SparkApplication");
    let api: Api<DynamicObject> = Api::namespaced_with(admin(), ns, &ApiResource::from_gvk(&gvk));
    let app = block_on(api.get(name)).unwrap_or_else(|e| panic!("{ns}/{name}: {e}"));
    app.data["status"].clone()
}

/// `kspark wait` then the driver's log, as `user`; the application must
/// end COMPLETED with SparkPi's line in its driver's log.
fn completes_with_pi(user: TestUser, ns: &str, name: &str) {
    let id = format!("{ns}:{name}");
    let wait = kspark_as(user, &["wait", &id, "--timeout", "300s"]);
    let status = application_state(ns, name);
    assert!(wait.status.success(), "kspark wait {id}: {}\nstatus: {status}", text(&wait));
    assert_eq!(status["applicationState"]["state"], "COMPLETED", "{status}");
    let logs = kspark_as(user, &["logs", &id]);
    let log = String::from_utf8_lossy(&logs.stdout);
    assert!(log.contains("Pi is roughly 3"), "driver log of {id}:\n{log}{}", text(&logs));
}

#[test]
fn a_tenant_user_runs_examples_spark_pi_yaml_through_the_operator() {
    install_operator_crds(cluster(), kspark_path()).unwrap_or_else(|e| panic!("{e}"));
    let ns = tenant_for_alice("op-alice");
    let _operator = OperatorProcess::start(cluster(), kspark_path(), &ns, &[]).unwrap_or_else(|e| panic!("{e}"));
    let _node = one_at_a_time();
    for doc in documents_in(&repo_file("examples/spark-pi.yaml"), &ns) {
        create_as(TestUser::Alice, doc);
    }
    completes_with_pi(TestUser::Alice, &ns, "spark-pi");
}

/// The chart's appVersion: the tag of the image the chart runs.
fn chart_app_version() -> String {
    let chart =
        std::fs::read_to_string(repo_file("charts/kspark-operator/Chart.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let line = chart.lines().find(|l| l.starts_with("appVersion:")).unwrap_or_else(|| panic!("no appVersion"));
    line.trim_start_matches("appVersion:").trim().trim_matches('"').to_string()
}

/// Runs a testcluster script; its stdout.
pub(crate) fn script(name: &str, args: &[&str]) -> String {
    let path = kspark_testcluster::testcluster_script(name);
    let out = Command::new(&path).args(args).output().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(out.status.success(), "{name} {args:?}:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The operator as a user installs it: this build of kspark in the
/// chart's default image (`ghcr.io/kspark/kspark:<appVersion>`, which the
/// node pulls from the harness's registry), installed by the Helm chart.
/// Uninstalled when dropped.
pub(crate) struct HelmRelease;

const RELEASE_NAMESPACE: &str = "kspark-system";

impl HelmRelease {
    pub(crate) fn install(watched: &str) -> HelmRelease {
        let image = format!("ghcr.io/kspark/kspark:{}", chart_app_version());
        let layout = script("build-operator-image.sh", &[env!("CARGO_BIN_EXE_kspark"), &image]);
        let registry = cluster().image_registry().unwrap_or_else(|| panic!("the real node has no registry"));
        script("push-images.sh", &[&layout, &registry]);
        let out = kspark_testcluster::helm::helm_command()
            .args(["install", "kspark-operator"])
            .arg(repo_file("charts/kspark-operator"))
            .args(["--namespace", RELEASE_NAMESPACE, "--create-namespace", "--kubeconfig"])
            .arg(cluster().kubeconfig(TestUser::Admin))
            .args(["--set", &format!("watchNamespaces={{{watched}}}")])
            // kubeflow's examples ask 1 CPU for the driver and 1 for the
            // executor: the whole 2-CPU node, so the operator asks none.
            .args(["--set", "resources.requests=null"])
            .args(["--wait", "--timeout", "180s"])
            .output()
            .unwrap_or_else(|e| panic!("helm: {e}"));
        assert!(out.status.success(), "helm install: {}", text(&out));
        HelmRelease
    }
}

impl Drop for HelmRelease {
    fn drop(&mut self) {
        let _ = kspark_testcluster::helm::helm_command()
            .args(["uninstall", "kspark-operator", "--namespace", RELEASE_NAMESPACE, "--wait", "--kubeconfig"])
            .arg(cluster().kubeconfig(TestUser::Admin))
            .output();
    }
}

/// The operator pod holds the leader Lease (the chart runs it with
/// --leader-elect).
fn leader_is_the_operator_pod() -> bool {
    use k8s_openapi::api::coordination::v1::Lease;
    let leases: Api<Lease> = Api::namespaced(admin(), RELEASE_NAMESPACE);
    let items = block_on(leases.list(&Default::default())).map(|l| l.items).unwrap_or_default();
    items.iter().any(|lease| {
        lease
            .spec
            .as_ref()
            .and_then(|s| s.holder_identity.as_deref())
            .is_some_and(|h| h.starts_with("kspark-operator-"))
    })
}

#[test]
fn kubeflow_s_examples_run_unmodified_under_the_operator_the_helm_chart_installs() {
    let ns = kspark_testcluster::unique_name("op-kubeflow");
    // The service account kubeflow's chart makes for its examples, with
    // the driver's rights.
    let out = kspark_as(
        TestUser::Admin,
        &["tenant", "create", &ns, "--user", "alice", "--service-account", "spark-operator-spark"],
    );
    assert!(out.status.success(), "{}", text(&out));
    // What kubeflow's e2e suite creates for spark-pi-configmap.yaml.
    create_as(
        TestUser::Admin,
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "test-configmap", "namespace": ns}, "data": {"testKey": "testValue"}}),
    );
    let _node = one_at_a_time();
    let _release = HelmRelease::install(&ns);
    kspark_testcluster::eventually(60, "the operator pod to hold the leader Lease", leader_is_the_operator_pod);
    let examples =
        ["spark-pi.yaml", "spark-pi-python.yaml", "spark-pi-configmap.yaml", "spark-pi-custom-resource.yaml"];
    for example in examples {
        let docs = documents_in(&kubeflow_examples_dir().join(example), &ns);
        let name = docs[0]["metadata"]["name"].as_str().unwrap_or_default().to_string();
        for doc in docs {
            create_as(TestUser::Admin, doc);
        }
        completes_with_pi(TestUser::Admin, &ns, &name);
    }
    fails_as_kubeflow_s_fail_application(&ns);
}

/// The SparkApplication of kubeflow's e2e `fail-application.yaml` (a main
/// class and a jar that do not exist, 3 retries on failure, 1 s apart): it
/// ends FAILED with kubeflow's "driver container failed" after 4 attempts,
/// and the last driver's log holds Spark's own error.
fn fails_as_kubeflow_s_fail_application(ns: &str) {
    let pod_spec = serde_json::json!({"cores": 1, "memory": "512m"});
    let mut driver = pod_spec.clone();
    driver["serviceAccount"] = Value::from("spark-operator-spark");
    let mut executor = pod_spec;
    executor["instances"] = Value::from(1);
    create_as(
        TestUser::Admin,
        serde_json::json!({"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": "fail-application", "namespace": ns},
            "spec": {"type": "Scala", "mode": "cluster", "image": "apache/spark:4.0.4",
                "imagePullPolicy": "IfNotPresent", "mainClass": "non-existent",
                "mainApplicationFile": "local:///non-existent.jar", "sparkVersion": "4.0.4",
                "restartPolicy": {"type": "OnFailure", "onFailureRetries": 3, "onFailureRetryInterval": 1},
                "driver": driver, "executor": executor}}),
    );
    let id = format!("{ns}:fail-application");
    let wait = kspark_as(TestUser::Admin, &["wait", &id, "--timeout", "300s"]);
    let status = application_state(ns, "fail-application");
    assert!(!wait.status.success(), "kspark wait {id} succeeded: {}", text(&wait));
    assert_eq!(status["applicationState"]["state"], "FAILED", "{status}");
    let message = status["applicationState"]["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("driver container failed"), "{status}");
    assert_eq!(status["executionAttempts"], 4, "{status}");
    let logs = kspark_as(TestUser::Admin, &["logs", &id]);
    let log = String::from_utf8_lossy(&logs.stdout);
    assert!(log.contains("non-existent"), "Spark's own error in the driver's log:\n{log}{}", text(&logs));
}

/// The doubt from the simulated node: an Eviction of a driver whose budget
/// allowed no disruption returned 201. kube-apiserver evicts a Pending,
/// Succeeded, Failed or already terminating pod whatever its budget says
/// (`canIgnorePDB` in its eviction.go), and a simulated driver ends on its
/// own clock. On a real, Ready, running driver the budget holds: 429.
#[test]
fn a_ready_driver_under_its_pod_disruption_budget_is_not_evicted() {
    use k8s_openapi::api::core::v1::Pod;
    use k8s_openapi::api::policy::v1::PodDisruptionBudget;
    use kube::api::DeleteParams;

    install_operator_crds(cluster(), kspark_path()).unwrap_or_else(|e| panic!("{e}"));
    let ns = tenant_for_alice("op-pdb");
    let _operator = OperatorProcess::start(cluster(), kspark_path(), &ns, &["--enable-driver-pdb"])
        .unwrap_or_else(|e| panic!("{e}"));
    let _node = one_at_a_time();
    let mut app = documents_in(&repo_file("examples/spark-pi.yaml"), &ns).remove(0);
    app["metadata"]["name"] = Value::from("spark-pi-pdb");
    app["spec"]["driverPodDisruptionBudget"] = Value::from(true);
    app["spec"]["arguments"] = serde_json::json!(["100000"]);
    app["spec"]["executor"]["instances"] = Value::from(1);
    create_as(TestUser::Alice, app);

    let pods: Api<Pod> = Api::namespaced(admin(), &ns);
    let budgets: Api<PodDisruptionBudget> = Api::namespaced(admin(), &ns);
    let driver = "spark-pi-pdb-driver";
    kspark_testcluster::eventually(120, "the driver Ready and its budget allowing no disruption", || {
        let ready =
            block_on(pods.get_opt(driver)).ok().flatten().and_then(|p| p.status).is_some_and(|s| {
                s.conditions.unwrap_or_default().iter().any(|c| c.type_ == "Ready" && c.status == "True")
            });
        let held = block_on(budgets.get_opt(driver))
            .ok()
            .flatten()
            .and_then(|b| b.status)
            .is_some_and(|s| s.current_healthy == 1 && s.disruptions_allowed == 0);
        ready && held
    });
    let eviction = evict(&ns, driver);
    let driver_left =
        block_on(pods.get_opt(driver)).ok().flatten().is_some_and(|p| p.metadata.deletion_timestamp.is_none());
    let gvk = GroupVersionKind::gvk("sparkoperator.k8s.io", "v1beta2", "SparkApplication");
    let apps: Api<DynamicObject> = Api::namespaced_with(admin(), &ns, &ApiResource::from_gvk(&gvk));
    let _ = block_on(apps.delete("spark-pi-pdb", &DeleteParams::default()));
    let (code, answer) = eviction;
    assert_eq!(code, 429, "the eviction of a Ready driver under its budget: {answer}");
    assert!(answer.contains("Cannot evict pod as it would violate the pod's disruption budget"), "{answer}");
    assert!(driver_left, "the driver is still running after the refused eviction");
}

/// POSTs an Eviction of `pod` as the admin, as `kubectl drain` does; the
/// HTTP status and what the API server said. Without kube's default retry,
/// which takes the budget's 429 for a transient error and retries it for
/// minutes.
fn evict(ns: &str, pod: &str) -> (u16, String) {
    let body = serde_json::json!({"apiVersion": "policy/v1", "kind": "Eviction",
        "metadata": {"name": pod, "namespace": ns}});
    let request = http::Request::post(format!("/api/v1/namespaces/{ns}/pods/{pod}/eviction"))
        .header("Content-Type", "application/json")
        .body(body.to_string().into_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = block_on(async {
        let mut config = kspark_testcluster::config_from_kubeconfig(&cluster().kubeconfig(TestUser::Admin)).await?;
        config.default_retry = false;
        let client = kube::Client::try_from(config).map_err(|e| kspark_testcluster::Error::Setup(e.to_string()))?;
        Ok::<_, kspark_testcluster::Error>(client.request_text(request).await)
    });
    match answer.unwrap_or_else(|e| panic!("admin client: {e}")) {
        Ok(text) => (201, text),
        Err(kube::Error::Api(status)) => (status.code, status.message),
        Err(e) => panic!("eviction: {e}"),
    }
}
