//! What a driver or executor pod says about the application (kubeflow's
//! `GetDriverState`, `GetExecutorState` and `DriverStateToApplicationState`),
//! plus kspark's reading of why a driver is stuck or failed.

use k8s_openapi::api::core::v1::{ContainerStateTerminated, Pod};
use kspark_kube::wait::DriverStatus;
use kspark_sparkapp::ApplicationStateType;
use kspark_sparkapp::status::{DriverState, ExecutorState};

/// kubeflow's `SparkDriverContainerName`.
const DRIVER_CONTAINER: &str = "spark-kubernetes-driver";
/// kubeflow's executor container names (Spark 3+, then older).
const EXECUTOR_CONTAINERS: [&str; 2] = ["spark-kubernetes-executor", "executor"];

pub fn driver_state(pod: &Pod) -> DriverState {
    let terminated = terminated(pod, &[DRIVER_CONTAINER]);
    match phase(pod) {
        "Pending" => DriverState::Pending,
        "Running" => match terminated {
            Some(t) if t.exit_code == 0 => DriverState::Completed,
            Some(_) => DriverState::Failed,
            None => DriverState::Running,
        },
        "Succeeded" => DriverState::Completed,
        "Failed" => match terminated {
            Some(t) if t.exit_code == 0 => DriverState::Completed,
            _ => DriverState::Failed,
        },
        _ => DriverState::Unknown,
    }
}

pub fn executor_state(pod: &Pod) -> ExecutorState {
    match phase(pod) {
        "Pending" => ExecutorState::Pending,
        "Running" => ExecutorState::Running,
        "Succeeded" => ExecutorState::Completed,
        "Failed" => ExecutorState::Failed,
        _ => ExecutorState::Unknown,
    }
}

pub fn application_state(driver: DriverState) -> ApplicationStateType {
    match driver {
        DriverState::Pending => ApplicationStateType::Submitted,
        DriverState::Running => ApplicationStateType::Running,
        DriverState::Completed => ApplicationStateType::Succeeding,
        DriverState::Failed => ApplicationStateType::Failing,
        DriverState::Unknown => ApplicationStateType::Unknown,
    }
}

/// kubeflow's error message for a failed driver, followed by what kspark
/// knows beyond it: the container's termination message, or why the pod
/// failed when the container never ran.
pub fn driver_failure(pod: &Pod) -> String {
    match terminated(pod, &[DRIVER_CONTAINER]) {
        Some(t) => {
            let reason = t.reason.clone().unwrap_or_default();
            let mut text = format!("driver container failed with ExitCode: {}, Reason: {reason}", t.exit_code);
            if let Some(message) = t.message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
                text.push_str(&format!("; termination message: {message}"));
            }
            text
        }
        None => {
            let status = pod.status.as_ref();
            let why = status.and_then(|s| s.message.clone().or_else(|| s.reason.clone()));
            match why {
                Some(why) => format!("driver container status missing; pod: {why}"),
                None => "driver container status missing".to_string(),
            }
        }
    }
}

/// Why a Pending driver is not starting (image pull with the registry's
/// message, the scheduler's reason), or `None` while it is just starting.
pub fn pending_problem(pod: &Pod) -> Option<String> {
    let status = DriverStatus::of(pod);
    let reason = status.reason.as_deref()?;
    let stuck = matches!(
        reason,
        "Unschedulable"
            | "ErrImagePull"
            | "ImagePullBackOff"
            | "InvalidImageName"
            | "CreateContainerConfigError"
            | "CreateContainerError"
            | "CrashLoopBackOff"
    );
    stuck.then(|| match status.message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(message) => format!("driver pod {}: {reason}: {message}", name(pod)),
        None => format!("driver pod {}: {reason}", name(pod)),
    })
}

/// An executor's exit, for its event.
pub fn executor_exit(pod: &Pod) -> (i32, String) {
    match terminated(pod, &EXECUTOR_CONTAINERS) {
        Some(t) => (t.exit_code, t.reason.clone().unwrap_or_default()),
        None => (-1, "Unknown (Container not Found)".to_string()),
    }
}

fn phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("")
}

fn name(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or_default()
}

fn terminated<'a>(pod: &'a Pod, containers: &[&str]) -> Option<&'a ContainerStateTerminated> {
    let statuses = pod.status.as_ref()?.container_statuses.as_ref()?;
    containers.iter().find_map(|wanted| {
        let status = statuses.iter().find(|s| s.name == *wanted)?;
        status.state.as_ref()?.terminated.as_ref()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(value: serde_json::Value) -> Pod {
        serde_json::from_value(value).unwrap_or_default()
    }

    fn with_driver(phase: &str, exit: Option<i32>) -> Pod {
        let state = match exit {
            Some(code) => serde_json::json!({"terminated": {"exitCode": code, "reason": "Error", "message": "boom"}}),
            None => serde_json::json!({"running": {}}),
        };
        pod(serde_json::json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "spark-kubernetes-driver"}]},
            "status": {"phase": phase, "containerStatuses": [{"name": "spark-kubernetes-driver", "state": state,
                "ready": false, "restartCount": 0, "image": "i", "imageID": ""}]}
        }))
    }

    #[test]
    fn driver_states_follow_kubeflow() {
        assert_eq!(driver_state(&with_driver("Pending", None)), DriverState::Pending);
        assert_eq!(driver_state(&with_driver("Running", None)), DriverState::Running);
        // A Running pod whose Spark container has ended already counts as ended.
        assert_eq!(driver_state(&with_driver("Running", Some(0))), DriverState::Completed);
        assert_eq!(driver_state(&with_driver("Running", Some(1))), DriverState::Failed);
        assert_eq!(driver_state(&with_driver("Succeeded", Some(0))), DriverState::Completed);
        assert_eq!(driver_state(&with_driver("Failed", Some(0))), DriverState::Completed);
        assert_eq!(driver_state(&with_driver("Failed", Some(137))), DriverState::Failed);
        assert_eq!(driver_state(&with_driver("Weird", None)), DriverState::Unknown);
        assert_eq!(application_state(DriverState::Completed), ApplicationStateType::Succeeding);
        assert_eq!(application_state(DriverState::Failed), ApplicationStateType::Failing);
    }

    #[test]
    fn failures_carry_the_exit_code_and_message() {
        assert_eq!(
            driver_failure(&with_driver("Failed", Some(3))),
            "driver container failed with ExitCode: 3, Reason: Error; termination message: boom"
        );
    }

    #[test]
    fn image_pull_problems_are_named() {
        let p = pod(serde_json::json!({
            "metadata": {"name": "d"},
            "spec": {"containers": [{"name": "spark-kubernetes-driver"}]},
            "status": {"phase": "Pending", "containerStatuses": [{"name": "spark-kubernetes-driver",
                "state": {"waiting": {"reason": "ImagePullBackOff", "message": "manifest unknown"}},
                "ready": false, "restartCount": 0, "image": "i", "imageID": ""}]}
        }));
        assert_eq!(pending_problem(&p).as_deref(), Some("driver pod d: ImagePullBackOff: manifest unknown"));
        assert_eq!(pending_problem(&with_driver("Pending", None)), None);
    }
}
