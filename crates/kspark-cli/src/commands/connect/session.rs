//! A running `kspark connect`: waiting for the server with a live view of
//! it and its executors, the forward's target (the server pod, found anew
//! for every connection; a client made anew when a token expires), and
//! the idle clock of `--idle-timeout`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use k8s_openapi::api::core::v1::Pod;
use kspark_kube::connect_server;
use kspark_kube::port_forward::{Activity, ForwardTarget, PortForwardError};
use kspark_kube::{ConnectOptions, Connection};
use kspark_sparkapp::ConnectState;
use kspark_sparkapp::connect::status::{executor_counts, pod_is_ready};
use kube::Client;

use crate::exit_status::ExitStatus;
use crate::failure::hinted;

const POLL: Duration = Duration::from_millis(500);
/// Container states that will not end by waiting.
const STUCK: &[&str] =
    &["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError"];

/// Which server: a SparkConnect's (`managed`, made by an operator) or one
/// `kspark connect --no-operator` made.
#[derive(Debug, Clone)]
pub struct Server {
    pub namespace: String,
    pub name: String,
    pub managed: bool,
}

/// One line of the live view; printed when it changes.
fn view(server: &Server, state: &str, pod: Option<&Pod>, executors: &[Pod]) -> String {
    let pod_text = match pod {
        None => "no server pod yet".to_string(),
        Some(pod) => {
            let phase = pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".into());
            let ready = if pod_is_ready(pod) { ", ready" } else { "" };
            let waiting = waiting_reason(pod).map(|r| format!(" ({r})")).unwrap_or_default();
            format!("server {phase}{ready}{waiting}")
        }
    };
    let counts = executor_counts(executors);
    let count = |phase: &str| counts.get(phase).copied().unwrap_or(0);
    format!(
        "kspark: {}:{} {state} · {pod_text} · executors: {} running, {} pending",
        server.namespace,
        server.name,
        count("running"),
        count("pending")
    )
}

fn waiting_reason(pod: &Pod) -> Option<String> {
    let statuses = pod.status.as_ref()?.container_statuses.as_ref()?;
    statuses.iter().find_map(|s| s.state.as_ref()?.waiting.as_ref()?.reason.clone())
}

