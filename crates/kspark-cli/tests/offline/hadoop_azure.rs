//! The facts behind Azure workload identity, checked on the real artifacts:
//! only hadoop-azure 3.4.1 and later (Maven Central, scripts/
//! fetch-hadoop-azure.sh) have WorkloadIdentityTokenProvider, and a real
//! Spark 4.0.5 (scripts/fetch-spark.sh) with that jar builds it from exactly
//! the settings kspark adds, reading what only Azure's webhook knows from
//! the variables it injects.

use std::path::{Path, PathBuf};
use std::process::Command;

use kspark_manifests::WorkloadIdentity;
use kspark_manifests::workload_identity::{CLIENT_ID_ANNOTATION, TOKEN_PROVIDER};

const CLIENT_ID: &str = "0d6c1f2e-aaaa-bbbb-cccc-123456789abc";

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts").join(name)
}

/// The path a fetch script prints.
fn fetched(script_name: &str, version: &str) -> PathBuf {
    let out = Command::new(script(script_name)).arg(version).output().unwrap_or_else(|e| panic!("{script_name}: {e}"));
    assert!(out.status.success(), "{script_name} {version}: {}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn spark_home() -> PathBuf {
    kspark_testcluster::spark_home().to_path_buf()
}

/// Whether the jar holds the class (entry names are stored uncompressed).
fn has_provider(jar: &Path) -> bool {
    let bytes = std::fs::read(jar).unwrap_or_else(|e| panic!("{}: {e}", jar.display()));
    let entry = format!("{}.class", TOKEN_PROVIDER.replace('.', "/"));
    bytes.windows(entry.len()).any(|w| w == entry.as_bytes())
}

#[test]
fn only_hadoop_azure_3_4_1_and_later_have_the_token_provider() {
    assert!(!has_provider(&fetched("fetch-hadoop-azure.sh", "3.3.4")), "Spark 3.5's Hadoop");
    assert!(has_provider(&fetched("fetch-hadoop-azure.sh", "3.4.1")), "Spark 4.0's Hadoop");
}

/// Runs the fixture on a local Spark with the settings for an account
/// annotated with a client ID only and the webhook's variables `env`;
/// returns its `name=value` lines.
fn provider_built(env: &[(&str, &str)]) -> String {
    let annotations = std::collections::BTreeMap::from([(CLIENT_ID_ANNOTATION.to_string(), CLIENT_ID.to_string())]);
    let identity = WorkloadIdentity::from_annotations("ns", "spark", Some(&annotations))
        .unwrap_or_else(|| panic!("annotations not recognised"));
    let home = spark_home();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kspark"));
    cmd.args(["submit", "--master", "local[1]", "--jars"]).arg(fetched("fetch-hadoop-azure.sh", "3.4.1"));
    for (key, value) in identity.settings() {
        cmd.args(["--conf", &format!("{key}={value}")]);
    }
    let lib = home.join("../lib");
    let python_path: Vec<String> = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("{}: {e}", lib.display()))
        .flatten()
        .map(|e| e.path().display().to_string())
        .filter(|p| p.ends_with(".zip"))
        .collect();
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/abfs_token_provider.py"))
        .env("SPARK_HOME", &home)
        .env("PYTHONPATH", python_path.join(":"))
        .env_remove("AZURE_TENANT_ID")
        .env_remove("AZURE_AUTHORITY_HOST")
        .env_remove("AZURE_FEDERATED_TOKEN_FILE")
        .envs(env.iter().copied());
    let out = cmd.output().unwrap_or_else(|e| panic!("kspark: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

#[test]
fn spark_builds_the_provider_from_ksparks_settings_and_the_webhooks_variables() {
    // As Azure's webhook sets up a pod whose account names no tenant, in a
    // cluster whose webhook sets no authority host (one Spark run: slow).
    let injected = [
        ("AZURE_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
        ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/other/token"),
    ];
    let lines = provider_built(&injected);
    for line in [
        format!("provider={TOKEN_PROVIDER}"),
        "authEndpoint=https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token".into(),
        format!("clientId={CLIENT_ID}"),
        "tokenFile=/var/run/secrets/other/token".into(),
    ] {
        assert!(lines.lines().any(|l| l == line), "{line} missing from:\n{lines}");
    }
}
