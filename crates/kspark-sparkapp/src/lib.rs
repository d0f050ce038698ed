//! kubeflow spark-operator's resources (`sparkoperator.k8s.io/v1beta2`) as
//! Rust types: [`SparkApplication`] and [`ScheduledSparkApplication`], their
//! CRDs, kubeflow's defaults, and the spark-submit command line kubeflow's
//! operator builds from a SparkApplication ([`submit::submit_args`]), and
//! what kubeflow's pod webhook does to its pods ([`webhook`]).
//!
//! Pure data: nothing here talks to a cluster. Field names, types and
//! defaults follow kubeflow's api/v1beta2 Go types; where Go's zero values
//! carry meaning (`omitempty` strings, lists and maps) the Rust field is the
//! plain type with the same omission on output, and where Go uses a pointer
//! the Rust field is an `Option`.

pub mod application;
pub mod batch_scheduler;
pub mod connect;
pub mod crd;
pub mod defaults;
pub mod dependencies;
pub mod exposure;
pub mod from_submission;
pub mod labels;
pub mod monitoring;
pub mod pod;
pub mod restart;
pub mod scheduled;
pub mod scheduling;
mod schema;
pub mod status;
pub mod submit;
mod version;
pub mod webhook;

pub use application::{DeployMode, SparkApplication, SparkApplicationSpec, SparkApplicationType};
pub use connect::{ConnectState, SparkConnect, SparkConnectSpec, SparkConnectStatus};
pub use scheduled::{
    ScheduleState, ScheduledSparkApplication, ScheduledSparkApplicationSpec, ScheduledSparkApplicationStatus,
};
pub use status::{ApplicationState, ApplicationStateType, SparkApplicationStatus};
