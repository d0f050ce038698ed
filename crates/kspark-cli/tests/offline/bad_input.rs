//! Bad input never gets as far as the API server: each case runs kspark
//! against the recorder and checks the error names the culprit and that
//! not a single request was sent. A dry run sends nothing but the read of
//! the driver's service account (for its Azure workload identity).

use std::ffi::OsString;
use std::process::Command;

use kspark_testcluster::recorder::{self, RecordedRequest, RecorderOptions};

const TOKEN: &str = "SECRET-TOKEN-VALUE-123";

/// Runs `kspark submit ARGS` against a recorder; returns (exit, output, requests).
fn submit(args: &[&str]) -> (i32, String, usize) {
    let (code, output, requests) = submit_recorded(args);
    (code, output, requests.len())
}

/// A dry run's requests other than reading the driver's service account.
fn beyond_account_read(requests: &[RecordedRequest]) -> Vec<String> {
    let read = |r: &&RecordedRequest| r.method == "GET" && r.path.contains("/serviceaccounts/");
    requests.iter().filter(|r| !read(r)).map(|r| format!("{} {}", r.method, r.path)).collect()
}

fn submit_recorded(args: &[&str]) -> (i32, String, Vec<RecordedRequest>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let log = dir.path().join("requests.jsonl");
    let mut argv: Vec<OsString> = vec![env!("CARGO_BIN_EXE_kspark").into(), "submit".into()];
    argv.extend(args.iter().map(OsString::from));
    let run = recorder::record_command(&log, RecorderOptions::default(), &argv, |cmd| {
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env("HOME", dir.path()).env_remove("KUBECONFIG");
    })
    .unwrap_or_else(|e| panic!("cannot run kspark against the recorder: {e}"));
    let output = run.output_text();
    let requests = run.requests().unwrap_or_else(|e| panic!("{e}"));
    (run.exit_code, output, requests)
}

fn base<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--master",
        "@MASTER@",
        "--deploy-mode",
        "cluster",
        "--conf",
        "spark.kubernetes.container.image=apache/spark:4.0.5",
    ];
    args.extend_from_slice(extra);
    args
}

#[track_caller]
fn refused(args: &[&str], expected: &[&str]) {
    let (code, output, requests) = submit(args);
    assert_ne!(code, 0, "kspark accepted {args:?}:\n{output}");
    assert_eq!(requests, 0, "kspark sent {requests} requests for {args:?}:\n{output}");
    for fragment in expected {
        assert!(output.contains(fragment), "output for {args:?} lacks `{fragment}`:\n{output}");
    }
    assert!(!output.contains("panicked"), "kspark panicked:\n{output}");
    assert!(!output.contains(TOKEN), "the token leaked into the output:\n{output}");
}

#[test]
fn malformed_properties_name_file_and_line() {
    refused(
        &base(&["--properties-file", "tests/fixtures/bad-escape.properties", "local:///a.py"]),
        &["tests/fixtures/bad-escape.properties:2", "\\uxxxx"],
    );
}

#[test]
fn invalid_memory_names_key_file_and_line() {
    refused(
        &base(&["--properties-file", "tests/fixtures/bad-memory.properties", "local:///a.py"]),
        &["spark.driver.memory=1x", "tests/fixtures/bad-memory.properties:2"],
    );
    refused(&base(&["--driver-memory", "-2g", "local:///a.py"]), &["spark.driver.memory=-2g", "--driver-memory"]);
    refused(&base(&["--conf", "spark.executor.memory=1.5g", "local:///a.py"]), &[]);
}

/// What spark-submit 4.0.5 answers to `--num-executors 0` and to
/// `--conf spark.executor.instances=0` without dynamic allocation:
/// "Number of executors must be a positive number", before any request.
#[test]
fn zero_executors_without_dynamic_allocation() {
    refused(
        &base(&["--num-executors", "0", "local:///a.py"]),
        &["spark.executor.instances=0", "--num-executors", "Number of executors must be a positive number"],
    );
    refused(&base(&["--conf", "spark.executor.instances=0", "local:///a.py"]), &["spark.executor.instances=0"]);
    refused(&base(&["--conf", "spark.executor.instances=two", "local:///a.py"]), &["spark.executor.instances=two"]);
    let dynamic = base(&[
        "--conf",
        "spark.executor.instances=0",
        "--conf",
        "spark.dynamicAllocation.enabled=true",
        "--dry-run",
        "local:///a.py",
    ]);
    let (code, output, _) = submit(&dynamic);
    assert_eq!(code, 0, "dynamic allocation may start from 0 executors:\n{output}");
}

