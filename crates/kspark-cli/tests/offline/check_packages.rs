//! `--check-packages` against Maven repositories on 127.0.0.1 (never the
//! internet): `DEFAULT_ARTIFACT_REPOSITORY` stands in for Maven Central
//! and spark-packages, as it does in Spark, and `--repositories` adds more.

use std::ffi::OsString;
use std::path::Path;

use kspark_testcluster::maven_repo::MavenRepo;
use kspark_testcluster::recorder::{self, RecorderOptions};

struct Run {
    code: i32,
    output: String,
    api_requests: usize,
}

/// `kspark submit ARGS` against the recorder (an API server stand-in),
/// with `default_repo` as DEFAULT_ARTIFACT_REPOSITORY.
fn submit(default_repo: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let log = dir.path().join("requests.jsonl");
    let base = [
        "submit",
        "--master",
        "@MASTER@",
        "--deploy-mode",
        "cluster",
        "--skip-preflight",
        "--no-wait",
        "--conf",
        "spark.kubernetes.container.image=apache/spark:4.0.5",
    ];
    let mut argv: Vec<OsString> = vec![env!("CARGO_BIN_EXE_kspark").into()];
    argv.extend(base.iter().chain(args).map(OsString::from));
    let run = recorder::record_command(&log, RecorderOptions::default(), &argv, |cmd| {
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("HOME", dir.path())
            .env("DEFAULT_ARTIFACT_REPOSITORY", default_repo)
            .env_remove("KUBECONFIG");
    })
    .unwrap_or_else(|e| panic!("cannot run kspark against the recorder: {e}"));
    Run {
        code: run.exit_code,
        output: run.output_text(),
        api_requests: run.requests().map(|l| l.len()).unwrap_or_else(|e| panic!("{e}")),
    }
}

fn repo(dir: &Path, name: &str) -> MavenRepo {
    MavenRepo::serve(&dir.join(name)).unwrap_or_else(|e| panic!("cannot serve a Maven repository: {e}"))
}

#[test]
fn a_missing_package_stops_the_submission_and_is_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (central, extra) = (repo(dir.path(), "central"), repo(dir.path(), "extra"));
    central.publish("org.example", "present", "1.0").unwrap_or_else(|e| panic!("{e}"));
    let run = submit(
        central.url(),
        &["--check-packages", "--packages", "org.example:present:1.0,org.example:missing:2.0"]
            .into_iter()
            .chain(["--repositories", extra.url(), "--class", "x.Main", "local:///opt/app.jar"])
            .collect::<Vec<_>>(),
    );
    assert_ne!(run.code, 0, "{}", run.output);
    assert_eq!(run.api_requests, 0, "nothing may reach the API server:\n{}", run.output);
    assert!(run.output.contains("package org.example:missing:2.0 was not found"), "{}", run.output);
    assert!(run.output.contains(&format!("{} (404 Not Found)", extra.url())), "{}", run.output);
    assert!(run.output.contains("hint:"), "{}", run.output);
    let pom = "/maven2/org/example/missing/2.0/missing-2.0.pom";
    assert!(central.requests().contains(&format!("HEAD {pom}")), "{:?}", central.requests());
    assert!(extra.requests().contains(&format!("HEAD {pom}")), "{:?}", extra.requests());
    assert!(central.requests().contains(&"HEAD /maven2/org/example/present/1.0/present-1.0.pom".to_string()));
    // The package the default repository has is not looked for elsewhere.
    assert!(!extra.requests().iter().any(|r| r.contains("present")), "{:?}", extra.requests());
}

#[test]
fn packages_found_in_a_later_repository_are_submitted() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (central, extra) = (repo(dir.path(), "central"), repo(dir.path(), "extra"));
    extra.publish("org.example", "lib", "3.1").unwrap_or_else(|e| panic!("{e}"));
    let args =
        ["--check-packages", "--packages", "org.example/lib:3.1", "--repositories", extra.url(), "local:///a.py"];
    let run = submit(central.url(), &args);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(run.api_requests > 0, "the application should have been submitted:\n{}", run.output);
    assert!(run.output.contains(&format!("package org.example:lib:3.1 is in {}", extra.url())), "{}", run.output);
    assert_eq!(central.requests(), vec!["HEAD /maven2/org/example/lib/3.1/lib-3.1.pom"]);
}

#[test]
fn without_the_flag_no_repository_is_asked() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let central = repo(dir.path(), "central");
    let run = submit(central.url(), &["--dry-run", "--packages", "org.example:missing:2.0", "local:///a.py"]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(run.output.contains("spark.jars.packages=org.example\\:missing\\:2.0"), "{}", run.output);
    assert!(run.output.contains("the driver resolves these packages with Ivy: org.example:missing:2.0"));
    assert!(central.requests().is_empty(), "{:?}", central.requests());
}

#[test]
fn repository_passwords_are_refused_before_anything_is_sent() {
    // Spark would store the URL, password included, in the driver's ConfigMap.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let central = repo(dir.path(), "central");
    central.publish("org.example", "present", "1.0").unwrap_or_else(|e| panic!("{e}"));
    let private = central.url().replace("http://", "http://ada:S3CRET-PASSWORD@");
    for extra in [&["--dry-run"][..], &["--check-packages"][..], &[][..]] {
        let mut args = extra.to_vec();
        args.extend(["--packages", "org.example:present:1.0", "--repositories", &private, "local:///a.py"]);
        let run = submit(central.url(), &args);
        assert_ne!(run.code, 0, "{}", run.output);
        assert_eq!(run.api_requests, 0, "{}", run.output);
        assert!(run.output.contains("spark.jars.repositories"), "{}", run.output);
        assert!(run.output.contains("ConfigMap"), "{}", run.output);
        assert!(!run.output.contains("S3CRET-PASSWORD"), "the password leaked:\n{}", run.output);
    }
    assert!(central.requests().is_empty(), "the repository was asked: {:?}", central.requests());
}
