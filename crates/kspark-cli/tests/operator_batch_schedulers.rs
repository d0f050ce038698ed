//! `kspark operator run` with kubeflow's batch-scheduler examples
//! (examples/spark-pi-volcano.yaml, spark-pi-yunikorn.yaml,
//! spark-pi-kube-scheduler.yaml) against a real control plane: the objects
//! kubeflow's operator makes for Volcano, YuniKorn and kube-scheduler with
//! scheduler-plugins, the real PodGroup CRDs (fetched by
//! testcluster/fetch-volcano-crd.sh and fetch-scheduler-plugins-crd.sh),
//! and the garbage collection of the real controller-manager.
//!
//! None of Volcano's, YuniKorn's or a scheduler named kube-scheduler runs
//! here, and the cluster's default scheduler leaves pods that name another
//! scheduler alone: the test binds them to the simulated node itself (a
//! `pods/binding`, as those schedulers do once the group fits), so that the
//! application can run to COMPLETED.
//!
//! This binary has a control plane of its own (the PodGroup CRDs are
//! installed into it); the volcano example runs unmodified, in `default`,
//! under the operator's installed RBAC.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{ConfigMap, Pod, ServiceAccount};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kspark_sparkapp::batch_scheduler::kube_scheduler;
use kspark_sparkapp::batch_scheduler::volcano::PodGroup;
use kspark_sparkapp::{ApplicationStateType, SparkApplication};
use kspark_testcluster::operator::{OperatorProcess, install_operator_crds};
use kspark_testcluster::{FAKE_NODE_NAME, TestCluster, TestUser, block_on};
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, Client};
use serde_json::{Value, json};

const GROUP_ANNOTATION: &str = "scheduling.k8s.io/group-name";

fn cluster() -> &'static TestCluster {
    TestCluster::shared()
}

fn admin() -> Client {
    block_on(cluster().admin_client()).unwrap_or_else(|e| panic!("admin client: {e}"))
}

fn kspark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kspark"))
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// kspark's CRDs, once per test binary.
fn crds() {
    install_operator_crds(cluster(), kspark_path()).unwrap_or_else(|e| panic!("{e}"));
}

/// Volcano's own PodGroup CRD: $KSPARK_VOLCANO_CRD, else fetched (and
/// cached) by testcluster/fetch-volcano-crd.sh.
fn volcano_crd() -> CustomResourceDefinition {
    let path = match std::env::var_os("KSPARK_VOLCANO_CRD") {
        Some(path) => PathBuf::from(path),
        None => {
            let script = repo_root().join("testcluster/fetch-volcano-crd.sh");
            let out = Command::new(&script).output().unwrap_or_else(|e| panic!("{}: {e}", script.display()));
            assert!(out.status.success(), "fetch-volcano-crd.sh failed:\n{}", String::from_utf8_lossy(&out.stderr));
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        }
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn install_volcano_crd() {
    let crds: Api<CustomResourceDefinition> = Api::all(admin());
    block_on(crds.create(&PostParams::default(), &volcano_crd())).unwrap_or_else(|e| panic!("PodGroup CRD: {e}"));
    poll("the PodGroup CRD to be established", Duration::from_secs(30), || {
        let crd = block_on(crds.get("podgroups.scheduling.volcano.sh")).ok()?;
        let conditions = crd.status?.conditions.unwrap_or_default();
        conditions.iter().any(|c| c.type_ == "Established" && c.status == "True").then_some(())
    });
}

/// `kspark operator run --namespace ns EXTRA` as the cluster's admin;
/// killed when dropped.
fn operator(ns: &str, extra: &[&str]) -> OperatorProcess {
    crds();
    OperatorProcess::start(cluster(), kspark_path(), ns, extra).unwrap_or_else(|e| panic!("{e}"))
}

/// The operator `kspark operator install` makes for `ns`, running as its
/// service account: the installed RBAC must be enough for PodGroups.
fn installed_operator(ns: &str) -> OperatorProcess {
    crds();
    OperatorProcess::start_installed(cluster(), kspark_path(), ns, &[], |_| {}).unwrap_or_else(|e| panic!("{e}"))
}

fn kspark_path() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_kspark"))
}

/// The driver service account kubeflow's examples name.
fn service_account(ns: &str) {
    let account: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "spark-operator-spark"}})).unwrap_or_else(|e| panic!("{e}"));
    block_on(Api::namespaced(admin(), ns).create(&PostParams::default(), &account))
        .unwrap_or_else(|e| panic!("service account: {e}"));
}

