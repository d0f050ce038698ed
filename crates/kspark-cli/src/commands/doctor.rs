//! `kspark doctor [submit's arguments]`: every check `kspark submit` runs
//! first, as ok / warn / fail with one line of why, without creating
//! anything.

use std::process::ExitCode;

use kspark_config::{Master, Source, SparkVersion, Submission, SubmitArgs, SubmitEnv};
use kspark_kube::preflight::{self, Check, Plan, Verdict};
use kspark_kube::{ConnectOptions, Connection};
use kspark_manifests::{DriverObjects, LineFeatures};

use crate::exit_status::ExitStatus;
use crate::failure::hinted;
use kspark_manifests::labels::SPARK_VERSION;

pub async fn run(raw: Vec<String>) -> anyhow::Result<ExitCode> {
    if let Some(code) = super::submit::help_or_usage(&raw, crate::usage::doctor) {
        return Ok(code);
    }
    let args = SubmitArgs::parse(raw.iter().cloned())
        .map_err(|e| hinted(e, Some("see `kspark doctor --help`".into()), ExitStatus::Usage))?;
    let format =
        crate::output::parse_format(args.kspark.output.as_deref()).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    let env = SubmitEnv::from_process();
    let mut submission = args.resolve(&env).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    let Master::Kubernetes { api_url } = submission.master.clone() else {
        return Err(hinted(
            "kspark doctor checks Kubernetes submissions",
            Some("give --master k8s://https://HOST:PORT".into()),
            ExitStatus::Usage,
        ));
    };
    let mut objects = super::submit::build(&args, &submission, &env, true)?;
    let mut options = ConnectOptions::from_conf(&submission.conf, &env.cwd);
    options.kubeconfig = args.kspark.kubeconfig.clone();
    options.context = args.kspark.context.clone().or(options.context);
    options.api_url = Some(api_url);
    let checks = match kspark_kube::connect_unchecked(&options).await {
        Ok(conn) => {
            // Azure workload identity, as `submit` adds it. A refusal, or an
            // account that cannot be read, is reported by the checks below.
            let _ = super::workload_identity::fit(&conn.client, &args, &mut submission, &env, &mut objects).await?;
            let set = fit_to_namespace(&conn, &args, &mut submission, &env, &mut objects).await?;
            let mut checks = checks(&conn, &objects, &submission).await?;
            checks.extend(set.into_iter().map(|s| Check::ok("cpu limits", s)));
            checks
        }
        Err(e) => vec![Check::fail("connection", e.to_string()).with_hint(e.hint().unwrap_or_default())],
    };
    print(&checks, format.unwrap_or_default())?;
    Ok(if preflight::worst(&checks) == Verdict::Fail { ExitStatus::Failure.into() } else { ExitCode::SUCCESS })
}

/// What the checks look at, for a built submission.
pub(super) fn plan<'a>(
    objects: &'a DriverObjects,
    submission: &'a Submission,
) -> anyhow::Result<(SparkVersion, Plan<'a>)> {
    let version = objects
        .pod
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(SPARK_VERSION))
        .and_then(|v| SparkVersion::parse(v).ok())
        .unwrap_or_else(SparkVersion::newest);
    let line = version.line().map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    Ok((version, Plan { objects, conf: &submission.conf, kind: submission.kind, features: LineFeatures::of(line) }))
}

/// In a namespace whose quota caps limits.cpu, a pod without a CPU limit
/// is refused, and Spark sets none unless asked: set
/// `spark.kubernetes.{driver,executor}.limit.cores` to the cores requested
/// where nothing else gives a limit, and rebuild the objects with them.
/// Returns one line per setting made.
pub async fn fit_to_namespace(
    conn: &Connection,
    args: &SubmitArgs,
    submission: &mut Submission,
    env: &SubmitEnv,
    objects: &mut DriverObjects,
) -> anyhow::Result<Vec<String>> {
    let settings = preflight::cpu_limits_to_set(&conn.client, &plan(objects, submission)?.1).await;
    if settings.is_empty() {
        return Ok(Vec::new());
    }
    for (key, value) in &settings {
        submission.conf.set(key.clone(), value.clone(), Source::Derived);
    }
    *objects = super::submit::build(args, submission, env, true)?;
    Ok(settings
        .iter()
        .map(|(key, value)| {
            format!("a quota caps limits.cpu and Spark sets no CPU limit: {key}={value} (the cores requested)")
        })
        .collect())
}

/// The preflight checks for a built submission.
pub async fn checks(conn: &Connection, objects: &DriverObjects, submission: &Submission) -> anyhow::Result<Vec<Check>> {
    let (version, plan) = plan(objects, submission)?;
    let mut checks = vec![Check::ok("spark version", format!("building for Spark {version}, a supported release"))];
    checks.extend(preflight::run(conn, &plan).await);
    Ok(checks)
}

pub fn line(check: &Check) -> String {
    let verdict = match check.verdict {
        Verdict::Ok => "ok  ",
        Verdict::Warn => "warn",
        Verdict::Fail => "FAIL",
    };
    let mut text = format!("{verdict} {:<22} {}", check.name, check.detail);
    if let Some(hint) = check.hint.as_deref().filter(|h| !h.is_empty()) {
        text.push_str(&format!("\n     {:<22} hint: {hint}", ""));
    }
    text
}

fn print(checks: &[Check], format: crate::output::ReportFormat) -> anyhow::Result<()> {
    match format.structured() {
        Some(format) => crate::output::print_value(&serde_json::to_value(checks)?, format)?,
        None => {
            for check in checks {
                outln!("{}", line(check))?;
            }
        }
    }
    Ok(())
}
