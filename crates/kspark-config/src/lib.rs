//! The configuration layer of kspark: spark-submit's command line, Java
//! properties files, the precedence spark-submit applies between them, and
//! typed access to the resulting Spark settings. Pure: no I/O beyond
//! reading the files the user names.

pub mod conf;
pub mod master;
pub mod memory;
pub mod packages;
pub mod properties;
pub mod submission;
pub mod submit_args;
pub mod submit_options;
pub mod time;
pub mod uploads;
pub mod version;

pub use conf::{ConfError, Source, SparkConf};
pub use master::Master;
pub use packages::{MavenCoordinate, Packages};
pub use submission::{AppKind, Submission, SubmissionError, SubmitEnv};
pub use submit_args::{ArgsError, KsparkOptions, SubmitArgs};
pub use version::SparkVersion;
