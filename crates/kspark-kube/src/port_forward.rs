//! A local TCP port forwarded to a pod's port through kube-apiserver's
//! `pods/portforward` subresource (a WebSocket), so nothing but the API
//! server has to be reachable and no kubectl is involved. `kspark connect`
//! uses it for a Spark Connect server's gRPC port.
//!
//! It is meant to run for hours, so nothing is fixed at start: every local
//! connection asks the caller ([`ForwardTarget`]) for a client (whose token
//! may have been refreshed since) and for the pod (which may have been
//! replaced, under another name), and waits with backoff while there is no
//! pod to reach. One connection's failure never stops the listener.

use std::future::Future;
use std::io;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use futures::FutureExt;
use futures::future::{Fuse, FusedFuture};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::Portforwarder;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::api_status::{FORBIDDEN, api_code};

const UNAUTHORIZED: u16 = 401;

/// The first wait before trying again to reach a pod; it doubles up to
/// [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(200);
const MAX_DELAY: Duration = Duration::from_secs(5);
/// How long one local connection waits for a pod before it is closed: long
/// enough for a Spark Connect server pod to be recreated and start, short
/// enough that a client sees a closed connection rather than a hang.
const PATIENCE: Duration = Duration::from_secs(60);
/// How long one attempt to open a tunnel (a client, the pod, the
/// WebSocket) may take: an API server or credential plugin that stops
/// answering costs one attempt, not the connection.
const DIAL_TIMEOUT: Duration = Duration::from_secs(15);

/// How much a client may send before the pod's first byte and still be
/// replayed to another pod when this one refused the connection.
const REPLAY_LIMIT: usize = 64 * 1024;
/// How long to wait for the pod's error message once its stream ended: the
/// message travels on its own channel and may come a little later.
const ERROR_GRACE: Duration = Duration::from_secs(1);
/// How long a finished port-forward may take to close its WebSocket
/// politely before its task is aborted.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// The pause after a failed `accept` (e.g. out of file descriptors), so the
/// listener does not spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Why a local connection could not reach the pod; also what a
/// [`ForwardTarget`] reports.
#[derive(Debug, Error)]
pub enum PortForwardError {
    /// The caller could not make a client (e.g. its credential plugin failed).
    #[error("cannot get a Kubernetes client: {0}")]
    Client(String),
    /// A request to the API server failed.
    #[error("cannot {action}: {source}")]
    Kube { action: String, source: kube::Error },
    /// The caller knows there is nothing to forward to and waiting will not
    /// change that; the local connection is closed at once.
    #[error("{0}")]
    Target(String),
    /// Opening the tunnel took longer than [`DIAL_TIMEOUT`]; tried again.
    #[error("opening the port-forward took longer than {}s", DIAL_TIMEOUT.as_secs())]
    Stalled,
}

impl PortForwardError {
    pub fn kube(action: impl Into<String>, source: kube::Error) -> PortForwardError {
        PortForwardError::Kube { action: action.into(), source }
    }

    fn code(&self) -> Option<u16> {
        match self {
            PortForwardError::Kube { source, .. } => api_code(source),
            _ => None,
        }
    }

    fn is_unauthorized(&self) -> bool {
        self.code() == Some(UNAUTHORIZED)
    }

    /// Waiting will not help: RBAC does not change by itself, and a
    /// [`PortForwardError::Target`] says so. Everything else (no such pod
    /// yet, a pod not running, the network, a plugin failing once) may.
    fn is_final(&self) -> bool {
        matches!(self, PortForwardError::Target(_)) || self.code() == Some(FORBIDDEN)
    }
}

/// What the forward goes to; implemented by the caller, so this module
/// knows nothing about what runs in the pod.
#[async_trait]
pub trait ForwardTarget: Send + Sync {
    /// A client with a valid token. `refresh` is true after the API server
    /// answered 401 with the last one: the caller should then build a new
    /// client with a fresh token, and hand that out from then on.
    async fn client(&self, refresh: bool) -> Result<kube::Client, PortForwardError>;

    /// The pod to forward to now, as (namespace, pod name). Asked again for
    /// every connection and every retry, since the pod may be replaced.
    /// `Ok(None)` while none is running and ready: the connection then waits
    /// and asks again.
    async fn resolve(&self, client: &kube::Client) -> Result<Option<(String, String)>, PortForwardError>;
}

/// Binds 127.0.0.1:`port`, or an ephemeral port without one. Only ever
/// loopback: whoever can connect gets the pod with the caller's rights.
pub async fn bind(port: Option<u16>) -> io::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port.unwrap_or(0))).await
}