/// kubeflow's example `stem`, as committed.
fn example(stem: &str) -> Value {
    kspark_testcluster::kubeflow_example_documents()
        .into_iter()
        .find(|(s, _)| s == stem)
        .map(|(_, doc)| doc)
        .unwrap_or_else(|| panic!("no kubeflow example {stem}"))
}

fn apps(ns: &str) -> Api<SparkApplication> {
    Api::namespaced(admin(), ns)
}

fn create(ns: &str, value: Value) {
    let app: SparkApplication = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    block_on(apps(ns).create(&PostParams::default(), &app)).unwrap_or_else(|e| panic!("create: {e}"));
}

fn state(app: &SparkApplication) -> ApplicationStateType {
    app.status.as_ref().map(|s| s.app_state.state).unwrap_or_default()
}

/// Polls `check` every 200 ms until it gives a value; panics after `timeout`.
fn poll<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(start.elapsed() < timeout, "waited {timeout:?} for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits for the application to reach `wanted`, binding its pods that wait
/// for `scheduler` to the simulated node meanwhile.
fn run_until(ns: &str, name: &str, scheduler: &str, wanted: ApplicationStateType) -> SparkApplication {
    let mut last = None;
    let found = poll_quietly(Duration::from_secs(90), || {
        bind_pods_waiting_for(ns, scheduler);
        let app = block_on(apps(ns).get(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let done = state(&app) == wanted;
        last = app.status.clone();
        done.then_some(app)
    });
    found.unwrap_or_else(|| panic!("{name}: not {wanted:?} after 90 s: {last:?}"))
}

fn poll_quietly<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Some(value) = check() {
            return Some(value);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

/// What Volcano's or YuniKorn's scheduler would do once it admits the
/// pods: bind them (here to the simulated node).
fn bind_pods_waiting_for(ns: &str, scheduler: &str) {
    let pods: Api<Pod> = Api::namespaced(admin(), ns);
    let params = ListParams::default().fields(&format!("spec.schedulerName={scheduler},spec.nodeName="));
    for pod in block_on(pods.list(&params)).map(|l| l.items).unwrap_or_default() {
        let name = pod.metadata.name.unwrap_or_default();
        let binding = json!({
            "apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
            "target": {"apiVersion": "v1", "kind": "Node", "name": FAKE_NODE_NAME}
        });
        // A pod bound in between (409) or gone (404) needs nothing more.
        let _ = block_on(pods.create_subresource::<Value, Value>("binding", &name, &PostParams::default(), &binding));
    }
}

fn pod(ns: &str, name: &str) -> Pod {
    block_on(Api::<Pod>::namespaced(admin(), ns).get(name)).unwrap_or_else(|e| panic!("pod {name}: {e}"))
}

fn pod_groups(ns: &str) -> Api<PodGroup> {
    Api::namespaced(admin(), ns)
}

/// What the driver's ConfigMaps hold (Spark's properties among them),
/// where the executors' annotations and labels travel.
fn driver_config_maps(ns: &str, driver: &Pod) -> String {
    let volumes = driver.spec.as_ref().and_then(|s| s.volumes.clone()).unwrap_or_default();
    let api = Api::<ConfigMap>::namespaced(admin(), ns);
    let mut text = String::new();
    for name in volumes.iter().filter_map(|v| v.config_map.as_ref().map(|c| c.name.clone())) {
        let map = block_on(api.get(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        text.extend(map.data.unwrap_or_default().into_values());
    }
    assert!(text.contains("spark.app.name"), "the driver's ConfigMaps hold no Spark properties: {volumes:?}");
    text
}

fn annotation<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    pod.metadata.annotations.as_ref()?.get(key).map(String::as_str)
}

fn label<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    pod.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

#[test]
fn kubeflows_volcano_example_gets_its_pod_group_once_the_crd_is_installed() {
    let ns = "default";
    service_account(ns);
    let _operator = installed_operator(ns);

    // Without Volcano's CRD, kubeflow refuses its volcano scheduler: the
    // submission fails, naming the CRD, and nothing is created.
    create(ns, example("spark-pi-volcano"));
    let failed = run_until(ns, "spark-pi-volcano", "volcano", ApplicationStateType::Failed);
    let message = failed.status.clone().unwrap_or_default().app_state.error_message;
    assert!(message.contains("podgroups.scheduling.volcano.sh") && message.contains("hint:"), "{message}");
    let pods: Api<Pod> = Api::namespaced(admin(), ns);
    assert!(block_on(pods.list(&ListParams::default())).map(|l| l.items).unwrap_or_default().is_empty());
    let events: Api<Event> = Api::namespaced(admin(), ns);
    let notes: Vec<String> = block_on(events.list(&ListParams::default()))
        .map(|l| l.items)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some("SparkApplicationSubmissionFailed"))
        .filter_map(|e| e.note)
        .collect();
    assert!(notes.iter().any(|n| n.contains("podgroups.scheduling.volcano.sh")), "{notes:?}");
    block_on(apps(ns).delete("spark-pi-volcano", &DeleteParams::default())).unwrap_or_else(|e| panic!("{e}"));
    poll("the failed application to go", Duration::from_secs(30), || {
        block_on(apps(ns).get_opt("spark-pi-volcano")).ok().flatten().is_none().then_some(())
    });

    // With the CRD: kubeflow's PodGroup before the driver, the group on the pods.
    install_volcano_crd();
    create(ns, example("spark-pi-volcano"));
    let running = poll("the PodGroup", Duration::from_secs(30), || {
        block_on(pod_groups(ns).get_opt("spark-spark-pi-volcano-pg")).ok().flatten()
    });
    let app = block_on(apps(ns).get("spark-pi-volcano")).unwrap_or_else(|e| panic!("{e}"));
    let group = serde_json::to_value(&running).unwrap_or_default();
    assert_eq!(
        group["spec"],
        // Kubernetes quantities, as kubeflow reads `memory: 512m`: 3 × 0.512.
        json!({"minMember": 1, "minResources": {"cpu": "3", "memory": "1536m"}}),
    );
    assert_eq!(group["status"], json!({"phase": "Pending"}));
    let owner = &group["metadata"]["ownerReferences"][0];
    assert_eq!(owner["kind"], "SparkApplication");
    assert_eq!(owner["uid"].as_str(), app.metadata.uid.as_deref());
    assert_eq!(owner["controller"], true);

    let completed = run_until(ns, "spark-pi-volcano", "volcano", ApplicationStateType::Completed);
    let driver = pod(ns, &completed.status.unwrap_or_default().driver_info.pod_name);
    assert_eq!(driver.spec.as_ref().and_then(|s| s.scheduler_name.as_deref()), Some("volcano"));
    assert_eq!(annotation(&driver, GROUP_ANNOTATION), Some("spark-spark-pi-volcano-pg"));
    let properties = driver_config_maps(ns, &driver);
    assert!(
        properties
            .contains("spark.kubernetes.executor.annotation.scheduling.k8s.io/group-name=spark-spark-pi-volcano-pg"),
        "{properties}"
    );
    // kubeflow's Cleanup when the application ends.
    poll("the PodGroup to be deleted after COMPLETED", Duration::from_secs(30), || {
        block_on(pod_groups(ns).get_opt("spark-spark-pi-volcano-pg")).ok().flatten().is_none().then_some(())
    });

    // An application deleted while it runs: the garbage collector removes
    // its PodGroup (owned by the application).
    let mut forever = example("spark-pi-volcano");
    forever["metadata"]["name"] = json!("pi-forever");
    forever["spec"]["driver"]["annotations"] = json!({"kspark.test/outcome": "run-forever"});
    create(ns, forever);
    run_until(ns, "pi-forever", "volcano", ApplicationStateType::Running);
    assert!(block_on(pod_groups(ns).get_opt("spark-pi-forever-pg")).ok().flatten().is_some());
    block_on(apps(ns).delete("pi-forever", &DeleteParams::background())).unwrap_or_else(|e| panic!("{e}"));
    poll("the garbage collector to delete the PodGroup", Duration::from_secs(60), || {
        block_on(pod_groups(ns).get_opt("spark-pi-forever-pg")).ok().flatten().is_none().then_some(())
    });
}

#[test]
fn kubeflows_yunikorn_example_carries_its_task_groups_queue_and_scheduler() {
    let ns = kspark_testcluster::unique_name("yunikorn");
    block_on(cluster().create_tenant_like_seed(&ns, "alice")).unwrap_or_else(|e| panic!("{ns}: {e}"));
    service_account(&ns);
    let _operator = operator(&ns, &[]);
    let mut doc = example("spark-pi-yunikorn");
    // The example's namespace is `default`, the volcano test's.
    doc["metadata"]["namespace"] = json!(ns);
    create(&ns, doc);
    let done = run_until(&ns, "spark-pi-yunikorn", "yunikorn", ApplicationStateType::Completed);
    let driver = pod(&ns, &done.status.unwrap_or_default().driver_info.pod_name);
    assert_eq!(driver.spec.as_ref().and_then(|s| s.scheduler_name.as_deref()), Some("yunikorn"));
    assert_eq!(label(&driver, "queue"), Some("root.default"));
    assert!(label(&driver, "spark-app-selector").is_some(), "YuniKorn's application ID");
    assert_eq!(annotation(&driver, "yunikorn.apache.org/task-group-name"), Some("spark-driver"));
    // kubeflow's json.Marshal of its task groups: 512 MiB + 384 MiB overhead.
    assert_eq!(
        annotation(&driver, "yunikorn.apache.org/task-groups"),
        Some(
            r#"[{"name":"spark-driver","minMember":1,"minResource":{"cpu":"1","memory":"896Mi"}},{"name":"spark-executor","minMember":2,"minResource":{"cpu":"1","memory":"896Mi"}}]"#
        )
    );
    let properties = driver_config_maps(&ns, &driver);
    for expected in [
        "spark.kubernetes.executor.annotation.yunikorn.apache.org/task-group-name=spark-executor",
        "spark.kubernetes.executor.label.queue=root.default",
    ] {
        assert!(properties.contains(expected), "{expected} in {properties}");
    }
    assert!(!properties.contains("spark.kubernetes.executor.annotation.yunikorn.apache.org/task-groups"));
}

/// kubeflow's `--default-batch-scheduler`: kubeflow's YuniKorn example
/// without its `batchScheduler` (unset, or empty) gets what the example
/// gets with it, its pods' scheduler included; an application that names
/// another scheduler keeps it.
#[test]
fn the_default_batch_scheduler_serves_the_applications_that_name_none() {
    let ns = kspark_testcluster::unique_name("default-sched");
    block_on(cluster().create_tenant_like_seed(&ns, "alice")).unwrap_or_else(|e| panic!("{ns}: {e}"));
    service_account(&ns);
    let _operator = operator(&ns, &["--default-batch-scheduler", "yunikorn"]);
    let variant = |name: &str, batch_scheduler: Option<&str>| {
        let mut doc = example("spark-pi-yunikorn");
        doc["metadata"] = json!({"name": name, "namespace": ns});
        match batch_scheduler {
            Some(scheduler) => doc["spec"]["batchScheduler"] = json!(scheduler),
            None => _ = doc["spec"].as_object_mut().and_then(|spec| spec.remove("batchScheduler")),
        }
        create(&ns, doc);
    };
    variant("unset", None);
    variant("empty", Some(""));
    variant("named", Some("my-scheduler"));

    for name in ["unset", "empty"] {
        let done = run_until(&ns, name, "yunikorn", ApplicationStateType::Completed);
        let driver = pod(&ns, &done.status.unwrap_or_default().driver_info.pod_name);
        assert_eq!(driver.spec.as_ref().and_then(|s| s.scheduler_name.as_deref()), Some("yunikorn"), "{name}");
        assert_eq!(label(&driver, "queue"), Some("root.default"), "{name}");
        assert_eq!(annotation(&driver, "yunikorn.apache.org/task-group-name"), Some("spark-driver"), "{name}");
        assert!(annotation(&driver, "yunikorn.apache.org/task-groups").is_some(), "{name}");
    }
    let done = run_until(&ns, "named", "my-scheduler", ApplicationStateType::Completed);
    let driver = pod(&ns, &done.status.unwrap_or_default().driver_info.pod_name);
    assert_eq!(driver.spec.as_ref().and_then(|s| s.scheduler_name.as_deref()), Some("my-scheduler"));
    assert_eq!(annotation(&driver, "yunikorn.apache.org/task-groups"), None);
}

/// kubeflow's operator refuses to start with a default it has no scheduler
/// for; so does kspark's, before any connection, listing the names.
#[test]
fn an_unknown_default_batch_scheduler_is_refused() {
    let out = kspark()
        .args(["operator", "run", "--kubeconfig", "/nonexistent/kubeconfig", "--default-batch-scheduler", "slurm"])
        .output()
        .unwrap_or_else(|e| panic!("kspark: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for name in ["slurm", "volcano", "yunikorn", "kube-scheduler"] {
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
}

/// scheduler-plugins' own PodGroup CRD: $KSPARK_SCHEDULER_PLUGINS_CRD, else
/// fetched (and cached) by testcluster/fetch-scheduler-plugins-crd.sh.
fn scheduler_plugins_crd() -> PathBuf {
    if let Some(path) = std::env::var_os("KSPARK_SCHEDULER_PLUGINS_CRD") {
        return PathBuf::from(path);
    }
    let script = repo_root().join("testcluster/fetch-scheduler-plugins-crd.sh");
    let out = Command::new(&script).output().unwrap_or_else(|e| panic!("{}: {e}", script.display()));
    assert!(out.status.success(), "{} failed:\n{}", script.display(), String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn kspark_status(id: &str) -> Output {
    kspark()
        .args(["status", id, "--kubeconfig"])
        .arg(cluster().kubeconfig(TestUser::Admin))
        .output()
        .unwrap_or_else(|e| panic!("kspark status: {e}"))
}

#[test]
fn kubeflows_kube_scheduler_example_gets_its_pod_group_and_an_unpicked_driver_is_told() {
    kspark_testcluster::operator::install_crd_files(cluster(), &[scheduler_plugins_crd()])
        .unwrap_or_else(|e| panic!("{e}"));
    let ns = kspark_testcluster::unique_name("kube-sched");
    block_on(cluster().create_tenant_like_seed(&ns, "alice")).unwrap_or_else(|e| panic!("{ns}: {e}"));
    service_account(&ns);
    let _operator = installed_operator(&ns);
    let mut doc = example("spark-pi-kube-scheduler");
    doc["metadata"]["namespace"] = json!(ns);
    create(&ns, doc);

    // kubeflow's kube-scheduler: a PodGroup <app>-pg before the driver.
    let groups: Api<kube_scheduler::PodGroup> = Api::namespaced(admin(), &ns);
    let group = poll("the PodGroup", Duration::from_secs(30), || {
        block_on(groups.get_opt("spark-pi-kube-scheduler-pg")).ok().flatten()
    });
    let app = block_on(apps(&ns).get("spark-pi-kube-scheduler")).unwrap_or_else(|e| panic!("{e}"));
    let group = serde_json::to_value(&group).unwrap_or_default();
    assert_eq!(group["apiVersion"], "scheduling.x-k8s.io/v1alpha1");
    assert_eq!(group["spec"], json!({"minMember": 1, "minResources": {"cpu": "3", "memory": "1536m"}}));
    let owner = &group["metadata"]["ownerReferences"][0];
    assert_eq!(owner["kind"], "SparkApplication");
    assert_eq!(owner["uid"].as_str(), app.metadata.uid.as_deref());
    assert_eq!(owner["controller"], true);

    // The group label on both roles, the pods' scheduler spec.batchScheduler.
    let driver_name = "spark-pi-kube-scheduler-driver";
    let driver = poll("the driver", Duration::from_secs(30), || {
        block_on(Api::<Pod>::namespaced(admin(), &ns).get_opt(driver_name)).ok().flatten()
    });
    assert_eq!(label(&driver, kube_scheduler::POD_GROUP_LABEL), Some("spark-pi-kube-scheduler-pg"));
    assert_eq!(driver.spec.as_ref().and_then(|s| s.scheduler_name.as_deref()), Some("kube-scheduler"));
    let properties = driver_config_maps(&ns, &driver);
    assert!(
        properties.contains("spark.kubernetes.executor.label.scheduling.x-k8s.io/pod-group=spark-pi-kube-scheduler-pg"),
        "{properties}"
    );

    // No scheduler answers to kube-scheduler: past the grace period the
    // application, an event and `kspark status` say so.
    let expected = format!("driver pod {driver_name} has not been picked up by any scheduler in 30s");
    let waiting = poll("the unscheduled-driver message", Duration::from_secs(60), || {
        let app = block_on(apps(&ns).get("spark-pi-kube-scheduler")).ok()?;
        let status = app.status.clone()?;
        status.app_state.error_message.starts_with(&expected).then_some(status)
    });
    assert_eq!(waiting.app_state.state, ApplicationStateType::Submitted);
    assert!(waiting.app_state.error_message.contains("no scheduler named \"kube-scheduler\""), "{waiting:?}");
    let pod_now = pod(&ns, driver_name);
    let conditions = pod_now.status.and_then(|s| s.conditions).unwrap_or_default();
    assert!(!conditions.iter().any(|c| c.type_ == "PodScheduled"), "a scheduler touched it: {conditions:?}");
    let events: Api<Event> = Api::namespaced(admin(), &ns);
    let warnings: Vec<Event> = block_on(events.list(&ListParams::default()))
        .map(|l| l.items)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some("SparkDriverNotScheduled"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].type_.as_deref(), Some("Warning"));
    assert!(warnings[0].note.as_deref().is_some_and(|n| n.starts_with(&expected)), "{warnings:?}");
    let status = kspark_status(&format!("{ns}:spark-pi-kube-scheduler"));
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success() && text.contains(&expected), "{text}{}", String::from_utf8_lossy(&status.stderr));

    // Once bound (as a scheduler would), it runs; kubeflow's Cleanup then
    // deletes the group.
    let completed = run_until(&ns, "spark-pi-kube-scheduler", "kube-scheduler", ApplicationStateType::Completed);
    assert!(completed.status.unwrap_or_default().app_state.error_message.is_empty());
    poll("the PodGroup to be deleted after COMPLETED", Duration::from_secs(30), || {
        block_on(groups.get_opt("spark-pi-kube-scheduler-pg")).ok().flatten().is_none().then_some(())
    });
}
