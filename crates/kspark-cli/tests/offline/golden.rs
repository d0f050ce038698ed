//! Object parity with Spark's own client. Every case under golden/cases was
//! submitted by the real spark-submit of every supported Spark line to the
//! recording stand-in API endpoint (golden/record.sh, which runs
//! `kspark-testcluster record`); this test submits the same command line
//! with kspark to the same recorder (`kspark_testcluster::recorder`) and
//! compares what arrived: the objects (normalized, which replaces only
//! per-run randomness; every list compares in order except
//! the local dirs Spark shuffles, see
//! `recorder::compare::Comparison::golden`) and the sequence of writes (method, path, field
//! manager, content type).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use kspark_testcluster::recorder::{self, RecordedRequest, RecorderOptions, compare::Comparison, normalize, writes};

/// Cases where kspark deliberately differs from Spark, and why.
fn deliberate_difference(case: &str) -> Option<&'static str> {
    match case {
        // Spark fails on a token file ending in CR/LF; kspark trims it and submits.
        "error-submission-token-file-crlf" => Some("token-crlf"),
        // spark-submit exits 0 when the driver fails; kspark exits with the driver's code.
        "driver-fails" => Some("exit-code"),
        // Recorded under the POSIX locale, where the JVM turns non-ASCII
        // arguments into `?`; kspark passes UTF-8 through unharmed.
        "non-ascii-args-posix-locale" => Some("utf8"),
        // Spark's client resolves --packages with Ivy and stops on a missing
        // one; kspark leaves resolving to the driver, as Spark's driver
        // does again anyway, unless --check-packages (tests/offline/check_packages.rs).
        "error-packages-unresolved" => Some("driver-resolves"),
        _ => None,
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_default()
}

struct Case {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

fn cases() -> Vec<Case> {
    let dir = repo_root().join("golden/cases");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".args").map(str::to_string))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let args = std::fs::read_to_string(dir.join(format!("{name}.args"))).unwrap_or_default();
            let env = std::fs::read_to_string(dir.join(format!("{name}.env"))).unwrap_or_default();
            Case {
                args: args.lines().map(str::to_string).collect(),
                env: env
                    .lines()
                    .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                    .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
                    .collect(),
                name,
            }
        })
        .collect()
}

fn versions() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(repo_root().join("golden"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_prefix("spark-").map(str::to_string))
        .collect();
    v.sort();
    v
}

/// Runs kspark against a fresh recorder; returns (exit code, log path).
fn record_kspark(case: &Case, version: &str, out_dir: &Path) -> (i32, PathBuf) {
    let log = out_dir.join(format!("{version}-{}.jsonl", case.name));
    let mut argv: Vec<OsString> = vec![
        env!("CARGO_BIN_EXE_kspark").into(),
        "submit".into(),
        // The recorder is no API server (no quota, no RBAC): preflight checks
        // are tested on the real control plane instead.
        "--skip-preflight".into(),
    ];
    let repo = repo_root().display().to_string();
    argv.extend(case.args.iter().map(|a| OsString::from(a.replace("@VERSION@", version).replace("@REPO@", &repo))));
    let mut options = RecorderOptions::default();
    if let Some((_, exit)) = case.env.iter().find(|(k, _)| k == "RECORDER_DRIVER_EXIT") {
        options.driver_exit = exit.parse().unwrap_or_else(|e| panic!("{}: RECORDER_DRIVER_EXIT: {e}", case.name));
    }
    let run = recorder::record_command(&log, options, &argv, |cmd| {
        cmd.current_dir(repo_root())
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", out_dir)
            .env("SPARK_USER", "golden")
            .env("SPARK_CONF_DIR", "golden/fixtures/no-conf-dir");
        for (k, v) in &case.env {
            cmd.env(k, v);
        }
    })
    .unwrap_or_else(|e| panic!("cannot record kspark for {}: {e}", case.name));
    (run.exit_code, run.log)
}

fn load(log: &Path) -> Vec<RecordedRequest> {
    recorder::read_log(log).unwrap_or_else(|e| panic!("{e}"))
}

fn compare_objects(expected: &[RecordedRequest], actual: &[RecordedRequest]) -> Result<(), String> {
    let as_value = |log| serde_json::to_value(normalize::objects(log)).unwrap_or_default();
    let found = Comparison::golden().differences(&as_value(expected), &as_value(actual));
    if found.is_empty() { Ok(()) } else { Err(found.join("\n")) }
}

