//! Volcano (kubeflow's internal/scheduler/volcano): a PodGroup
//! `scheduling.volcano.sh/v1beta1` for the application, created before the
//! driver, and the group's name on the driver and executor pods.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::CustomResource;
use serde::{Deserialize, Serialize};

use super::requests::{Terms, driver_requests, executor_requests};
use crate::application::{DeployMode, SparkApplication};
use crate::submit::{MappingError, Problem};
use crate::webhook::quantity;

/// `spec.batchScheduler` that selects Volcano.
pub const VOLCANO: &str = "volcano";
/// The CRD kubeflow looks for before it uses Volcano.
pub const POD_GROUP_CRD: &str = "podgroups.scheduling.volcano.sh";
/// The API group and version of [`PodGroup`].
pub const POD_GROUP_API_VERSION: &str = "scheduling.volcano.sh/v1beta1";
/// The pod annotation that puts a pod into a PodGroup (Volcano's
/// `KubeGroupNameAnnotationKey`).
pub const GROUP_NAME_ANNOTATION: &str = "scheduling.k8s.io/group-name";

/// The fields of Volcano's `PodGroupSpec` kubeflow sets.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "scheduling.volcano.sh",
    version = "v1beta1",
    kind = "PodGroup",
    namespaced,
    status = "PodGroupStatus",
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct PodGroupSpec {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_member: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_resources: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub queue: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub priority_class_name: String,
}

/// kubeflow creates its PodGroups `Pending`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PodGroupStatus {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phase: String,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// kubeflow's `getPodGroupName`.
pub fn pod_group_name(app: &SparkApplication) -> String {
    format!("spark-{}-pg", app.metadata.name.as_deref().unwrap_or_default())
}

/// What kubeflow's `Schedule` does for Volcano: the PodGroup to create
/// (none when the pods already name a group: kubeflow then leaves them
/// alone) and the group annotation on the pods, in `app`.
///
/// Cluster mode: the driver's and the executors' requests together (or
/// `batchSchedulerOptions.resources`), both roles annotated. Client mode:
/// the executors' alone, only they annotated. `minMember` is 1 either way,
/// so that the driver is scheduled first.
pub fn schedule(app: &mut SparkApplication) -> Result<Option<PodGroup>, MappingError> {
    let client = app.spec.mode == Some(DeployMode::Client);
    let marked = if client { &app.spec.executor.pod } else { &app.spec.driver.pod };
    if marked.annotations.contains_key(GROUP_NAME_ANNOTATION) {
        return Ok(None);
    }
    let requests =
        if client { executor_requests(app) } else { Terms::sum_of(&[driver_requests(app), executor_requests(app)]) };
    let group = pod_group(app, requests.totals())?;
    let name = pod_group_name(app);
    if !client {
        app.spec.driver.pod.annotations.insert(GROUP_NAME_ANNOTATION.into(), name.clone());
    }
    app.spec.executor.pod.annotations.insert(GROUP_NAME_ANNOTATION.into(), name);
    Ok(Some(group))
}

/// kubeflow's PodGroup: owned by the application, `minMember` 1, the queue
/// and priority class of `batchSchedulerOptions`.
fn pod_group(app: &SparkApplication, requested: BTreeMap<String, String>) -> Result<PodGroup, MappingError> {
    let options = app.spec.batch_scheduler_options.clone().unwrap_or_default();
    let min_resources = if options.resources.is_empty() { requested } else { given_resources(&options.resources)? };
    let spec = PodGroupSpec {
        min_member: 1,
        min_resources: Some(min_resources),
        queue: options.queue.unwrap_or_default(),
        priority_class_name: options.priority_class_name.unwrap_or_default(),
    };
    Ok(PodGroup {
        metadata: ObjectMeta {
            name: Some(pod_group_name(app)),
            namespace: app.metadata.namespace.clone(),
            owner_references: Some(vec![crate::webhook::owner::controller_reference(app)]),
            ..Default::default()
        },
        spec,
        status: Some(PodGroupStatus { phase: "Pending".into() }),
    })
}

/// `batchSchedulerOptions.resources` as Go writes the quantities it read.
fn given_resources(
    resources: &BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
) -> Result<BTreeMap<String, String>, MappingError> {
    resources
        .iter()
        .map(|(name, value)| {
            let text = quantity::canonical(&value.0).map_err(|e| {
                MappingError::new(
                    format!("spec.batchSchedulerOptions.resources.{name}"),
                    Problem::InvalidSize(format!("`{}` is {e}", value.0)),
                )
            })?;
            Ok((name.clone(), text))
        })
        .collect()
}
