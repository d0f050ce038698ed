//! The pinned versions, read from `testcluster/versions.env` (the one place
//! they are written down) at compile time.

const VERSIONS_ENV: &str = include_str!("../../../testcluster/versions.env");

/// `KUBERNETES_VERSION` from versions.env, e.g. `1.34.4`.
pub fn kubernetes_version() -> &'static str {
    value("KUBERNETES_VERSION").unwrap_or("unknown")
}

/// `ETCD_VERSION` from versions.env, e.g. `3.6.13`.
pub fn etcd_version() -> &'static str {
    value("ETCD_VERSION").unwrap_or("unknown")
}

fn value(key: &str) -> Option<&'static str> {
    VERSIONS_ENV.lines().find_map(|line| {
        let (k, v) = line.trim().split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_pinned_versions() {
        assert!(super::kubernetes_version().starts_with("1."));
        assert!(super::etcd_version().starts_with("3."));
    }
}
