//! `from_submission` against every golden case (real spark-submit command
//! lines): command line → Submission → SparkApplication → kubeflow's
//! spark-submit arguments (`submit_args`) → Submission again. The Spark
//! settings of both submissions must agree, apart from what kubeflow's
//! operator adds on purpose (its labels, waitAppCompletion=false, the
//! driver pod name, its pod template files) and kubeflow's defaults where
//! they equal Spark's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::PodTemplateSpec;
use kspark_config::{Submission, SubmitArgs, SubmitEnv};
use kspark_sparkapp::from_submission::{ResourceInputs, from_submission};
use kspark_sparkapp::submit::{SubmitInputs, submit_args};
use serde_json::{Value, json};

const MASTER: &str = "k8s://https://127.0.0.1:6443";
const VERSION: &str = "4.0.5";

/// The cases that cannot become a SparkApplication, and what the refusal
/// names: files on the submitter's machine (uploads, the conf and Hadoop
/// conf dirs, Ivy settings), a driver token, and a key with `=` (kubeflow's
/// `--conf K=V` cannot carry it).
const NOT_CONVERTIBLE: &[(&str, &str)] = &[
    ("driver-credentials-tv5", "spark.kubernetes.authenticate.driver.oauthToken"),
    ("error-upload-missing-file", "spark.submit.pyFiles"),
    ("error-upload-no-path", "spark.files"),
    ("error-upload-primary-no-path", "the primary resource"),
    ("hadoop-conf-dir", "HADOOP_CONF_DIR"),
    ("order-conf-dir-files", "Zeta.conf"),
    ("packages-ivy-settings", "spark.jars.ivySettings"),
    ("properties-file-grammar", "spark.kubernetes.driver.annotation.key=with:seps"),
    ("spark-conf-dir", "extra.txt"),
    ("upload-java", "the primary resource"),
    ("upload-mixed-lists", "spark.jars"),
    ("upload-python", "the primary resource"),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|e| panic!("repo root: {e}"))
}

fn substitute(line: &str, root: &Path) -> String {
    if line == "@MASTER@" {
        return MASTER.to_string();
    }
    line.replace("@VERSION@", VERSION).replace("@REPO@", &root.display().to_string())
}

/// The environment record.sh gives the case (golden/README.md).
fn case_env(case: &Path, root: &Path) -> SubmitEnv {
    let mut vars = BTreeMap::from([("SPARK_CONF_DIR".to_string(), "golden/fixtures/no-conf-dir".to_string())]);
    let text = std::fs::read_to_string(case.with_extension("env")).unwrap_or_default();
    for line in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        if let Some((k, v)) = line.split_once('=') {
            vars.insert(k.to_string(), substitute(v, root));
        }
    }
    SubmitEnv { vars, cwd: root.to_path_buf() }
}

/// Like kspark's CLI: the conf dir's files Spark ships, except its own.
fn conf_dir_files(env: &SubmitEnv) -> Vec<String> {
    let Some(dir) = env.spark_conf_dir() else { return Vec::new() };
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            !n.ends_with(".template") && !(n.starts_with("spark") && (n.ends_with("conf") || n.ends_with("properties")))
        })
        .collect();
    files.sort();
    files
}

fn resolve(args: &[String], env: &SubmitEnv) -> Result<Submission, String> {
    let parsed = SubmitArgs::parse(args.iter().cloned()).map_err(|e| e.to_string())?;
    parsed.resolve(env).map_err(|e| e.to_string())
}

fn conf_map(submission: &Submission) -> BTreeMap<String, String> {
    submission.conf.iter().map(|(k, s)| (k.to_string(), s.value.clone())).collect()
}

/// Settings kubeflow's defaulting writes out that have the same value as
/// Spark's own default when unset.
const SPARK_DEFAULTS: [(&str, &str); 6] = [
    ("spark.driver.cores", "1"),
    ("spark.driver.memory", "1g"),
    ("spark.executor.cores", "1"),
    ("spark.executor.memory", "1g"),
    ("spark.executor.instances", "2"),
    ("spark.dynamicAllocation.shuffleTracking.enabled", "true"),
];

