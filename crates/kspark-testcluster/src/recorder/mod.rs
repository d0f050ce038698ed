//! A recording stand-in for the Kubernetes API, for capturing what a Spark
//! submission client (Spark's own `spark-submit`, or kspark) sends.
//!
//! It is not an API server: it keeps objects in memory, echoes every create
//! or apply back, answers lists with what it holds (pods) or nothing, allows
//! every access review, pretends every service account exists, and plays a
//! scripted life for the driver pod on every watch: Pending → Running →
//! Succeeded, or Failed with [`RecorderOptions::driver_exit`]. Every request
//! is appended to a log, one JSON object per line ([`RecordedRequest`]).
//!
//! [`normalize`] turns a log into the objects a client created with per-run
//! randomness replaced by fixed words; [`compare`] diffs two such sets.
//! `kspark-testcluster recorder|record|normalize|compare` exposes all of it
//! to scripts (`golden/record.sh`, `scripts/bench-submit.py`).

mod command;
pub mod compare;
mod error;
pub mod normalize;
mod request_log;
mod routes;
mod server;
mod store;

pub use command::{MASTER_PLACEHOLDER, RecordedRun, record_command};
pub use error::RecorderError;
pub use request_log::{RecordedRequest, read_log, writes};
pub use server::{Recorder, RecorderOptions};
