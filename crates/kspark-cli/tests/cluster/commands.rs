//! `kspark submit` against a real control plane (kube-apiserver,
//! controller-manager, scheduler, etcd; see kspark-testcluster) with a
//! simulated node playing the driver pod's life. One control plane serves
//! the whole test binary; every test works in a namespace of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::{admin, cluster, text};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, ResourceQuota, Service};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kspark_testcluster::{ExecPlugin, TestUser, block_on, eventually};
use kube::Api;
use kube::api::{DeleteParams, ListParams, PostParams};

/// A fresh namespace name for one test.
fn unique(prefix: &str) -> String {
    kspark_testcluster::unique_name(prefix)
}

/// A namespace set up the way the seed's admin does it by hand, for `user`.
fn tenant(prefix: &str, user: &str) -> String {
    let ns = unique(prefix);
    block_on(cluster().create_tenant_like_seed(&ns, user)).unwrap_or_else(|e| panic!("tenant {ns}: {e}"));
    ns
}

fn master() -> String {
    format!("k8s://{}", cluster().server_url())
}

/// spark-submit style arguments for a tiny Java app in `ns`; the driver's
/// life is scripted by the fake node's `kspark.test/*` annotations.
fn app(ns: &str, outcome: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "--master",
        &master(),
        "--deploy-mode",
        "cluster",
        "--name",
        "itest",
        "--class",
        "org.example.Main",
        "--conf",
        "spark.kubernetes.container.image=apache/spark:4.0.5",
        "--conf",
        &format!("spark.kubernetes.namespace={ns}"),
        "--conf",
        "spark.kubernetes.authenticate.driver.serviceAccountName=spark",
        "--conf",
        &format!("spark.kubernetes.driver.annotation.kspark.test/outcome={outcome}"),
        "--conf",
        "spark.kubernetes.driver.annotation.kspark.test/run-millis=300",
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

fn kspark(kubeconfig: Option<&Path>, args: &[String]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kspark"));
    cmd.arg("submit").args(args).env_remove("KUBECONFIG").env("HOME", std::env::temp_dir());
    if let Some(path) = kubeconfig {
        cmd.env("KUBECONFIG", path);
    }
    cmd.output().unwrap_or_else(|e| panic!("cannot run kspark: {e}"))
}

fn alice() -> PathBuf {
    cluster().kubeconfig(TestUser::Alice)
}

fn names<K>(ns: &str) -> Vec<String>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(admin(), ns);
    block_on(api.list(&ListParams::default()))
        .unwrap_or_else(|e| panic!("list in {ns}: {e}"))
        .items
        .iter()
        .filter_map(|o| o.meta().name.clone())
        .filter(|n| n != "kube-root-ca.crt")
        .collect()
}

#[test]
fn submits_as_a_tenant_and_exits_zero_when_the_driver_succeeds() {
    let ns = tenant("ok", "alice");
    let out = kspark(Some(&alice()), &app(&ns, "succeed", &[]));
    assert!(out.status.success(), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("Running") && log.contains("succeeded"), "{log}");
    assert_eq!(names::<Pod>(&ns).len(), 1);
    assert_eq!(names::<Service>(&ns).len(), 1);
    assert_eq!(names::<ConfigMap>(&ns).len(), 1);
    let pod: Pod = block_on(Api::namespaced(admin(), &ns).get(&names::<Pod>(&ns)[0])).unwrap_or_default();
    let spec = pod.spec.unwrap_or_default();
    assert_eq!(spec.service_account_name.as_deref(), Some("spark"));
    assert_eq!(spec.node_name.as_deref(), Some(cluster().fake_node_name()));
}

#[test]
fn exits_with_the_drivers_exit_code_and_message() {
    let ns = tenant("fail", "alice");
    let out = kspark(Some(&alice()), &app(&ns, "fail:3:boom in main", &[]));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("boom in main"), "{}", text(&out));
    let out = kspark(Some(&alice()), &app(&ns, "oom", &[]));
    assert_eq!(out.status.code(), Some(137), "{}", text(&out));
    assert!(text(&out).contains("OOMKilled"), "{}", text(&out));
}

#[test]
fn a_submitter_without_rbac_is_told_what_is_missing_and_nothing_is_created() {
    let ns = tenant("norbac", "alice");
    // The preflight check names every missing verb and resource…
    let out = kspark(Some(&cluster().kubeconfig(TestUser::Bob)), &app(&ns, "succeed", &[]));
    assert!(!out.status.success());
    let log = text(&out);
    assert!(log.contains("submitter permissions") && log.contains("create pods, get pods"), "{log}");
    assert!(log.contains("create services") && log.contains("patch configmaps"), "{log}");
    assert!(log.contains("nothing was created"), "{log}");
    // …and without it the API server's own refusal is shown with a hint.
    let out = kspark(Some(&cluster().kubeconfig(TestUser::Bob)), &app(&ns, "succeed", &["--skip-preflight"]));
    assert!(!out.status.success());
    let log = text(&out);
    assert!(log.contains("cannot create resource \"pods\""), "{log}");
    assert!(log.contains("User \"bob\""), "{log}");
    assert!(log.contains("hint:"), "{log}");
    assert!(names::<Pod>(&ns).is_empty());
}

