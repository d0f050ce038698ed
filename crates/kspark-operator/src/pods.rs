//! What the operator keeps of each Spark pod: enough to follow the
//! application (labels, phase, container states, the spec digest), not its
//! whole spec, so a thousand live applications stay within a few MiB.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodStatus};

use crate::reconcile::SPEC_DIGEST_ANNOTATION;

/// What the operator keeps of a SparkApplication: all but its managed
/// fields (never parsed: [`crate::application_object`]) and kubectl's copy
/// of the last applied spec, which it never reads (status writes go to the
/// status subresource, which ignores metadata, so nothing is lost by leaving
/// them out).
pub(crate) fn keep_application_small(app: &mut crate::application_object::ApplicationObject) {
    if let Some(annotations) = app.metadata.annotations.as_mut() {
        annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

pub(crate) fn keep_what_matters(pod: &mut Pod) {
    let meta = &mut pod.metadata;
    meta.managed_fields = None;
    meta.owner_references = None;
    if let Some(annotations) = meta.annotations.take() {
        let kept: BTreeMap<String, String> =
            annotations.into_iter().filter(|(k, _)| k == SPEC_DIGEST_ANNOTATION).collect();
        meta.annotations = (!kept.is_empty()).then_some(kept);
    }
    pod.spec = pod.spec.take().map(|spec| PodSpec {
        // Container names tell the Spark container apart from sidecars.
        containers: spec.containers.into_iter().map(|c| Container { name: c.name, ..Default::default() }).collect(),
        node_name: spec.node_name,
        ..Default::default()
    });
    pod.status = pod.status.take().map(|status| PodStatus {
        phase: status.phase,
        reason: status.reason,
        message: status.message,
        start_time: status.start_time,
        conditions: status.conditions.map(|c| c.into_iter().filter(|c| c.type_ == "PodScheduled").collect()),
        container_statuses: status.container_statuses,
        ..Default::default()
    });
}
