//! `kspark submit` with local files: uploaded to Azurite (`abfss://`) or a
//! directory (`file://`) through `spark.kubernetes.file.upload.path`, then
//! submitted to a real control plane; on failure nothing stays behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::{admin, cluster, text};
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kspark_storage::{EnvVars, UploadTarget};
use kspark_testcluster::azurite::Azurite;
use kspark_testcluster::{TestUser, block_on};
use kube::Api;
use kube::api::ListParams;

const UPLOAD_KEY: &str = "spark.kubernetes.file.upload.path";
const AZURE_PATH: &str = "abfss://spark@devstoreaccount1.dfs.core.windows.net/uploads";

fn tenant(prefix: &str) -> String {
    let ns = kspark_testcluster::unique_name(prefix);
    block_on(cluster().create_tenant_like_seed(&ns, "alice")).unwrap_or_else(|e| panic!("tenant {ns}: {e}"));
    ns
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A Java app whose jar, --jars, --files and --archives are local files.
fn args(ns: &str, upload_path: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "--master",
        &format!("k8s://{}", cluster().server_url()),
        "--deploy-mode",
        "cluster",
        "--name",
        "upload",
        "--class",
        "org.example.Main",
        "--conf",
        "spark.kubernetes.container.image=apache/spark:4.0.5",
        "--conf",
        &format!("spark.kubernetes.namespace={ns}"),
        "--conf",
        "spark.kubernetes.authenticate.driver.serviceAccountName=spark",
        "--conf",
        "spark.kubernetes.driver.annotation.kspark.test/run-millis=300",
        "--conf",
        &format!("{UPLOAD_KEY}={upload_path}"),
        "--driver-memory",
        "512m",
        "--jars",
        "golden/fixtures/upload/lib.jar",
        "--files",
        "golden/fixtures/upload/app.conf",
        "--archives",
        "golden/fixtures/upload/env.tar.gz#environment",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("golden/fixtures/upload/app.jar".into());
    args
}

fn kspark(user: TestUser, args: &[String], env: &[(String, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kspark"))
        .arg("submit")
        .args(args)
        .current_dir(repo_root())
        .env("KUBECONFIG", cluster().kubeconfig(user))
        .env("HOME", std::env::temp_dir())
        .envs(env.iter().cloned())
        .output()
        .unwrap_or_else(|e| panic!("cannot run kspark: {e}"))
}

fn objects_in(azurite: &Azurite) -> Vec<String> {
    let env: EnvVars = azurite.client_env().into_iter().collect();
    let target = UploadTarget::open(AZURE_PATH, &BTreeMap::new(), &env).unwrap_or_else(|e| panic!("{e}"));
    block_on(target.list()).unwrap_or_else(|e| panic!("{e}"))
}

fn pods(ns: &str) -> Vec<Pod> {
    block_on(Api::<Pod>::namespaced(admin(), ns).list(&ListParams::default()))
        .map(|l| l.items)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn spark_properties(ns: &str) -> String {
    let maps = block_on(Api::<ConfigMap>::namespaced(admin(), ns).list(&ListParams::default()))
        .unwrap_or_else(|e| panic!("{e}"));
    maps.items.iter().find_map(|m| m.data.as_ref().and_then(|d| d.get("spark.properties")).cloned()).unwrap_or_default()
}

#[test]
fn local_files_go_to_azurite_and_the_driver_gets_their_abfss_uris() {
    let azurite = Azurite::start().unwrap_or_else(|e| panic!("{e}"));
    azurite.create_container("spark").unwrap_or_else(|e| panic!("{e}"));
    let ns = tenant("upload-ok");
    let out = kspark(TestUser::Alice, &args(&ns, AZURE_PATH, &[]), &azurite.client_env());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("uploaded 4 file(s)"), "{}", text(&out));

    let objects = objects_in(&azurite);
    let names: Vec<&str> = objects.iter().filter_map(|o| o.rsplit('/').next()).collect();
    assert_eq!(objects.len(), 4, "{objects:?}");
    for name in ["lib.jar", "app.jar", "app.conf", "env.tar.gz"] {
        assert!(names.contains(&name), "{name} missing in {objects:?}");
    }
    assert!(objects.iter().all(|o| o.starts_with("spark-upload-")), "{objects:?}");

    let props = spark_properties(&ns);
    let uri = AZURE_PATH.replace(':', "\\:");
    assert!(props.contains(&format!("spark.jars={uri}/spark-upload-")), "{props}");
    assert!(props.contains("/lib.jar,") && props.contains("/app.jar\n"), "{props}");
    assert!(props.contains(&format!("spark.files={uri}/spark-upload-")), "{props}");
    assert!(props.contains("/env.tar.gz\\#environment"), "{props}");
    let pod = pods(&ns).pop().unwrap_or_default();
    let driver_args = pod.spec.unwrap_or_default().containers[0].args.clone().unwrap_or_default();
    assert!(driver_args.contains(&"spark-internal".to_string()), "{driver_args:?}");
}

#[test]
fn a_refused_submission_deletes_what_was_uploaded() {
    let azurite = Azurite::start().unwrap_or_else(|e| panic!("{e}"));
    azurite.create_container("spark").unwrap_or_else(|e| panic!("{e}"));
    let ns = tenant("upload-norbac");
    // Bob may not create pods; without the preflight the API server refuses
    // after the uploads, which must then go again.
    let out = kspark(TestUser::Bob, &args(&ns, AZURE_PATH, &["--skip-preflight"]), &azurite.client_env());
    assert!(!out.status.success(), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("uploaded 4 file(s)") && log.contains("deleted the 4 uploaded file(s) again"), "{log}");
    assert_eq!(objects_in(&azurite), Vec::<String>::new());
    assert!(pods(&ns).is_empty());
}

#[test]
fn a_failed_upload_creates_nothing_in_the_cluster() {
    let azurite = Azurite::start().unwrap_or_else(|e| panic!("{e}"));
    let ns = tenant("upload-fail");
    // No container `spark`: every upload fails.
    let out = kspark(TestUser::Alice, &args(&ns, AZURE_PATH, &[]), &azurite.client_env());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("uploading") && log.contains("nothing was created in the cluster"), "{log}");
    assert!(log.contains("hint:") && !log.contains(kspark_testcluster::azurite::ACCOUNT_KEY), "{log}");
    assert!(pods(&ns).is_empty());
}

#[test]
fn a_shared_directory_works_as_upload_path() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let upload_path = format!("file://{}", dir.path().display());
    let ns = tenant("upload-file");
    let out = kspark(TestUser::Alice, &args(&ns, &upload_path, &[]), &[]);
    assert!(out.status.success(), "{}", text(&out));
    let dirs: Vec<PathBuf> =
        std::fs::read_dir(dir.path()).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    assert_eq!(dirs.len(), 4, "{dirs:?}");
    let lib = dirs.iter().map(|d| d.join("lib.jar")).find(|p| p.is_file());
    let original = std::fs::read(repo_root().join("golden/fixtures/upload/lib.jar")).ok();
    assert_eq!(lib.and_then(|p| std::fs::read(p).ok()), original);
    assert!(spark_properties(&ns).contains(&format!("spark.jars={}/spark-upload-", upload_path.replace(':', "\\:"))));
}
