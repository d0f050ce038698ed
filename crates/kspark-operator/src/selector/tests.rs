use std::collections::BTreeMap;

use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn selects(selector: &str, pairs: &[(&str, &str)]) -> bool {
    Selector::parse(selector).unwrap_or_else(|e| panic!("{e}")).matches(&labels(pairs))
}

/// The selectors kubeflow's e2e test (namespace_filtering_test.go) checks
/// Kubernetes refuses, and why.
#[test]
fn kubeflows_invalid_selectors_are_refused() {
    for (selector, why) in [
        ("=value", "no key before '='"),
        ("env in (prod,staging", "no ')'"),
        ("env in prod,staging)", "no '('"),
        ("key!value", "'!' is no operator after a key"),
        ("env in (prod staging)", "no ',' between values"),
    ] {
        let error = Selector::parse(selector).err().map(|e| e.to_string());
        assert!(error.as_deref().is_some_and(|e| e.contains(selector)), "{selector:?} ({why}): {error:?}");
    }
}

/// The selectors that test checks Kubernetes accepts.
#[test]
fn kubeflows_valid_selectors_are_accepted() {
    for selector in [
        "spark=enabled",
        "spark",
        "!legacy",
        "env in (prod,staging)",
        "env notin (dev,test)",
        "spark=enabled,env=prod",
        "spark,env=prod",
        "env!=dev",
        "key=",
        "key==value",
    ] {
        assert!(Selector::parse(selector).is_ok(), "{selector:?}: {:?}", Selector::parse(selector).err());
    }
}

#[test]
fn more_that_kubernetes_refuses() {
    for selector in [
        "a,",
        ",a",
        "a=b c",
        "!a=b",
        "a in ()x",
        "a in (,,)",
        "a>x",
        "a<-1",
        "a=-b",
        "a b",
        "Bad_Prefix.com/a=b",
        "a=(b)",
        "a notin",
    ] {
        assert!(Selector::parse(selector).is_err(), "{selector:?} was accepted");
    }
}

#[test]
fn more_that_kubernetes_accepts() {
    for selector in ["", "  ", "a in ()", "a in (,b)", "a in (b,)", "a in (b,,c)", "in=notin", "a>5,b<10", "x.io/y"] {
        assert!(Selector::parse(selector).is_ok(), "{selector:?}: {:?}", Selector::parse(selector).err());
    }
}

#[test]
fn equality_and_sets() {
    assert!(selects("spark=enabled", &[("spark", "enabled"), ("other", "x")]));
    assert!(!selects("spark=enabled", &[("spark", "disabled")]));
    assert!(!selects("spark=enabled", &[]));
    assert!(selects("key==value", &[("key", "value")]));
    assert!(selects("env in (prod,staging)", &[("env", "staging")]));
    assert!(!selects("env in (prod,staging)", &[("env", "dev")]));
    assert!(!selects("env in (prod,staging)", &[]));
    assert!(selects("key=", &[("key", "")]));
    assert!(!selects("key=", &[]));
    assert!(selects("a in ()", &[("a", "")]));
}

/// `!=` and `notin` also select what lacks the key, as in Kubernetes.
#[test]
fn negations_select_the_absent_key() {
    assert!(selects("env!=dev", &[]));
    assert!(selects("env!=dev", &[("env", "prod")]));
    assert!(!selects("env!=dev", &[("env", "dev")]));
    assert!(selects("env notin (dev,test)", &[]));
    assert!(!selects("env notin (dev,test)", &[("env", "test")]));
}

#[test]
fn existence() {
    assert!(selects("spark", &[("spark", "")]));
    assert!(!selects("spark", &[]));
    assert!(selects("!legacy", &[("spark", "x")]));
    assert!(!selects("!legacy", &[("legacy", "")]));
}

#[test]
fn comparisons_need_integers() {
    assert!(selects("tier>2", &[("tier", "3")]));
    assert!(!selects("tier>2", &[("tier", "2")]));
    assert!(!selects("tier>2", &[("tier", "high")]));
    assert!(!selects("tier>2", &[]));
    assert!(selects("tier<2", &[("tier", "1")]));
}

/// Every requirement must hold.
#[test]
fn requirements_are_anded() {
    let both = [("spark", "enabled"), ("env", "prod")];
    assert!(selects("spark=enabled,env in (prod,staging)", &both));
    assert!(!selects("spark=enabled,env in (prod,staging)", &[("spark", "enabled")]));
    assert!(!selects("spark,!env", &both));
    assert!(selects("", &both));
}

#[test]
fn the_error_says_what_was_found() {
    let error = Selector::parse("env in prod").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("expected '('") && error.contains("'prod'"), "{error}");
    let error = Selector::parse("Bad_Prefix.com/a").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("prefix"), "{error}");
}