#[test]
fn a_driver_rejected_by_quota_leaves_nothing_behind() {
    let ns = tenant("quota", "alice");
    grant_preflight_reads(&ns, "alice");
    let quota: ResourceQuota = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "small"},
        "spec": {"hard": {"requests.memory": "256Mi", "limits.memory": "256Mi"}}
    }))
    .unwrap_or_default();
    let api: Api<ResourceQuota> = Api::namespaced(admin(), &ns);
    block_on(api.create(&PostParams::default(), &quota)).unwrap_or_else(|e| panic!("quota: {e}"));
    eventually(30, "the quota controller to fill status.hard", || {
        block_on(api.get("small")).ok().and_then(|q| q.status).and_then(|s| s.hard).is_some()
    });
    let out = kspark(Some(&alice()), &app(&ns, "succeed", &[]));
    assert!(!out.status.success());
    let log = text(&out);
    assert!(log.contains("quota small has 256Mi of requests.memory left; the driver alone needs 896Mi"), "{log}");
    let out = kspark(Some(&alice()), &app(&ns, "succeed", &["--skip-preflight"]));
    assert!(!out.status.success());
    let log = text(&out);
    assert!(log.contains("exceeded quota"), "{log}");
    assert!(log.contains("ResourceQuota"), "{log}");
    assert!(names::<Pod>(&ns).is_empty() && names::<Service>(&ns).is_empty() && names::<ConfigMap>(&ns).is_empty());
}

#[test]
fn a_failure_after_the_pod_deletes_the_pod_again() {
    // The submitter may create pods but not services: the pod is created,
    // the Service apply is refused, and kspark must roll the pod back.
    let ns = unique("rollback");
    block_on(cluster().create_namespace(&ns)).unwrap_or_else(|e| panic!("{e}"));
    bind_role(&ns, "pods-only", vec![rule("", &["pods"], &["create", "get", "list", "watch", "delete"])], "alice");
    let out = kspark(
        Some(&alice()),
        &app(
            &ns,
            "run-forever",
            &["--skip-preflight", "--conf", "spark.kubernetes.authenticate.driver.serviceAccountName=default"],
        ),
    );
    assert!(!out.status.success());
    let log = text(&out);
    assert!(log.contains("services") && log.contains("was deleted again"), "{log}");
    eventually(30, "the driver pod to be gone", || names::<Pod>(&ns).is_empty());
}

