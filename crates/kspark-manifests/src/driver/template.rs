//! The starting point: the driver pod template if one is given, else an
//! empty pod. The template's Spark container is taken out; the rest stay
//! as sidecars, in front of the Spark container.

use k8s_openapi::api::core::v1::{Container, Pod};

use crate::context::BuildContext;
use crate::error::ManifestError;

const TEMPLATE_KEY: &str = "spark.kubernetes.driver.podTemplateFile";

pub(super) fn start(ctx: &BuildContext<'_>) -> Result<(Pod, Container), ManifestError> {
    let Some(value) = &ctx.inputs.driver_template else {
        return Ok((Pod::default(), Container::default()));
    };
    let path = ctx.submission.conf.get(TEMPLATE_KEY).unwrap_or_default().to_string();
    let mut pod = parse_pod(value, &path)?;
    let wanted = ctx.submission.conf.get("spark.kubernetes.driver.podTemplateContainerName");
    let containers = pod.spec.get_or_insert_with(Default::default).containers.split_off(0);
    let (container, sidecars) = select_container(containers, wanted);
    if let Some(spec) = pod.spec.as_mut() {
        spec.containers = sidecars;
    }
    Ok((pod, container))
}

/// Parses the template; a `kind` other than Pod is refused (fabric8 reads
/// a document without a kind as a Pod).
pub(crate) fn parse_pod(value: &serde_json::Value, path: &str) -> Result<Pod, ManifestError> {
    let bad = |reason: String| ManifestError::BadTemplate { path: path.to_string(), reason };
    let Some(map) = value.as_object() else {
        return Err(bad("the file is not a YAML mapping".into()));
    };
    match map.get("kind").and_then(|k| k.as_str()) {
        None | Some("Pod") => {}
        Some(other) => return Err(bad(format!("its kind is {other}"))),
    }
    let mut with_kind = map.clone();
    with_kind.insert("apiVersion".into(), "v1".into());
    with_kind.insert("kind".into(), "Pod".into());
    serde_json::from_value(serde_json::Value::Object(with_kind)).map_err(|e| bad(e.to_string()))
}

/// The container named `wanted`, else the first one, else an empty one.
fn select_container(mut containers: Vec<Container>, wanted: Option<&str>) -> (Container, Vec<Container>) {
    let index = wanted.and_then(|name| containers.iter().position(|c| c.name == name)).or(if containers.is_empty() {
        None
    } else {
        Some(0)
    });
    match index {
        Some(i) => {
            let chosen = containers.remove(i);
            (chosen, containers)
        }
        None => (Container::default(), containers),
    }
}
