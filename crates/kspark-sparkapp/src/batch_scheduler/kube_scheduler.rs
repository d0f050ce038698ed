//! kube-scheduler with scheduler-plugins' coscheduling (kubeflow's
//! internal/scheduler/kubescheduler): a PodGroup
//! `scheduling.x-k8s.io/v1alpha1` for the application, created before the
//! driver, and the group's label on the application, whence it reaches the
//! driver and executor pods as every application label does. The pods'
//! scheduler is `spec.batchScheduler` itself (kubeflow's webhook), so a
//! scheduler of that name must run in the cluster.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::CustomResource;
use serde::{Deserialize, Serialize};

use super::requests::{Terms, driver_requests, executor_requests};
use crate::application::SparkApplication;

/// `spec.batchScheduler` that selects kube-scheduler (the name kubeflow's
/// example, examples/spark-pi-kube-scheduler.yaml, registers it under).
pub const KUBE_SCHEDULER: &str = "kube-scheduler";
/// The CRD the PodGroup needs (scheduler-plugins installs it).
pub const POD_GROUP_CRD: &str = "podgroups.scheduling.x-k8s.io";
/// The API group and version of [`PodGroup`].
pub const POD_GROUP_API_VERSION: &str = "scheduling.x-k8s.io/v1alpha1";
/// The pod label that puts a pod into a PodGroup (scheduler-plugins'
/// `PodGroupLabel`).
pub const POD_GROUP_LABEL: &str = "scheduling.x-k8s.io/pod-group";

/// The fields of scheduler-plugins' `PodGroupSpec` kubeflow sets.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(group = "scheduling.x-k8s.io", version = "v1alpha1", kind = "PodGroup", namespaced, schema = "disabled")]
#[serde(rename_all = "camelCase")]
pub struct PodGroupSpec {
    #[serde(default)]
    pub min_member: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_resources: Option<BTreeMap<String, String>>,
}

/// kubeflow's `getPodGroupName` of this scheduler (no `spark-` prefix,
/// unlike Volcano's).
pub fn pod_group_name(app: &SparkApplication) -> String {
    format!("{}-pg", app.metadata.name.as_deref().unwrap_or_default())
}

/// What kubeflow's `Schedule` does: the PodGroup to create, owned by the
/// application, `minMember` 1, `minResources` the driver's and the
/// executors' requests together (whatever the deploy mode); and the group
/// label on the application, in `app`.
pub fn schedule(app: &mut SparkApplication) -> PodGroup {
    let requests = Terms::sum_of(&[driver_requests(app), executor_requests(app)]);
    let name = pod_group_name(app);
    let group = PodGroup {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: app.metadata.namespace.clone(),
            owner_references: Some(vec![crate::webhook::owner::controller_reference(app)]),
            ..Default::default()
        },
        spec: PodGroupSpec { min_member: 1, min_resources: Some(requests.totals()) },
    };
    app.metadata.labels.get_or_insert_default().insert(POD_GROUP_LABEL.into(), name);
    group
}
