//! Follows a driver pod to its end. Survives watch time-outs, dropped
//! connections and `410 Gone` by re-reading the pod and watching again.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use kube::Api;

use crate::error::ClusterError;
use crate::follow_object::{Followed, follow};

/// A driver's state, compared to print only changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DriverStatus {
    pub phase: String,
    pub node: Option<String>,
    /// `running`, `waiting: ErrImagePull`, `terminated: exit 3 (Error)`.
    pub container: Option<String>,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub message: Option<String>,
}

impl DriverStatus {
    pub fn of(pod: &Pod) -> DriverStatus {
        let status = pod.status.clone().unwrap_or_default();
        let spark = spark_container(pod);
        let mut out = DriverStatus {
            phase: status.phase.unwrap_or_else(|| "Unknown".into()),
            node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            ..Default::default()
        };
        if let Some(why) = unschedulable(pod) {
            out.container = Some("unschedulable".into());
            out.reason = Some("Unschedulable".into());
            out.message = Some(why);
            return out;
        }
        let Some(state) = spark.and_then(|c| c.state) else {
            return out;
        };
        if let Some(t) = state.terminated {
            out.container = Some(format!(
                "terminated: exit {}{}",
                t.exit_code,
                t.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
            ));
            out.exit_code = Some(t.exit_code);
            out.reason = t.reason;
            out.message = t.message;
        } else if let Some(w) = state.waiting {
            out.container = Some(format!("waiting: {}", w.reason.clone().unwrap_or_default()));
            out.reason = w.reason;
            out.message = w.message;
        } else if state.running.is_some() {
            out.container = Some("running".into());
        }
        out
    }

    pub fn is_terminal(&self) -> bool {
        self.phase == "Succeeded" || self.phase == "Failed"
    }
}

/// The scheduler's reason when it cannot place the pod (insufficient
/// cpu/memory, taints, selectors), from the PodScheduled condition.
fn unschedulable(pod: &Pod) -> Option<String> {
    let conditions = pod.status.as_ref()?.conditions.as_ref()?;
    let scheduled = conditions.iter().find(|c| c.type_ == "PodScheduled")?;
    (scheduled.status == "False" && scheduled.reason.as_deref() == Some("Unschedulable"))
        .then(|| scheduled.message.clone().unwrap_or_default())
}

/// The Spark container's status: the last container of the pod (Spark
/// appends its container after any template sidecars).
fn spark_container(pod: &Pod) -> Option<ContainerStatus> {
    let name = pod.spec.as_ref()?.containers.last()?.name.clone();
    let statuses = pod.status.as_ref()?.container_statuses.as_ref()?;
    statuses.iter().find(|s| s.name == name).cloned()
}

/// How the wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Finished(DriverStatus),
    Deleted,
}

/// Watches `name` until it succeeds, fails or disappears, calling
/// `on_change` with every new status.
pub async fn wait_for_driver(
    pods: &Api<Pod>,
    name: &str,
    mut on_change: impl FnMut(&DriverStatus),
) -> Result<Outcome, ClusterError> {
    let mut last: Option<DriverStatus> = None;
    let observe = |pod: &Pod| {
        let status = DriverStatus::of(pod);
        let done = status.is_terminal();
        if last.as_ref() != Some(&status) {
            on_change(&status);
            last = Some(status);
        }
        done
    };
    match follow(pods, name, &format!("driver pod {name}"), observe).await? {
        Followed::Done(pod) => Ok(Outcome::Finished(DriverStatus::of(&pod))),
        Followed::Deleted => Ok(Outcome::Deleted),
    }
}
