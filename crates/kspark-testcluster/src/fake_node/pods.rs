//! Watching the pods bound to the node and playing each one's scripted
//! life through `pods/status`.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::log::NodeLog;
use super::script::{Outcome, Script};
use super::status::{self, PodFacts};
use super::{ui_address, web_ui};
use crate::annotations::IMAGE_PULL_BACKOFF_MILLIS;

/// Watches pods with `spec.nodeName=<node>` until the task is dropped.
/// The watcher re-lists after errors (with backoff), so a restarted or
/// briefly unreachable apiserver only delays pods.
pub(crate) async fn run(client: Client, node: String, log: NodeLog) {
    let all: Api<Pod> = Api::all(client.clone());
    let config = watcher::Config::default().fields(&format!("spec.nodeName={node}"));
    let mut player = Player::new(client, log.clone());
    loop {
        let mut events = watcher::watcher(all.clone(), config.clone()).default_backoff().boxed();
        while let Some(event) = events.next().await {
            match event {
                Ok(Event::Apply(pod) | Event::InitApply(pod)) => player.on_pod(pod),
                Ok(Event::Delete(pod)) => player.forget(&pod),
                Ok(Event::Init | Event::InitDone) => {}
                Err(e) => log.line(format_args!("pod watch error (re-listing): {e}")),
            }
        }
        log.line("pod watch stream ended; starting a new one");
    }
}

/// Per-pod tasks, keyed by UID so that a re-created pod of the same name is
/// a new pod and a re-listed one is not replayed.
struct Player {
    client: Client,
    log: NodeLog,
    tasks: HashMap<String, JoinHandle<()>>,
    played: HashSet<String>,
    deleting: HashSet<String>,
    next_ip: u32,
}

impl Player {
    fn new(client: Client, log: NodeLog) -> Self {
        Self { client, log, tasks: HashMap::new(), played: HashSet::new(), deleting: HashSet::new(), next_ip: 0 }
    }

    fn on_pod(&mut self, pod: Pod) {
        let Some(uid) = pod.metadata.uid.clone() else {
            return;
        };
        self.tasks.retain(|_, task| !task.is_finished());
        if pod.metadata.deletion_timestamp.is_some() {
            self.stop(&uid);
            if self.deleting.insert(uid.clone()) {
                let api = self.api_for(&pod);
                tokio::spawn(delete_now(api, pod.name_any(), uid, self.log.clone()));
            }
            return;
        }
        if is_terminal(&pod) || !self.played.insert(uid.clone()) {
            return;
        }
        let web_ui = web_ui::page_text(&pod);
        let ui_ip = web_ui.as_ref().and_then(|_| match ui_address::ui_ip() {
            Ok(ip) => Some(ip),
            Err(e) => {
                self.log.line(format_args!("pod {}: no web UI: {e}", pod.name_any()));
                None
            }
        });
        let pod_ip = ui_ip.map_or_else(|| self.allocate_ip(), |ip| ip.to_string());
        let facts = PodFacts::new(&pod, pod_ip);
        let script = Script::from_annotations(pod.metadata.annotations.as_ref());
        let ui = ui_ip.zip(web_ui).map(|(ip, text)| (SocketAddr::from((ip, web_ui::ui_port(&pod))), text));
        let life = Life { api: self.api_for(&pod), name: pod.name_any(), facts, ui, log: self.log.clone() };
        self.tasks.insert(uid, tokio::spawn(life.play(script)));
    }

    fn forget(&mut self, pod: &Pod) {
        if let Some(uid) = pod.metadata.uid.as_deref() {
            self.stop(uid);
            self.played.remove(uid);
            self.deleting.remove(uid);
        }
    }

    fn stop(&mut self, uid: &str) {
        if let Some(task) = self.tasks.remove(uid) {
            task.abort();
        }
    }

    fn api_for(&self, pod: &Pod) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &pod.namespace().unwrap_or_default())
    }

    /// 10.246.0.2, 10.246.0.3, …: unique per pod for the life of the node,
    /// apart from the real node's 10.244.0.0/24 so that the two never share
    /// an address when both run.
    fn allocate_ip(&mut self) -> String {
        let n = self.next_ip;
        self.next_ip = self.next_ip.wrapping_add(1);
        format!("10.246.{}.{}", (n / 250) % 256, n % 250 + 2)
    }
}

