//! The one version comparison kubeflow makes: is `spec.sparkVersion` at least
//! 3.0.0? kubeflow uses golang.org/x/mod/semver (`util.CompareSemanticVersion`),
//! where an invalid version sorts below every valid one, `v3` and `v3.1`
//! are shorthands for `v3.0.0` and `v3.1.0`, and a pre-release sorts below
//! its release.

/// `CompareSemanticVersion(version, "3.0.0") >= 0`.
pub(crate) fn at_least_3_0_0(version: &str) -> bool {
    let with_v = if version.starts_with('v') { version.to_string() } else { format!("v{version}") };
    match parse(&with_v[1..]) {
        Some((core, pre_release)) => core > (3, 0, 0) || (core == (3, 0, 0) && !pre_release),
        None => false,
    }
}

/// (major, minor, patch) and whether there is a pre-release, or None if Go's
/// semver would call the string invalid.
fn parse(text: &str) -> Option<((u64, u64, u64), bool)> {
    let (main, build) = match text.split_once('+') {
        Some((m, b)) => (m, Some(b)),
        None => (text, None),
    };
    let (core, pre) = match main.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (main, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 || ((pre.is_some() || build.is_some()) && parts.len() != 3) {
        return None;
    }
    let mut numbers = [0u64; 3];
    for (slot, part) in numbers.iter_mut().zip(&parts) {
        *slot = number(part)?;
    }
    if !pre.is_none_or(|p| identifiers_valid(p, true)) || !build.is_none_or(|b| identifiers_valid(b, false)) {
        return None;
    }
    Some(((numbers[0], numbers[1], numbers[2]), pre.is_some()))
}

fn number(part: &str) -> Option<u64> {
    let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits || (part.len() > 1 && part.starts_with('0')) {
        return None;
    }
    part.parse().ok()
}

fn identifiers_valid(text: &str, numeric_no_leading_zero: bool) -> bool {
    text.split('.').all(|id| {
        let charset = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let numeric = id.bytes().all(|b| b.is_ascii_digit());
        charset && !(numeric_no_leading_zero && numeric && id.len() > 1 && id.starts_with('0'))
    })
}

#[cfg(test)]
mod tests {
    use super::at_least_3_0_0;

    #[test]
    fn releases_from_three_on_count() {
        for v in ["3.0.0", "3.5.9", "4.0.4", "v4.1.0", "3.1", "4", "3.0.0+build.1", "10.0.0"] {
            assert!(at_least_3_0_0(v), "{v}");
        }
    }

    #[test]
    fn older_pre_release_and_invalid_versions_do_not() {
        for v in ["2.4.8", "3.0.0-preview2", "", "latest", "3.0.0.1", "03.0.0", "3.0-rc1", "3.0.0-01"] {
            assert!(!at_least_3_0_0(v), "{v}");
        }
    }
}
