//! `kspark ui` against the real control plane: the simulated node serves a
//! stand-in Spark UI on the driver's pod IP, and kube-apiserver's pod proxy
//! is the only way to it.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cluster;
use k8s_openapi::api::core::v1::Pod;
use kspark_testcluster::http::get;
use kspark_testcluster::{TestUser, block_on};
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

fn pods(ns: &str) -> Api<Pod> {
    let client = block_on(cluster().admin_client()).unwrap_or_else(|e| panic!("admin client: {e}"));
    Api::namespaced(client, ns)
}

fn kspark(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kspark"));
    cmd.args(args).env("KUBECONFIG", cluster().kubeconfig(TestUser::Admin)).env("HOME", std::env::temp_dir());
    cmd
}

/// A port free on every address now (the fake node serves the UI on the
/// machine's address, shared by all UI pods).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap_or_else(|e| panic!("free port: {e}"));
    listener.local_addr().unwrap_or_else(|e| panic!("{e}")).port()
}

fn driver_pod(ns: &str, name: &str, ui_port: u16, run_millis: u64) {
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": name,
            "labels": {"spark-app-selector": format!("spark-{name}"), "spark-role": "driver", "spark-app-name": "ui-app"},
            "annotations": {"kspark.test/web-ui": format!("stand-in UI of {name}"),
                "kspark.test/run-millis": run_millis.to_string()}},
        "spec": {"containers": [{"name": "spark-kubernetes-driver", "image": "apache/spark:4.0.5",
            "ports": [{"name": "spark-ui", "containerPort": ui_port, "protocol": "TCP"}]}]}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    block_on(pods(ns).create(&PostParams::default(), &pod)).unwrap_or_else(|e| panic!("driver pod: {e}"));
}

fn wait_for_phase(ns: &str, name: &str, phase: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pod = block_on(pods(ns).get_opt(name)).ok().flatten();
        if pod.and_then(|p| p.status?.phase).as_deref() == Some(phase) {
            return;
        }
        assert!(Instant::now() < deadline, "{ns}:{name} never {phase}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A plain HTTP/1.0 GET; returns (status line, body).
#[test]
fn ui_forwards_to_the_driver_through_the_api_server_until_the_driver_ends() {
    let ns = kspark_testcluster::unique_name("ui");
    block_on(cluster().create_namespace(&ns)).unwrap_or_else(|e| panic!("namespace {ns}: {e}"));
    driver_pod(&ns, "ui-driver", free_port(), 10_000);
    wait_for_phase(&ns, "ui-driver", "Running");

    let id = format!("{ns}:ui-driver");
    let started = Instant::now();
    let mut child = kspark(&["ui", &id, "--no-browser", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("kspark ui: {e}"));
    let mut url = String::new();
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    BufReader::new(stdout).read_line(&mut url).unwrap_or_else(|e| panic!("url: {e}"));
    let url = url.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('/'), "{url:?}");

    let (status, page) = get(&url);
    if !status.contains(" 200") {
        let _ = child.kill();
        let mut stderr = String::new();
        let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut stderr));
        panic!("{status}: {page}\nkspark ui said: {stderr}");
    }
    assert!(page.contains("stand-in UI of ui-driver path=/"), "{page}");
    // The API server rewrote the page's absolute link to its proxy prefix;
    // following it through the local port reaches the same UI.
    let link = page.split("href=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_else(|| panic!("{page}"));
    assert!(link.starts_with(&format!("/api/v1/namespaces/{ns}/pods/ui-driver:")), "{link}");
    let (status, jobs) = get(&format!("{}{}", url.trim_end_matches('/'), link));
    assert!(status.contains(" 200") && jobs.contains("path=/jobs/"), "{status}: {jobs}");
    let (_, direct) = get(&format!("{url}stages/?id=1"));
    assert!(direct.contains("path=/stages/?id=1"), "{direct}");

    let deadline = Instant::now() + Duration::from_secs(40);
    let code = loop {
        if let Some(code) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break code;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("kspark ui still running after the driver ended");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut stderr));
    assert!(code.success(), "{code}: {stderr}");
    assert!(stderr.contains("ended (Succeeded)"), "{stderr}");
    assert!(started.elapsed() >= Duration::from_secs(3), "exited before the driver ended: {stderr}");

    // Once the driver has ended there is no UI to forward to.
    let out = kspark(&["ui", &id, "--no-browser", "--port", "0"]).output().unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("has ended") && stderr.contains("kspark logs"), "{stderr}");
}
