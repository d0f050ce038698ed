//! Errors of the test cluster. Every variant says which step failed and, for
//! a control-plane process, where its log is and how it ends, because the
//! person reading a failed CI run has nothing else to go on.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// Why the test cluster could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Neither `KSPARK_CONTROL_PLANE_BIN` nor the build script gave binaries.
    #[error(
        "no control-plane binaries: {script} does not exist (set KSPARK_CONTROL_PLANE_BIN to a directory holding etcd, kube-apiserver, kube-controller-manager and kube-scheduler)"
    )]
    BuildScriptMissing { script: PathBuf },

    /// The build script ran but failed.
    #[error("{script} failed ({status}); last lines of its output:\n{tail}")]
    BuildFailed { script: PathBuf, status: ExitStatus, tail: String },

    /// A directory meant to hold the binaries lacks one of them.
    #[error("control-plane binary {path} is missing or not executable")]
    BinaryMissing { path: PathBuf },

    /// A file-system or process operation failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// Certificate or key generation failed.
    #[error("generating {what}: {source}")]
    Pki {
        what: String,
        #[source]
        source: rcgen::Error,
    },

    /// A kubeconfig could not be rendered.
    #[error("rendering kubeconfig {path}: {message}")]
    Kubeconfig { path: PathBuf, message: String },

    /// A control-plane process could not be started at all.
    #[error("starting {name} ({program}): {source}")]
    Spawn {
        name: String,
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A control-plane process exited while it should be running.
    #[error("{name} exited ({status}) while starting; log {log}, last lines:\n{tail}")]
    ProcessExited { name: String, status: ExitStatus, log: PathBuf, tail: String },

    /// A component did not become ready in time.
    #[error("{name} did not become ready within {timeout:?} ({what}); log {log}, last lines:\n{tail}")]
    NotReady { name: String, what: String, timeout: Duration, log: PathBuf, tail: String },

    /// A Kubernetes API call failed.
    #[error("{context}: {source}")]
    Kube {
        context: String,
        #[source]
        source: Box<kube::Error>,
    },

    /// A kubeconfig written by this crate could not be loaded by kube-rs.
    #[error("loading kubeconfig {path}: {message}")]
    ClientConfig { path: PathBuf, message: String },

    /// Something the cluster does by itself did not happen in time.
    #[error("timed out after {timeout:?}: {what}")]
    Timeout { what: String, timeout: Duration },

    /// The simulated node stopped or never came up.
    #[error("fake node: {0}")]
    FakeNode(String),

    /// The real node could not be started: the machine lacks something
    /// (named, with what to install or fix), or a host step failed.
    #[error("real node: {0}")]
    RealNode(String),

    /// A fixture beside the cluster (CRDs, an operator process) failed.
    #[error("test setup: {0}")]
    Setup(String),
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }

    pub(crate) fn kube(context: impl Into<String>, source: kube::Error) -> Self {
        Self::Kube { context: context.into(), source: Box::new(source) }
    }

    pub(crate) fn pki(what: impl Into<String>, source: rcgen::Error) -> Self {
        Self::Pki { what: what.into(), source }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
