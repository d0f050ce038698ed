//! Small helpers for the command lines that spark-submit's parser reads
//! (`submit`, `doctor`) and for flags several commands share.

use std::process::ExitCode;
use std::time::Duration;

use kspark_config::SubmitArgs;

use crate::exit_status::ExitStatus;
use crate::failure::hinted;

/// `--help` (before the primary resource; after it, it belongs to the
/// application) prints the usage and succeeds; no arguments at all print it
/// to stderr and fail, as spark-submit does, so a script notices.
pub fn help_or_usage(raw: &[String], usage: fn() -> String) -> Option<ExitCode> {
    if raw.is_empty() {
        errln!("{}", usage());
        return Some(ExitStatus::Usage.into());
    }
    let asks_for_help = |args: &[String]| args.iter().any(|r| r == "--help" || r == "-h");
    let wants_help = match SubmitArgs::parse(raw.iter().cloned()) {
        Ok(args) => args.primary_resource.is_none() && asks_for_help(raw),
        Err(_) => asks_for_help(raw),
    };
    // A closed pipe while printing help is the reader saying "enough".
    wants_help.then(|| {
        let _ = outln!("{}", usage());
        ExitCode::SUCCESS
    })
}

/// spark-submit's command line, parsed; a mistake is a usage error whose
/// hint names `help` (the command's `--help`).
pub fn parse_submit_args(raw: &[String], help: &str) -> anyhow::Result<SubmitArgs> {
    SubmitArgs::parse(raw.iter().cloned()).map_err(|e| hinted(e, Some(format!("see `{help}`")), ExitStatus::Usage))
}

/// `--timeout 10m` (a bare number is seconds).
pub fn parse_timeout(text: Option<&str>) -> anyhow::Result<Option<Duration>> {
    text.map(|t| kspark_config::time::parse_millis(t, "s").map(Duration::from_millis))
        .transpose()
        .map_err(|e| hinted(format!("--timeout: {e}"), None, ExitStatus::Usage))
}
