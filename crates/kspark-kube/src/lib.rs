//! kspark's cluster layer: kube-rs clients built with Spark's
//! authentication rules, the submission of one application (pod first, the
//! rest owned by it, nothing left behind on failure) and watching it to the
//! end.

pub mod api_status;
pub mod apps;
pub mod connect;
pub mod connect_server;
pub mod entra;
pub mod error;
mod exec;
pub mod executors;
pub mod follow_object;
pub mod identity;
pub mod incluster;
pub mod jwt;
pub mod log_archive;
pub mod logs;
pub mod maven;
pub mod port_forward;
pub mod preflight;
pub mod sparkapps;
pub mod submit;
pub mod tenant;
pub mod ui_forward;
pub mod unscheduled;
pub mod wait;
pub mod workload_identity;

pub use api_status::{is_conflict, is_forbidden, is_not_found};
pub use connect::{AuthMethod, ConnectOptions, Connection, connect, connect_unchecked};
pub use error::{ClusterError, ConnectError};
