//! A simulated node ("fake kubelet"): registers Node `kspark-fake-node-1`,
//! keeps it alive through its Lease, and plays the pods the real
//! kube-scheduler binds to it, as scripted by [`crate::annotations`].
//!
//! It runs on its own thread with its own tokio runtime so that it keeps
//! working whatever the tests do with theirs (sync tests, `#[tokio::test]`
//! runtimes that come and go).

mod kubelet_logs;
mod log;
mod node;
mod pods;
pub(crate) mod script;
pub(crate) mod status;
mod ui_address;
mod web_ui;

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use kube::Client;
use tokio::sync::watch;

use self::log::NodeLog;
use crate::client::client_from_kubeconfig;
use crate::error::{Error, Result};

/// Name of the simulated node.
pub const FAKE_NODE_NAME: &str = "kspark-fake-node-1";

/// What the fake node needs to start.
#[derive(Debug, Clone)]
pub(crate) struct FakeNodeConfig {
    pub kubeconfig: PathBuf,
    pub log: PathBuf,
    pub kubelet_version: String,
}

/// The running fake node; stopped on drop.
#[derive(Debug)]
pub(crate) struct FakeNode {
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeNode {
    /// Starts the node's thread and waits until the Node is registered and
    /// Ready (or `timeout` passes).
    pub(crate) fn start(config: FakeNodeConfig, timeout: Duration) -> Result<Self> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("kspark-fake-node".into())
            .spawn(move || thread_main(config, ready_tx, shutdown_rx))
            .map_err(|e| Error::io("starting the fake node thread", e))?;
        let node = Self { shutdown, thread: Some(thread) };
        match ready_rx.recv_timeout(timeout) {
            Ok(Ok(())) => Ok(node),
            Ok(Err(e)) => Err(e),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                Err(Error::FakeNode(format!("node {FAKE_NODE_NAME} was not registered within {timeout:?}")))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(Error::FakeNode("the fake node thread stopped while starting".into()))
            }
        }
    }

    pub(crate) fn stop(&mut self) {
        // The receiver is gone only if the thread already ended.
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        self.stop();
    }
}

fn thread_main(config: FakeNodeConfig, ready: mpsc::Sender<Result<()>>, mut shutdown: watch::Receiver<bool>) {
    let runtime = match crate::runtime::new_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    runtime.block_on(async move {
        let (client, log, logs_server) = match prepare(&config).await {
            Ok(ok) => ok,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        // The starter may have timed out and gone; the node runs regardless.
        let _ = ready.send(Ok(()));
        log.line(format_args!("node {FAKE_NODE_NAME} registered"));
        tokio::select! {
            () = heartbeat(client.clone(), log.clone()) => {}
            () = pods::run(client, FAKE_NODE_NAME.to_string(), log.clone()) => {}
            () = logs_server => {}
            _ = shutdown.wait_for(|stop| *stop) => log.line("stopping"),
        }
    });
}

async fn prepare(config: &FakeNodeConfig) -> Result<(Client, NodeLog, impl std::future::Future<Output = ()>)> {
    let log = NodeLog::open(&config.log)?;
    let client = client_from_kubeconfig(&config.kubeconfig).await?;
    let (port, logs_server) = kubelet_logs::start(client.clone()).await?;
    node::register(&client, FAKE_NODE_NAME, &config.kubelet_version, port).await?;
    node::renew_lease(&client, FAKE_NODE_NAME).await?;
    Ok((client, log, logs_server))
}

async fn heartbeat(client: Client, log: NodeLog) {
    loop {
        tokio::time::sleep(node::LEASE_RENEW).await;
        if let Err(e) = node::renew_lease(&client, FAKE_NODE_NAME).await {
            log.line(e);
        }
    }
}
