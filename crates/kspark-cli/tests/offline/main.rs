//! Commands that need no cluster: help and usage, bad input, dry runs, golden parity with
//! Spark, local mode, --check-packages, the recorder, image commands and hadoop-azure.
//!
//! One test binary per shared control plane: a cluster starts once for all of its
//! modules, and the helpers they share live here.

mod bad_input;
mod check_packages;
mod dry_run;
mod golden;
mod guide;
mod hadoop_azure;
mod image;
mod local;
mod recorder;
mod usage;