#[test]
fn no_wait_returns_at_once_and_owned_objects_follow_the_pod() {
    let ns = tenant("nowait", "alice");
    let started = Instant::now();
    let out = kspark(Some(&alice()), &app(&ns, "run-forever", &["--no-wait"]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(text(&out).contains("kspark wait"), "{}", text(&out));
    let pods = names::<Pod>(&ns);
    assert_eq!(pods.len(), 1);
    assert_eq!(names::<Service>(&ns).len(), 1);
    assert_eq!(names::<ConfigMap>(&ns).len(), 1);
    let api: Api<Pod> = Api::namespaced(admin(), &ns);
    block_on(api.delete(&pods[0], &DeleteParams::default())).unwrap_or_else(|e| panic!("delete: {e}"));
    eventually(60, "garbage collection of the Service and ConfigMap", || {
        names::<Service>(&ns).is_empty() && names::<ConfigMap>(&ns).is_empty() && names::<Pod>(&ns).is_empty()
    });
}

#[test]
fn client_certificates_work_from_kubeconfig_and_from_spark_settings() {
    let ns = tenant("cert", "carol");
    let out = kspark(Some(&cluster().kubeconfig(TestUser::Carol)), &app(&ns, "succeed", &[]));
    assert!(out.status.success(), "{}", text(&out));
    let paths = cluster().client_cert_paths(TestUser::Carol).unwrap_or_else(|| panic!("carol has no cert"));
    let ca = cluster().ca_cert_path();
    let settings = [
        format!("spark.kubernetes.authenticate.submission.clientCertFile={}", paths.cert.display()),
        format!("spark.kubernetes.authenticate.submission.clientKeyFile={}", paths.key.display()),
        format!("spark.kubernetes.authenticate.submission.caCertFile={}", ca.display()),
    ];
    let extra: Vec<&str> = settings.iter().flat_map(|s| ["--conf", s.as_str()]).collect();
    let out = kspark(None, &app(&ns, "succeed", &extra));
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn tokens_from_settings_and_token_files_with_crlf_work() {
    let ns = tenant("token", "alice");
    let token = cluster().token(TestUser::Alice).unwrap_or_else(|| panic!("alice has no token"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{token}\r\n")).unwrap_or_else(|e| panic!("{e}"));
    let ca = format!("spark.kubernetes.authenticate.submission.caCertFile={}", cluster().ca_cert_path().display());
    let by_file = format!("spark.kubernetes.authenticate.submission.oauthTokenFile={}", file.display());
    let out = kspark(None, &app(&ns, "succeed", &["--conf", &ca, "--conf", &by_file]));
    assert!(out.status.success(), "{}", text(&out));
    let by_value = format!("spark.kubernetes.authenticate.submission.oauthToken={token}");
    let out = kspark(None, &app(&ns, "succeed", &["--conf", &ca, "--conf", &by_value]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains(token), "the token leaked into the output");
    let cm_api: Api<ConfigMap> = Api::namespaced(admin(), &ns);
    for cm in block_on(cm_api.list(&ListParams::default())).map(|l| l.items).unwrap_or_default() {
        let data = serde_json::to_string(&cm.data).unwrap_or_default();
        assert!(!data.contains(token), "the token was written into ConfigMap {:?}", cm.metadata.name);
    }
}

/// A kubeconfig exec plugin printing `token` with an expiry: a fixed one,
/// or (with `renew_secs`) `renew_secs` from each run, as real plugins renew.
fn exec_plugin(dir: &Path, token: &str, expires: jiff::Timestamp) -> (PathBuf, PathBuf) {
    write_plugin(dir, token, &expires.to_string())
}

fn renewing_exec_plugin(dir: &Path, token: &str, renew_secs: u32) -> (PathBuf, PathBuf) {
    write_plugin(dir, token, &format!("$(date -u -d \"+{renew_secs} seconds\" +%Y-%m-%dT%H:%M:%SZ)"))
}

fn write_plugin(dir: &Path, token: &str, expiry: &str) -> (PathBuf, PathBuf) {
    let calls = dir.join("calls");
    let script = dir.join("plugin.sh");
    let body = format!(
        "#!/bin/sh\necho run >> {calls}\ncat <<EOF\n{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{token}\",\"expirationTimestamp\":\"{expiry}\"}}}}\nEOF\n",
        calls = calls.display()
    );
    std::fs::write(&script, body).unwrap_or_else(|e| panic!("{e}"));
    let chmod = Command::new("chmod").arg("+x").arg(&script).status();
    assert!(chmod.is_ok_and(|s| s.success()));
    (script, calls)
}

#[test]
fn exec_credential_plugins_run_once_and_expired_ones_are_refused() {
    let ns = tenant("exec", "alice");
    let token = cluster().token(TestUser::Alice).unwrap_or_else(|| panic!("alice has no token"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let in_an_hour = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let (script, calls) = exec_plugin(dir.path(), token, in_an_hour);
    let plugin = ExecPlugin { command: script, ..Default::default() };
    let kubeconfig = cluster().write_exec_kubeconfig(&unique("exec"), &plugin).unwrap_or_else(|e| panic!("{e}"));
    let out = kspark(Some(&kubeconfig), &app(&ns, "succeed", &[]));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&calls).unwrap_or_default().lines().count(), 1, "the plugin should run once");

    let expired_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let an_hour_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    let (script, _) = exec_plugin(expired_dir.path(), token, an_hour_ago);
    let plugin = ExecPlugin { command: script, ..Default::default() };
    let kubeconfig =
        cluster().write_exec_kubeconfig(&unique("exec-expired"), &plugin).unwrap_or_else(|e| panic!("{e}"));
    let before = names::<Pod>(&ns).len();
    let out = kspark(Some(&kubeconfig), &app(&ns, "succeed", &[]));
    assert!(!out.status.success());
    assert!(text(&out).contains("expired at"), "{}", text(&out));
    assert_eq!(names::<Pod>(&ns).len(), before, "nothing may be created with an expired token");
}

#[test]
fn tls_is_verified_against_the_cluster_ca() {
    let ns = tenant("tls", "alice");
    let wrong = cluster().write_wrong_ca_kubeconfig(TestUser::Alice).unwrap_or_else(|e| panic!("{e}"));
    let out = kspark(Some(&wrong), &app(&ns, "succeed", &[]));
    assert!(!out.status.success());
    let log = text(&out).to_lowercase();
    assert!(log.contains("certificate") || log.contains("issuer"), "{log}");
    assert!(names::<Pod>(&ns).is_empty());
}

/// Spark's own client against the same control plane: what Spark sends
/// is accepted (including its server-side apply of the Service).
#[test]
fn real_spark_submit_is_accepted_by_the_control_plane() {
    let ns = tenant("spark", "alice");
    let token = cluster().token(TestUser::Alice).unwrap_or_else(|| panic!("alice has no token"));
    let mut args = app(&ns, "succeed", &[]);
    let extra = [
        format!("spark.kubernetes.authenticate.submission.caCertFile={}", cluster().ca_cert_path().display()),
        format!("spark.kubernetes.authenticate.submission.oauthToken={token}"),
        "spark.kubernetes.submission.waitAppCompletion=false".to_string(),
    ];
    let at = args.len() - 1;
    for setting in extra.iter().rev() {
        args.insert(at, setting.clone());
        args.insert(at, "--conf".into());
    }
    let out =
        kspark_testcluster::spark_submit_command().args(&args).output().unwrap_or_else(|e| panic!("spark-submit: {e}"));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(names::<Pod>(&ns).len(), 1, "{}", text(&out));
    assert_eq!(names::<Service>(&ns).len(), 1);
    assert_eq!(names::<ConfigMap>(&ns).len(), 1);
}

fn doctor(kubeconfig: &Path, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kspark"))
        .arg("doctor")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run kspark doctor: {e}"))
}

/// What the seed's hand-written Roles lack and `kspark tenant` grants: reading
/// quotas, limit ranges and service accounts, and asking about the driver's rights.
fn grant_preflight_reads(ns: &str, user: &str) {
    let rules = vec![
        rule("", &["resourcequotas", "limitranges", "serviceaccounts"], &["get", "list"]),
        rule("authorization.k8s.io", &["localsubjectaccessreviews"], &["create"]),
    ];
    bind_role(ns, "preflight-reads", rules, user);
}

fn rule(group: &str, resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(resources.iter().map(|r| r.to_string()).collect()),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    }
}

/// A Role named `name` with `rules`, bound to `user`, created as admin.
fn bind_role(ns: &str, name: &str, rules: Vec<PolicyRule>, user: &str) {
    let role =
        Role { metadata: kube::api::ObjectMeta { name: Some(name.into()), ..Default::default() }, rules: Some(rules) };
    let binding = RoleBinding {
        metadata: kube::api::ObjectMeta { name: Some(name.into()), ..Default::default() },
        role_ref: RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "Role".into(), name: name.into() },
        subjects: Some(vec![Subject { kind: "User".into(), name: user.into(), ..Default::default() }]),
    };
    let client = admin();
    block_on(async {
        Api::<Role>::namespaced(client.clone(), ns).create(&PostParams::default(), &role).await?;
        Api::<RoleBinding>::namespaced(client, ns).create(&PostParams::default(), &binding).await
    })
    .unwrap_or_else(|e| panic!("rbac: {e}"));
}

fn quota(ns: &str, name: &str, hard: serde_json::Value) {
    let quota: ResourceQuota =
        serde_json::from_value(serde_json::json!({"metadata": {"name": name}, "spec": {"hard": hard}}))
            .unwrap_or_default();
    let api: Api<ResourceQuota> = Api::namespaced(admin(), ns);
    block_on(api.create(&PostParams::default(), &quota)).unwrap_or_else(|e| panic!("quota: {e}"));
    eventually(30, "the quota controller to fill status.hard", || {
        block_on(api.get(name)).ok().and_then(|q| q.status).and_then(|s| s.hard).is_some()
    });
}

#[test]
fn doctor_passes_a_ready_tenant_and_names_the_missing_service_account() {
    let ns = tenant("doc-ok", "alice");
    grant_preflight_reads(&ns, "alice");
    let out = doctor(&alice(), &app(&ns, "succeed", &[]));
    assert!(out.status.success(), "{}", text(&out));
    let log = text(&out);
    assert!(!log.contains("FAIL") && !log.contains("warn"), "{log}");
    assert!(log.contains("ok   submitter permissions"), "{log}");
    assert!(log.contains("ok   driver permissions"), "{log}");
    let missing = ["--conf", "spark.kubernetes.authenticate.driver.serviceAccountName=nobody"];
    let out = doctor(&cluster().kubeconfig(TestUser::Admin), &app(&ns, "succeed", &missing));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("service account nobody does not exist"), "{}", text(&out));
}

#[test]
fn a_quota_that_admits_the_driver_but_not_the_executors_is_refused_up_front() {
    let ns = tenant("doc-quota", "alice");
    grant_preflight_reads(&ns, "alice");
    quota(&ns, "few-pods", serde_json::json!({"pods": "2"}));
    let args = app(&ns, "succeed", &["--num-executors", "3"]);
    let out = doctor(&alice(), &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("1 driver + 3 executors"), "{log}");
    assert!(log.contains("wait forever"), "{log}");
    let json = doctor(&alice(), &[vec!["-o".to_string(), "json".to_string()], args.clone()].concat());
    let checks: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_default();
    let quota_check = checks.as_array().into_iter().flatten().find(|c| c["name"] == "quota");
    assert_eq!(quota_check.map(|c| c["verdict"].clone()), Some(serde_json::json!("fail")), "{checks}");
    let out = kspark(Some(&alice()), &args);
    assert!(!out.status.success());
    assert!(text(&out).contains("nothing was created"), "{}", text(&out));
    assert!(names::<Pod>(&ns).is_empty());
    let out = kspark(Some(&alice()), &app(&ns, "succeed", &["--num-executors", "1"]));
    assert!(out.status.success(), "one executor fits: {}", text(&out));
}

#[test]
fn doctor_reports_an_expired_token_and_a_driver_without_rights() {
    let ns = unique("doc-rights");
    block_on(cluster().create_namespace(&ns)).unwrap_or_else(|e| panic!("{e}"));
    let out = doctor(
        &cluster().kubeconfig(TestUser::Admin),
        &app(&ns, "succeed", &["--conf", "spark.kubernetes.authenticate.driver.serviceAccountName=default"]),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("default cannot create pods"), "{}", text(&out));

    let token = cluster().token(TestUser::Alice).unwrap_or_else(|| panic!("alice has no token"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (script, _) = exec_plugin(dir.path(), token, jiff::Timestamp::now() - jiff::SignedDuration::from_mins(5));
    let plugin = ExecPlugin { command: script, ..Default::default() };
    let kubeconfig = cluster().write_exec_kubeconfig(&unique("doc-expired"), &plugin).unwrap_or_else(|e| panic!("{e}"));
    let out = doctor(&kubeconfig, &app(&ns, "succeed", &[]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("FAIL credentials") && text(&out).contains("expired 5m ago"), "{}", text(&out));
}

fn kspark_cmd(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run kspark: {e}"))
}

/// An executor pod as Spark's driver would create it, owned by the driver
/// (the fake node plays it).
fn fake_executor(ns: &str, driver: &Pod, n: u32, outcome: &str) {
    fake_executor_printing(ns, driver, n, outcome, &format!("executor {n} says hi"));
}

fn fake_executor_printing(ns: &str, driver: &Pod, n: u32, outcome: &str, log: &str) {
    let app_id = driver.metadata.labels.as_ref().and_then(|l| l.get("spark-app-selector")).cloned().unwrap_or_default();
    let owner = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "controller": true,
        "name": driver.metadata.name, "uid": driver.metadata.uid});
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": format!("exec-{n}"), "labels": {"spark-app-selector": app_id, "spark-role": "executor", "spark-exec-id": n.to_string()},
                     "annotations": {"kspark.test/outcome": outcome, "kspark.test/log": log}, "ownerReferences": [owner]},
        "spec": {"containers": [{"name": "spark-kubernetes-executor", "image": "apache/spark:4.0.5"}]}
    }))
    .unwrap_or_default();
    block_on(Api::<Pod>::namespaced(admin(), ns).create(&PostParams::default(), &pod))
        .unwrap_or_else(|e| panic!("executor: {e}"));
}