fn operator_added(key: &str, value: &str, original: &BTreeMap<String, String>) -> bool {
    if original.contains_key(key) {
        return false;
    }
    let image = original.get("spark.kubernetes.container.image").map(String::as_str);
    key.starts_with("spark.kubernetes.driver.label.sparkoperator.k8s.io/")
        || key.starts_with("spark.kubernetes.executor.label.sparkoperator.k8s.io/")
        || key == "spark.kubernetes.submission.waitAppCompletion"
        || key == "spark.kubernetes.driver.pod.name"
        || key.ends_with(".podTemplateFile")
        || key.ends_with(".podTemplateContainerName")
        || (key == "spark.kubernetes.namespace" && value == "default")
        || ((key == "spark.kubernetes.driver.container.image" || key == "spark.kubernetes.executor.container.image")
            && Some(value) == image)
        || SPARK_DEFAULTS.contains(&(key, value))
}

fn template_file(submission: &Submission, env: &SubmitEnv, role: &str) -> Option<Value> {
    let path = submission.conf.get(&format!("spark.kubernetes.{role}.podTemplateFile"))?;
    let text = std::fs::read_to_string(env.cwd.join(path)).ok()?;
    serde_saphyr::from_str(&text).ok()
}

/// The template kubeflow writes must be the submitter's (as a
/// PodTemplateSpec, which is how both Spark and kubeflow read it), apart
/// from kubeflow's owner reference, its name for the chosen container, and
/// the bare Spark container kspark puts into a template without containers
/// so the webhook's executor mutations have a place (Spark creates that very
/// container, named so, when the template has none).
fn template_problem(submission: &Submission, env: &SubmitEnv, role: &str, written: &PodTemplateSpec) -> Option<String> {
    let pod = template_file(submission, env, role)?;
    let mut expected = json!({"metadata": pod.get("metadata").cloned().unwrap_or(json!({})), "spec": pod["spec"]});
    let chosen = submission.conf.get(&format!("spark.kubernetes.{role}.podTemplateContainerName"));
    let kubeflows = format!("spark-kubernetes-{role}");
    let no_containers = expected["spec"]["containers"].as_array().is_none_or(Vec::is_empty);
    if no_containers && role == "executor" && expected["spec"].is_object() {
        expected["spec"]["containers"] = json!([{"name": kubeflows}]);
    }
    if let Some(containers) = expected["spec"]["containers"].as_array_mut() {
        for container in containers.iter_mut().filter(|c| chosen.is_some() && c["name"].as_str() == chosen) {
            container["name"] = json!(kubeflows);
        }
    }
    if let Some(meta) = expected["metadata"].as_object_mut() {
        meta.remove("ownerReferences");
    }
    let typed = |v: Value| serde_json::from_value::<PodTemplateSpec>(v).ok().and_then(|t| serde_json::to_value(t).ok());
    let mut written = serde_json::to_value(written).ok()?;
    if let Some(meta) = written["metadata"].as_object_mut() {
        meta.remove("ownerReferences");
    }
    let (expected, written) = (typed(expected), typed(written));
    (expected != written).then(|| format!("{role} template: {expected:?} became {written:?}"))
}

fn client_only(key: &str) -> bool {
    let client_credentials = ["oauthToken", "oauthTokenFile", "caCertFile", "clientKeyFile", "clientCertFile"];
    key.strip_prefix("spark.kubernetes.authenticate.").is_some_and(|rest| client_credentials.contains(&rest))
        || key.starts_with("spark.kubernetes.authenticate.submission.")
        || key == "spark.kubernetes.context"
        || key == "spark.kubernetes.submission.waitAppCompletion"
}

