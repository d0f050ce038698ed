//! `kspark ui` on a running real driver: Spark's own Jobs page, through
//! the API server's pod proxy.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kspark_testcluster::TestUser;
use kspark_testcluster::http::get;

use crate::{cluster, kspark_as, one_at_a_time, strs, submission, tenant_for_alice, text};

/// Polls `url` until its page contains `needle` or `seconds` pass.
fn page_with(url: &str, needle: &str, seconds: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let (status, page) = get(url);
        if status.contains(" 200") && page.contains(needle) {
            return page;
        }
        assert!(Instant::now() < deadline, "{url}: no {needle:?} after {seconds}s; last answer {status}:\n{page}");
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn kspark_ui_serves_the_real_driver_s_jobs_page() {
    let ns = tenant_for_alice("ui");
    let _node = one_at_a_time();
    // Long enough to look at: many slices on one small executor.
    let args = submission(
        &ns,
        "uipi",
        1,
        &[
            "--conf",
            "spark.kubernetes.submission.waitAppCompletion=false",
            "--class",
            "org.apache.spark.examples.SparkPi",
            "local:///opt/spark/examples/jars/spark-examples.jar",
            "100000",
        ],
    );
    let out = kspark_as(TestUser::Alice, &[&["submit"], strs(&args).as_slice()].concat());
    assert!(out.status.success(), "kspark submit: {}", text(&out));
    let id = format!("{ns}:uipi");
    let mut ui = Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(["ui", &id, "--no-browser", "--port", "0"])
        .env("KUBECONFIG", cluster().kubeconfig(TestUser::Alice))
        .env("HOME", std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("kspark ui: {e}"));
    let mut url = String::new();
    if let Some(stdout) = ui.stdout.take() {
        let _ = BufReader::new(stdout).read_line(&mut url);
    }
    let url = url.trim().to_string();
    let jobs = std::panic::catch_unwind(|| page_with(&format!("{url}jobs/"), "Spark Jobs", 90));
    let _ = ui.kill();
    let _ = ui.wait();
    let kill = kspark_as(TestUser::Alice, &["kill", &id]);
    let jobs = jobs.unwrap_or_else(|e| std::panic::resume_unwind(e));
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    // SparkPi names itself "Spark Pi"; the title is Spark's own.
    assert!(jobs.contains("<title>Spark Pi - Spark Jobs</title>"), "the real driver's Jobs page:\n{jobs}");
    // The API server rewrote the page's links to its pod proxy, so that they
    // work through `kspark ui` too.
    assert!(jobs.contains("/proxy/static/webui.js"), "{jobs}");
    assert!(kill.status.success(), "{}", text(&kill));
}
