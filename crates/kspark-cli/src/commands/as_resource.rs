//! `kspark submit --as-resource`: the command line as a SparkApplication of
//! kubeflow's spark-operator, printed (`--dry-run`) or created, never
//! overwriting one that exists.

use std::process::ExitCode;

use kspark_config::{Submission, SubmitEnv};
use kspark_kube::sparkapps;
use kspark_sparkapp::from_submission::{ResourceInputs, from_submission};

use super::prepare::Prepared;
use crate::exit_status::ExitStatus;
use crate::failure::hinted;
use crate::output;

pub async fn run(prepared: &Prepared) -> anyhow::Result<ExitCode> {
    let Prepared { args, env, submission } = prepared;
    let inputs = ResourceInputs {
        spark_version: args.kspark.spark_version.clone(),
        hadoop_conf_dir: env.var("HADOOP_CONF_DIR").map(str::to_string),
        conf_dir_files: env
            .spark_conf_dir()
            .map(|dir| kspark_manifests::inputs::conf_dir_files(&dir).into_keys().collect())
            .unwrap_or_default(),
        driver_template: read_template(submission, env, "driver")?,
        executor_template: read_template(submission, env, "executor")?,
    };
    let converted = from_submission(submission, &inputs).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    for note in &converted.notes {
        errln!("kspark: note: {note}");
    }
    let app = converted.app;
    if args.kspark.dry_run {
        let format: output::ObjectFormat = prepared.output_format()?;
        output::print_value(&serde_json::to_value(&app)?, format)?;
        return Ok(ExitCode::SUCCESS);
    }
    let connection = kspark_kube::connect(&prepared.connect_options()).await.map_err(|e| {
        let hint = e.hint();
        hinted(e, hint, ExitStatus::Failure)
    })?;
    let ns = app.metadata.namespace.clone().unwrap_or_default();
    let name = app.metadata.name.clone().unwrap_or_default();
    if let Err(e) = sparkapps::create(&connection.client, &app).await {
        let hint = match &e {
            e if e.is_conflict() => Some(format!(
                "a SparkApplication {ns}/{name} exists already and kspark does not replace it: give another --name, \
                 or delete the old one with `kspark kill {ns}:{name}`"
            )),
            e if e.is_not_found() => Some(
                "the cluster has no SparkApplication CRD: install kubeflow's spark-operator (or kspark's operator) \
                 first, or submit without --as-resource"
                    .into(),
            ),
            other => other.hint(),
        };
        return Err(hinted(e, hint, ExitStatus::Failure));
    }
    errln!("kspark: created sparkapplication {ns}/{name}; follow it with kspark wait {ns}:{name}");
    Ok(ExitCode::SUCCESS)
}

/// The pod template file of `role`, if the submission names one.
fn read_template(submission: &Submission, env: &SubmitEnv, role: &str) -> anyhow::Result<Option<serde_json::Value>> {
    let key = format!("spark.kubernetes.{role}.podTemplateFile");
    let Some(path) = submission.conf.get(&key) else { return Ok(None) };
    let full = env.cwd.join(path);
    let text = std::fs::read_to_string(&full)
        .map_err(|e| hinted(format!("{key}: cannot read {}: {e}", full.display()), None, ExitStatus::Usage))?;
    let pod = serde_saphyr::from_str(&text)
        .map_err(|e| hinted(format!("{key}: {} is not YAML: {e}", full.display()), None, ExitStatus::Usage))?;
    Ok(Some(pod))
}