fn driver_of(ns: &str) -> Pod {
    let api: Api<Pod> = Api::namespaced(admin(), ns);
    let list = block_on(api.list(&ListParams::default().labels("spark-role=driver"))).unwrap_or_else(|e| panic!("{e}"));
    list.items.into_iter().next().unwrap_or_else(|| panic!("no driver in {ns}"))
}

#[test]
fn list_status_kill_and_wait_follow_applications() {
    let ns = tenant("apps", "alice");
    for name in ["etl-a", "etl-b"] {
        let mut args = app(&ns, "run-forever", &["--no-wait"]);
        let at = args.iter().position(|a| a == "itest").unwrap_or(0);
        args[at] = name.to_string();
        let out = kspark(Some(&alice()), &args);
        assert!(out.status.success(), "{}", text(&out));
    }
    let driver = driver_of(&ns);
    fake_executor(&ns, &driver, 1, "run-forever");
    fake_executor(&ns, &driver, 2, "fail:1");
    eventually(30, "the executors to run and fail", || {
        let out = kspark_cmd(&alice(), &["list", "-n", &ns, "-o", "json"]);
        let apps: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        apps.as_array().is_some_and(|a| {
            a.len() == 2
                && a.iter().any(|x| x["executors"] == serde_json::json!({"running": 1, "pending": 0, "failed": 1}))
        })
    });
    let table = text(&kspark_cmd(&alice(), &["list", "-n", &ns]));
    assert!(
        table.contains("etl-a") && table.contains("etl-b") && table.contains("Running") && table.contains("1/0/1"),
        "{table}"
    );
    let status = text(&kspark_cmd(&alice(), &["status", &format!("{ns}:etl-*")]));
    assert_eq!(status.matches("Running").count(), 2, "{status}");
    // Several matches: kill asks first, and "no" kills nothing.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kspark"));
    cmd.args(["kill", &format!("{ns}:etl-*")]).env("KUBECONFIG", alice()).stdin(std::process::Stdio::piped());
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(b"n\n");
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(names::<Pod>(&ns).iter().filter(|n| n.ends_with("-driver")).count(), 2);
    // spark-submit's own --kill syntax kills without asking.
    let killed = kspark(Some(&alice()), &["--master".into(), master(), "--kill".into(), format!("{ns}:etl-a*")]);
    assert!(killed.status.success(), "{}", text(&killed));
    let out = kspark_cmd(&alice(), &["kill", "--yes", &format!("{ns}:etl-*")]);
    assert!(out.status.success(), "{}", text(&out));
    eventually(60, "the drivers, executors and Services to be gone", || {
        names::<Pod>(&ns).is_empty() && names::<Service>(&ns).is_empty()
    });
}

