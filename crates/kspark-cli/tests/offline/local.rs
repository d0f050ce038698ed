//! `--master local[*]`: the same application on a real local Spark (the
//! distribution scripts/fetch-spark.sh unpacks; test.sh exports its path as
//! KSPARK_SPARK_HOME).

use std::path::{Path, PathBuf};
use std::process::Command;

fn spark_home() -> PathBuf {
    kspark_testcluster::spark_home().to_path_buf()
}

/// The pyspark source archive keeps the Python side next to `deps/`.
fn python_path(spark_home: &Path) -> String {
    let lib = spark_home.join("../lib");
    let zips: Vec<String> = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("{}: {e}", lib.display()))
        .flatten()
        .map(|e| e.path().display().to_string())
        .filter(|p| p.ends_with(".zip"))
        .collect();
    zips.join(":")
}

#[test]
fn runs_a_python_job_on_a_local_spark_and_ignores_kubernetes_settings() {
    let home = spark_home();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/pi.py");
    let out = Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(["submit", "--master", "local[2]", "--name", "local-pi"])
        .args(["--conf", "spark.kubernetes.namespace=ignored"])
        .arg(&example)
        .arg("2")
        .env("SPARK_HOME", &home)
        .env("PYTHONPATH", python_path(&home))
        .output()
        .unwrap_or_else(|e| panic!("kspark: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Pi is roughly 3.1"), "{text}");
    assert!(text.contains("Kubernetes settings are ignored: spark.kubernetes.namespace"), "{text}");
}

#[test]
fn dry_run_on_a_local_master_only_prints_the_command() {
    let home = spark_home();
    let out = Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(["submit", "--master", "local[2]", "--dry-run", "/nonexistent/app.py", "5"])
        .env("SPARK_HOME", &home)
        .output()
        .unwrap_or_else(|e| panic!("kspark: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("bin/spark-submit --master 'local[2]' /nonexistent/app.py 5"), "{stdout}");
}

#[test]
fn a_failing_local_job_passes_its_exit_code_through() {
    let home = spark_home();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let app = dir.path().join("fail.py");
    std::fs::write(&app, "import sys\nsys.exit(7)\n").unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(["submit", "--master", "local[1]"])
        .arg(&app)
        .env("SPARK_HOME", &home)
        .env("PYTHONPATH", python_path(&home))
        .output()
        .unwrap_or_else(|e| panic!("kspark: {e}"));
    assert_eq!(out.status.code(), Some(7), "{}", String::from_utf8_lossy(&out.stderr));
}
