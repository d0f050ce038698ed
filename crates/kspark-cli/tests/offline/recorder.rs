//! The recording stand-in answers everything kspark asks, preflight
//! included: `kspark submit` without `--skip-preflight` and `kspark doctor`
//! both succeed against it, and the log shows the checks' requests.

use std::ffi::OsString;

use kspark_testcluster::recorder::{self, RecordedRequest, RecorderOptions};

fn run(args: &[&str]) -> (i32, String, Vec<RecordedRequest>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let log = dir.path().join("requests.jsonl");
    let mut argv: Vec<OsString> = vec![env!("CARGO_BIN_EXE_kspark").into()];
    argv.extend(args.iter().map(OsString::from));
    let options = RecorderOptions { step: std::time::Duration::from_millis(20), ..RecorderOptions::default() };
    let run = recorder::record_command(&log, options, &argv, |cmd| {
        cmd.env("HOME", dir.path()).env_remove("KUBECONFIG");
    })
    .unwrap_or_else(|e| panic!("cannot run kspark against the recorder: {e}"));
    (run.exit_code, run.output_text(), run.requests().unwrap_or_else(|e| panic!("{e}")))
}

const APP: [&str; 9] = [
    "--master",
    "@MASTER@",
    "--deploy-mode",
    "cluster",
    "--conf",
    "spark.kubernetes.container.image=apache/spark:4.0.5",
    "--conf",
    "spark.kubernetes.authenticate.driver.serviceAccountName=spark",
    "local:///opt/app/job.py",
];

#[test]
fn submit_with_preflight_runs_to_completion() {
    let mut args = vec!["submit", "--quiet"];
    args.extend(APP);
    let (code, output, log) = run(&args);
    assert_eq!(code, 0, "kspark submit failed against the recorder:\n{output}");
    let paths: Vec<String> = log.iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert!(
        paths.iter().any(|p| p.starts_with("POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews")),
        "no access review was sent: {paths:#?}"
    );
    assert!(paths.iter().any(|p| p == "GET /api/v1/namespaces/default/serviceaccounts/spark"), "{paths:#?}");
    let pod_post = paths.iter().position(|p| p == "POST /api/v1/namespaces/default/pods");
    let last_review = paths.iter().rposition(|p| p.contains("accessreviews"));
    assert!(pod_post > last_review, "the driver was created before the checks ended: {paths:#?}");
}

#[test]
fn doctor_is_all_ok_against_the_recorder() {
    let mut args = vec!["doctor"];
    args.extend(APP);
    let (code, output, log) = run(&args);
    assert_eq!(code, 0, "kspark doctor found a problem with the recorder:\n{output}");
    assert!(!output.contains("FAIL"), "{output}");
    assert!(output.contains("Kubernetes 1.34"), "doctor did not read /version:\n{output}");
    assert!(log.iter().all(|r| r.method == "GET" || r.path.contains("review")), "doctor wrote something: {log:#?}");
}
