//! What Kubernetes accepts as a label key and a label value; a selector
//! naming anything else is refused, as the API server would refuse it.

/// A label key: `[prefix/]name`, the prefix a DNS subdomain.
pub fn key_error(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix
        && !is_dns_subdomain(prefix)
    {
        return Some(format!(
            "label key {key:?}: the prefix before '/' must be a DNS subdomain (lower-case letters, digits, '-' \
                 and '.', at most 253 characters)"
        ));
    }
    if name.is_empty() || name.len() > 63 || !is_label_word(name) {
        return Some(format!(
            "label key {key:?}: the name must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending \
             with a letter or digit (with at most one '/' after a prefix)"
        ));
    }
    None
}

/// A label value: empty, or what a key's name may be.
pub fn value_error(value: &str) -> Option<String> {
    (!value.is_empty() && (value.len() > 63 || !is_label_word(value))).then(|| {
        format!(
            "label value {value:?}: must be empty or 1 to 63 letters, digits, '-', '_' or '.', starting and ending \
             with a letter or digit"
        )
    })
}

/// Letters, digits, `-`, `_` and `.`, alphanumeric at both ends.
fn is_label_word(text: &str) -> bool {
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    ends_ok(text.chars().next())
        && ends_ok(text.chars().last())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn is_dns_subdomain(text: &str) -> bool {
    let label_ok = |label: &str| {
        let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        alnum(label.chars().next())
            && alnum(label.chars().last())
            && label.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    !text.is_empty() && text.len() <= 253 && text.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for good in ["spark", "a", "team.a_b-c", "example.com/spark", "kubernetes.io/metadata.name", "A9"] {
            assert_eq!(key_error(good), None, "{good}");
        }
        let long = "x".repeat(64);
        for bad in ["", "-a", "a-", "a b", "/a", "Example.com/a", "a/b/c", "ex..com/a", long.as_str(), "é"] {
            assert!(key_error(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn values() {
        for good in ["", "enabled", "v1.2_3-x", "9"] {
            assert_eq!(value_error(good), None, "{good}");
        }
        let long = "x".repeat(64);
        for bad in ["-x", "x.", "a/b", "a b", long.as_str()] {
            assert!(value_error(bad).is_some(), "{bad}");
        }
    }
}