fn is_terminal(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    matches!(phase, Some("Succeeded" | "Failed"))
}

/// Deleting with grace period 0 is what a kubelet does once containers
/// have stopped; without it a bound pod keeps its deletionTimestamp forever.
/// The UID precondition spares a new pod that took the same name.
async fn delete_now(api: Api<Pod>, name: String, uid: String, log: NodeLog) {
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: Some(Preconditions { uid: Some(uid), resource_version: None }),
        ..Default::default()
    };
    match api.delete(&name, &params).await {
        Ok(_) => log.line(format_args!("pod {name}: deleted")),
        Err(kube::Error::Api(s)) if s.is_not_found() || s.is_conflict() => {}
        Err(e) => log.line(format_args!("pod {name}: delete failed: {e}")),
    }
}

/// One pod's life.
struct Life {
    api: Api<Pod>,
    name: String,
    facts: PodFacts,
    /// Where and what the stand-in Spark UI serves while the pod runs.
    ui: Option<(SocketAddr, String)>,
    log: NodeLog,
}

impl Life {
    async fn play(self, script: Script) {
        self.log.line(format_args!("pod {}: playing {:?}", self.name, script));
        tokio::time::sleep(script.start_delay).await;
        let _ = match &script.outcome {
            Outcome::Pending => self.report(status::waiting(&self.facts, "ContainerCreating", &|_| None)).await,
            Outcome::ImagePullError { message } => self.pull_error(message).await,
            outcome => self.run(outcome, script.run_time).await,
        };
    }

    async fn run(&self, outcome: &Outcome, run_time: Duration) -> Result<(), ()> {
        let ui_guard = self.start_ui().await;
        let started_at = status::now();
        self.report(status::running(&self.facts, &started_at)).await?;
        if *outcome == Outcome::RunForever {
            // The UI lives as long as this task: until the pod is deleted.
            if ui_guard.is_some() {
                std::future::pending::<()>().await;
            }
            return Ok(());
        }
        tokio::time::sleep(run_time).await;
        drop(ui_guard);
        self.report(status::terminated(&self.facts, outcome, &started_at)).await
    }

    /// Starts the stand-in UI; it stops when the returned guard drops.
    async fn start_ui(&self) -> Option<AbortOnDrop> {
        let (addr, text) = self.ui.clone()?;
        match web_ui::serve(addr, text).await {
            Ok(task) => {
                self.log.line(format_args!("pod {}: web UI on {addr}", self.name));
                Some(AbortOnDrop(task))
            }
            Err(e) => {
                self.log.line(format_args!("pod {}: web UI on {addr} failed: {e}", self.name));
                None
            }
        }
    }

    async fn pull_error(&self, message: &str) -> Result<(), ()> {
        let first = status::waiting(&self.facts, "ErrImagePull", &|_| Some(message.to_string()));
        self.report(first).await?;
        tokio::time::sleep(Duration::from_millis(IMAGE_PULL_BACKOFF_MILLIS)).await;
        let backoff = |image: &str| Some(format!("Back-off pulling image \"{image}\": ErrImagePull: {message}"));
        self.report(status::waiting(&self.facts, "ImagePullBackOff", &backoff)).await
    }

    /// Patches the status; `Err` ends the life (the pod is gone, or the
    /// apiserver refuses, which the log records).
    async fn report(&self, status: Value) -> Result<(), ()> {
        let phase = status["phase"].as_str().unwrap_or_default().to_string();
        let patch = Patch::Merge(json!({ "status": status }));
        match self.api.patch_status(&self.name, &PatchParams::default(), &patch).await {
            Ok(_) => {
                self.log.line(format_args!("pod {}: {phase}", self.name));
                Ok(())
            }
            Err(kube::Error::Api(s)) if s.is_not_found() => Err(()),
            Err(e) => {
                self.log.line(format_args!("pod {}: status patch ({phase}) failed: {e}", self.name));
                Err(())
            }
        }
    }
}

/// Stops a spawned task when dropped (the stand-in UI with its pod's life).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
