//! `kspark operator run --archive-logs PREFIX`: where finished applications'
//! logs go, opened once with the operator's own credentials (its
//! environment: AZURE_*, AWS_*, GOOGLE_APPLICATION_CREDENTIALS, as uploads).

use std::time::Duration;

use kspark_storage::{Archive, EnvVars, HadoopConf, StorageError};

/// The settings, as given on the command line.
#[derive(Clone)]
pub struct ArchiveSettings {
    /// `abfss://…`, `s3a://…`, `gs://…` or `file:///…`.
    pub prefix: String,
    /// Also the executors' logs (those whose pods are still there).
    pub executors: bool,
    /// One archiving attempt gives up after this long.
    pub timeout: Duration,
    /// Where credentials are read from (the process environment).
    pub env: EnvVars,
}

// Not derived: the environment may hold credentials.
impl std::fmt::Debug for ArchiveSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveSettings")
            .field("prefix", &self.prefix)
            .field("executors", &self.executors)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The opened archive every reconcile shares.
pub struct LogArchiving {
    pub prefix: Archive,
    pub executors: bool,
    pub timeout: Duration,
}

impl LogArchiving {
    pub fn open(settings: &ArchiveSettings) -> Result<LogArchiving, StorageError> {
        let prefix = Archive::open(&settings.prefix, &HadoopConf::new(), &settings.env)?;
        Ok(LogArchiving { prefix, executors: settings.executors, timeout: settings.timeout })
    }
}
