//! How errors reach the user: `error: …` with the cause chain, then a
//! `hint:` when kspark knows what to do about it.

use std::process::ExitCode;

/// An error carrying a hint line.
#[derive(Debug)]
pub struct Hinted {
    pub message: String,
    pub hint: Option<String>,
    pub exit_code: u8,
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Hinted {}

pub fn hinted(message: impl std::fmt::Display, hint: Option<String>, exit_code: u8) -> anyhow::Error {
    anyhow::Error::new(Hinted { message: message.to_string(), hint, exit_code })
}

pub fn report(err: &anyhow::Error) -> ExitCode {
    eprintln!("error: {err:#}");
    let hinted = err.downcast_ref::<Hinted>();
    if let Some(hint) = hinted.and_then(|h| h.hint.as_ref()) {
        eprintln!("\nhint: {hint}");
    }
    ExitCode::from(hinted.map_or(1, |h| h.exit_code))
}

/// A cluster error with its hint, exit code 1.
pub fn cluster(e: kspark_kube::ClusterError) -> anyhow::Error {
    let hint = e.hint();
    hinted(e, hint, 1)
}