/// What the forward is doing, for an idle timeout and for humans. Cheap to
/// clone; all clones see the same counters.
#[derive(Debug, Clone)]
pub struct Activity(Arc<Counters>);

#[derive(Debug)]
struct Counters {
    /// `idle_nanos` counts from here, since an `Instant` has no atomic form.
    epoch: std::time::Instant,
    open: AtomicUsize,
    idle_nanos: AtomicU64,
    bytes: AtomicU64,
}

impl Default for Activity {
    fn default() -> Self {
        Activity::new()
    }
}

impl Activity {
    /// Idle from now, with nothing forwarded.
    pub fn new() -> Activity {
        Activity(Arc::new(Counters {
            epoch: std::time::Instant::now(),
            open: AtomicUsize::new(0),
            idle_nanos: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }))
    }

    /// Local connections accepted and not yet closed (including those still
    /// waiting for a pod).
    pub fn open_connections(&self) -> usize {
        self.0.open.load(Ordering::SeqCst)
    }

    /// `None` while a connection is open; else when the last one closed, or
    /// when serving started if none ever did.
    pub fn idle_since(&self) -> Option<std::time::Instant> {
        if self.open_connections() > 0 {
            return None;
        }
        let nanos = self.0.idle_nanos.load(Ordering::SeqCst);
        Some(self.0.epoch + Duration::from_nanos(nanos))
    }

    /// Bytes copied in both directions, over all connections so far.
    pub fn bytes_forwarded(&self) -> u64 {
        self.0.bytes.load(Ordering::SeqCst)
    }

    fn mark_idle_now(&self) {
        let nanos = u64::try_from(self.0.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.0.idle_nanos.store(nanos, Ordering::SeqCst);
    }

    fn add_bytes(&self, n: usize) {
        self.0.bytes.fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    /// Counts a connection as open until the guard is dropped (also when its
    /// task is aborted).
    fn connection(&self) -> ConnectionGuard {
        self.0.open.fetch_add(1, Ordering::SeqCst);
        ConnectionGuard(self.clone())
    }
}

struct ConnectionGuard(Activity);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        // The idle time is stored before the count drops, so that a reader
        // who sees no open connection never sees an older idle time.
        self.0.mark_idle_now();
        self.0.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts connections on `listener` until `shutdown` completes, and
/// forwards each to `remote_port` of the pod `target` resolves. Connections
/// still open at shutdown are cut.
pub async fn serve(
    listener: TcpListener,
    target: Arc<dyn ForwardTarget>,
    remote_port: u16,
    activity: Activity,
    shutdown: impl Future,
) {
    if activity.open_connections() == 0 {
        activity.mark_idle_now();
    }
    let dial = Arc::new(KubeDial { target, port: remote_port });
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::debug!(%peer, "port-forward: new connection");
                    // gRPC's small frames should not wait for Nagle.
                    let _ = stream.set_nodelay(true);
                    let (guard, dial) = (activity.connection(), dial.clone());
                    connections.spawn(async move { forward_connection(stream, guard, &*dial).await });
                }
                Err(e) => {
                    tracing::warn!("port-forward: cannot accept a connection: {e}");
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                }
            },
            Some(joined) = connections.join_next() => {
                if let Err(e) = joined {
                    tracing::warn!("port-forward: a connection's task failed: {e}");
                }
            }
        }
    }
}

/// The delays between attempts to reach a pod for one local connection:
/// [`FIRST_DELAY`] doubling up to [`MAX_DELAY`], for [`PATIENCE`] in all.
#[derive(Debug)]
struct Backoff {
    started: Instant,
    next: Duration,
}

impl Backoff {
    fn new(started: Instant) -> Backoff {
        Backoff { started, next: FIRST_DELAY }
    }

    /// How long to wait before the next attempt; `None` once patience is
    /// spent. The last wait is cut to end when patience does.
    fn next_delay(&mut self, now: Instant) -> Option<Duration> {
        let left = PATIENCE.checked_sub(now.saturating_duration_since(self.started))?;
        if left.is_zero() {
            return None;
        }
        let delay = self.next.min(left);
        self.next = (self.next * 2).min(MAX_DELAY);
        Some(delay)
    }
}

trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

type ErrorMessage = Fuse<Pin<Box<dyn Future<Output = Option<String>> + Send>>>;

