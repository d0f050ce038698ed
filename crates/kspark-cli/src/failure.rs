//! How errors reach the user: `error: …` with the cause chain, then a
//! `hint:` when kspark knows what to do about it.

use std::process::ExitCode;

use crate::exit_status::ExitStatus;

/// An error carrying a hint line.
#[derive(Debug)]
pub struct Hinted {
    pub message: String,
    pub hint: Option<String>,
    pub exit_status: ExitStatus,
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Hinted {}

pub fn hinted(message: impl std::fmt::Display, hint: Option<String>, exit_status: ExitStatus) -> anyhow::Error {
    anyhow::Error::new(Hinted { message: message.to_string(), hint, exit_status })
}

pub fn report(err: &anyhow::Error) -> ExitCode {
    errln!("error: {err:#}");
    let hinted = err.downcast_ref::<Hinted>();
    if let Some(hint) = hinted.and_then(|h| h.hint.as_ref()) {
        errln!("\nhint: {hint}");
    }
    hinted.map_or(ExitStatus::Failure, |h| h.exit_status).into()
}

/// A cluster error with its hint: a failure.
pub fn cluster(e: kspark_kube::ClusterError) -> anyhow::Error {
    let hint = e.hint();
    hinted(e, hint, ExitStatus::Failure)
}
