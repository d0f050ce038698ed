//! The operator-* golden cases (golden/cases/operator-*.args and their pod
//! template fixtures) are what submit_args produces for kubeflow's examples.
//! golden/record.sh ran them with real spark-submit; this test keeps the
//! committed inputs tied to the function, so a change in the mapping shows
//! up here before it silently diverges from the recordings.
//!
//! KSPARK_UPDATE_OPERATOR_CASES=1 rewrites the files (then re-record them).

use std::path::{Path, PathBuf};

use kspark_sparkapp::SparkApplication;
use kspark_sparkapp::submit::{SubmitInputs, submit_args};
use serde_json::Value;

/// (case name, kubeflow example); each example holds one SparkApplication.
const CASES: &[(&str, &str)] = kspark_testcluster::OPERATOR_GOLDEN_CASES;

/// What the API server and kubeflow's controller would have assigned.
const UID: &str = "3f1c9a52-7d0e-4b8a-9c61-2e5d4f7a8b90";
const SUBMISSION_ID: &str = "6b2d8e14-0c3f-4a97-8e5b-1f9a7c3d2e60";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(file: &str) -> SparkApplication {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kubeflow-examples").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let doc = docs.into_iter().find(|d| d["kind"] == "SparkApplication").unwrap_or_else(|| panic!("{file}: no app"));
    let mut app: SparkApplication = serde_json::from_value(doc).unwrap_or_else(|e| panic!("{file}: {e}"));
    app.metadata.uid = Some(UID.to_string());
    // kspark picks a Spark line's behaviour from the image tag; in a real
    // deployment the image runs the Spark that submits it. record.sh puts the
    // recorded version in for @VERSION@.
    app.spec.image = Some("docker.io/apache/spark:@VERSION@".to_string());
    app
}

/// The arguments of one case and its files (relative path → content).
fn case_files(case: &str, file: &str) -> (Vec<String>, Vec<(String, String)>) {
    let fixtures = format!("golden/fixtures/{case}");
    // `@MASTER@` is the recorder's placeholder for its own URL.
    let inputs = SubmitInputs { submission_id: SUBMISSION_ID, master_url: "@MASTER@", pod_template_dir: &fixtures };
    let command = submit_args(&example(file), &inputs).unwrap_or_else(|e| panic!("{case}: {e}"));
    let json = |t| serde_json::to_string_pretty(t).unwrap_or_else(|e| panic!("{e}")) + "\n";
    let files = vec![
        (format!("golden/cases/{case}.args"), command.args.join("\n") + "\n"),
        (format!("{fixtures}/driver-pod-template.yaml"), json(&command.driver_pod_template)),
        (format!("{fixtures}/executor-pod-template.yaml"), json(&command.executor_pod_template)),
    ];
    (command.args, files)
}

#[test]
fn operator_cases_are_what_submit_args_produces() {
    let update = std::env::var_os("KSPARK_UPDATE_OPERATOR_CASES").is_some();
    let mut stale = Vec::new();
    for (case, file) in CASES {
        for (relative, content) in case_files(case, file).1 {
            let path = repo_root().join(&relative);
            if update {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
                }
                std::fs::write(&path, &content).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
                stale.push(relative);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "differs from submit_args: {stale:?}\nrerun with KSPARK_UPDATE_OPERATOR_CASES=1, then golden/record.sh --case ..."
    );
}

#[test]
fn no_argument_is_empty_or_spans_lines() {
    // record.sh and the golden test read one argument per line.
    for (case, file) in CASES {
        let (args, _) = case_files(case, file);
        assert!(args.iter().all(|a| !a.is_empty() && !a.contains(['\n', '\r'])), "{case}: {args:?}");
    }
}
