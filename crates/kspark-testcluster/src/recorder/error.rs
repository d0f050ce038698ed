//! Why the recorder could not start, record or read a log.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RecorderError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a recorder log line: {message}")]
    BadLogLine { path: PathBuf, line: usize, message: String },
    #[error("the recorder did not start: {0}")]
    Start(String),
}

impl RecorderError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }
}
