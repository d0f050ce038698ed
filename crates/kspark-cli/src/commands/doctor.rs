//! `kspark doctor [submit's arguments]`: every check `kspark submit` runs
//! first, as ok / warn / fail with one line of why, without creating
//! anything.

use std::process::ExitCode;

use kspark_config::{Master, SparkVersion, Submission, SubmitArgs, SubmitEnv};
use kspark_kube::preflight::{self, Check, Plan, Verdict};
use kspark_kube::{ConnectOptions, Connection};
use kspark_manifests::{DriverObjects, LineFeatures};

use crate::failure::hinted;

pub async fn run(raw: Vec<String>) -> anyhow::Result<ExitCode> {
    if let Some(code) = super::submit::help_or_usage(&raw, crate::usage::doctor) {
        return Ok(code);
    }
    let args =
        SubmitArgs::parse(raw.iter().cloned()).map_err(|e| hinted(e, Some("see `kspark doctor --help`".into()), 2))?;
    let env = SubmitEnv::from_process();
    let submission = args.resolve(&env).map_err(|e| hinted(e, None, 2))?;
    let Master::Kubernetes { api_url } = &submission.master else {
        return Err(hinted(
            "kspark doctor checks Kubernetes submissions",
            Some("give --master k8s://https://HOST:PORT".into()),
            2,
        ));
    };
    let objects = super::submit::build(&args, &submission, &env, true)?;
    let mut options = ConnectOptions::from_conf(&submission.conf, &env.cwd);
    options.kubeconfig = args.kspark.kubeconfig.clone();
    options.context = args.kspark.context.clone().or(options.context);
    options.api_url = Some(api_url.clone());
    let checks = match kspark_kube::connect_unchecked(&options).await {
        Ok(conn) => checks(&conn, &objects, &submission).await?,
        Err(e) => vec![Check::fail("connection", e.to_string()).with_hint(e.hint().unwrap_or_default())],
    };
    print(&checks, args.kspark.output.as_deref())?;
    Ok(if preflight::worst(&checks) == Verdict::Fail { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The preflight checks for a built submission.
pub async fn checks(conn: &Connection, objects: &DriverObjects, submission: &Submission) -> anyhow::Result<Vec<Check>> {
    let version = objects
        .pod
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("spark-version"))
        .and_then(|v| SparkVersion::parse(v).ok())
        .unwrap_or_else(SparkVersion::newest);
    let line = version.line().map_err(|e| hinted(e, None, 2))?;
    let plan = Plan { objects, conf: &submission.conf, kind: submission.kind, features: LineFeatures::of(line) };
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

fn print(checks: &[Check], output: Option<&str>) -> anyhow::Result<()> {
    match output {
        Some("json") => println!("{}", serde_json::to_string_pretty(checks)?),
        Some("yaml") => println!("{}", serde_saphyr::to_string(&checks)?.trim_end()),
        _ => {
            for check in checks {
                println!("{}", line(check));
            }
        }
    }
    Ok(())
}
