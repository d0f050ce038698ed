//! `kspark operator install`: the CRDs, a namespace, least-privilege RBAC,
//! a Deployment running `kspark operator run` with leader election and a
//! ValidatingAdmissionPolicy refusing invalid applications at admission.
//! [`objects`] builds them (pure); [`apply`] server-side applies them.

pub mod admission_policy;
pub mod apply;
pub mod objects;
mod rules;

pub use apply::apply;
pub use objects::{InstallObject, InstallSpec, objects};