#[test]
fn unknown_master_scheme() {
    refused(&["--master", "k8s://ftp://host:443", "--deploy-mode", "cluster", "local:///a.py"], &["ftp"]);
    refused(&["--master", "yarn", "local:///a.py"], &["yarn"]);
}

#[test]
fn app_name_that_sanitizes_to_nothing() {
    refused(&base(&["--name", "!!! ***", "local:///a.py"]), &["!!! ***", "--name"]);
}

#[test]
fn missing_primary_resource() {
    refused(&base(&["--name", "x"]), &["primary resource"]);
}

#[test]
fn conflicting_options() {
    refused(&base(&["--spark-version", "3.5.9", "local:///a.py"]), &["conflicting", "4.0.5", "3.5.9"]);
    refused(
        &base(&[
            "--conf",
            &format!("spark.kubernetes.authenticate.submission.oauthToken={TOKEN}"),
            "--conf",
            "spark.kubernetes.authenticate.submission.oauthTokenFile=/etc/hostname",
            "local:///a.py",
        ]),
        &["oauthTokenFile", "keep one"],
    );
}

#[test]
fn pod_template_that_is_not_a_pod() {
    refused(
        &base(&["--conf", "spark.kubernetes.driver.podTemplateFile=tests/fixtures/not-a-pod.yaml", "local:///a.py"]),
        &["not-a-pod.yaml", "Service"],
    );
    refused(
        &base(&["--conf", "spark.kubernetes.driver.podTemplateFile=tests/fixtures/broken.yaml", "local:///a.py"]),
        &["broken.yaml", "YAML"],
    );
    refused(
        &base(&["--conf", "spark.kubernetes.driver.podTemplateFile=tests/fixtures/missing.yaml", "local:///a.py"]),
        &["spark.kubernetes.driver.podTemplateFile", "missing.yaml"],
    );
}

#[test]
fn unsupported_options_are_named() {
    refused(&base(&["--principal", "me@EXAMPLE.COM", "local:///a.py"]), &["--principal", "Kerberos"]);
    refused(&base(&["--deploy-mode", "client", "local:///a.py"]), &["client", "--deploy-mode cluster"]);
}

#[test]
fn local_files_are_refused_before_any_upload_without_a_usable_upload_path() {
    let upload = "spark.kubernetes.file.upload.path";
    refused(&base(&["/home/me/app.py"]), &["/home/me/app.py", "local://", upload]);
    refused(&base(&["--py-files", "deps.zip", "local:///a.py"]), &["spark.submit.pyFiles", "deps.zip", upload]);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let up = format!("{upload}=file://{}", dir.path().display());
    let hdfs = format!("{upload}=hdfs://namenode/uploads");
    refused(
        &base(&["--conf", &hdfs, "--files", "tests/fixtures/bad-memory.properties", "local:///a.py"]),
        &["hdfs:", upload],
    );
    refused(
        &base(&["--conf", &up, "--jars", "tests/fixtures/bad-memory.properties,missing.jar", "local:///a.py"]),
        &["spark.jars `missing.jar`", "no such file"],
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(left.is_empty(), "nothing may be uploaded when a file is missing: {left:?}");
}

#[test]
fn dry_run_says_what_it_would_upload_and_uploads_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let up = format!("spark.kubernetes.file.upload.path=file://{}/up", dir.path().display());
    let archive = "tests/fixtures/bad-memory.properties#conf";
    let args = base(&["--dry-run", "--conf", &up, "--archives", archive, "tests/fixtures/upload-app.py"]);
    let (code, output, requests) = submit_recorded(&args);
    assert_eq!((code, beyond_account_read(&requests)), (0, vec![]), "{output}");
    assert!(output.contains("would upload") && output.contains("spark.archives"), "{output}");
    assert!(output.contains("the primary resource") && output.contains("/upload-app.py"), "{output}");
    // spark.properties as Spark writes it (`#` escaped), and the driver's argument.
    assert!(output.contains("/up/spark-upload-") && output.contains("bad-memory.properties\\#conf"), "{output}");
    assert!(output.matches("/upload-app.py\n").count() >= 2, "plan line and driver argument: {output}");
    assert!(!dir.path().join("up").exists(), "a dry run uploads nothing");
}

