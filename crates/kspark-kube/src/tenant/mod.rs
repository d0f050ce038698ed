//! A Spark tenant in the cluster: `create` applies what the manifests
//! layer builds (idempotently, under kspark's own field manager), `show`
//! compares it with what exists, `delete` removes what kspark created.

mod apply;
mod delete;
mod existing;
mod kinds;
mod show;

pub use apply::{Change, Outcome, create};
pub use delete::{DeletePlan, delete, plan as plan_delete};
pub use existing::{Recorded, recorded};
pub use kinds::Kind;
pub use show::{Report, show};
