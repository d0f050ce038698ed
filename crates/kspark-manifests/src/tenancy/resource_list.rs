//! `pods=5,requests.cpu=4,limits.memory=32Gi` lists, checked key by key so a
//! typo is refused before anything is sent.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::quantity::is_quantity;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ResourceListError {
    #[error("{flag}: `{item}` is not KEY=VALUE")]
    NotPair { flag: String, item: String },
    #[error("{flag}: `{key}` is not a resource it accepts ({allowed})")]
    UnknownKey { flag: String, key: String, allowed: String },
    #[error("{flag}: {key}={value} is not a Kubernetes quantity (e.g. 4, 500m, 16Gi)")]
    BadQuantity { flag: String, key: String, value: String },
}

const QUOTA_KEYS: [&str; 12] = [
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
    "configmaps",
    "secrets",
];

/// `--quota`: ResourceQuota `spec.hard` (also `count/<resource>` keys).
pub fn parse_quota(text: &str) -> Result<BTreeMap<String, String>, ResourceListError> {
    parse(
        text,
        "--quota",
        |k| QUOTA_KEYS.contains(&k) || k.starts_with("count/"),
        "pods, requests.cpu, requests.memory, limits.cpu, limits.memory, requests.storage, persistentvolumeclaims, services, configmaps, secrets, count/<resource>",
    )
}

/// `--default-requests` / `--default-limits`: LimitRange container defaults.
pub fn parse_limits(text: &str, flag: &str) -> Result<BTreeMap<String, String>, ResourceListError> {
    parse(text, flag, |k| k == "cpu" || k == "memory", "cpu, memory")
}

fn parse(
    text: &str,
    flag: &str,
    allowed: impl Fn(&str) -> bool,
    allowed_text: &str,
) -> Result<BTreeMap<String, String>, ResourceListError> {
    let mut out = BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (key, value) =
            item.split_once('=').ok_or_else(|| ResourceListError::NotPair { flag: flag.into(), item: item.into() })?;
        let (key, value) = (key.trim(), value.trim());
        if !allowed(key) {
            return Err(ResourceListError::UnknownKey {
                flag: flag.into(),
                key: key.into(),
                allowed: allowed_text.into(),
            });
        }
        if !is_quantity(value) {
            return Err(ResourceListError::BadQuantity { flag: flag.into(), key: key.into(), value: value.into() });
        }
        out.insert(key.to_string(), value.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_lists() {
        let q = parse_quota("pods=5, requests.cpu=4,limits.memory=32Gi,count/jobs.batch=2").unwrap_or_default();
        assert_eq!(q.len(), 4);
        assert!(matches!(parse_quota("foo=1"), Err(ResourceListError::UnknownKey { .. })));
        assert!(matches!(parse_quota("pods=abc"), Err(ResourceListError::BadQuantity { .. })));
        assert!(matches!(parse_quota("pods"), Err(ResourceListError::NotPair { .. })));
        assert!(matches!(parse_limits("gpu=1", "--default-limits"), Err(ResourceListError::UnknownKey { .. })));
    }
}
