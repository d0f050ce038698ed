//! The objects of a tenant, in the order they are applied.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, ResourceQuota, ResourceQuotaSpec, ServiceAccount,
};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::{SPEC_ANNOTATION, TenantSpec, driver_rules, submitter_rules};

pub const DRIVER_ROLE: &str = "kspark-spark-driver";
pub const SUBMITTER_ROLE: &str = "kspark-spark-submitter";
pub const SUBMITTER_BINDING: &str = "kspark-spark-submitters";
pub const QUOTA: &str = "kspark-quota";
pub const LIMITS: &str = "kspark-defaults";

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TenantObject {
    Namespace(Namespace),
    ServiceAccount(ServiceAccount),
    Role(Role),
    RoleBinding(RoleBinding),
    ResourceQuota(ResourceQuota),
    LimitRange(LimitRange),
}

impl TenantObject {
    pub fn kind(&self) -> &'static str {
        match self {
            TenantObject::Namespace(_) => "Namespace",
            TenantObject::ServiceAccount(_) => "ServiceAccount",
            TenantObject::Role(_) => "Role",
            TenantObject::RoleBinding(_) => "RoleBinding",
            TenantObject::ResourceQuota(_) => "ResourceQuota",
            TenantObject::LimitRange(_) => "LimitRange",
        }
    }

    pub fn name(&self) -> String {
        let meta = match self {
            TenantObject::Namespace(o) => &o.metadata,
            TenantObject::ServiceAccount(o) => &o.metadata,
            TenantObject::Role(o) => &o.metadata,
            TenantObject::RoleBinding(o) => &o.metadata,
            TenantObject::ResourceQuota(o) => &o.metadata,
            TenantObject::LimitRange(o) => &o.metadata,
        };
        meta.name.clone().unwrap_or_default()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

fn meta(spec: &TenantSpec, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(spec.namespace.clone()),
        labels: Some(spec.labels()),
        ..Default::default()
    }
}

fn quantities(map: &BTreeMap<String, String>) -> Option<BTreeMap<String, Quantity>> {
    (!map.is_empty()).then(|| map.iter().map(|(k, v)| (k.clone(), Quantity(v.clone()))).collect())
}

pub fn objects(spec: &TenantSpec) -> Vec<TenantObject> {
    let ns = &spec.namespace;
    let mut namespace_meta = ObjectMeta { name: Some(ns.clone()), labels: Some(spec.labels()), ..Default::default() };
    namespace_meta.annotations =
        Some(BTreeMap::from([(SPEC_ANNOTATION.to_string(), serde_json::to_string(spec).unwrap_or_default())]));
    let mut out = vec![
        TenantObject::Namespace(Namespace { metadata: namespace_meta, ..Default::default() }),
        TenantObject::ServiceAccount(ServiceAccount {
            metadata: meta(spec, &spec.service_account),
            ..Default::default()
        }),
        TenantObject::Role(Role { metadata: meta(spec, DRIVER_ROLE), rules: Some(driver_rules()) }),
        TenantObject::RoleBinding(binding(spec, DRIVER_ROLE, DRIVER_ROLE, driver_subjects(spec))),
        TenantObject::Role(Role { metadata: meta(spec, SUBMITTER_ROLE), rules: Some(submitter_rules()) }),
        TenantObject::RoleBinding(binding(spec, SUBMITTER_BINDING, SUBMITTER_ROLE, submitter_subjects(spec))),
    ];
    if !spec.quota.is_empty() {
        out.push(TenantObject::ResourceQuota(ResourceQuota {
            metadata: meta(spec, QUOTA),
            spec: Some(ResourceQuotaSpec { hard: quantities(&spec.quota), ..Default::default() }),
            ..Default::default()
        }));
    }
    out.push(TenantObject::LimitRange(LimitRange {
        metadata: meta(spec, LIMITS),
        spec: Some(LimitRangeSpec {
            limits: vec![LimitRangeItem {
                type_: "Container".into(),
                default: quantities(&spec.default_limits),
                default_request: quantities(&spec.default_requests),
                ..Default::default()
            }],
        }),
    }));
    out
}

fn binding(spec: &TenantSpec, name: &str, role: &str, subjects: Vec<Subject>) -> RoleBinding {
    RoleBinding {
        metadata: meta(spec, name),
        role_ref: RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "Role".into(), name: role.into() },
        subjects: Some(subjects),
    }
}

fn driver_subjects(spec: &TenantSpec) -> Vec<Subject> {
    vec![Subject {
        kind: "ServiceAccount".into(),
        name: spec.service_account.clone(),
        namespace: Some(spec.namespace.clone()),
        ..Default::default()
    }]
}

/// Users and groups by the names the API server sees (on AKS: Entra ID
/// object IDs).
fn submitter_subjects(spec: &TenantSpec) -> Vec<Subject> {
    let subject = |kind: &str, name: &String| Subject {
        kind: kind.into(),
        name: name.clone(),
        api_group: Some("rbac.authorization.k8s.io".into()),
        ..Default::default()
    };
    spec.users.iter().map(|u| subject("User", u)).chain(spec.groups.iter().map(|g| subject("Group", g))).collect()
}
