//! kspark's version of kubeflow's pod webhook against kubeflow's own code.
//!
//! golden/kubeflow-webhook/cases/<case>/ holds a SparkApplication (app.yaml),
//! the input pods (driver-pod.json: the driver pod kspark builds for the
//! application's spark-submit command line, which is the pod spark-submit
//! builds; executor-pod.json: the executor pod template kubeflow hands to
//! Spark, labelled as an executor) and what kubeflow's webhook made of them
//! (<role>-pod.mutated.json, or <role>-pod.error.txt), recorded by running
//! kubeflow's mutation list on them (golden/kubeflow-webhook/record.sh).
//!
//! KSPARK_UPDATE_WEBHOOK_INPUTS=1 rewrites the input pods (then re-record).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kspark_config::{SparkVersion, SubmitArgs, SubmitEnv};
use kspark_manifests::{BuildContext, SubmissionIds, build_driver};
use kspark_sparkapp::SparkApplication;
use kspark_sparkapp::submit::{SubmitInputs, submit_args};
use kspark_sparkapp::webhook::quantity::canonical;
use kspark_sparkapp::webhook::{mutate_driver_pod, mutate_executor_template};

mod go_json;
use go_json::{first_difference, json_file, without_empty};

const SUBMISSION_ID: &str = "6b2d8e14-0c3f-4a97-8e5b-1f9a7c3d2e60";
const MASTER: &str = "k8s://https://10.96.0.1:443";

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../golden/kubeflow-webhook/cases")
}

fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cases_dir())
        .unwrap_or_else(|e| panic!("{}: {e}", cases_dir().display()))
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("app.yaml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 10, "expected the committed cases, found {names:?}");
    names
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn app(case: &str) -> SparkApplication {
    let path = cases_dir().join(case).join("app.yaml");
    serde_saphyr::from_str(&read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The driver pod kspark builds for the application's command line, with
/// fixed IDs, clock and user.
fn driver_input(case: &str, app: &SparkApplication) -> Pod {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("webhook-golden").join(case);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let dir_text = dir.to_string_lossy().into_owned();
    let inputs = SubmitInputs { submission_id: SUBMISSION_ID, master_url: MASTER, pod_template_dir: &dir_text };
    let command = submit_args(app, &inputs).unwrap_or_else(|e| panic!("{case}: {e}"));
    for (file, template) in [
        ("driver-pod-template.yaml", &command.driver_pod_template),
        ("executor-pod-template.yaml", &command.executor_pod_template),
    ] {
        let text = serde_json::to_string_pretty(template).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join(file), text).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    let parsed = SubmitArgs::parse(command.args.iter().cloned()).unwrap_or_else(|e| panic!("{case}: {e}"));
    let env = SubmitEnv { vars: BTreeMap::from([("SPARK_USER".into(), "ada".into())]), cwd: dir.clone() };
    let submission = parsed.resolve(&env).unwrap_or_else(|e| panic!("{case}: {e}"));
    let ctx = BuildContext {
        submission: &submission,
        version: SparkVersion::parse("3.5.9").unwrap_or_else(|e| panic!("{e}")),
        ids: SubmissionIds {
            app_id: "spark-0123456789abcdef0123456789abcdef".into(),
            prefix_id: "aaaaaa0000000001".into(),
            conf_map_id: "bbbbbb0000000002".into(),
            service_fallback_id: "cccccc0000000003".into(),
            local_dir_uuid: "11111111-2222-3333-4444-555555555555".into(),
        },
        inputs: kspark_manifests::inputs::load(&submission.conf, &env).unwrap_or_else(|e| panic!("{case}: {e}")),
        now_millis: 1_795_000_000_000,
    };
    build_driver(&ctx).unwrap_or_else(|e| panic!("{case}: {e}")).pod
}

/// The executor pod template kubeflow writes (its buildExecutorPodTemplate:
/// the application's template or one with just the Spark container, plus a
/// plain owner reference), before any webhook mutation.
fn executor_template(app: &SparkApplication) -> PodTemplateSpec {
    let mut template = match &app.spec.executor.pod.template {
        Some(raw) => raw.to_spec().unwrap_or_else(|e| panic!("{e}")),
        None => PodTemplateSpec {
            metadata: None,
            spec: Some(PodSpec {
                containers: vec![Container { name: "spark-kubernetes-executor".into(), ..Default::default() }],
                ..Default::default()
            }),
        },
    };
    let owner = OwnerReference {
        api_version: "sparkoperator.k8s.io/v1beta2".into(),
        kind: "SparkApplication".into(),
        name: app.metadata.name.clone().unwrap_or_default(),
        uid: app.metadata.uid.clone().unwrap_or_default(),
        controller: None,
        block_owner_deletion: None,
    };
    let references = template.metadata.get_or_insert_default().owner_references.get_or_insert_default();
    if !references.contains(&owner) {
        references.push(owner);
    }
    template
}

/// That template as a pod kubeflow's webhook recognizes as an executor's
/// (the labels Spark and kubeflow put on executor pods).
fn executor_input(app: &SparkApplication) -> Pod {
    let template = executor_template(app);
    let mut metadata = template.metadata.unwrap_or_default();
    let labels = metadata.labels.get_or_insert_default();
    labels.insert("spark-role".into(), "executor".into());
    labels.insert("sparkoperator.k8s.io/app-name".into(), app.metadata.name.clone().unwrap_or_default());
    Pod { metadata, spec: template.spec, status: None }
}

fn inputs(case: &str) -> [(&'static str, Pod); 2] {
    let app = app(case);
    [("driver", driver_input(case, &app)), ("executor", executor_input(&app))]
}

fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| panic!("{e}")) + "\n"
}

#[test]
fn input_pods_are_what_kspark_builds() {
    let update = std::env::var_os("KSPARK_UPDATE_WEBHOOK_INPUTS").is_some();
    let mut stale = Vec::new();
    for case in cases() {
        for (role, pod) in inputs(&case) {
            let path = cases_dir().join(&case).join(format!("{role}-pod.json"));
            let text = pretty(&pod);
            if update {
                std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(format!("{case}/{role}-pod.json"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "input pods differ from what kspark builds: {stale:?}\nrerun with KSPARK_UPDATE_WEBHOOK_INPUTS=1, then golden/kubeflow-webhook/record.sh"
    );
}

/// kspark's mutation of a committed input pod.
fn mutate(role: &str, mut pod: Pod, app: &SparkApplication) -> Result<Pod, String> {
    if role == "driver" {
        mutate_driver_pod(&mut pod, app).map_err(|e| e.to_string())?;
        return Ok(pod);
    }
    let mut template = PodTemplateSpec { metadata: Some(pod.metadata), spec: pod.spec };
    mutate_executor_template(&mut template, app).map_err(|e| e.to_string())?;
    Ok(Pod { metadata: template.metadata.unwrap_or_default(), spec: template.spec, status: None })
}

/// Fields that are plain `bool`s with `omitempty` in Go's core/v1 types:
#[test]
fn mutations_are_kubeflows() {
    let mut compared = 0;
    let mut failures = Vec::new();
    for case in cases() {
        let app = app(&case);
        for role in ["driver", "executor"] {
            let dir = cases_dir().join(&case);
            let input: Pod = serde_json::from_value(json_file(&dir.join(format!("{role}-pod.json"))))
                .unwrap_or_else(|e| panic!("{case}/{role}: {e}"));
            let ours = mutate(role, input, &app);
            let error_file = dir.join(format!("{role}-pod.error.txt"));
            if error_file.is_file() {
                if let Ok(pod) = ours {
                    failures.push(format!(
                        "{case}/{role}: kubeflow refuses ({}), kspark gave {}",
                        read(&error_file).trim(),
                        pretty(&pod)
                    ));
                }
            } else {
                let theirs = without_empty(json_file(&dir.join(format!("{role}-pod.mutated.json"))));
                match ours {
                    Ok(pod) => {
                        let ours = without_empty(serde_json::to_value(&pod).unwrap_or_else(|e| panic!("{e}")));
                        if let Some(difference) = first_difference("", &ours, &theirs) {
                            failures.push(format!("{case}/{role}: {difference}"));
                        }
                    }
                    Err(e) => failures.push(format!("{case}/{role}: kspark refuses ({e}), kubeflow mutates")),
                }
            }
            compared += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} pods differ from kubeflow's:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn submit_args_hands_spark_the_mutated_executor_template() {
    for case in cases() {
        let app = app(&case);
        let inputs = SubmitInputs { submission_id: SUBMISSION_ID, master_url: MASTER, pod_template_dir: "/tmp/t" };
        let Ok(command) = submit_args(&app, &inputs) else { continue };
        let mut expected = executor_template(&app);
        mutate_executor_template(&mut expected, &app).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(command.executor_pod_template, expected, "{case}");
    }
}

#[test]
fn quantities_are_written_as_kubernetes_writes_them() {
    let path = cases_dir().join("../quantities.golden");
    let mut wrong = Vec::new();
    let text = read(&path);
    for line in text.lines() {
        let (input, written) = line.split_once('\t').unwrap_or_else(|| panic!("{}: bad line {line:?}", path.display()));
        let ours = canonical(input).unwrap_or_else(|_| "ERROR".to_string());
        if ours != written {
            wrong.push(format!("{input:?}: kspark {ours}, Kubernetes {written}"));
        }
    }
    assert!(text.lines().count() > 40, "{}: too few quantities", path.display());
    assert!(wrong.is_empty(), "quantities written differently:\n{}", wrong.join("\n"));
}
