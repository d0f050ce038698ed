//! Kubernetes label selectors given as a string (`spark=enabled,env in
//! (prod,staging)`), parsed and matched here rather than by the API server:
//! kubeflow's `--namespace-selector` is matched against each namespace's
//! labels when an application's event arrives, and a selector it would
//! refuse must stop the operator at start-up, as it stops kubeflow's.
//!
//! Layout: [`lexer`] (tokens), [`parse`] (the grammar), [`syntax`] (valid
//! label keys and values).

mod lexer;
mod parse;
mod syntax;

use std::collections::{BTreeMap, BTreeSet};

/// A parsed selector: every requirement must hold (an empty one matches
/// everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    text: String,
    requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `=`, `==` and `in`: present with one of the values.
    Equals,
    In,
    /// `!=` and `notin`: absent, or with none of the values.
    NotEquals,
    NotIn,
    Exists,
    DoesNotExist,
    /// Present, an integer, and greater (less) than the value.
    GreaterThan,
    LessThan,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid label selector {text:?}: {reason}")]
pub struct SelectorError {
    pub text: String,
    pub reason: String,
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let requirements =
            parse::requirements(text).map_err(|reason| SelectorError { text: text.to_string(), reason })?;
        Ok(Selector { text: text.to_string(), requirements })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// As given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        let number = |v: &String| v.parse::<i64>().ok();
        let bound = || self.values.iter().next().and_then(number);
        match self.operator {
            Operator::Equals | Operator::In => value.is_some_and(|v| self.values.contains(v)),
            Operator::NotEquals | Operator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan => value.and_then(number).zip(bound()).is_some_and(|(v, b)| v > b),
            Operator::LessThan => value.and_then(number).zip(bound()).is_some_and(|(v, b)| v < b),
        }
    }
}

#[cfg(test)]
mod tests;