fn check_case(case: &Case, version: &str, out_dir: &Path) -> Result<(), String> {
    let golden = repo_root().join(format!("golden/spark-{version}/{}.jsonl", case.name));
    if !golden.is_file() {
        return Ok(());
    }
    let spark_exit: i32 =
        std::fs::read_to_string(golden.with_extension("exit")).ok().and_then(|t| t.trim().parse().ok()).unwrap_or(0);
    let (exit, log) = record_kspark(case, version, out_dir);
    let (expected, actual) = (load(&golden), load(&log));
    let expected_writes = writes(&expected);
    let actual_writes = writes(&actual);
    match (deliberate_difference(&case.name), spark_exit) {
        (Some("utf8"), _) => {
            let sent = std::fs::read_to_string(&log).unwrap_or_default();
            return if exit == 0 && sent.contains("\\u00fcmlaut") && sent.contains("\\u6771\\u4eac") {
                Ok(())
            } else {
                Err(format!("kspark should pass non-ASCII arguments through as UTF-8 (exit {exit})"))
            };
        }
        (Some("driver-resolves"), _) => {
            let sent = std::fs::read_to_string(&log).unwrap_or_default();
            return if exit == 0
                && actual_writes.first().is_some_and(|w| w.starts_with("POST"))
                && sent.contains("spark.jars.packages=org.example.kspark\\\\:does-not-exist\\\\:0.0.1")
            {
                Ok(())
            } else {
                Err(format!("kspark should submit and leave the missing package to the driver (exit {exit})"))
            };
        }
        (Some("token-crlf"), _) => {
            return if exit == 0 && actual_writes.first().is_some_and(|w| w.starts_with("POST")) {
                Ok(())
            } else {
                Err(format!("kspark should submit despite the CR/LF token (exit {exit})"))
            };
        }
        (_, code) if code != 0 => {
            return if exit != 0 && actual_writes.is_empty() && expected_writes.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "Spark refused this case before sending anything; kspark exited {exit} after {} writes",
                    actual_writes.len()
                ))
            };
        }
        (Some("exit-code"), _) => {
            let driver_exit: i32 = case
                .env
                .iter()
                .find(|(k, _)| k == "RECORDER_DRIVER_EXIT")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            if exit != driver_exit {
                return Err(format!("kspark should exit with the driver's code {driver_exit}, got {exit}"));
            }
        }
        _ if exit != 0 => {
            let log_text = std::fs::read_to_string(log.with_extension("jsonl.log")).unwrap_or_default();
            return Err(format!("kspark exited {exit}:\n{log_text}"));
        }
        _ => {}
    }
    if expected_writes != actual_writes {
        return Err(format!("writes differ\n  spark:  {expected_writes:#?}\n  kspark: {actual_writes:#?}"));
    }
    compare_objects(&expected, &actual)
}

#[test]
fn kspark_sends_what_spark_sends() {
    let out_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    // KSPARK_GOLDEN_ONLY=4.0.5,3.5.9 narrows the run while working on one line.
    let only = std::env::var("KSPARK_GOLDEN_ONLY").ok();
    let versions: Vec<String> =
        versions().into_iter().filter(|v| only.as_deref().is_none_or(|o| o.split(',').any(|x| x == v))).collect();
    assert!(
        only.is_some() || versions.len() >= 5,
        "expected golden data for every supported Spark line, found {versions:?}"
    );
    let cases = cases();
    assert!(cases.len() >= 25, "expected at least 25 golden cases, found {}", cases.len());
    let jobs: Vec<(&Case, &String)> = versions.iter().flat_map(|v| cases.iter().map(move |c| (c, v))).collect();
    let failures = Mutex::new(BTreeMap::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap_or_else(|p| p.into_inner());
                        *n += 1;
                        *n - 1
                    };
                    let Some((case, version)) = jobs.get(i) else { break };
                    if let Err(diff) = check_case(case, version, out_dir.path()) {
                        failures
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(format!("{version}/{}", case.name), diff);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_default();
    let report: Vec<String> = failures.iter().map(|(k, v)| format!("== {k}\n{v}")).collect();
    assert!(failures.is_empty(), "{} of {} recordings differ:\n{}", failures.len(), jobs.len(), report.join("\n"));
}
