//! The manifest layer of kspark: pure functions from a resolved submission
//! to the Kubernetes objects Spark's own client creates for it, for each
//! supported Spark line. No I/O here except reading the files a submission
//! names (templates, conf dirs), done up front by [`inputs`].

pub mod context;
mod driver;
pub mod error;
pub mod features;
pub mod inputs;
pub mod jvm_order;
pub mod labels;
pub mod memory;
pub mod names;
pub mod objects;
mod properties_file;
pub mod quantity;
pub mod resources;
pub mod tenant;
pub mod workload_identity;

pub use context::{BuildContext, SubmissionIds, SubmitterInputs};
pub use driver::build_driver;
pub use error::ManifestError;
pub use features::LineFeatures;
pub use objects::{Applied, DriverObjects, driver_owner};
pub use properties_file::REDACTED;
pub use workload_identity::WorkloadIdentity;
