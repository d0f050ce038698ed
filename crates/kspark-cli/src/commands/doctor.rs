//! `kspark doctor [submit's arguments]`: every check `kspark submit` runs
//! first, as ok / warn / fail with one line of why, without creating
//! anything.

use std::process::ExitCode;

use kspark_config::Master;
use kspark_kube::preflight::{self, Check, Verdict};

use super::args::{help_or_usage, parse_submit_args};
use super::prepare::{Prepared, output_format};
use crate::exit_status::ExitStatus;
use crate::failure::hinted;
use crate::output::ReportFormat;

pub async fn run(raw: Vec<String>) -> anyhow::Result<ExitCode> {
    if let Some(code) = help_or_usage(&raw, crate::usage::doctor) {
        return Ok(code);
    }
    let args = parse_submit_args(&raw, "kspark doctor --help")?;
    // A wrong -o is refused before anything is resolved or asked.
    let format: ReportFormat = output_format(&args)?;
    let prepared = Prepared::resolve(args)?;
    let Master::Kubernetes { .. } = prepared.submission.master else {
        return Err(hinted(
            "kspark doctor checks Kubernetes submissions",
            Some("give --master k8s://https://HOST:PORT".into()),
            ExitStatus::Usage,
        ));
    };
    let mut built = prepared.build(true)?;
    let checks = match kspark_kube::connect_unchecked(&built.prepared.connect_options()).await {
        Ok(conn) => {
            // Azure workload identity, as `submit` adds it. A refusal, or an
            // account that cannot be read, is reported by the checks below.
            let _ = super::workload_identity::fit(&conn.client, &mut built).await?;
            let set = built.fit_to_namespace(&conn).await?;
            let mut checks = built.checks(&conn).await?;
            checks.extend(set.into_iter().map(|s| Check::ok("cpu limits", s)));
            checks
        }
        Err(e) => vec![Check::fail("connection", e.to_string()).with_hint(e.hint().unwrap_or_default())],
    };
    print(&checks, format)?;
    Ok(if preflight::worst(&checks) == Verdict::Fail { ExitStatus::Failure.into() } else { ExitCode::SUCCESS })
}

/// One check as the doctor prints it, and `submit` its preflight's warnings.
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

fn print(checks: &[Check], format: ReportFormat) -> anyhow::Result<()> {
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
