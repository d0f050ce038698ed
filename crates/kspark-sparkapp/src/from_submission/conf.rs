//! The submission's settings, taken out one by one as they find their
//! SparkApplication field; what is left becomes `spec.sparkConf`.

use std::collections::BTreeMap;
use std::str::FromStr;

pub(super) struct Remaining(pub(super) BTreeMap<String, String>);

impl Remaining {
    pub(super) fn take(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }

    /// The value as `T`, taken only when it parses; otherwise it stays for
    /// sparkConf, where Spark reads it exactly as written.
    pub(super) fn take_parsed<T: FromStr>(&mut self, key: &str) -> Option<T> {
        self.take_parsed_if(key, |_| true)
    }

    /// As [`Self::take_parsed`], and only when `valid` accepts the value.
    pub(super) fn take_parsed_if<T: FromStr>(&mut self, key: &str, valid: impl Fn(&T) -> bool) -> Option<T> {
        let parsed = self.0.get(key)?.trim().parse().ok().filter(|v| valid(v))?;
        self.0.remove(key);
        Some(parsed)
    }

    /// Every `PREFIX.SUFFIX=VALUE` as `SUFFIX → VALUE`, taken.
    pub(super) fn take_prefixed(&mut self, prefix: &str) -> BTreeMap<String, String> {
        let keys: Vec<String> =
            self.0.keys().filter(|k| k.starts_with(prefix) && k.len() > prefix.len()).cloned().collect();
        keys.into_iter().filter_map(|k| self.0.remove(&k).map(|v| (k[prefix.len()..].to_string(), v))).collect()
    }

    /// A comma-separated list, split and trimmed, empty entries dropped.
    pub(super) fn take_list(&mut self, key: &str) -> Vec<String> {
        self.take(key).map(|v| split_list(&v)).unwrap_or_default()
    }

    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

pub(super) fn split_list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_string).collect()
}
