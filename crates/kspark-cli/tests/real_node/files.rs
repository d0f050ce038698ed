//! Files the real driver and executors use: `--files`/`--py-files` and a
//! local application uploaded to a `file://` upload path that the pods
//! mount, and `--packages` that the driver resolves from a Maven
//! repository the harness serves on the node's address.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use kspark_testcluster::maven_repo::MavenRepo;
use kspark_testcluster::{REAL_NODE_ADDRESS, TestUser};

use crate::{driver_log, kspark_as, one_at_a_time, strs, submission, tenant_for_alice, text};

const MAIN_PY: &str = r#"from pyspark import SparkFiles
from pyspark.sql import SparkSession

import helper  # from --py-files

spark = SparkSession.builder.appName("files").getOrCreate()
with open(SparkFiles.get("data.txt")) as data:
    print("data file says: " + data.read().strip())
# helper.double is unpickled on the executors: they need --py-files too.
total = spark.sparkContext.parallelize(range(1, 5), 2).map(helper.double).sum()
print("doubled on the executors: %d" % total)
spark.stop()
"#;

const HELPER_PY: &str = "def double(x):\n    return 2 * x\n";

const PACKAGE_PY: &str = r#"from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("packages").getOrCreate()
print("the package says: " + spark.sparkContext._jvm.org.kspark.fixture.Greeting.hello())
spark.stop()
"#;

const GREETING_JAVA: &str = r#"package org.kspark.fixture;

public final class Greeting {
    public static String hello() {
        return "hello from a resolved package";
    }
}
"#;

/// A directory both this process and the pods (uid 185, through a
/// hostPath volume at the same path) can use.
fn shared_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(kspark_testcluster::unique_name(name));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    set_mode(&dir, 0o777);
    dir
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path.display().to_string()
}

/// The hostPath volume of `dir`, mounted at the same path in the driver
/// and the executors.
fn mounted(dir: &Path) -> Vec<String> {
    let path = dir.display();
    let mut confs = Vec::new();
    for role in ["driver", "executor"] {
        let prefix = format!("spark.kubernetes.{role}.volumes.hostPath.uploads");
        confs.extend(["--conf".into(), format!("{prefix}.mount.path={path}")]);
        confs.extend(["--conf".into(), format!("{prefix}.options.path={path}")]);
    }
    confs
}

#[test]
fn files_and_py_files_uploaded_to_a_file_upload_path_are_used_by_driver_and_executors() {
    let ns = tenant_for_alice("files");
    let uploads = shared_dir("uploads");
    let local = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let main = write(local.path(), "main.py", MAIN_PY);
    let helper = write(local.path(), "helper.py", HELPER_PY);
    let data = write(local.path(), "data.txt", "hello from --files\n");
    let mut extra = mounted(&uploads);
    extra.extend([
        "--conf".into(),
        format!("spark.kubernetes.file.upload.path=file://{}", uploads.display()),
        "--py-files".into(),
        helper,
        "--files".into(),
        data,
        main,
    ]);
    let _node = one_at_a_time();
    let args = submission(&ns, "files", 1, &strs(&extra));
    let out = kspark_as(TestUser::Alice, &[&["submit"], strs(&args).as_slice()].concat());
    assert!(out.status.success(), "kspark submit: {}", text(&out));
    assert!(text(&out).contains("uploaded 3 file(s)"), "{}", text(&out));
    let log = driver_log(&ns, "files");
    assert!(log.contains("data file says: hello from --files"), "driver log:\n{log}");
    assert!(log.contains("doubled on the executors: 20"), "driver log:\n{log}");
    let _ = std::fs::remove_dir_all(&uploads);
}

/// `org.kspark.fixture:greeting:1.0`, compiled here, in a repository on
/// the node's address.
fn greeting_repository(dir: &Path) -> MavenRepo {
    let sources = dir.join("src");
    std::fs::create_dir_all(&sources).unwrap_or_else(|e| panic!("{e}"));
    let java = write(&sources, "Greeting.java", GREETING_JAVA);
    let classes = dir.join("classes");
    run("javac", &["--release", "17", "-d", &classes.display().to_string(), &java]);
    let jar = dir.join("greeting.jar");
    run("jar", &["--create", "--file", &jar.display().to_string(), "-C", &classes.display().to_string(), "."]);
    let repo = MavenRepo::serve_on(&dir.join("repo"), IpAddr::V4(REAL_NODE_ADDRESS))
        .unwrap_or_else(|e| panic!("serving the Maven repository: {e}"));
    repo.publish_jar("org.kspark.fixture", "greeting", "1.0", &jar).unwrap_or_else(|e| panic!("{e}"));
    repo
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (a JDK; scripts/test.sh installs one): {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn packages_are_resolved_by_the_real_driver_from_the_harness_s_repository() {
    let ns = tenant_for_alice("packages");
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repo = greeting_repository(work.path());
    let uploads = shared_dir("packages-app");
    let main = write(work.path(), "main.py", PACKAGE_PY);
    let mut extra = mounted(&uploads);
    extra.extend([
        "--conf".into(),
        format!("spark.kubernetes.file.upload.path=file://{}", uploads.display()),
        // Ivy's cache must be somewhere user 185 may write.
        "--conf".into(),
        "spark.jars.ivy=/tmp/ivy".into(),
        "--packages".into(),
        "org.kspark.fixture:greeting:1.0".into(),
        "--repositories".into(),
        repo.url().to_string(),
        "--check-packages".into(),
        main,
    ]);
    let _node = one_at_a_time();
    let args = submission(&ns, "packages", 1, &strs(&extra));
    let out = kspark_as(TestUser::Alice, &[&["submit"], strs(&args).as_slice()].concat());
    assert!(out.status.success(), "kspark submit: {}", text(&out));
    let log = driver_log(&ns, "packages");
    assert!(log.contains("the package says: hello from a resolved package"), "driver log:\n{log}");
    let jar_requests: Vec<String> =
        repo.requests().into_iter().filter(|r| r.starts_with("GET ") && r.ends_with(".jar")).collect();
    assert!(
        !jar_requests.is_empty(),
        "the driver fetched the jar from the harness's repository: {:?}",
        repo.requests()
    );
    let _ = std::fs::remove_dir_all(&uploads);
}