/// Converts one case; Err(reason) when it is not convertible, panics on a mismatch.
fn round_trip(case: &str, original: &Submission, env: &SubmitEnv) -> Result<Vec<String>, String> {
    let inputs = ResourceInputs {
        spark_version: None,
        hadoop_conf_dir: env.var("HADOOP_CONF_DIR").map(str::to_string),
        conf_dir_files: conf_dir_files(env),
        driver_template: template_file(original, env, "driver"),
        executor_template: template_file(original, env, "executor"),
    };
    let converted = from_submission(original, &inputs).map_err(|e| e.to_string())?;
    let mut app = converted.app;
    app.metadata.uid = Some("00000000-0000-0000-0000-000000000001".into());
    let submit =
        SubmitInputs { submission_id: "roundtrip", master_url: MASTER, pod_template_dir: "/tmp/spark/roundtrip" };
    let command = submit_args(&app, &submit).unwrap_or_else(|e| panic!("{case}: submit_args refused the app: {e}"));
    // The operator's pod has neither conf dir nor the submitter's variables.
    let operator_env = SubmitEnv { vars: BTreeMap::new(), cwd: env.cwd.clone() };
    let again = resolve(&command.args, &operator_env)
        .unwrap_or_else(|e| panic!("{case}: kubeflow's command line does not resolve: {e}\n{:?}", command.args));
    let mut problems = Vec::new();
    for (role, written) in [("driver", &command.driver_pod_template), ("executor", &command.executor_pod_template)] {
        if let Some(problem) = template_problem(original, env, role, written) {
            problems.push(problem);
        }
    }
    let mut before = conf_map(original);
    // Both name a template file, each its own; the templates are compared above.
    before.retain(|k, _| {
        !client_only(k) && !k.ends_with(".podTemplateFile") && !k.ends_with(".podTemplateContainerName")
    });
    let mut after = conf_map(&again);
    after.retain(|k, v| !operator_added(k, v, &before));
    let name_before = before.remove("spark.app.name").unwrap_or_default();
    let name_after = after.remove("spark.app.name").unwrap_or_default();
    if app.metadata.name.as_deref() != Some(name_after.as_str()) || name_after.is_empty() {
        problems.push(format!("spark.app.name `{name_before}` came back as `{name_after}`"));
    }
    for key in before.keys().chain(after.keys()).collect::<std::collections::BTreeSet<_>>() {
        if before.get(key) != after.get(key) {
            problems.push(format!("{key}: {:?} became {:?}", before.get(key), after.get(key)));
        }
    }
    let same = |what: &str, a: String, b: String, problems: &mut Vec<String>| {
        if a != b {
            problems.push(format!("{what}: {a} became {b}"));
        }
    };
    same("primary resource", original.primary_resource.clone(), again.primary_resource.clone(), &mut problems);
    same("main class", original.main_class.clone(), again.main_class.clone(), &mut problems);
    same("arguments", format!("{:?}", original.app_args), format!("{:?}", again.app_args), &mut problems);
    same("proxy user", format!("{:?}", original.proxy_user), format!("{:?}", again.proxy_user), &mut problems);
    Ok(problems)
}

#[test]
fn every_convertible_golden_case_keeps_its_spark_settings_through_kubeflows_command_line() {
    let root = repo_root();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root.join("golden/cases"))
        .unwrap_or_else(|e| panic!("golden/cases: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "args"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 90, "found only {} golden cases", cases.len());
    let (mut converted, mut not_convertible, mut mismatches) = (0, Vec::new(), Vec::new());
    for path in &cases {
        let case = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{case}: {e}"));
        let args: Vec<String> = text.lines().map(|l| substitute(l, &root)).collect();
        let env = case_env(path, &root);
        // error-* cases are refused by spark-submit itself; so are they here.
        let Ok(original) = resolve(&args, &env) else {
            assert!(case.starts_with("error-"), "{case} does not resolve");
            continue;
        };
        match round_trip(&case, &original, &env) {
            Ok(problems) if problems.is_empty() => converted += 1,
            Ok(problems) => mismatches.push(format!("{case}:\n  {}", problems.join("\n  "))),
            Err(reason) => not_convertible.push((case, reason)),
        }
    }
    assert!(
        mismatches.is_empty(),
        "Spark settings changed on the way through a SparkApplication:\n{}",
        mismatches.join("\n")
    );
    let refused: Vec<(&str, String)> = not_convertible.iter().map(|(c, r)| (c.as_str(), r.clone())).collect();
    let expected: Vec<&str> = NOT_CONVERTIBLE.iter().map(|(c, _)| *c).collect();
    let got: Vec<&str> = refused.iter().map(|(c, _)| *c).collect();
    assert_eq!(got, expected, "the cases that cannot become a SparkApplication changed:\n{refused:#?}");
    for ((case, reason), (_, key)) in refused.iter().zip(NOT_CONVERTIBLE) {
        assert!(reason.contains(key), "{case}: the refusal should name {key}: {reason}");
    }
    eprintln!("{converted} cases converted and round-tripped, {} refused", refused.len());
    assert!(converted >= 60, "only {converted} cases converted");
}
