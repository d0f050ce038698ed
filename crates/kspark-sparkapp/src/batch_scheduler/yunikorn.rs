//! YuniKorn (kubeflow's internal/scheduler/yunikorn): no object of its own,
//! only what its pods say: the scheduler name, the queue label, the task
//! group of each pod and, on the driver (the application's first pod), the
//! definition of the groups for gang scheduling.
//!
//! No application ID is set: YuniKorn takes the driver's
//! `spark-app-selector` label, which Spark sets.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, Toleration};
use serde::Serialize;

use super::requests::initial_executors;
use super::yunikorn_memory::{driver_min_resource, executor_min_resource};
use crate::application::SparkApplication;
use crate::submit::{MappingError, Problem};

/// `spec.batchScheduler` that selects YuniKorn (and the pods' scheduler).
pub const YUNIKORN: &str = "yunikorn";
/// The group each pod belongs to.
pub const TASK_GROUP_NAME_ANNOTATION: &str = "yunikorn.apache.org/task-group-name";
/// The groups, as JSON, on the driver.
pub const TASK_GROUPS_ANNOTATION: &str = "yunikorn.apache.org/task-groups";
/// The queue of `batchSchedulerOptions.queue`.
pub const QUEUE_LABEL: &str = "queue";
pub const DRIVER_TASK_GROUP: &str = "spark-driver";
pub const EXECUTOR_TASK_GROUP: &str = "spark-executor";

/// One of YuniKorn's task groups, its fields in kubeflow's order.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskGroup {
    pub name: String,
    pub min_member: i32,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub min_resource: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// What kubeflow's YuniKorn `Schedule` changes in the application.
pub fn schedule(app: &mut SparkApplication) -> Result<(), MappingError> {
    let groups = task_groups(app)?;
    let spec = &mut app.spec;
    spec.driver.pod.scheduler_name = Some(YUNIKORN.into());
    spec.executor.pod.scheduler_name = Some(YUNIKORN.into());
    if let Some(queue) = spec.batch_scheduler_options.as_ref().and_then(|o| o.queue.clone()) {
        spec.driver.pod.labels.insert(QUEUE_LABEL.into(), queue.clone());
        spec.executor.pod.labels.insert(QUEUE_LABEL.into(), queue);
    }
    let json = serde_json::to_string(&groups)
        .map_err(|e| MappingError::new("spec.driver", Problem::InvalidSize(format!("task groups: {e}"))))?;
    spec.driver.pod.annotations.insert(TASK_GROUP_NAME_ANNOTATION.into(), DRIVER_TASK_GROUP.into());
    spec.executor.pod.annotations.insert(TASK_GROUP_NAME_ANNOTATION.into(), EXECUTOR_TASK_GROUP.into());
    spec.driver.pod.annotations.insert(TASK_GROUPS_ANNOTATION.into(), json);
    Ok(())
}

/// The driver's group, and the executors' unless none start at first
/// (YuniKorn refuses a group of zero).
pub fn task_groups(app: &SparkApplication) -> Result<Vec<TaskGroup>, MappingError> {
    let spec = &app.spec;
    let queue = spec.batch_scheduler_options.as_ref().and_then(|o| o.queue.as_deref());
    let mut groups = vec![TaskGroup {
        name: DRIVER_TASK_GROUP.into(),
        min_member: 1,
        min_resource: driver_min_resource(app)?.into_iter().collect(),
        node_selector: merged(&spec.node_selector, &spec.driver.pod.node_selector),
        tolerations: spec.driver.pod.tolerations.clone(),
        affinity: spec.driver.pod.affinity.clone(),
        labels: group_labels(&spec.driver.pod.labels, queue),
    }];
    let executors = initial_executors(app);
    if executors > 0 {
        groups.push(TaskGroup {
            name: EXECUTOR_TASK_GROUP.into(),
            min_member: executors,
            min_resource: executor_min_resource(app)?.into_iter().collect(),
            node_selector: merged(&spec.node_selector, &spec.executor.pod.node_selector),
            tolerations: spec.executor.pod.tolerations.clone(),
            affinity: spec.executor.pod.affinity.clone(),
            labels: group_labels(&spec.executor.pod.labels, queue),
        });
    }
    Ok(groups)
}

/// The role's node selector over the application's.
fn merged(app: &BTreeMap<String, String>, role: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    app.iter().chain(role).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The role's labels. kubeflow's group shares the role's label map, to
/// which it adds the queue label before it writes the groups: a role with
/// labels has the queue in its group too, one without has no labels there.
fn group_labels(labels: &BTreeMap<String, String>, queue: Option<&str>) -> BTreeMap<String, String> {
    let mut labels = labels.clone();
    if let Some(queue) = queue.filter(|_| !labels.is_empty()) {
        labels.insert(QUEUE_LABEL.into(), queue.into());
    }
    labels
}