/// Waits until the server answers (its pod is ready), printing how it and
/// its executors come up; fails at once on what waiting will not mend.
pub async fn wait_ready(conn: &Connection, server: &Server, timeout: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut last = String::new();
    loop {
        let (state, reason) = state_of(&conn.client, server).await?;
        let pod = connect_server::server_pod(&conn.client, &server.namespace, &server.name)
            .await
            .map_err(crate::failure::cluster)?;
        let executors = connect_server::executors(&conn.client, &server.namespace, &server.name)
            .await
            .map_err(crate::failure::cluster)?;
        let line = view(server, &state, pod.as_ref(), &executors);
        if line != last {
            errln!("{line}");
            if let Some(reason) = reason.as_deref().filter(|r| !r.is_empty()) {
                errln!("kspark:   {reason}");
            }
            last = line;
        }
        if state == "Failed" {
            return Err(hinted(
                format!("SparkConnect {}:{} failed: {}", server.namespace, server.name, reason.unwrap_or_default()),
                Some(format!("fix its spec (`kubectl edit sparkconnect -n {} {}`)", server.namespace, server.name)),
                ExitStatus::Failure,
            ));
        }
        if let Some(pod) = &pod {
            check_not_stuck(server, pod)?;
            if pod_is_ready(pod) && (state == "Ready" || !server.managed) {
                return Ok(());
            }
        }
        if started.elapsed() >= timeout {
            return Err(hinted(
                format!("the server of {}:{} is not ready after {timeout:?}", server.namespace, server.name),
                Some(format!("see why with `kspark events {}:{}-server`", server.namespace, server.name)),
                ExitStatus::Timeout,
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The SparkConnect's state and its condition's message; for a server
/// without one, the pod's phase.
async fn state_of(client: &Client, server: &Server) -> anyhow::Result<(String, Option<String>)> {
    if !server.managed {
        return Ok(("(no operator)".into(), None));
    }
    let connect = connect_server::get_connect(client, &server.namespace, &server.name)
        .await
        .map_err(crate::failure::cluster)?
        .ok_or_else(|| {
            hinted(format!("SparkConnect {}:{} was deleted", server.namespace, server.name), None, ExitStatus::Failure)
        })?;
    let status = connect.status.unwrap_or_default();
    let state = match status.state {
        ConnectState::New => "New".to_string(),
        other => format!("{other:?}"),
    };
    let reason = status.conditions.first().map(|c| c.message.clone());
    Ok((state, reason))
}

fn check_not_stuck(server: &Server, pod: &Pod) -> anyhow::Result<()> {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or_default();
    let stuck = waiting_reason(pod).filter(|r| STUCK.contains(&r.as_str()));
    if phase != "Failed" && phase != "Succeeded" && stuck.is_none() {
        return Ok(());
    }
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    let why = stuck.unwrap_or_else(|| format!("the pod is {phase}"));
    Err(hinted(
        format!("the server of {}:{} cannot start: {why}", server.namespace, server.name),
        Some(format!(
            "see `kspark logs {ns}:{pod_name}` and `kspark events {ns}:{pod_name}`; check --image",
            ns = server.namespace
        )),
        ExitStatus::Failure,
    ))
}

/// The forward's target: the server's pod as it is now, through a client
/// made anew from the same options when the API server says the token
/// expired (an hourly Entra ID or exec-plugin token).
pub struct ServerTarget {
    options: ConnectOptions,
    client: Mutex<Client>,
    server: Server,
}

impl ServerTarget {
    pub fn new(options: ConnectOptions, client: Client, server: Server) -> ServerTarget {
        ServerTarget { options, client: Mutex::new(client), server }
    }

    fn current(&self) -> Client {
        self.client.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

#[async_trait]
impl ForwardTarget for ServerTarget {
    async fn client(&self, refresh: bool) -> Result<Client, PortForwardError> {
        if refresh {
            errln!("kspark: the API server refused the token (expired or revoked); getting a fresh one");
            let conn =
                kspark_kube::connect(&self.options).await.map_err(|e| PortForwardError::Client(e.to_string()))?;
            *self.client.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = conn.client;
        }
        Ok(self.current())
    }

    async fn resolve(&self, client: &Client) -> Result<Option<(String, String)>, PortForwardError> {
        let Server { namespace, name, .. } = &self.server;
        let pod = connect_server::server_pod(client, namespace, name).await.map_err(|e| match e {
            kspark_kube::ClusterError::Unauthorized { .. } => {
                PortForwardError::kube("find the server pod", unauthorized())
            }
            other => PortForwardError::Client(other.to_string()),
        })?;
        Ok(pod.filter(pod_is_ready).and_then(|p| p.metadata.name).map(|pod| (namespace.clone(), pod)))
    }
}

/// A 401 as kube reports it, so that the forward asks for a fresh client.
fn unauthorized() -> kube::Error {
    let mut status = kube::core::Status::failure("token expired", "Unauthorized");
    status.code = 401;
    kube::Error::Api(Box::new(status))
}

/// Completes once no client has been connected for `timeout`.
pub async fn idle_for(activity: Activity, timeout: Duration) {
    loop {
        tokio::time::sleep(POLL.min(timeout)).await;
        if activity.idle_since().is_some_and(|since| since.elapsed() >= timeout) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(phase: &str, ready: bool, waiting: Option<&str>) -> Pod {
        let waiting = waiting.map(|r| serde_json::json!({"waiting": {"reason": r}})).unwrap_or_default();
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "nb-server"},
            "status": {
                "phase": phase,
                "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
                "containerStatuses": [{"name": "c", "image": "i", "imageID": "", "ready": ready, "restartCount": 0,
                                       "state": waiting}]
            }
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn server() -> Server {
        Server { namespace: "team-a".into(), name: "nb".into(), managed: true }
    }

    #[test]
    fn the_live_view_names_the_state_the_server_and_the_executors() {
        let executors = [pod("Running", true, None), pod("Pending", false, None)];
        let line = view(&server(), "NotReady", Some(&pod("Running", false, None)), &executors);
        assert_eq!(line, "kspark: team-a:nb NotReady · server Running · executors: 1 running, 1 pending");
        let line = view(&server(), "Ready", Some(&pod("Running", true, None)), &[]);
        assert!(line.contains("server Running, ready"), "{line}");
        let line = view(&server(), "NotReady", Some(&pod("Pending", false, Some("ContainerCreating"))), &[]);
        assert!(line.contains("server Pending (ContainerCreating)"), "{line}");
    }

    #[test]
    fn a_server_that_cannot_start_is_reported_at_once() {
        assert!(check_not_stuck(&server(), &pod("Pending", false, Some("ContainerCreating"))).is_ok());
        let error = check_not_stuck(&server(), &pod("Pending", false, Some("ImagePullBackOff")))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("cannot start: ImagePullBackOff"), "{error}");
        assert!(check_not_stuck(&server(), &pod("Failed", false, None)).is_err());
    }
}
