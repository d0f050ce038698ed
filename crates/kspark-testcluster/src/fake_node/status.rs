//! The pod statuses a kubelet would report, as merge-patch bodies for
//! `pods/status`.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::script::Outcome;
use crate::annotations::OOM_EXIT_CODE;

/// The node's InternalIP, also each pod's hostIP.
pub(crate) const HOST_IP: &str = "127.0.0.1";

/// The facts of one pod that every status repeats.
#[derive(Debug, Clone)]
pub(crate) struct PodFacts {
    pub uid: String,
    pub containers: Vec<(String, String)>,
    pub init_containers: Vec<(String, String)>,
    pub pod_ip: String,
    pub start_time: String,
}

impl PodFacts {
    pub(crate) fn new(pod: &Pod, pod_ip: String) -> Self {
        let names = |list: Option<&Vec<k8s_openapi::api::core::v1::Container>>| {
            list.map(|cs| cs.iter().map(|c| (c.name.clone(), c.image.clone().unwrap_or_default())).collect())
                .unwrap_or_default()
        };
        let spec = pod.spec.as_ref();
        Self {
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            containers: names(spec.map(|s| &s.containers)),
            init_containers: names(spec.and_then(|s| s.init_containers.as_ref())),
            pod_ip,
            start_time: now(),
        }
    }
}

/// Kubernetes timestamps (metav1.Time) have whole seconds.
pub(crate) fn now() -> String {
    Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn condition(type_: &str, status: bool, reason: Option<&str>) -> Value {
    let mut c = json!({
        "type": type_,
        "status": if status { "True" } else { "False" },
        "lastTransitionTime": now(),
    });
    if let Some(reason) = reason {
        c["reason"] = json!(reason);
    }
    c
}

fn conditions(sandbox: bool, initialized: bool, ready: bool, not_ready_reason: &str) -> Value {
    let reason = (!ready).then_some(not_ready_reason);
    json!([
        condition("PodReadyToStartContainers", sandbox, None),
        condition("Initialized", initialized, None),
        condition("Ready", ready, reason),
        condition("ContainersReady", ready, reason),
        condition("PodScheduled", true, None),
    ])
}

fn container_status(f: &PodFacts, (name, image): &(String, String), ready: bool, state: Value) -> Value {
    let started = state.get("running").is_some();
    json!({
        "name": name,
        "image": image,
        "imageID": format!("fake-registry/{image}@sha256:{}", "0".repeat(64)),
        "containerID": format!("fake://{}/{name}", f.uid),
        "ready": ready,
        "started": started,
        "restartCount": 0,
        "state": state,
        "lastState": {},
    })
}

fn statuses(f: &PodFacts, list: &[(String, String)], ready: bool, state: &dyn Fn(&str) -> Value) -> Value {
    Value::Array(list.iter().map(|c| container_status(f, c, ready, state(&c.1))).collect())
}

fn completed_init(f: &PodFacts) -> Value {
    let state = json!({ "terminated": {
        "exitCode": 0, "reason": "Completed", "startedAt": f.start_time, "finishedAt": f.start_time,
    }});
    statuses(f, &f.init_containers, false, &|_| state.clone())
}

fn base(f: &PodFacts, phase: &str) -> Value {
    json!({
        "phase": phase,
        "hostIP": HOST_IP,
        "hostIPs": [{ "ip": HOST_IP }],
        "podIP": f.pod_ip,
        "podIPs": [{ "ip": f.pod_ip }],
        "startTime": f.start_time,
    })
}

/// Pending with every container waiting for the given reason.
pub(crate) fn waiting(f: &PodFacts, reason: &str, message: &dyn Fn(&str) -> Option<String>) -> Value {
    let mut status = base(f, "Pending");
    status["conditions"] = conditions(true, true, false, "ContainersNotReady");
    status["initContainerStatuses"] = completed_init(f);
    status["containerStatuses"] = statuses(f, &f.containers, false, &|image| {
        let mut w = json!({ "reason": reason });
        if let Some(m) = message(image) {
            w["message"] = json!(m);
        }
        json!({ "waiting": w })
    });
    status
}

/// Running and Ready.
pub(crate) fn running(f: &PodFacts, started_at: &str) -> Value {
    let mut status = base(f, "Running");
    status["conditions"] = conditions(true, true, true, "");
    status["initContainerStatuses"] = completed_init(f);
    let state = json!({ "running": { "startedAt": started_at } });
    status["containerStatuses"] = statuses(f, &f.containers, true, &|_| state.clone());
    status
}

/// Succeeded or Failed, every container terminated the way `outcome` says.
pub(crate) fn terminated(f: &PodFacts, outcome: &Outcome, started_at: &str) -> Value {
    let (phase, exit_code, reason, message) = match outcome {
        Outcome::Fail { exit_code, message } => ("Failed", *exit_code, "Error", message.clone()),
        Outcome::Oom => ("Failed", OOM_EXIT_CODE, "OOMKilled", None),
        _ => ("Succeeded", 0, "Completed", None),
    };
    let mut terminated = json!({
        "exitCode": exit_code,
        "reason": reason,
        "startedAt": started_at,
        "finishedAt": now(),
    });
    if let Some(message) = message {
        terminated["message"] = json!(message);
    }
    let mut status = base(f, phase);
    status["conditions"] = conditions(false, true, false, "PodCompleted");
    status["initContainerStatuses"] = completed_init(f);
    let state = json!({ "terminated": terminated });
    status["containerStatuses"] = statuses(f, &f.containers, false, &|_| state.clone());
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> PodFacts {
        PodFacts {
            uid: "u1".into(),
            containers: vec![("spark-kubernetes-driver".into(), "spark:4".into())],
            init_containers: vec![],
            pod_ip: "10.246.0.2".into(),
            start_time: now(),
        }
    }

    #[test]
    fn running_names_every_container() {
        let s = running(&facts(), &now());
        assert_eq!(s["phase"], "Running");
        assert_eq!(s["podIP"], "10.246.0.2");
        assert_eq!(s["containerStatuses"][0]["name"], "spark-kubernetes-driver");
        assert!(s["containerStatuses"][0]["state"]["running"]["startedAt"].is_string());
        assert_eq!(s["conditions"][2]["type"], "Ready");
        assert_eq!(s["conditions"][2]["status"], "True");
    }

    #[test]
    fn failure_carries_code_and_message() {
        let outcome = Outcome::Fail { exit_code: 3, message: Some("boom".into()) };
        let s = terminated(&facts(), &outcome, &now());
        assert_eq!(s["phase"], "Failed");
        let t = &s["containerStatuses"][0]["state"]["terminated"];
        assert_eq!(t["exitCode"], 3);
        assert_eq!(t["message"], "boom");
        assert_eq!(t["reason"], "Error");
    }

    #[test]
    fn oom_is_137() {
        let s = terminated(&facts(), &Outcome::Oom, &now());
        let t = &s["containerStatuses"][0]["state"]["terminated"];
        assert_eq!((t["exitCode"].as_i64(), t["reason"].as_str()), (Some(137), Some("OOMKilled")));
    }
}