#[test]
fn wait_exits_with_the_drivers_code_and_json_reports_each_change() {
    let ns = tenant("wait", "alice");
    let out = kspark(Some(&alice()), &app(&ns, "fail:5:bad input", &["--no-wait"]));
    assert!(out.status.success(), "{}", text(&out));
    let pod = names::<Pod>(&ns).pop().unwrap_or_default();
    let out = kspark_cmd(&alice(), &["wait", &format!("{ns}:{pod}"), "-o", "json"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(!lines.is_empty(), "{}", text(&out));
    let last = lines.last().cloned().unwrap_or_default();
    assert_eq!(last["phase"], "Failed");
    assert_eq!(last["exitCode"], 5);
    assert_eq!(last["message"], "bad input");
}

#[test]
fn an_unschedulable_driver_is_diagnosed_with_the_schedulers_reason() {
    let ns = tenant("unsched", "alice");
    let args = app(&ns, "succeed", &["--conf", "spark.kubernetes.driver.request.cores=100", "--timeout", "4s"]);
    let out = kspark(Some(&alice()), &args);
    assert_eq!(out.status.code(), Some(124), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("still Pending") && log.contains("Insufficient cpu"), "{log}");
    let pod = names::<Pod>(&ns).pop().unwrap_or_default();
    let events = text(&kspark_cmd(&alice(), &["events", &format!("{ns}:{pod}")]));
    assert!(events.contains("FailedScheduling"), "{events}");
}

#[test]
fn image_pull_errors_show_the_registrys_message() {
    let ns = tenant("pull", "alice");
    let out = kspark(
        Some(&alice()),
        &app(&ns, "image-pull-error:manifest for apache/spark:9.9 not found", &["--timeout", "3s"]),
    );
    assert_eq!(out.status.code(), Some(124), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("ImagePullBackOff") || log.contains("ErrImagePull"), "{log}");
    assert!(log.contains("manifest for apache/spark:9.9 not found"), "{log}");
}

#[test]
fn executors_blocked_by_a_full_quota_are_diagnosed() {
    let ns = tenant("stall", "alice");
    grant_preflight_reads(&ns, "alice");
    quota(&ns, "two-pods", serde_json::json!({"pods": "2"}));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kspark"));
    cmd.arg("submit")
        .args(app(&ns, "run-forever", &["--num-executors", "1", "--timeout", "60s"]))
        .env("KUBECONFIG", alice())
        .env("HOME", std::env::temp_dir())
        .env("KSPARK_EXECUTOR_GRACE_SECONDS", "2")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
    // The driver runs; something else takes the last pod of the quota, so
    // the executor the driver wants can never be created.
    eventually(30, "the driver to run", || names::<Pod>(&ns).len() == 1);
    let other: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "squatter", "annotations": {"kspark.test/outcome": "run-forever"}},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}
    }))
    .unwrap_or_default();
    block_on(Api::<Pod>::namespaced(admin(), &ns).create(&PostParams::default(), &other))
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_secs(8));
    let pod = driver_of(&ns).metadata.name.unwrap_or_default();
    block_on(Api::<Pod>::namespaced(admin(), &ns).delete(&pod, &DeleteParams::default()))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let log = text(&out);
    assert!(
        log.contains("only 0 of 1 executors exist")
            && log.contains("quota is exhausted")
            && log.contains("two-pods: pods 2/2"),
        "{log}"
    );
}

