//! `SparkConf`: the final `spark.*` settings of one submission, each with
//! where it came from, so that a bad value can be reported with its key,
//! file and line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

use crate::memory::{self, SizeError};

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--conf KEY=VALUE` on the command line.
    ConfFlag,
    /// A dedicated command-line option such as `--driver-memory`.
    Flag(&'static str),
    /// A properties file (`--properties-file` or spark-defaults.conf).
    File { path: PathBuf, line: usize },
    /// Set by kspark (or Spark's client) itself.
    Derived,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::ConfFlag => write!(f, "--conf"),
            Source::Flag(flag) => write!(f, "{flag}"),
            Source::File { path, line } => write!(f, "{}:{line}", path.display()),
            Source::Derived => write!(f, "kspark"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub source: Source,
}

/// A setting whose value is unusable.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{key}={value} (from {origin}): {reason}")]
pub struct ConfError {
    pub key: String,
    pub value: String,
    pub origin: Source,
    pub reason: String,
}

/// Spark settings keyed by name, in key order (as Spark 4 writes them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SparkConf {
    settings: BTreeMap<String, Setting>,
}

impl SparkConf {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>, source: Source) {
        self.settings.insert(key.into(), Setting { value: value.into(), source });
    }

    pub fn set_if_missing(&mut self, key: &str, value: &str, source: Source) {
        if !self.settings.contains_key(key) {
            self.set(key, value, source);
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Setting> {
        self.settings.remove(key)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.settings.get(key).map(|s| s.value.as_str())
    }

    pub fn setting(&self, key: &str) -> Option<&Setting> {
        self.settings.get(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.settings.contains_key(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Setting)> {
        self.settings.iter().map(|(k, s)| (k.as_str(), s))
    }

    /// Entries under `prefix`, with the prefix stripped from their keys.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.settings
            .range(prefix.to_string()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(move |(k, s)| (&k[prefix.len()..], s.value.as_str()))
    }

    /// An error about `key`'s current value.
    pub fn error(&self, key: &str, reason: impl Into<String>) -> ConfError {
        let (value, source) = match self.settings.get(key) {
            Some(s) => (s.value.clone(), s.source.clone()),
            None => (String::new(), Source::Derived),
        };
        ConfError { key: key.to_string(), value, origin: source, reason: reason.into() }
    }

    /// A memory setting in MiB (a bare number means MiB).
    pub fn mib(&self, key: &str) -> Result<Option<u64>, ConfError> {
        self.parsed(key, |v| memory::parse_mib(v).map_err(|e: SizeError| e.to_string()))
    }

    /// A size setting in bytes with `default_unit` for bare numbers.
    pub fn bytes(&self, key: &str, default_unit: &str) -> Result<Option<u128>, ConfError> {
        self.parsed(key, |v| memory::parse_bytes(v, default_unit).map_err(|e| e.to_string()))
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ConfError> {
        self.parsed(key, |v| match v.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err("expected true or false".to_string()),
        })
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ConfError> {
        self.parsed(key, |v| v.trim().parse::<i64>().map_err(|_| "expected a whole number".to_string()))
    }

    pub fn float(&self, key: &str) -> Result<Option<f64>, ConfError> {
        self.parsed(key, |v| match v.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(f),
            _ => Err("expected a number such as 0.1".to_string()),
        })
    }

    /// A duration in milliseconds; a bare number is in `default_unit`
    /// (`"ms"` or `"s"`), like Spark's time settings.
    pub fn millis(&self, key: &str, default_unit: &str) -> Result<Option<u64>, ConfError> {
        self.parsed(key, |v| crate::time::parse_millis(v, default_unit))
    }

    fn parsed<T>(&self, key: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, ConfError> {
        match self.settings.get(key) {
            None => Ok(None),
            Some(s) => parse(&s.value).map(Some).map_err(|reason| self.error(key, reason)),
        }
    }
}
