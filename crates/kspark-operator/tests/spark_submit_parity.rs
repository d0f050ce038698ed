//! The operator creates what real spark-submit creates for kubeflow's
//! command line, plus what kubeflow's webhook changes.
//!
//! The chain: `cargo test -p kspark-cli --test golden` shows that kspark's
//! spark-submit path (`golden/cases/operator-*.args` + fixtures, read from
//! files) creates exactly what real spark-submit 3.5–4.3 recorded; here the
//! operator's path (SparkApplication → arguments → objects, templates in
//! memory) must build the very same objects from the kubeflow example, and
//! its driver pod must be that pod with kubeflow's webhook mutations
//! (themselves checked against kubeflow's code in kspark-sparkapp).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kspark_config::{SparkVersion, SubmitArgs, SubmitEnv};
use kspark_manifests::{BuildContext, SubmissionIds};
use kspark_operator::build::{SubmitterSettings, build, build_as_spark_submit};
use kspark_operator::identity::AttemptIdentity;
use kspark_sparkapp::SparkApplication;
use kspark_sparkapp::webhook::mutate_driver_pod;
use serde_json::Value;

/// (case name, kubeflow example); each example holds one SparkApplication.
const CASES: &[(&str, &str)] = kspark_testcluster::OPERATOR_GOLDEN_CASES;
/// The golden cases' UID and submission ID (see kspark-sparkapp's golden_cases.rs).
const UID: &str = "3f1c9a52-7d0e-4b8a-9c61-2e5d4f7a8b90";
const SUBMISSION_ID: &str = "6b2d8e14-0c3f-4a97-8e5b-1f9a7c3d2e60";
const NOW: i64 = 1_795_547_781_474;
/// Stands for the recorder's `@MASTER@`.
const MASTER: &str = "k8s://https://10.0.0.1:443";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ids() -> SubmissionIds {
    SubmissionIds {
        app_id: "spark-4576510c60754cf0afb8e64759949cae".into(),
        prefix_id: "e327fba20efcd995".into(),
        conf_map_id: "a1b2c3d4e5f60718".into(),
        service_fallback_id: "0f1e2d3c4b5a6978".into(),
        local_dir_uuid: "7d9c2b1a-3e4f-4a5b-8c6d-0e1f2a3b4c5d".into(),
    }
}

fn example(file: &str, version: &str) -> SparkApplication {
    let path = repo_root().join("crates/kspark-sparkapp/tests/kubeflow-examples").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let doc = docs.into_iter().find(|d| d["kind"] == "SparkApplication").unwrap_or_else(|| panic!("{file}"));
    let mut app: SparkApplication = serde_json::from_value(doc).unwrap_or_else(|e| panic!("{file}: {e}"));
    app.metadata.uid = Some(UID.into());
    app.spec.image = Some(format!("docker.io/apache/spark:{version}"));
    app
}

fn env() -> SubmitEnv {
    SubmitEnv { vars: BTreeMap::from([("SPARK_USER".into(), "spark".into())]), cwd: repo_root() }
}

/// `kspark submit`'s path over the committed arguments and template files.
fn spark_submit_objects(case: &str, version: &str) -> Vec<Value> {
    let path = repo_root().join(format!("golden/cases/{case}.args"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let args: Vec<String> = text.lines().map(|l| l.replace("@VERSION@", version).replace("@MASTER@", MASTER)).collect();
    let submission = SubmitArgs::parse(args)
        .map(|a| a.resolve(&env()))
        .unwrap_or_else(|e| panic!("{case}: {e}"))
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let inputs = kspark_manifests::inputs::load(&submission.conf, &env()).unwrap_or_else(|e| panic!("{case}: {e}"));
    let version = SparkVersion::parse(version).unwrap_or_else(|e| panic!("{e}"));
    let ctx = BuildContext { submission: &submission, version, ids: ids(), inputs, now_millis: NOW };
    kspark_manifests::build_driver(&ctx).unwrap_or_else(|e| panic!("{case}: {e}")).to_json()
}

fn settings(case: &str) -> SubmitterSettings {
    SubmitterSettings {
        master_url: MASTER.into(),
        user: "spark".into(),
        pod_template_dir: Some(format!("golden/fixtures/{case}")),
    }
}

fn identity() -> AttemptIdentity {
    AttemptIdentity { submission_id: SUBMISSION_ID.into(), ids: ids() }
}

#[test]
fn the_operator_builds_what_spark_submit_builds_for_kubeflows_command_line() {
    for version in ["3.5.9", "4.0.5", "4.3.0"] {
        for (case, file) in CASES {
            let app = example(file, version);
            let built = build_as_spark_submit(&app, &identity(), &settings(case), &[], NOW)
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(built.objects.to_json(), spark_submit_objects(case, version), "{case} on Spark {version}");
        }
    }
}

#[test]
fn the_operators_driver_is_spark_submits_with_kubeflows_webhook_mutations() {
    for (case, file) in CASES {
        let app = example(file, "4.0.5");
        let plain = build_as_spark_submit(&app, &identity(), &settings(case), &[], NOW)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let mut expected = plain.objects.pod.clone();
        mutate_driver_pod(&mut expected, &app).unwrap_or_else(|e| panic!("{case}: {e}"));
        let built = build(&app, &identity(), &settings(case), &[], NOW).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(built.objects.pod, expected, "{case}");
        // Only the pod changes; what is applied beside it is Spark's.
        assert_eq!(built.objects.applied.len(), plain.objects.applied.len(), "{case}");
    }
}
