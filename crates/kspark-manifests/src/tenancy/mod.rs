//! A Spark tenant: one namespace set up for Spark the way an admin would by
//! hand, least-privilege. Pure builders of the objects; `kspark-kube`
//! applies them and compares them with what exists.

mod diff;
mod objects;
mod resource_list;
mod roles;

pub use diff::{Difference, differences};
pub use objects::{TenantObject, objects};
pub use resource_list::{ResourceListError, parse_limits, parse_quota};
pub use roles::{driver_rules, submitter_rules};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Labels on everything kspark manages.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "kspark");
pub const TENANT_LABEL: &str = "kspark.io/tenant";
/// The namespace remembers the spec it was created with, for `tenant show`.
pub const SPEC_ANNOTATION: &str = "kspark.io/tenant-spec";
pub const FIELD_MANAGER: &str = "kspark";

/// What `kspark tenant create` was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSpec {
    pub namespace: String,
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub service_account: String,
    /// ResourceQuota `spec.hard`; empty = no quota.
    pub quota: BTreeMap<String, String>,
    pub default_requests: BTreeMap<String, String>,
    pub default_limits: BTreeMap<String, String>,
}

impl TenantSpec {
    pub fn labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string()),
            (TENANT_LABEL.to_string(), self.namespace.clone()),
        ])
    }
}