/// One opened way to the pod's port.
struct Tunnel {
    /// Bytes to and from the port.
    stream: Box<dyn Duplex>,
    /// The message the far end sends when the port cannot be used (e.g.
    /// nothing listens on it); `None` when it closed without one.
    error: ErrorMessage,
    /// The port-forward's task, aborted once the tunnel is done.
    forwarder: Option<Portforwarder>,
    /// namespace/pod, for messages.
    pod: String,
}

/// Opens tunnels; behind a trait so that the retry and replay logic can be
/// tested without a cluster.
#[async_trait]
trait Dial: Send + Sync {
    /// `Ok(None)` while there is no pod to go to.
    async fn dial(&self, refresh: bool) -> Result<Option<Tunnel>, PortForwardError>;
}

struct KubeDial {
    target: Arc<dyn ForwardTarget>,
    port: u16,
}

#[async_trait]
impl Dial for KubeDial {
    async fn dial(&self, refresh: bool) -> Result<Option<Tunnel>, PortForwardError> {
        let client = self.target.client(refresh).await?;
        let Some((namespace, pod)) = self.target.resolve(&client).await? else { return Ok(None) };
        let port = self.port;
        let mut forwarder = Api::<Pod>::namespaced(client, &namespace)
            .portforward(&pod, &[port])
            .await
            .map_err(|e| PortForwardError::kube(format!("open a port-forward to {namespace}/{pod}:{port}"), e))?;
        let (Some(stream), Some(error)) = (forwarder.take_stream(port), forwarder.take_error(port)) else {
            forwarder.abort();
            return Err(PortForwardError::Target(format!("the port-forward to {namespace}/{pod} has no port {port}")));
        };
        let error: Pin<Box<dyn Future<Output = Option<String>> + Send>> = Box::pin(error);
        Ok(Some(Tunnel {
            stream: Box::new(stream),
            error: error.fuse(),
            forwarder: Some(forwarder),
            pod: format!("{namespace}/{pod}"),
        }))
    }
}

/// Serves one local connection to its end: dials (fresh client, fresh pod)
/// until a pod takes it or patience runs out, then copies both ways.
async fn forward_connection<L>(local: L, guard: ConnectionGuard, dial: &dyn Dial)
where
    L: AsyncRead + AsyncWrite + Unpin,
{
    let mut local = Counted { inner: local, activity: guard.0.clone() };
    let mut backoff = Backoff::new(Instant::now());
    let mut replay = Replay::default();
    let mut refresh = false;
    let mut refreshed = false;
    loop {
        let attempt = tokio::time::timeout(DIAL_TIMEOUT, dial.dial(refresh));
        let waiting_for = match attempt.await.unwrap_or(Err(PortForwardError::Stalled)) {
            Ok(Some(tunnel)) => match relay(&mut local, tunnel, replay).await {
                Relayed::Closed => return,
                Relayed::Refused { message, replay: rest } => {
                    replay = rest;
                    message
                }
            },
            Ok(None) => "no pod to forward to yet".to_string(),
            // An expired token: one fresh client, at once.
            Err(e) if e.is_unauthorized() && !refreshed => {
                (refresh, refreshed) = (true, true);
                continue;
            }
            Err(e) if e.is_final() || e.is_unauthorized() => {
                tracing::warn!("port-forward: closing a local connection: {e}");
                return;
            }
            Err(e) => e.to_string(),
        };
        refresh = false;
        tracing::debug!("port-forward: {waiting_for}; trying again");
        let Some(delay) = backoff.next_delay(Instant::now()) else {
            tracing::warn!(
                "port-forward: closing a local connection after {}s without reaching a pod: {waiting_for}",
                PATIENCE.as_secs()
            );
            return;
        };
        tokio::time::sleep(delay).await;
    }
}

/// Copies between the local connection and one tunnel, then closes the
/// tunnel.
async fn relay<L>(local: &mut L, tunnel: Tunnel, replay: Replay) -> Relayed
where
    L: AsyncRead + AsyncWrite + Unpin,
{
    let Tunnel { stream, mut error, forwarder, pod } = tunnel;
    tracing::debug!("port-forward: to {pod}");
    let relayed = pump(local, stream, &mut error, replay).await;
    if let Relayed::Refused { message, .. } = &relayed {
        tracing::debug!("port-forward: {pod} refused the connection: {message}");
    }
    // Closed on the side, so that the local connection ends now.
    tokio::spawn(close(error, forwarder));
    relayed
}

/// Lets a tunnel's forwarder close its WebSocket (the stream is dropped by
/// now, which starts that; its error channel ends when it is done), then
/// makes sure its task ends even if the API server never answers.
async fn close(mut error: ErrorMessage, forwarder: Option<Portforwarder>) {
    if !error.is_terminated() {
        let _ = tokio::time::timeout(CLOSE_GRACE, &mut error).await;
    }
    if let Some(forwarder) = forwarder {
        forwarder.abort();
    }
}

