//! A Spark tenant: one namespace prepared for Spark the way a careful admin
//! would by hand: the driver's service account, least-privilege Roles for
//! the driver and for the people who submit, their RoleBindings, a quota
//! and container defaults. Pure: the builders, the parsing behind the
//! flags and the drift report of `kspark tenant show`; `kspark-kube`
//! applies, reads and deletes.

mod diff;
mod error;
mod objects;
mod resource_list;
mod rules;
mod spec;

pub use diff::{Difference, ObjectState, differences, state};
pub use error::TenantError;
pub use objects::{Adopted, CONTAINER_DEFAULTS, DRIVER_ROLE, QUOTA, SUBMITTER_ROLE, TenantObject, objects};
pub use resource_list::{parse_defaults, parse_quota};
pub use rules::{driver_rules, submitter_rules};
pub use spec::{AzureIdentity, DEFAULT_LIMITS, DEFAULT_REQUESTS, DEFAULT_SERVICE_ACCOUNT, TenantRequest, TenantSpec};

/// kspark's own field manager: a tenant's fields are visibly kspark's in
/// managedFields, apart from what Spark's client (`fabric8`) applies.
pub const FIELD_MANAGER: &str = "kspark";
/// On everything kspark manages (and only there: `tenant delete` removes
/// what carries it).
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "kspark";
/// The tenant (namespace) an object belongs to.
pub const TENANT_LABEL: &str = "kspark.io/tenant";
/// On the namespace: the spec it was last created with, for `tenant show`.
pub const SPEC_ANNOTATION: &str = "kspark.io/tenant-spec";

/// `app.kubernetes.io/managed-by=kspark,kspark.io/tenant=NS`: what kspark
/// created for the tenant.
pub fn managed_selector(namespace: &str) -> String {
    format!("{MANAGED_BY_LABEL}={MANAGED_BY_VALUE},{TENANT_LABEL}={namespace}")
}

/// Whether labels say kspark manages the object.
pub fn is_managed(labels: Option<&std::collections::BTreeMap<String, String>>) -> bool {
    labels.and_then(|l| l.get(MANAGED_BY_LABEL)).is_some_and(|v| v == MANAGED_BY_VALUE)
}
