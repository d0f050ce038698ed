//! The Dockerfile's RUN step, run for real with the shell, wget and
//! sha256sum the official image has (against Maven Central, into a temporary
//! folder instead of /opt/spark/jars): the pinned jars arrive, and a wrong
//! pin stops the build.

use std::process::Command;

use kspark_config::SparkVersion;
use kspark_image::azure_jars::line_for;
use kspark_image::dockerfile::{DockerfileSpec, render};
use kspark_image::maven::sha256_hex;

/// The RUN instruction's shell text, continuation lines joined.
fn run_step(dockerfile: &str) -> String {
    let start = dockerfile.find("\nRUN ").expect("a RUN step") + 5;
    let mut script = String::new();
    for line in dockerfile[start..].lines() {
        match line.strip_suffix('\\') {
            Some(continued) => script.push_str(continued),
            None => {
                script.push_str(line);
                break;
            }
        }
    }
    script
}

fn dockerfile(version: SparkVersion) -> String {
    let line = line_for(version).expect("line");
    render(&DockerfileSpec { base: "b", spark_version: version.to_string(), line: &line, azure: true, apps: &[] })
}

fn run_in(dir: &std::path::Path, script: &str) -> std::process::Output {
    let script = script.replace("cd /opt/spark/jars", &format!("cd '{}'", dir.display()));
    Command::new("sh").arg("-c").arg(script).output().expect("sh runs (with wget and sha256sum, as the official image)")
}

#[test]
fn the_run_step_downloads_exactly_the_pinned_jars() {
    for version in [SparkVersion::new(3, 5, 8), SparkVersion::new(4, 3, 0)] {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = run_in(dir.path(), &run_step(&dockerfile(version)));
        assert!(out.status.success(), "Spark {version}: {}", String::from_utf8_lossy(&out.stderr));
        for jar in line_for(version).expect("line").jars {
            let content = std::fs::read(dir.path().join(jar.file_name())).expect("the jar is there");
            assert_eq!(sha256_hex(&content), jar.sha256, "{}", jar.file_name());
        }
    }
}

#[test]
fn a_wrong_pin_stops_the_build() {
    let version = SparkVersion::new(4, 0, 5);
    let line = line_for(version).expect("line");
    let pinned = &line.jars[2].sha256;
    let wrong = format!("{}0", &pinned[..63]);
    let wrong = if &wrong == pinned { format!("{}1", &pinned[..63]) } else { wrong };
    let script = run_step(&dockerfile(version)).replace(pinned.as_str(), &wrong);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_in(dir.path(), &script);
    assert!(!out.status.success(), "a jar whose SHA-256 differs from the pin was accepted");
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAILED"), "{}", String::from_utf8_lossy(&out.stdout));
}