#[test]
fn long_waits_renew_expiring_exec_credentials() {
    let ns = tenant("renew", "alice");
    let token = cluster().token(TestUser::Alice).unwrap_or_else(|| panic!("alice has no token"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // 62 s: accepted at submission (more than a minute left), renewed
    // within the first seconds of waiting (less than a minute left).
    let (script, calls) = renewing_exec_plugin(dir.path(), token, 62);
    let plugin = ExecPlugin { command: script, ..Default::default() };
    let kubeconfig = cluster().write_exec_kubeconfig(&unique("renew"), &plugin).unwrap_or_else(|e| panic!("{e}"));
    let args = app(&ns, "succeed", &["--conf", "spark.kubernetes.driver.annotation.kspark.test/run-millis=6000"]);
    let out = kspark(Some(&kubeconfig), &args);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("renewing the credentials"), "{}", text(&out));
    let runs = std::fs::read_to_string(&calls).unwrap_or_default().lines().count();
    assert!(runs >= 2, "the plugin ran {runs} times; it should have been run again to renew");
}

#[test]
fn ctrl_c_stops_waiting_and_leaves_the_application_running() {
    let ns = tenant("ctrlc", "alice");
    let child = Command::new(env!("CARGO_BIN_EXE_kspark"))
        .arg("submit")
        .args(app(&ns, "run-forever", &[]))
        .env("KUBECONFIG", alice())
        .env("HOME", std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    eventually(30, "the driver to run", || {
        let api: Api<Pod> = Api::namespaced(admin(), &ns);
        block_on(api.list(&ListParams::default()))
            .map(|l| l.items.iter().any(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")))
            .unwrap_or(false)
    });
    std::thread::sleep(Duration::from_millis(500));
    let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    assert!(sent.is_ok_and(|s| s.success()));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("keeps running") && log.contains("kspark kill") && log.contains("kspark wait"), "{log}");
    assert_eq!(names::<Pod>(&ns).len(), 1, "the driver must survive Ctrl-C");
}

fn tenant_create(ns: &str, extra: &[&str]) -> Output {
    let mut args = vec!["tenant", "create", ns];
    args.extend_from_slice(extra);
    kspark_cmd(&cluster().kubeconfig(TestUser::Admin), &args)
}

#[test]
fn auth_shows_who_you_are_and_prints_the_token() {
    let out = kspark_cmd(&alice(), &["auth"]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("user:     alice") && shown.contains("spark-users"), "{shown}");
    let json = kspark_cmd(&alice(), &["auth", "-o", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_default();
    assert_eq!(value["user"], "alice", "{value}");
    let token = kspark_cmd(&alice(), &["auth", "token"]);
    assert_eq!(String::from_utf8_lossy(&token.stdout).trim(), cluster().token(TestUser::Alice).unwrap_or_default());
    // Through an exec plugin: its token, and its expiry in the report.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let alice_token = cluster().token(TestUser::Alice).unwrap_or_default();
    let (script, _) =
        exec_plugin(dir.path(), alice_token, jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1));
    let kubeconfig = cluster()
        .write_exec_kubeconfig(&unique("auth-exec"), &ExecPlugin { command: script, ..Default::default() })
        .unwrap_or_else(|e| panic!("{e}"));
    let out = kspark_cmd(&kubeconfig, &["auth"]);
    assert!(
        out.status.success() && text(&out).contains("exec plugin") && text(&out).contains("(in 59m)"),
        "{}",
        text(&out)
    );
    let token = kspark_cmd(&kubeconfig, &["auth", "token"]);
    assert_eq!(String::from_utf8_lossy(&token.stdout).trim(), alice_token);
    // A client certificate has no token to print.
    let out = kspark_cmd(&cluster().kubeconfig(TestUser::Carol), &["auth", "token"]);
    assert!(!out.status.success() && text(&out).contains("no bearer token"), "{}", text(&out));
}

#[test]
fn doctor_fails_bad_images_virtual_nodes_and_limit_ranges() {
    let ns = unique("doc-place");
    assert!(tenant_create(&ns, &["--user", "alice"]).status.success());
    let check = |extra: &[&str], name: &str| -> String {
        let out = doctor(&alice(), &app(&ns, "succeed", extra));
        let checks: serde_json::Value = serde_json::from_slice(
            &doctor(&alice(), &[vec!["-o".into(), "json".into()], app(&ns, "succeed", extra)].concat()).stdout,
        )
        .unwrap_or_default();
        let verdict = checks.as_array().into_iter().flatten().find(|c| c["name"] == name).map(|c| c["verdict"].clone());
        format!("{} {}", verdict.unwrap_or_default(), text(&out))
    };
    assert!(check(&[], "image").starts_with("\"ok\""));
    assert!(check(&[], "placement").starts_with("\"ok\""));
    assert!(check(&[], "limit ranges").starts_with("\"ok\""));
    let bad_image = check(&["--conf", "spark.kubernetes.driver.container.image=Apache/Spark:4.0.5"], "image");
    assert!(bad_image.starts_with("\"fail\"") && bad_image.contains("not a valid image reference"), "{bad_image}");
    let template = format!(
        "spark.kubernetes.driver.podTemplateFile={}/tests/fixtures/virtual-node-template.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let virtual_node = check(&["--conf", &template], "placement");
    assert!(virtual_node.starts_with("\"fail\"") && virtual_node.contains("virtual nodes"), "{virtual_node}");
    let range: k8s_openapi::api::core::v1::LimitRange = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "small"},
        "spec": {"limits": [{"type": "Container", "max": {"memory": "1Gi"}}]}
    }))
    .unwrap_or_default();
    block_on(
        Api::<k8s_openapi::api::core::v1::LimitRange>::namespaced(admin(), &ns).create(&PostParams::default(), &range),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let limited = check(&[], "limit ranges");
    // The driver (512m + 384Mi) fits; an executor (1g + 384Mi) does not.
    assert!(
        limited.starts_with("\"fail\"")
            && limited.contains(
                "LimitRange small: the executor container spark-kubernetes-executor has memory limit 1408Mi, \
                 above the maximum 1Gi"
            )
            && limited.contains("spark.executor.memoryOverhead")
            && !limited.contains("driver container"),
        "{limited}"
    );
}

#[test]
fn logs_print_and_follow_driver_and_executor_output() {
    let ns = tenant("logs", "alice");
    let printing = ["--conf", "spark.kubernetes.driver.annotation.kspark.test/log=Pi is roughly 3.14\\nbye"];
    let out = kspark(Some(&alice()), &app(&ns, "succeed", &printing));
    assert!(out.status.success(), "{}", text(&out));
    let pod = names::<Pod>(&ns).pop().unwrap_or_default();
    let logs = kspark_cmd(&alice(), &["logs", &format!("{ns}:{pod}")]);
    assert!(logs.status.success(), "{}", text(&logs));
    let printed = String::from_utf8_lossy(&logs.stdout).to_string();
    assert!(printed.starts_with("Pi is roughly 3.14\nbye\n") && printed.contains("exited 0"), "{printed}");

    // Following a running driver streams until it ends, then returns.
    let ticking = [
        "--no-wait",
        "--conf",
        "spark.kubernetes.driver.annotation.kspark.test/log-interval-millis=200",
        "--conf",
        "spark.kubernetes.driver.annotation.kspark.test/run-millis=2500",
        "--name",
        "ticker",
    ];
    let out = kspark(Some(&alice()), &app(&ns, "succeed", &ticking));
    assert!(out.status.success(), "{}", text(&out));
    let started = Instant::now();
    let follow = kspark_cmd(&alice(), &["logs", "-f", &format!("{ns}:ticker*")]);
    let followed = String::from_utf8_lossy(&follow.stdout).to_string();
    assert!(follow.status.success(), "{}", text(&follow));
    assert!(followed.contains("tick 1") && followed.contains("tick 5") && followed.contains("exited 0"), "{followed}");
    assert!(started.elapsed() < Duration::from_secs(20), "follow must end with the container");

    // Executors: one by ID, or all after the driver.
    let driver = driver_of(&ns);
    fake_executor(&ns, &driver, 1, "run-forever");
    fake_executor(&ns, &driver, 2, "run-forever");
    eventually(30, "the executors to run", || {
        let out = kspark_cmd(
            &alice(),
            &["logs", &format!("{ns}:{}", driver.metadata.name.clone().unwrap_or_default()), "--executor", "2"],
        );
        String::from_utf8_lossy(&out.stdout).contains("executor 2 says hi")
    });
    let all = kspark_cmd(
        &alice(),
        &[
            "logs",
            &format!("{ns}:{}", driver.metadata.name.clone().unwrap_or_default()),
            "--all-executors",
            "--since",
            "1h",
        ],
    );
    let all = String::from_utf8_lossy(&all.stdout).to_string();
    assert!(all.contains("executor 1 says hi") && all.contains("executor 2 says hi") && all.contains("==> "), "{all}");
}

/// `kspark submit --dry-run -o yaml … | kubectl apply -f -`: every printed
/// object names its namespace, so applying them the way kubectl does (the
/// object's namespace, else the context's `default`) keeps them together.
#[test]
fn dry_run_yaml_applies_into_one_namespace() {
    use kube::api::{DynamicObject, Patch, PatchParams};
    use kube::core::{ApiResource, GroupVersionKind};
    let ns = tenant("dryrun", "alice");
    let out = kspark(Some(&alice()), &app(&ns, "succeed", &["--dry-run", "-o", "yaml"]));
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("namespace {ns} (from spark.kubernetes.namespace)")), "{stderr}");
    let yaml = String::from_utf8_lossy(&out.stdout);
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(&yaml).unwrap_or_else(|e| panic!("dry-run YAML: {e}\n{yaml}"));
    assert_eq!(docs.len(), 3, "pod, Service and ConfigMap:\n{yaml}");
    for doc in &docs {
        let kind = doc["kind"].as_str().unwrap_or_default();
        let target = doc["metadata"]["namespace"].as_str().unwrap_or("default");
        assert_eq!(target, ns, "{kind} would land in {target}");
        let resource = ApiResource::from_gvk(&GroupVersionKind::gvk("", "v1", kind));
        let object: DynamicObject = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let name = object.metadata.name.clone().unwrap_or_default();
        let api: Api<DynamicObject> = Api::namespaced_with(admin(), target, &resource);
        block_on(api.patch(&name, &PatchParams::apply("dry-run-test"), &Patch::Apply(&object)))
            .unwrap_or_else(|e| panic!("apply {kind} {name}: {e}"));
    }
    assert_eq!(names::<Pod>(&ns).len(), 1);
    assert_eq!(names::<Service>(&ns).len(), 1);
    assert_eq!(names::<ConfigMap>(&ns).len(), 1);
}

