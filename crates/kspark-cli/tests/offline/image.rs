//! `kspark image dockerfile` and `kspark image build` from the command
//! line: what a user sees, and that bad input writes and pushes nothing.
//! (The push itself is tested against a real registry in
//! crates/kspark-image/tests/registry_push.rs.)

use std::path::Path;
use std::process::{Command, Output};

fn kspark(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(args)
        .current_dir(dir)
        .env("DOCKER_CONFIG", dir.join("no-docker-config"))
        .env_remove("KSPARK_REGISTRY_TOKEN")
        .output()
        .unwrap_or_else(|e| panic!("cannot run kspark {args:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

#[test]
fn dockerfile_pins_the_jars_copies_the_app_and_prints_the_acr_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("job.py"), "print(1)\n").expect("write");
    let args = ["image", "dockerfile", "--spark", "3.5.8", "--python", "--adls", "--app", "job.py", "-o", "Dockerfile"];
    let out = kspark(dir.path(), &[&args[..], &["--tag", "myacr.azurecr.io/spark:1"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dockerfile = std::fs::read_to_string(dir.path().join("Dockerfile")).expect("the Dockerfile is written");
    assert!(dockerfile.contains("FROM apache/spark:3.5.8-scala2.12-java17-python3-ubuntu\n"), "{dockerfile}");
    assert!(
        dockerfile.contains("hadoop-azure-3.3.4.jar") && dockerfile.contains("jetty-util-ajax-9.4.43.v20210629.jar")
    );
    assert!(dockerfile.contains("COPY [\"job.py\",\"/opt/app/job.py\"]"), "{dockerfile}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("az acr build --registry myacr --image spark:1 --file Dockerfile ."), "{stderr}");
    assert!(stderr.contains("local:///opt/app/job.py"), "{stderr}");
    assert!(out.stdout.is_empty(), "with -o nothing goes to stdout");
}

#[test]
fn bad_input_is_refused_with_its_culprit_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: &[(&[&str], &str)] = &[
        (&["image", "dockerfile", "--app", "missing.py", "-o", "Dockerfile"], "--app missing.py"),
        (&["image", "dockerfile", "--spark", "3.4.1", "-o", "Dockerfile"], "Spark 3.4.1"),
        (&["image", "dockerfile", "--spark", "4.0.5", "--java", "11", "-o", "Dockerfile"], "Java 11"),
        (&["image", "build", "--spark", "4.0.5", "--push", "127.0.0.1:9/x:1", "--platform", "linux"], "`linux`"),
        (&["image", "build", "--spark", "4.0.5", "--push", "Bad Ref!"], "`Bad Ref!`"),
    ];
    for (args, culprit) in cases {
        let out = kspark(dir.path(), args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(culprit), "{args:?}: {stderr}");
        assert!(!dir.path().join("Dockerfile").exists(), "{args:?} wrote a Dockerfile");
    }
}

#[test]
fn a_registry_token_never_shows_in_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Nothing listens on port 9 of 127.0.0.1: the push fails at once.
    let out = Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(["image", "build", "--spark", "4.0.5", "--base", "127.0.0.1:9/apache/spark:4.0.5"])
        .args(["--push", "127.0.0.1:9/spark-azure:1", "--plain-http", "127.0.0.1:9"])
        .current_dir(dir.path())
        .env("KSPARK_REGISTRY_TOKEN", "tok-3x4mpl3-s3cret")
        .output()
        .expect("kspark runs");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("127.0.0.1:9"), "{all}");
    assert!(!all.contains("tok-3x4mpl3-s3cret"), "{all}");
}
