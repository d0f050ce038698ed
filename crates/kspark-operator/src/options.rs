//! How the operator runs: what it watches, how much at once, where it
//! reports, whether it elects a leader.

use std::net::SocketAddr;

use crate::context::LifecycleOptions;
use crate::leader::LeaseSettings;
use crate::scheduled::{Clock, NamePrecision};

#[derive(Debug, Clone)]
pub struct OperatorOptions {
    /// Namespaces to watch; empty = all (unless there is a namespace selector).
    pub namespaces: Vec<String>,
    /// kubeflow's `--namespace-selector`: also (or, without `namespaces`,
    /// only) the namespaces whose labels match it when an event arrives.
    pub namespace_selector: Option<crate::selector::Selector>,
    /// Only SparkApplications with these labels (a label selector).
    pub label_selector: Option<String>,
    /// Applications reconciled at the same time.
    pub concurrency: u16,
    /// `/healthz`, `/readyz`, `/metrics`; `None` = no listener.
    pub metrics_addr: Option<SocketAddr>,
    pub lease: Option<LeaseSettings>,
    pub lifecycle: LifecycleOptions,
    /// `--master` for submissions; `None` = the API server the operator talks to.
    pub master_url: Option<String>,
    /// `SPARK_USER` of the submissions.
    pub spark_user: String,
    /// Normal events (submitted, running, completed) besides Warnings.
    pub normal_events: bool,
    /// Archive finished applications' logs (`--archive-logs`).
    pub archive_logs: Option<crate::archive::ArchiveSettings>,
    /// The time schedules are read against.
    pub clock: Clock,
    /// How precisely scheduled runs' names carry their time.
    pub run_name_precision: NamePrecision,
}
