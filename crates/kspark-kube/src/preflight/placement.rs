//! Checks that need no cluster: the image reference and AKS virtual nodes.

use super::{Check, Plan};

pub fn offline_checks(plan: &Plan<'_>) -> Vec<Check> {
    vec![image(plan), virtual_nodes(plan)]
}

/// `[registry[:port]/]path[:tag][@sha256:hex]`, lowercase path.
fn image(plan: &Plan<'_>) -> Check {
    let name = "image";
    let container = plan.pod().spec.as_ref().and_then(|s| s.containers.last());
    let image = container.and_then(|c| c.image.clone()).unwrap_or_default();
    let policy = container.and_then(|c| c.image_pull_policy.clone()).unwrap_or_default();
    match image_problem(&image) {
        Some(problem) => Check::fail(name, format!("`{image}` is not a valid image reference: {problem}")),
        None if image.ends_with(":latest") && policy != "Always" => Check::warn(
            name,
            format!("`{image}` with pull policy {policy}: nodes keep whatever :latest they pulled first"),
        )
        .with_hint("pin a version tag, or set spark.kubernetes.container.image.pullPolicy=Always"),
        None => Check::ok(name, format!("{image} (pull policy {policy})")),
    }
}

fn image_problem(image: &str) -> Option<String> {
    if image.is_empty() {
        return Some("empty".into());
    }
    if image.chars().any(|c| c.is_whitespace()) {
        return Some("contains whitespace".into());
    }
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let Some(hex) = d.strip_prefix("sha256:") else {
            return Some(format!("digest `{d}` must be sha256:<64 hex digits>"));
        };
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Some(format!("bad digest `{d}`"));
        }
    }
    let last = rest.rsplit('/').next().unwrap_or(rest);
    let path_end = rest.len() - last.len() + last.find(':').unwrap_or(last.len());
    let (path, tag) = rest.split_at(path_end);
    let tag = tag.strip_prefix(':');
    let repo = path
        .split_once('/')
        .map_or(path, |(first, repo)| if first.contains(['.', ':']) || first == "localhost" { repo } else { path });
    if repo.is_empty() || repo.chars().any(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c))) {
        return Some(format!("repository `{repo}` must be lowercase letters, digits and . _ - /"));
    }
    if let Some(t) = tag
        && (t.is_empty() || t.len() > 128 || !t.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)))
    {
        return Some(format!("tag `{t}` must be up to 128 letters, digits, . _ -"));
    }
    None
}

/// AKS virtual nodes (virtual-kubelet on ACI) cannot run Spark's driver:
/// no headless-service DNS for executors to reach it.
fn virtual_nodes(plan: &Plan<'_>) -> Check {
    let name = "placement";
    let spec = plan.pod().spec.clone().unwrap_or_default();
    let selects = spec.node_selector.as_ref().is_some_and(|s| {
        s.get("type").is_some_and(|v| v == "virtual-kubelet") || s.contains_key("virtual-kubelet.io/provider")
    });
    let tolerates = spec
        .tolerations
        .iter()
        .flatten()
        .any(|t| t.key.as_deref().is_some_and(|k| k.starts_with("virtual-kubelet.io/")));
    if selects || tolerates {
        return Check::fail(name, "the driver would run on AKS virtual nodes (virtual-kubelet / ACI), where Spark's driver cannot work")
            .with_hint("drop the virtual-kubelet node selector or toleration from the driver (executors may still use virtual nodes)");
    }
    Check::ok(name, "the driver stays off virtual nodes")
}

#[cfg(test)]
mod tests {
    use super::image_problem;

    #[test]
    fn image_references() {
        for ok in [
            "apache/spark:4.0.5",
            "myacr.azurecr.io/spark:4.0.5-python3",
            "localhost:5000/spark",
            "spark@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(image_problem(ok), None, "{ok}");
        }
        for bad in ["", "Apache/Spark:4", "spark:4.0 ", "spark:", "spark@sha256:xyz"] {
            assert!(image_problem(bad).is_some(), "{bad}");
        }
    }
}