#[test]
fn bad_package_coordinates_name_the_coordinate_and_where_it_came_from() {
    refused(
        &base(&["--packages", "org.example:lib:1.0,org.example:other", "local:///a.py"]),
        &["spark.jars.packages", "(from --packages)", "`org.example:other` is not a Maven coordinate"],
    );
    refused(
        &base(&["--conf", "spark.jars.packages=org.example::1.0", "local:///a.py"]),
        &["(from --conf)", "`org.example::1.0` has an empty artifactId"],
    );
    refused(
        &base(&["--properties-file", "tests/fixtures/bad-packages.properties", "local:///a.py"]),
        &["tests/fixtures/bad-packages.properties:3", "`org.example:lib:1.0:jar`"],
    );
    refused(
        &base(&["--packages", "org.example:lib:1.0", "--exclude-packages", "org.example:dep:2.0", "local:///a.py"]),
        &["spark.jars.excludes", "(from --exclude-packages)", "`org.example:dep:2.0` is not a package to exclude"],
    );
    refused(
        &base(&["--conf", "spark.jars.ivySettings=tests/fixtures/no-such-ivysettings.xml", "local:///a.py"]),
        &["spark.jars.ivySettings", "no-such-ivysettings.xml", "not a file"],
    );
}

#[test]
fn expired_tokens_are_refused_before_sending() {
    // A JWT whose exp is 2020-01-01; the payload is {"exp":1577836800,"sub":"ada"}.
    let jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjE1Nzc4MzY4MDAsInN1YiI6ImFkYSJ9.c2ln";
    let conf = format!("spark.kubernetes.authenticate.submission.oauthToken={jwt}");
    let (code, output, requests) = submit(&base(&["--conf", &conf, "local:///a.py"]));
    assert_ne!(code, 0);
    assert_eq!(requests, 0, "{output}");
    assert!(output.contains("expired at 2020-01-01T00:00:00Z"), "{output}");
    assert!(output.contains("hint:"), "{output}");
    assert!(!output.contains(jwt), "the token leaked:\n{output}");
}

#[test]
fn dry_run_sends_nothing_and_hides_secrets() {
    let conf = format!("spark.kubernetes.authenticate.driver.oauthToken={TOKEN}");
    let sub = format!("spark.kubernetes.authenticate.submission.oauthToken={TOKEN}");
    for format in ["yaml", "json"] {
        let (code, output, requests) =
            submit_recorded(&base(&["--dry-run", "-o", format, "--conf", &conf, "--conf", &sub, "local:///a.py"]));
        assert_eq!(code, 0, "{output}");
        assert_eq!(beyond_account_read(&requests), Vec::<String>::new());
        assert!(output.contains("kind: Pod") || output.contains("\"kind\": \"Pod\""), "{output}");
        assert!(output.contains("<present_but_redacted>"), "{output}");
        assert!(output.contains("<redacted"), "the Secret's data should be redacted:\n{output}");
        assert!(!output.contains(TOKEN), "the token leaked:\n{output}");
        let b64 = "U0VDUkVULVRPS0VOLVZBTFVFLTEyMw"; // base64 of TOKEN, unpadded prefix
        assert!(!output.contains(b64), "the base64 token leaked:\n{output}");
    }
}

#[test]
fn completions_and_the_kubectl_plugin_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_kspark")).args(["completions", "bash"]).output();
    let script = out.map(|o| String::from_utf8_lossy(&o.stdout).to_string()).unwrap_or_default();
    assert!(script.contains("complete") && script.contains("tenant") && script.contains("doctor"), "{script}");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let plugin = dir.path().join("kubectl-spark");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kspark"), &plugin).unwrap_or_else(|e| panic!("{e}"));
    let help = Command::new(&plugin).arg("--help").output().map(|o| String::from_utf8_lossy(&o.stdout).to_string());
    assert!(help.as_deref().unwrap_or_default().contains("Usage: kubectl spark"), "{help:?}");
}

/// `kspark connect ARGS` with a kubeconfig that does not exist: what is
/// refused here is refused before any cluster is looked for.
fn connect(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kspark"))
        .arg("connect")
        .args(args)
        .args(["--kubeconfig", "/nonexistent/kubeconfig"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run kspark: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn connect_refuses_a_bad_name_or_duration_before_looking_for_a_cluster() {
    let (code, text) = connect(&["team-a:Bad_Name"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("`Bad_Name` is not a valid SparkConnect name"), "{text}");
    assert!(!text.contains("/nonexistent/kubeconfig"), "{text}");
    let (code, text) = connect(&["team-a:nb", "--idle-timeout", "soon"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("--idle-timeout"), "{text}");
    let (code, text) = connect(&["team-a:nb"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("/nonexistent/kubeconfig"), "the cluster is looked for last: {text}");
}