/// This control plane has no SparkApplication CRD: an administrator (who
/// may read everything) gets a 404 for SparkApplications, which is no error.
#[test]
fn without_the_sparkapplication_crd_everything_behaves_as_without_an_operator() {
    let ns = tenant("nocrd", "alice");
    let admin_config = cluster().kubeconfig(TestUser::Admin);
    let out = kspark_cmd(&admin_config, &["list", "-A", "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = kspark_cmd(&admin_config, &["status", &format!("{ns}:etl")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains(&format!("no Spark application matches {ns}:etl")), "{}", text(&out));
    let mut args = vec!["submit".to_string(), "--as-resource".into()];
    args.extend(app(&ns, "succeed", &[]));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = kspark_cmd(&admin_config, &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no SparkApplication CRD"), "{}", text(&out));
}

/// The reader of standard output gone (`kspark logs -f … | head -n1`): every
/// command that prints about applications stops quietly with exit 0, and
/// `logs -f` does not go on following a running driver for nobody.
#[test]
fn printing_commands_end_quietly_on_a_closed_pipe() {
    let ns = tenant("pipe", "alice");
    let ticking = [
        "--no-wait",
        "--conf",
        "spark.kubernetes.driver.annotation.kspark.test/log-interval-millis=100",
        "--conf",
        "spark.kubernetes.driver.annotation.kspark.test/run-millis=600000",
    ];
    let out = kspark(Some(&alice()), &app(&ns, "succeed", &ticking));
    assert!(out.status.success(), "{}", text(&out));
    let pod = driver_of(&ns).metadata.name.unwrap_or_default();
    let id = format!("{ns}:{pod}");
    eventually(30, "the driver to log", || {
        String::from_utf8_lossy(&kspark_cmd(&alice(), &["logs", &id]).stdout).contains("tick 2")
    });
    let mut dry_run = vec!["submit".to_string(), "--dry-run".into(), "-o".into(), "yaml".into()];
    dry_run.extend(app(&ns, "succeed", &[]));
    let dry_run: Vec<&str> = dry_run.iter().map(String::as_str).collect();
    let commands: [&[&str]; 9] = [
        &["list", "-n", &ns],
        &["list", "-n", &ns, "-o", "json"],
        &["status", &id],
        &["status", &id, "-o", "yaml"],
        &["events", &id],
        &["logs", &id],
        &["logs", "-f", &id],
        &["wait", &id, "-o", "json"],
        &dry_run,
    ];
    for args in commands {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kspark"));
        command.args(args).env("KUBECONFIG", alice()).env("HOME", std::env::temp_dir());
        let out = kspark_testcluster::run_with_closed_stdout(command, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("cannot run kspark {args:?}: {e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "kspark {args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "kspark {args:?}: {stderr}");
    }
}
