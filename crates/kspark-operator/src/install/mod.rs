//! `kspark operator install`: the CRDs, a namespace, least-privilege RBAC
//! and a Deployment running `kspark operator run` with leader election.
//! [`objects`] builds them (pure); [`apply`] server-side applies them.

pub mod apply;
pub mod objects;
mod rules;

pub use apply::apply;
pub use objects::{InstallObject, InstallSpec, objects};
