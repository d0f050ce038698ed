//! A pod that no scheduler has looked at: Pending, bound to no node, and
//! without any `PodScheduled` condition. A scheduler that tries and fails
//! sets that condition (False, Unschedulable); none at all means no
//! running scheduler answers to the pod's `schedulerName` (a mistyped one,
//! or a batch scheduler that is not installed), and nothing else would say
//! so: the pod gets no event and waits forever.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;

/// How long a pod may wait untouched before it is called unscheduled. A
/// running kube-scheduler takes a new pod within milliseconds, and even a
/// busy one (a burst of thousands of pods) within seconds; 30 s is well
/// past that, yet soon enough for someone watching `kspark status`.
pub const UNSCHEDULED_GRACE: Duration = Duration::from_secs(30);

/// The scheduler a pod that names none gets.
const DEFAULT_SCHEDULER: &str = "default-scheduler";

/// How long `pod` has waited with no scheduler touching it; `None` when a
/// scheduler has (or the pod is bound, or past Pending).
pub fn untouched_for(pod: &Pod, now: Timestamp) -> Option<Duration> {
    let status = pod.status.as_ref()?;
    if status.phase.as_deref() != Some("Pending") {
        return None;
    }
    if pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty()) {
        return None;
    }
    if status.conditions.iter().flatten().any(|c| c.type_ == "PodScheduled") {
        return None;
    }
    let created = pod.metadata.creation_timestamp.as_ref()?.0;
    let waited = now.duration_since(created).as_millis().max(0);
    Some(Duration::from_millis(u64::try_from(waited).unwrap_or(u64::MAX)))
}

/// What to tell about `pod` once it has waited untouched past
/// [`UNSCHEDULED_GRACE`].
pub fn unscheduled(pod: &Pod, now: Timestamp) -> Option<String> {
    (untouched_for(pod, now)? >= UNSCHEDULED_GRACE).then(|| message(pod))
}

/// The time until `pod` would be called unscheduled, if it stays untouched.
pub fn until_unscheduled(pod: &Pod, now: Timestamp) -> Option<Duration> {
    untouched_for(pod, now).map(|waited| UNSCHEDULED_GRACE.saturating_sub(waited))
}

fn message(pod: &Pod) -> String {
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let scheduler = pod.spec.as_ref().and_then(|s| s.scheduler_name.as_deref()).unwrap_or(DEFAULT_SCHEDULER);
    format!(
        "pod {name} has not been picked up by any scheduler in {}s: no scheduler named \"{scheduler}\" \
         seems to run in the cluster (hint: check spec.batchScheduler and spec.driver.schedulerName, or \
         install that scheduler)",
        UNSCHEDULED_GRACE.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(created: &str, extra: serde_json::Value) -> Pod {
        let mut value = serde_json::json!({
            "metadata": {"name": "pi-driver", "creationTimestamp": created},
            "spec": {"containers": [{"name": "spark-kubernetes-driver"}], "schedulerName": "kube-scheduler"},
            "status": {"phase": "Pending"}
        });
        if let (Some(base), Some(more)) = (value.as_object_mut(), extra.as_object()) {
            for (key, field) in more {
                base.insert(key.clone(), field.clone());
            }
        }
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn an_untouched_pod_is_unscheduled_after_the_grace_period() {
        let untouched = pod("2026-11-30T10:00:00Z", serde_json::json!({}));
        assert_eq!(unscheduled(&untouched, at("2026-11-30T10:00:29Z")), None);
        assert_eq!(until_unscheduled(&untouched, at("2026-11-30T10:00:20Z")), Some(Duration::from_secs(10)));
        let message = unscheduled(&untouched, at("2026-11-30T10:00:30Z")).unwrap_or_default();
        assert!(message.starts_with("pod pi-driver has not been picked up by any scheduler in 30s"), "{message}");
        assert!(message.contains("no scheduler named \"kube-scheduler\""), "{message}");
    }

    #[test]
    fn a_pod_a_scheduler_looked_at_is_not() {
        let late = at("2026-11-30T11:00:00Z");
        let tried = pod(
            "2026-11-30T10:00:00Z",
            serde_json::json!({"status": {"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}}),
        );
        assert_eq!(unscheduled(&tried, late), None);
        let bound = pod(
            "2026-11-30T10:00:00Z",
            serde_json::json!({"spec": {"containers": [{"name": "c"}], "nodeName": "node-1"}}),
        );
        assert_eq!(unscheduled(&bound, late), None);
        let running = pod("2026-11-30T10:00:00Z", serde_json::json!({"status": {"phase": "Running"}}));
        assert_eq!(unscheduled(&running, late), None);
    }
}
