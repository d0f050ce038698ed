//! What a SparkConnect's status says of its server pod and executors
//! (kubeflow's createOrUpdateServerPod, createOrUpdateServerService and
//! updateExecutorStatus): the `ServerPodReady` condition, the state, the
//! server's pod, IP and Service, and the executors counted by phase.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::{ConnectState, SparkConnectStatus};

/// kubeflow's condition type, and its reasons.
pub const SERVER_POD_READY: &str = "ServerPodReady";
pub const SERVER_POD_NOT_READY: &str = "ServerPodNotReady";
/// kspark's reasons for a server pod that cannot be made (kubeflow leaves
/// the status as it was and only logs): the spec is wrong, or the
/// namespace's quota has no room for the pod yet.
pub const INVALID_SPEC: &str = "InvalidSpec";
pub const QUOTA_EXCEEDED: &str = "QuotaExceeded";

/// Whether the pod's `Ready` condition is true.
pub fn pod_is_ready(pod: &Pod) -> bool {
    let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_ref());
    conditions.into_iter().flatten().any(|c| c.type_ == "Ready" && c.status == "True")
}

/// The server's part of the status, from its pod as it is now.
pub fn observe_server(status: &mut SparkConnectStatus, pod: &Pod, now: Time) {
    let ready = pod_is_ready(pod);
    let message = if ready {
        "Server pod is ready".to_string()
    } else {
        let why = pod.status.as_ref().and_then(|s| s.message.clone()).unwrap_or_default();
        format!("Server pod is not ready: {why}")
    };
    let condition = Condition {
        type_: SERVER_POD_READY.to_string(),
        status: if ready { "True" } else { "False" }.to_string(),
        reason: if ready { SERVER_POD_READY } else { SERVER_POD_NOT_READY }.to_string(),
        message,
        last_transition_time: now,
        observed_generation: None,
    };
    set_condition(&mut status.conditions, condition);
    status.state = if ready { ConnectState::Ready } else { ConnectState::NotReady };
    status.server.pod_name = pod.metadata.name.clone().unwrap_or_default();
    status.server.pod_ip = pod.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default();
}

/// The status of a SparkConnect whose server pod cannot be made: `Failed`
/// for a spec that must be fixed, `Provisioning` while it waits for room.
pub fn blocked_status(
    current: &SparkConnectStatus,
    state: ConnectState,
    reason: &str,
    message: &str,
    now: Time,
) -> SparkConnectStatus {
    let mut status = current.clone();
    status.start_time.get_or_insert_with(|| now.clone());
    let condition = Condition {
        type_: SERVER_POD_READY.to_string(),
        status: "False".to_string(),
        reason: reason.to_string(),
        message: message.to_string(),
        last_transition_time: now.clone(),
        observed_generation: None,
    };
    set_condition(&mut status.conditions, condition);
    status.state = state;
    if status != *current {
        status.last_update_time = Some(now);
    }
    status
}

/// Executor pods by phase, lower-cased (`running`, `pending`, …).
pub fn executor_counts(pods: &[Pod]) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for pod in pods {
        let phase = pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
        *counts.entry(phase.to_lowercase()).or_insert(0) += 1;
    }
    counts
}

/// apimachinery's `meta.SetStatusCondition`: the transition time changes
/// only when the status does.
pub fn set_condition(conditions: &mut Vec<Condition>, condition: Condition) {
    match conditions.iter_mut().find(|c| c.type_ == condition.type_) {
        Some(existing) => {
            if existing.status != condition.status {
                existing.last_transition_time = condition.last_transition_time;
            }
            existing.status = condition.status;
            existing.reason = condition.reason;
            existing.message = condition.message;
            existing.observed_generation = condition.observed_generation;
        }
        None => conditions.push(condition),
    }
}

/// The status after one reconcile, as kubeflow's reconciler leaves it: the
/// start time once, the server's pod and Service, the executors, and the
/// update time when anything else changed.
pub fn next_status(
    current: &SparkConnectStatus,
    server: &Pod,
    service_name: &str,
    executors: &[Pod],
    now: Time,
) -> SparkConnectStatus {
    let mut status = current.clone();
    status.start_time.get_or_insert_with(|| now.clone());
    observe_server(&mut status, server, now.clone());
    status.server.service_name = service_name.to_string();
    status.executors = executor_counts(executors);
    if status != *current {
        status.last_update_time = Some(now);
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Time {
        Time(text.parse().unwrap_or_else(|e| panic!("{text}: {e}")))
    }

    #[test]
    fn a_blocked_server_says_why_and_keeps_its_times_while_nothing_changes() {
        let first = blocked_status(
            &SparkConnectStatus::default(),
            ConnectState::Provisioning,
            QUOTA_EXCEEDED,
            "waiting: exceeded quota",
            at("2026-12-06T10:00:00Z"),
        );
        assert_eq!(first.state, ConnectState::Provisioning);
        assert_eq!(first.conditions[0].reason, QUOTA_EXCEEDED);
        assert_eq!(first.conditions[0].status, "False");
        assert_eq!(first.start_time, Some(at("2026-12-06T10:00:00Z")));
        let again = blocked_status(
            &first,
            ConnectState::Provisioning,
            QUOTA_EXCEEDED,
            "waiting: exceeded quota",
            at("2026-12-06T10:00:10Z"),
        );
        assert_eq!(again, first, "the same wait is not a change");
        let failed =
            blocked_status(&first, ConnectState::Failed, INVALID_SPEC, "spec.image: …", at("2026-12-06T10:00:20Z"));
        assert_eq!(failed.state, ConnectState::Failed);
        assert_eq!(failed.conditions.len(), 1, "one ServerPodReady condition");
        assert_eq!(failed.conditions[0].last_transition_time, at("2026-12-06T10:00:00Z"), "still False");
        assert_eq!(failed.last_update_time, Some(at("2026-12-06T10:00:20Z")));
    }
}
