//! What the operator keeps of each Spark pod: enough to follow the
//! application (labels, phase, container states, the spec digest), not its
//! whole spec, so a thousand live applications stay within a few MiB.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Deref;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod, PodCondition, PodSpec, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::Resource;
use serde::{Deserialize, Deserializer};

use crate::application_object::metadata_without_managed_fields;
use crate::identity::SPEC_DIGEST_ANNOTATION;

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
        // Named when no scheduler picks the driver up.
        scheduler_name: spec.scheduler_name,
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

/// A pod as the operator watches it: read straight into what
/// [`keep_what_matters`] keeps. The rest of a Spark pod (its spec: env,
/// volumes, mounts; its managed fields) is skipped by the parser instead of
/// built and dropped — parsing whole pods was a seventh of the operator's
/// CPU in a burst.
#[derive(Clone, Debug)]
pub struct WatchedPod(pub Pod);

impl Deref for WatchedPod {
    type Target = Pod;

    fn deref(&self) -> &Pod {
        &self.0
    }
}

impl Resource for WatchedPod {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;

    fn kind(dt: &()) -> Cow<'_, str> {
        Pod::kind(dt)
    }

    fn group(dt: &()) -> Cow<'_, str> {
        Pod::group(dt)
    }

    fn version(dt: &()) -> Cow<'_, str> {
        Pod::version(dt)
    }

    fn plural(dt: &()) -> Cow<'_, str> {
        Pod::plural(dt)
    }

    fn meta(&self) -> &ObjectMeta {
        &self.0.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.0.metadata
    }
}

#[derive(Deserialize)]
struct PodWire {
    #[serde(default, deserialize_with = "metadata_without_managed_fields")]
    metadata: ObjectMeta,
    spec: Option<SpecWire>,
    status: Option<StatusWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecWire {
    #[serde(default)]
    containers: Vec<ContainerName>,
    node_name: Option<String>,
    scheduler_name: Option<String>,
}

#[derive(Deserialize)]
struct ContainerName {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusWire {
    phase: Option<String>,
    reason: Option<String>,
    message: Option<String>,
    start_time: Option<Time>,
    conditions: Option<Vec<PodCondition>>,
    container_statuses: Option<Vec<ContainerStatus>>,
}

impl<'de> Deserialize<'de> for WatchedPod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WatchedPod, D::Error> {
        let wire = PodWire::deserialize(deserializer)?;
        let mut pod = Pod {
            metadata: wire.metadata,
            spec: wire.spec.map(|spec| PodSpec {
                containers: spec
                    .containers
                    .into_iter()
                    .map(|c| Container { name: c.name, ..Default::default() })
                    .collect(),
                node_name: spec.node_name,
                scheduler_name: spec.scheduler_name,
                ..Default::default()
            }),
            status: wire.status.map(|status| PodStatus {
                phase: status.phase,
                reason: status.reason,
                message: status.message,
                start_time: status.start_time,
                conditions: status.conditions,
                container_statuses: status.container_statuses,
                ..Default::default()
            }),
        };
        keep_what_matters(&mut pod);
        Ok(WatchedPod(pod))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watched_pod_keeps_what_the_operator_reads() {
        let text = r#"{"metadata":{"name":"d","namespace":"n","labels":{"spark-role":"driver"},
              "annotations":{"kspark.io/spec-digest":"x","other":"y"},
              "managedFields":[{"manager":"kspark"}],"ownerReferences":[{"apiVersion":"v1","kind":"K","name":"o","uid":"u"}]},
            "spec":{"nodeName":"node-1","schedulerName":"kube-scheduler","containers":[{"name":"spark-kubernetes-driver","image":"i","env":[{"name":"A","value":"1"}]}],
              "volumes":[{"name":"v","emptyDir":{}}]},
            "status":{"phase":"Failed","hostIP":"10.0.0.1","startTime":"2026-11-29T10:00:00Z",
              "conditions":[{"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"}],
              "containerStatuses":[{"name":"spark-kubernetes-driver","image":"i","imageID":"","ready":false,"restartCount":0,
                "state":{"terminated":{"exitCode":3,"reason":"Error","message":"boom"}}}]}}"#;
        let pod: WatchedPod = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        let mut whole: Pod = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        keep_what_matters(&mut whole);
        // The same as parsing the whole pod and stripping it.
        assert_eq!(pod.0, whole);
        assert_eq!(pod.metadata.annotations.as_ref().map(|a| a.len()), Some(1));
        assert_eq!(pod.spec.as_ref().and_then(|s| s.scheduler_name.as_deref()), Some("kube-scheduler"));
        let status = pod.status.as_ref().and_then(|s| s.container_statuses.as_ref()).map(|c| c.len());
        assert_eq!(status, Some(1));
    }
}
