//! `pods=5,requests.cpu=4,limits.memory=32Gi` lists, checked key by key so
//! that a typo is refused, naming the key, before anything is sent (the API
//! server would only say so after the namespace and Roles exist).

use std::collections::BTreeMap;

use super::TenantError;
use crate::quantity::is_quantity;

/// The ResourceQuota names Kubernetes accepts besides the patterns below
/// (`count/…`, storage classes, extended resources).
const QUOTA_KEYS: [&str; 19] = [
    "pods",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
    "cpu",
    "memory",
    "requests.storage",
    "persistentvolumeclaims",
    "services",
    "services.loadbalancers",
    "services.nodeports",
    "configmaps",
    "secrets",
    "replicationcontrollers",
    "resourcequotas",
    "requests.ephemeral-storage",
    "limits.ephemeral-storage",
    "ephemeral-storage",
];

const QUOTA_HELP: &str = "pods, requests.cpu, requests.memory, limits.cpu, limits.memory, requests.storage, \
    persistentvolumeclaims, services, configmaps, secrets, count/<resource>[.<group>], \
    <class>.storageclass.storage.k8s.io/requests.storage, requests.<domain>/<extended resource>";

/// Container resources a LimitRange can give defaults for.
const DEFAULT_KEYS: [&str; 3] = ["cpu", "memory", "ephemeral-storage"];

/// `--quota`: the ResourceQuota's `spec.hard`.
pub fn parse_quota(text: &str) -> Result<BTreeMap<String, String>, TenantError> {
    parse(text, "--quota", is_quota_key, QUOTA_HELP)
}

/// `--default-requests` / `--default-limits`: LimitRange container defaults.
pub fn parse_defaults(text: &str, flag: &str) -> Result<BTreeMap<String, String>, TenantError> {
    parse(text, flag, |k| DEFAULT_KEYS.contains(&k), &DEFAULT_KEYS.join(", "))
}

fn is_quota_key(key: &str) -> bool {
    if QUOTA_KEYS.contains(&key) {
        return true;
    }
    if let Some(resource) = key.strip_prefix("count/") {
        return is_dns_like(resource);
    }
    if let Some((class, what)) = key.split_once(".storageclass.storage.k8s.io/") {
        return is_dns_like(class) && (what == "requests.storage" || what == "persistentvolumeclaims");
    }
    // Extended resources (GPUs) are quota'd by request only, with a domain.
    key.strip_prefix("requests.")
        .and_then(|r| r.split_once('/'))
        .is_some_and(|(domain, name)| domain.contains('.') && is_dns_like(domain) && is_dns_like(name))
}

fn is_dns_like(text: &str) -> bool {
    !text.is_empty()
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn parse(
    text: &str,
    flag: &str,
    allowed: impl Fn(&str) -> bool,
    allowed_help: &str,
) -> Result<BTreeMap<String, String>, TenantError> {
    let mut out = BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (key, value) =
            item.split_once('=').ok_or_else(|| TenantError::NotPair { flag: flag.into(), item: item.into() })?;
        let (key, value) = (key.trim(), value.trim());
        if !allowed(key) {
            let allowed = allowed_help.to_string();
            return Err(TenantError::UnknownKey { flag: flag.into(), key: key.into(), allowed });
        }
        if !is_quantity(value) {
            return Err(TenantError::BadQuantity { flag: flag.into(), key: key.into(), value: value.into() });
        }
        if out.insert(key.to_string(), value.to_string()).is_some() {
            return Err(TenantError::Duplicate { flag: flag.into(), key: key.into() });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_lists_keep_every_pair() {
        let q = parse_quota(" pods=5, requests.cpu=4,limits.memory=32Gi,count/jobs.batch=2 ,");
        let q = q.unwrap_or_default();
        assert_eq!(q.len(), 4);
        assert_eq!(q.get("limits.memory").map(String::as_str), Some("32Gi"));
        assert_eq!(q.get("count/jobs.batch").map(String::as_str), Some("2"));
    }

    #[test]
    fn quota_keys_kubernetes_accepts() {
        for key in [
            "pods",
            "requests.storage",
            "count/pods",
            "count/deployments.apps",
            "gold.storageclass.storage.k8s.io/requests.storage",
            "requests.nvidia.com/gpu",
        ] {
            assert!(is_quota_key(key), "{key}");
        }
        for key in
            ["foo", "count/", "limits.nvidia.com/gpu", "requests.gpu/x", "Pods", "gold.storageclass.storage.k8s.io/x"]
        {
            assert!(!is_quota_key(key), "{key}");
        }
    }

    #[test]
    fn bad_items_name_the_flag_and_key() {
        let unknown = parse_quota("foo=1");
        assert!(matches!(&unknown, Err(TenantError::UnknownKey { key, .. }) if key == "foo"), "{unknown:?}");
        let bad = parse_quota("pods=abc");
        assert_eq!(bad.map_err(|e| e.to_string()), Err("--quota: pods=abc is not a Kubernetes quantity".into()));
        assert!(matches!(parse_quota("pods"), Err(TenantError::NotPair { .. })));
        assert!(matches!(parse_quota("pods=1,pods=2"), Err(TenantError::Duplicate { .. })));
        assert!(matches!(parse_defaults("gpu=1", "--default-limits"), Err(TenantError::UnknownKey { .. })));
        assert_eq!(parse_defaults("cpu=500m,memory=512Mi", "--default-requests").map(|m| m.len()), Ok(2));
    }
}
