//! The recorder's HTTP server: plain HTTP/1.1 on 127.0.0.1 with keep-alive
//! and TCP_NODELAY (as Go's net/http, and so kube-apiserver, does: without
//! it every request after the first on a kept-alive connection waits for the
//! client's delayed ACK). It runs on its own thread with its own runtime, so
//! synchronous tests and the command line can use it alike.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::SinkExt;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

use super::error::RecorderError;
use super::request_log::RecordedRequest;
use super::routes::{Reply, reply};
use super::store::{DriverEnd, Store};

/// How the stand-in plays the driver.
#[derive(Debug, Clone, Copy)]
pub struct RecorderOptions {
    /// The exit code the driver container ends with (0 = Succeeded).
    pub driver_exit: i32,
    /// Pause between the driver's phases on a watch.
    pub step: Duration,
    /// How long a watch stays open after its last event.
    pub linger: Duration,
}

impl Default for RecorderOptions {
    fn default() -> Self {
        Self { driver_exit: 0, step: Duration::from_millis(200), linger: Duration::from_secs(2) }
    }
}

impl RecorderOptions {
    /// Defaults, overridden by `RECORDER_DRIVER_EXIT` and
    /// `RECORDER_STEP_SECONDS` (the variables golden cases set).
    pub fn from_env() -> Result<Self, RecorderError> {
        let mut options = Self::default();
        if let Ok(exit) = std::env::var("RECORDER_DRIVER_EXIT") {
            options.driver_exit = exit
                .trim()
                .parse()
                .map_err(|_| RecorderError::Start(format!("RECORDER_DRIVER_EXIT={exit} is not an integer")))?;
        }
        if let Ok(step) = std::env::var("RECORDER_STEP_SECONDS") {
            let seconds: f64 =
                step.trim().parse().ok().filter(|s: &f64| s.is_finite() && *s >= 0.0).ok_or_else(|| {
                    RecorderError::Start(format!("RECORDER_STEP_SECONDS={step} is not a number of seconds"))
                })?;
            options.step = Duration::from_secs_f64(seconds);
        }
        Ok(options)
    }
}

struct Shared {
    store: Mutex<Store>,
    log: PathBuf,
    options: RecorderOptions,
}

/// A running recorder; stops when dropped.
pub struct Recorder {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Recorder {
    /// Starts a recorder on a free port of 127.0.0.1, appending to `log`.
    pub fn start(log: &Path, options: RecorderOptions) -> Result<Self, RecorderError> {
        Self::start_on(0, log, options)
    }

    /// Starts a recorder on `port` of 127.0.0.1 (0 = any free port).
    pub fn start_on(port: u16, log: &Path, options: RecorderOptions) -> Result<Self, RecorderError> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| RecorderError::io(format!("binding 127.0.0.1:{port}"), e))?;
        listener.set_nonblocking(true).map_err(|e| RecorderError::io("making the listener non-blocking", e))?;
        let address = listener.local_addr().map_err(|e| RecorderError::io("the listener's address", e))?;
        let shared = Arc::new(Shared { store: Mutex::new(Store::default()), log: log.to_path_buf(), options });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RecorderError::io("starting the recorder's runtime", e))?;
        let (shutdown, stop) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("spark-recorder".into())
            .spawn(move || runtime.block_on(serve(listener, shared, stop)))
            .map_err(|e| RecorderError::io("starting the recorder's thread", e))?;
        Ok(Self { address, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// The `--master` value that points a submission client here.
    pub fn master_url(&self) -> String {
        format!("k8s://http://{}", self.address)
    }

    /// Blocks until the server thread ends (it ends only when stopped).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(listener: std::net::TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let _ = tcp.set_nodelay(true);
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(shared.clone(), request));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(tcp), service).await;
                });
            }
        }
    }
}

type Body = BoxBody<Bytes, Infallible>;

async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let recorded = RecordedRequest::new(parts.method.as_str(), &parts.uri, &parts.headers, &body);
    let end = DriverEnd { exit_code: shared.options.driver_exit };
    let answer = {
        let mut store = shared.store.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = recorded.append_to(&shared.log) {
            eprintln!("spark-recorder: {e}");
        }
        reply(&mut store, end, &recorded)
    };
    Ok(match answer {
        Reply::Json { status, body } => {
            respond(status, "application/json", Full::new(Bytes::from(body.to_string())).boxed())
        }
        Reply::Text { status, body } => respond(status, "text/plain", Full::new(Bytes::from(body)).boxed()),
        Reply::Watch { events } => respond(200, "application/json", watch_body(events, shared.options)),
    })
}

fn respond(status: u16, content_type: &str, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = http::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(http::header::CONTENT_TYPE, value);
    }
    response
}

/// A chunked stream of watch events, `step` apart, that ends `linger` after
/// the last one (or as soon as the client goes away).
fn watch_body(events: Vec<serde_json::Value>, options: RecorderOptions) -> Body {
    let (mut sender, receiver) = futures::channel::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(4);
    tokio::spawn(async move {
        for (i, event) in events.into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(options.step).await;
            }
            if sender.send(Ok(Frame::data(Bytes::from(format!("{event}\n"))))).await.is_err() {
                return;
            }
        }
        tokio::time::sleep(options.linger).await;
    });
    StreamBody::new(receiver).boxed()
}
