//! `kspark submit --dry-run`: creates nothing, prints every object with
//! the namespace it would be created in, and says on stderr which namespace
//! that is and why.

use std::path::Path;
use std::process::{Command, Output};

const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: 'https://127.0.0.1:9'}
users:
- name: u
  user: {token: not-sent}
contexts:
- name: team-ctx
  context: {cluster: c, user: u, namespace: ctx-ns}
current-context: team-ctx
";

/// `kspark submit --dry-run -o json …` with `kubeconfig` (or none at all).
fn dry_run(kubeconfig: Option<&Path>, extra: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kspark"));
    cmd.args([
        "submit",
        "--dry-run",
        "-o",
        "json",
        "--master",
        // Nothing listens here: a dry run reads only the driver's service
        // account, and shows the objects without it when it cannot.
        "k8s://https://127.0.0.1:9",
        "--deploy-mode",
        "cluster",
        "--conf",
        "spark.kubernetes.container.image=apache/spark:4.0.5",
    ])
    .args(extra)
    .arg("local:///opt/app/job.py")
    .env_remove("KUBECONFIG")
    .env_remove("KUBERNETES_SERVICE_HOST")
    .env("HOME", home.path());
    if let Some(path) = kubeconfig {
        cmd.env("KUBECONFIG", path);
    }
    cmd.output().unwrap_or_else(|e| panic!("cannot run kspark: {e}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// The namespace of every printed object (None where it has none).
fn namespaces(out: &Output) -> Vec<Option<String>> {
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let items = list["items"].as_array().cloned().unwrap_or_default();
    assert!(items.len() >= 3, "pod, Service, ConfigMap expected: {list}");
    items.iter().map(|i| i["metadata"]["namespace"].as_str().map(str::to_string)).collect()
}

#[test]
fn every_object_carries_the_namespace_from_spark_kubernetes_namespace() {
    let out = dry_run(None, &["--conf", "spark.kubernetes.namespace=team-x"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(namespaces(&out).iter().all(|ns| ns.as_deref() == Some("team-x")), "{:?}", namespaces(&out));
    assert!(stderr(&out).contains("kspark: namespace team-x (from spark.kubernetes.namespace)"), "{}", stderr(&out));
}

#[test]
fn without_the_setting_it_is_sparks_default_and_the_context_namespace_is_pointed_out() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kubeconfig = dir.path().join("config");
    std::fs::write(&kubeconfig, KUBECONFIG).unwrap_or_else(|e| panic!("{e}"));
    let out = dry_run(Some(&kubeconfig), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(namespaces(&out).iter().all(|ns| ns.as_deref() == Some("default")), "{:?}", namespaces(&out));
    let log = stderr(&out);
    assert!(log.contains("kspark: namespace default (spark.kubernetes.namespace is not set"), "{log}");
    assert!(log.contains("`ctx-ns` of the kubeconfig context `team-ctx`"), "{log}");
    assert!(log.contains("--conf spark.kubernetes.namespace=ctx-ns"), "{log}");
    assert!(!log.contains("not-sent"), "the kubeconfig's token leaked: {log}");

    // An explicit setting wins, with no note.
    let out = dry_run(Some(&kubeconfig), &["--conf", "spark.kubernetes.namespace=ctx-ns"]);
    let log = stderr(&out);
    assert!(log.contains("kspark: namespace ctx-ns (from spark.kubernetes.namespace)"), "{log}");
    assert!(!log.contains("kubeconfig context"), "{log}");
}

#[test]
fn without_setting_or_kubeconfig_it_says_default_and_quiet_says_nothing() {
    let out = dry_run(None, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("kspark: namespace default (spark.kubernetes.namespace is not set: Spark's default)")
    );
    let out = dry_run(None, &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("namespace"), "{}", stderr(&out));
    assert!(namespaces(&out).iter().all(|ns| ns.as_deref() == Some("default")));
}
