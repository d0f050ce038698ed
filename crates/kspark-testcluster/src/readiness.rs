//! Waiting for components, with a deadline, failing fast (with the log's
//! tail) when the process behind a component has exited.

use std::future::Future;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Namespace, Node, ServiceAccount};
use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::{Api, Client};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::process::{LOG_TAIL_LINES, ProcessGroup};

const POLL: Duration = Duration::from_millis(200);
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Polls probes for one cluster.
pub(crate) struct Waiter<'a> {
    pub processes: &'a ProcessGroup,
    pub timeout: Duration,
}

impl Waiter<'_> {
    /// Polls `probe` until it answers `Ok`. `name` is the process whose
    /// death or log explains a failure; an `Err` from the probe is the
    /// reason it is not ready yet, quoted when time runs out.
    pub(crate) async fn until<F, Fut>(&self, name: &str, what: &str, mut probe: F) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<(), String>>,
    {
        let start = Instant::now();
        loop {
            self.processes.ensure_running(name)?;
            // A process that accepts connections but never answers must not
            // stall the loop past its deadline (kube's read timeout is minutes).
            let reason = match tokio::time::timeout(PROBE_TIMEOUT, probe()).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(reason)) => reason,
                Err(_) => format!("no answer within {PROBE_TIMEOUT:?}"),
            };
            if start.elapsed() > self.timeout {
                return Err(self.not_ready(name, format!("{what}; last probe: {reason}")));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn not_ready(&self, name: &str, what: String) -> Error {
        let log = self.processes.log_of(name).unwrap_or_default();
        Error::NotReady {
            name: name.to_string(),
            what,
            timeout: self.timeout,
            tail: fsutil::tail(&log, LOG_TAIL_LINES),
            log,
        }
    }
}

/// etcd's `/health` over plain HTTP on loopback; a hand-written request
/// keeps an HTTP client dependency out of the crate.
pub(crate) async fn etcd_health(port: u16) -> std::result::Result<(), String> {
    let mut stream =
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| format!("connecting: {e}"))?;
    stream.write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").await.map_err(|e| format!("sending: {e}"))?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.map_err(|e| format!("reading: {e}"))?;
    if response.contains("\"health\":\"true\"") { Ok(()) } else { Err(fsutil::last_lines(&response, 1)) }
}

/// A plain-HTTP GET on loopback answered 200 (a registry's `/v2/`, a
/// component's health endpoint).
pub(crate) async fn http_ok(port: u16, path: &str) -> std::result::Result<(), String> {
    let mut stream =
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| format!("connecting: {e}"))?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(|e| format!("sending: {e}"))?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.map_err(|e| format!("reading: {e}"))?;
    let status = response.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) == Some("200") { Ok(()) } else { Err(status.to_string()) }
}

pub(crate) async fn apiserver_ready(client: &Client) -> std::result::Result<(), String> {
    let request = http::Request::get("/readyz").body(Vec::new()).map_err(|e| e.to_string())?;
    client.request_text(request).await.map(drop).map_err(|e| e.to_string())
}

pub(crate) async fn service_account_exists(
    client: &Client,
    namespace: &str,
    name: &str,
) -> std::result::Result<(), String> {
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    match api.get_opt(name).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(format!("service account {namespace}/{name} not created yet")),
        Err(e) => Err(e.to_string()),
    }
}

/// The `edit` role's rules are filled in by the aggregation controller; a
/// binding to it grants nothing before that.
pub(crate) async fn edit_role_aggregated(client: &Client) -> std::result::Result<(), String> {
    let api: Api<ClusterRole> = Api::all(client.clone());
    match api.get_opt("edit").await {
        Ok(Some(role)) if role.rules.as_ref().is_some_and(|r| !r.is_empty()) => Ok(()),
        Ok(_) => Err("ClusterRole edit has no aggregated rules yet".into()),
        Err(e) => Err(e.to_string()),
    }
}

pub(crate) async fn node_ready(client: &Client, name: &str) -> std::result::Result<(), String> {
    let api: Api<Node> = Api::all(client.clone());
    let node =
        api.get_opt(name).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("node {name} not registered yet"))?;
    let ready = node
        .status
        .and_then(|s| s.conditions)
        .unwrap_or_default()
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    if ready { Ok(()) } else { Err(format!("node {name} is not Ready")) }
}

/// Waits (up to `timeout`) until `namespace` has its `default` service
/// account: pods that name no service account are refused before that.
pub(crate) async fn default_service_account(client: &Client, namespace: &str, timeout: Duration) -> Result<()> {
    let start = Instant::now();
    loop {
        match service_account_exists(client, namespace, "default").await {
            Ok(()) => return Ok(()),
            Err(reason) if start.elapsed() > timeout => {
                return Err(Error::Timeout {
                    what: format!("default service account of namespace {namespace}: {reason}"),
                    timeout,
                });
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// Creates a namespace unless it exists.
pub(crate) async fn ensure_namespace(client: &Client, name: &str) -> Result<()> {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns = Namespace {
        metadata: kube::api::ObjectMeta { name: Some(name.to_string()), ..Default::default() },
        ..Default::default()
    };
    match api.create(&Default::default(), &ns).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.is_already_exists() => Ok(()),
        Err(e) => Err(Error::kube(format!("creating namespace {name}"), e)),
    }
}
