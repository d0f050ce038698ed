//! Spark really runs: `kspark` against the test control plane with a real
//! node (containerd, runc, kubelet, kube-proxy, CoreDNS; see
//! kspark-testcluster's `real_node`), images built by
//! `testcluster/build-images.sh`. A handful of applications, one at a time
//! (the node has the machine's 2 CPUs): each proves a path a user takes on
//! AKS, on pods that run Spark.

mod connect;
mod failures;
mod files;
mod image;
mod operator;
mod seed;
mod spark_submit;
mod ui;

use std::collections::BTreeSet;
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kspark_testcluster::{TestCluster, TestUser, block_on};
use kube::api::ListParams;
use kube::{Api, Client};

/// The image every job here runs: built from pyspark 4.0.5's jars.
pub(crate) const IMAGE: &str = "apache/spark:4.0.5";

pub(crate) fn cluster() -> &'static TestCluster {
    TestCluster::shared_real_node()
}

/// One Spark application at a time: the node has 2 CPUs.
pub(crate) fn one_at_a_time() -> MutexGuard<'static, ()> {
    static NODE: Mutex<()> = Mutex::new(());
    NODE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn admin() -> Client {
    block_on(cluster().admin_client()).unwrap_or_else(|e| panic!("admin client: {e}"))
}

pub(crate) fn kspark_as(user: TestUser, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kspark"));
    cmd.args(args).env("KUBECONFIG", cluster().kubeconfig(user)).env("HOME", std::env::temp_dir());
    cmd.output().unwrap_or_else(|e| panic!("cannot run kspark: {e}"))
}

pub(crate) fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

pub(crate) fn master() -> String {
    format!("k8s://{}", cluster().server_url())
}

/// `kspark tenant create NS --user alice` as admin, as the seed's admin does.
pub(crate) fn tenant_for_alice(prefix: &str) -> String {
    let ns = kspark_testcluster::unique_name(prefix);
    let out = kspark_as(TestUser::Admin, &["tenant", "create", &ns, "--user", "alice"]);
    assert!(out.status.success(), "tenant create {ns}: {}", text(&out));
    ns
}

/// spark-submit arguments for `resource` in `ns`, with small CPU requests so
/// that a driver and two executors fit the node.
pub(crate) fn submission(ns: &str, name: &str, executors: u32, class_and_resource: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "--master".into(),
        master(),
        "--deploy-mode".into(),
        "cluster".into(),
        "--name".into(),
        name.into(),
        "--conf".into(),
        format!("spark.kubernetes.container.image={IMAGE}"),
        "--conf".into(),
        format!("spark.kubernetes.namespace={ns}"),
        "--conf".into(),
        "spark.kubernetes.authenticate.driver.serviceAccountName=spark".into(),
        "--conf".into(),
        format!("spark.executor.instances={executors}"),
        "--conf".into(),
        "spark.kubernetes.driver.request.cores=200m".into(),
        "--conf".into(),
        "spark.kubernetes.executor.request.cores=200m".into(),
        "--driver-memory".into(),
        "512m".into(),
        "--executor-memory".into(),
        "512m".into(),
    ];
    args.extend(class_and_resource.iter().map(|s| s.to_string()));
    args
}

pub(crate) fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Executor pods of `ns` seen while `run` runs, with their owners.
pub(crate) fn executors_seen_during(ns: &str, run: impl FnOnce() -> Output) -> (Output, BTreeSet<(String, String)>) {
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let api: Api<Pod> = Api::namespaced(admin(), ns);
            let mut seen = BTreeSet::new();
            let params = ListParams::default().labels("spark-role=executor");
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                for pod in block_on(api.list(&params)).map(|l| l.items).unwrap_or_default() {
                    let owner = pod.metadata.owner_references.unwrap_or_default().first().map(|o| o.name.clone());
                    seen.insert((pod.metadata.name.unwrap_or_default(), owner.unwrap_or_default()));
                }
                std::thread::sleep(Duration::from_millis(300));
            }
            seen
        });
        let out = run();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (out, watcher.join().unwrap_or_default())
    })
}

pub(crate) fn driver_log(ns: &str, app: &str) -> String {
    let out = kspark_as(TestUser::Alice, &["logs", &format!("{ns}:{app}")]);
    assert!(out.status.success(), "kspark logs {ns}:{app}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
