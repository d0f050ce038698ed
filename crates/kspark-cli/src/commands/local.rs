//! `--master local[*]`: the same application on a local Spark, through the
//! real spark-submit of `SPARK_HOME` or of the `pyspark` package that the
//! `python3` on PATH imports.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::Context;
use kspark_config::submit_args::without_kspark_options;
use kspark_config::{Submission, SubmitEnv};

use crate::exit_status::ExitStatus;
use crate::failure::hinted;

pub fn run(raw: &[String], submission: &Submission, env: &SubmitEnv) -> anyhow::Result<ExitCode> {
    let ignored: Vec<&str> =
        submission.conf.iter().map(|(k, _)| k).filter(|k| k.starts_with("spark.kubernetes.")).collect();
    if !ignored.is_empty() {
        errln!("kspark: note: running locally; Kubernetes settings are ignored: {}", ignored.join(", "));
    }
    let spark_submit = find_spark_submit(env)?;
    let args = without_kspark_options(raw);
    if dry_run_before_primary(raw) {
        outln!("{} {}", spark_submit.display(), args.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" "))?;
        return Ok(ExitCode::SUCCESS);
    }
    errln!("kspark: running on a local Spark with {}", spark_submit.display());
    let status = Command::new(&spark_submit)
        .args(&args)
        .status()
        .with_context(|| format!("cannot run {}", spark_submit.display()))?;
    Ok(status.code().map_or(ExitStatus::Failure, ExitStatus::Application).into())
}

/// `--dry-run` among kspark's options (after the primary resource it is the app's).
fn dry_run_before_primary(raw: &[String]) -> bool {
    kspark_config::SubmitArgs::parse(raw.iter().cloned()).is_ok_and(|a| a.kspark.dry_run)
}

fn shell_quote(arg: &str) -> String {
    if arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@".contains(c)) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

fn find_spark_submit(env: &SubmitEnv) -> anyhow::Result<PathBuf> {
    if let Some(home) = env.var("SPARK_HOME") {
        let candidate = PathBuf::from(home).join("bin").join("spark-submit");
        if candidate.is_file() {
            return Ok(candidate);
        }
        return Err(hinted(
            format!("SPARK_HOME is {home} but it has no bin/spark-submit"),
            Some("point SPARK_HOME at a Spark distribution, or unset it to use the pyspark package".into()),
            ExitStatus::Usage,
        ));
    }
    let output =
        Command::new("python3").args(["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"]).output();
    let dir = match output {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => {
            return Err(hinted(
                "no local Spark: SPARK_HOME is not set and `python3` cannot import pyspark",
                Some("install one with `python3 -m pip install pyspark` (needs Java 17), or set SPARK_HOME".into()),
                ExitStatus::Usage,
            ));
        }
    };
    Ok(PathBuf::from(dir).join("bin").join("spark-submit"))
}