/// What the client sent before the pod's first byte. A pod whose server
/// refused the connection got none of it, so it is sent again to the next
/// pod: the client sees one connection, not a reset.
#[derive(Debug, Default)]
struct Replay {
    sent: Vec<u8>,
    /// The client closed its side already.
    local_closed: bool,
}

#[derive(Debug)]
enum Relayed {
    /// The connection is over.
    Closed,
    /// The pod's side refused the connection before any byte came back;
    /// another attempt may carry on with `replay`.
    Refused { message: String, replay: Replay },
}

/// Copies both ways between `local` and `pod`: by hand until the pod's
/// first byte (keeping what was sent, for a replay), then with
/// `copy_bidirectional`.
async fn pump<L, P>(local: &mut L, mut pod: P, error: &mut ErrorMessage, replay: Replay) -> Relayed
where
    L: AsyncRead + AsyncWrite + Unpin,
    P: AsyncRead + AsyncWrite + Unpin,
{
    if let Some(ended) = until_first_reply(local, &mut pod, error, replay).await {
        return ended;
    }
    if let Err(e) = tokio::io::copy_bidirectional(local, &mut pod).await {
        tracing::debug!("port-forward: connection ended: {e}");
    }
    Relayed::Closed
}

/// Forwards until the pod answers (`None`: carry on copying) or the
/// connection ends first.
async fn until_first_reply<L, P>(
    local: &mut L,
    pod: &mut P,
    error: &mut ErrorMessage,
    mut replay: Replay,
) -> Option<Relayed>
where
    L: AsyncRead + AsyncWrite + Unpin,
    P: AsyncRead + AsyncWrite + Unpin,
{
    if send_replay(pod, &replay).await.is_err() {
        return Some(pod_gone(error, replay).await);
    }
    let mut from_local = vec![0u8; 16 * 1024];
    let mut from_pod = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            read = local.read(&mut from_local), if !replay.local_closed => match read {
                Ok(0) => {
                    replay.local_closed = true;
                    if pod.shutdown().await.is_err() {
                        return Some(pod_gone(error, replay).await);
                    }
                }
                Ok(n) => {
                    let chunk = from_local.get(..n).unwrap_or_default();
                    replay.sent.extend_from_slice(chunk);
                    if pod.write_all(chunk).await.is_err() {
                        return Some(pod_gone(error, replay).await);
                    }
                    if replay.sent.len() > REPLAY_LIMIT {
                        return None;
                    }
                }
                Err(_) => return Some(Relayed::Closed),
            },
            read = pod.read(&mut from_pod) => return match read {
                Ok(n) if n > 0 => {
                    let chunk = from_pod.get(..n).unwrap_or_default();
                    if local.write_all(chunk).await.is_err() { Some(Relayed::Closed) } else { None }
                }
                _ => Some(pod_gone(error, replay).await),
            },
            message = &mut *error => if let Some(message) = message {
                return Some(ended_with(message, replay));
            },
        }
    }
}

async fn send_replay<P: AsyncWrite + Unpin>(pod: &mut P, replay: &Replay) -> io::Result<()> {
    pod.write_all(&replay.sent).await?;
    if replay.local_closed {
        pod.shutdown().await?;
    }
    Ok(())
}

/// The pod's side ended before answering: refused if its error message
/// says so.
async fn pod_gone(error: &mut ErrorMessage, replay: Replay) -> Relayed {
    if error.is_terminated() {
        return Relayed::Closed;
    }
    match tokio::time::timeout(ERROR_GRACE, error).await {
        Ok(Some(message)) => ended_with(message, replay),
        _ => Relayed::Closed,
    }
}

fn ended_with(message: String, replay: Replay) -> Relayed {
    if is_refused(&message) {
        return Relayed::Refused { message, replay };
    }
    tracing::warn!("port-forward: the pod's side failed: {message}");
    Relayed::Closed
}

/// The kubelet could not connect to the port inside the pod (containerd
/// and CRI-O say "failed to connect to localhost:PORT inside namespace …
/// connection refused"): nothing reached a server, so trying again is safe.
fn is_refused(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("connection refused") || message.contains("failed to connect")
}

/// A stream that adds every byte through it to an [`Activity`].
struct Counted<S> {
    inner: S,
    activity: Activity,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.activity.add_bytes(buf.filled().len().saturating_sub(before));
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.activity.add_bytes(n);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
