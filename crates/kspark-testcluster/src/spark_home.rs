//! Spark's own distribution for tests that run Spark's client or a local
//! Spark: `$KSPARK_SPARK_HOME` (scripts/test.sh exports it), else what
//! `scripts/fetch-spark.sh 4.0.5` unpacks (cached, shared with the quick
//! start).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The Spark release the tests run.
pub const TEST_SPARK_VERSION: &str = "4.0.5";

/// SPARK_HOME of Spark [`TEST_SPARK_VERSION`]; panics with the fetch
/// script's output when it cannot be had (a test helper).
pub fn spark_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        if let Some(home) = std::env::var_os("KSPARK_SPARK_HOME") {
            return PathBuf::from(home);
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fetch-spark.sh");
        let out = Command::new(&script)
            .arg(TEST_SPARK_VERSION)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
        assert!(out.status.success(), "fetching Spark failed: {}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}

/// Spark's own `bin/spark-submit`, isolated from this machine's settings: no
/// KUBECONFIG (credentials come from its `--conf`s), a throw-away HOME.
pub fn spark_submit_command() -> Command {
    let home = spark_home();
    let mut command = Command::new(home.join("bin/spark-submit"));
    command.env_remove("KUBECONFIG").env("HOME", std::env::temp_dir()).env("SPARK_HOME", home);
    command
}
