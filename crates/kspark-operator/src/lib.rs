//! kspark's operator: reconciles kubeflow spark-operator's `SparkApplication`
//! (`sparkoperator.k8s.io/v1beta2`, unchanged) through kspark's one
//! submission path — the same argument parsing, manifest builders, preflight
//! and cluster layer as `kspark submit` — with no JVM and no webhook.
//!
//! Layout: [`build`] (SparkApplication → Spark's objects), [`identity`]
//! (submission IDs that make retries idempotent), [`driver_state`] and
//! [`retry`] (kubeflow's rules, pure), `reconcile` (the state machine),
//! [`scheduled`] (ScheduledSparkApplication), [`connect`] (SparkConnect), [`run`] (watches, controllers,
//! leader election, HTTP), `scope` and `namespace_gate` (which namespaces'
//! events are reconciled; [`selector`] parses `--namespace-selector`),
//! [`install`] (what `kspark operator install` applies).

pub mod application_object;
pub mod archive;
pub mod backoff;
pub mod build;
pub mod connect;
pub mod context;
mod controller_output;
pub mod driver_state;
pub mod events;
pub mod executor_index;
pub mod exposure;
pub mod facts;
pub mod http;
pub mod identity;
pub mod install;
pub mod leader;
pub mod metrics;
mod namespace_gate;
pub mod options;
pub mod pods;
pub mod process_metrics;
pub mod reconcile;
pub mod retry;
pub mod run;
pub mod scheduled;
mod scope;
pub mod selector;

pub use options::OperatorOptions;
pub use run::{OperatorError, run};
