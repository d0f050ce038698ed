//! The `--master` URL: Kubernetes (`k8s://…`) normalised as Spark does it,
//! or a local master.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Master {
    /// A Kubernetes API server; `api_url` has a scheme and no `k8s://`.
    Kubernetes { api_url: String },
    /// `local`, `local[N]`, `local[*]`, `local[N,F]`: the text as given.
    Local(String),
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum MasterError {
    #[error(
        "invalid Kubernetes master scheme `{scheme}` in `{url}`: use k8s://https://HOST:PORT (or k8s://http:// for plain HTTP)"
    )]
    BadScheme { scheme: String, url: String },
    #[error(
        "master `{0}` is not supported by kspark: use k8s://https://HOST:PORT for Kubernetes or local[*] for a local run"
    )]
    Unsupported(String),
    #[error("master `{0}` has no host")]
    NoHost(String),
}

impl Master {
    pub fn parse(text: &str) -> Result<Master, MasterError> {
        if let Some(rest) = text.strip_prefix("k8s://") {
            return kubernetes(text, rest);
        }
        if is_local(text) {
            return Ok(Master::Local(text.to_string()));
        }
        Err(MasterError::Unsupported(text.to_string()))
    }

    /// The value Spark stores as `spark.master`.
    pub fn spark_master(&self) -> String {
        match self {
            Master::Kubernetes { api_url } => format!("k8s://{api_url}"),
            Master::Local(s) => s.clone(),
        }
    }
}

fn kubernetes(original: &str, rest: &str) -> Result<Master, MasterError> {
    let api_url = match rest.split_once("://") {
        None => format!("https://{rest}"),
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http") => {
            rest.to_string()
        }
        Some((scheme, _)) => {
            return Err(MasterError::BadScheme { scheme: scheme.to_string(), url: original.to_string() });
        }
    };
    let host = api_url.split_once("://").map(|(_, h)| h).unwrap_or_default();
    if host.is_empty() || host.starts_with(':') || host.starts_with('/') {
        return Err(MasterError::NoHost(original.to_string()));
    }
    Ok(Master::Kubernetes { api_url })
}

fn is_local(text: &str) -> bool {
    if text == "local" {
        return true;
    }
    let Some(inner) = text.strip_prefix("local[").and_then(|s| s.strip_suffix(']')) else {
        return false;
    };
    let threads = |s: &str| s == "*" || (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
    match inner.split_once(',') {
        None => threads(inner),
        Some((n, f)) => threads(n) && !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(s: &str) -> String {
        match Master::parse(s) {
            Ok(Master::Kubernetes { api_url }) => api_url,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn kubernetes_masters_normalise_like_spark() {
        assert_eq!(api("k8s://https://h:443"), "https://h:443");
        assert_eq!(api("k8s://h:6443"), "https://h:6443");
        assert_eq!(api("k8s://http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(api("k8s://HTTPS://h"), "HTTPS://h");
    }

    #[test]
    fn bad_masters_are_refused() {
        assert!(matches!(Master::parse("k8s://ftp://h"), Err(MasterError::BadScheme { .. })));
        assert!(matches!(Master::parse("yarn"), Err(MasterError::Unsupported(_))));
        assert!(matches!(Master::parse("k8s://"), Err(MasterError::NoHost(_))));
        assert!(matches!(Master::parse("local[x]"), Err(MasterError::Unsupported(_))));
    }

    #[test]
    fn local_masters() {
        for m in ["local", "local[*]", "local[4]", "local[4,2]", "local[*,3]"] {
            assert_eq!(Master::parse(m), Ok(Master::Local(m.into())));
        }
    }
}
