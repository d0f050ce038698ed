//! `kspark image build` gets a real workout: an application layered on the
//! harness's Spark image without a Docker daemon, pushed to the harness's
//! registry, pulled by the node and run.

use kspark_testcluster::TestUser;

use crate::{cluster, driver_log, kspark_as, one_at_a_time, strs, submission, tenant_for_alice, text};

#[test]
fn an_image_built_by_kspark_image_build_runs_its_application() {
    let registry = cluster().image_registry().unwrap_or_else(|| panic!("the real node has no registry"));
    let app = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/pi.py");
    // Pushed to the registry by its own address; the node pulls the same
    // repository as registry.example/…, which containerd mirrors to it.
    let build = std::process::Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(["image", "build", "--spark", "4.0.5", "--base", &format!("{registry}/apache/spark:4.0.5")])
        .args(["--plain-http", &registry, "--push", &format!("{registry}/team-a/pi:4.0.5-1")])
        .arg("--app")
        .arg("pi.py")
        .current_dir(app.parent().unwrap_or_else(|| panic!("no examples dir")))
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| panic!("kspark image build: {e}"));
    assert!(build.status.success(), "kspark image build: {}", text(&build));
    let ns = tenant_for_alice("image");
    let _node = one_at_a_time();
    let mut args = submission(&ns, "built", 1, &["--spark-version", "4.0.5", "local:///opt/app/pi.py", "10"]);
    for arg in args.iter_mut() {
        if arg.starts_with("spark.kubernetes.container.image=") {
            *arg = "spark.kubernetes.container.image=registry.example/team-a/pi:4.0.5-1".into();
        }
    }
    let out = kspark_as(TestUser::Alice, &[&["submit"], strs(&args).as_slice()].concat());
    assert!(out.status.success(), "kspark submit: {}", text(&out));
    let log = driver_log(&ns, "built");
    assert!(log.contains("Pi is roughly 3.1"), "driver log:\n{log}");
}
