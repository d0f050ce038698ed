//! `/healthz`, `/readyz` and `/metrics` on one small HTTP/1 listener.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::metrics::Metrics;

/// Ready once the caches are filled and (with leader election) this
/// replica leads or stands by.
#[derive(Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Relaxed);
    }

    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Binds now (so a bad address fails at start-up) and serves in the background.
pub async fn serve(addr: SocketAddr, metrics: Metrics, ready: Readiness) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let (metrics, ready) = (metrics.clone(), ready.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req| answer(req, metrics.clone(), ready.clone()));
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    Ok(bound)
}

async fn answer(
    req: Request<Incoming>,
    metrics: Metrics,
    ready: Readiness,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body, kind) = match req.uri().path() {
        "/healthz" | "/livez" => (StatusCode::OK, "ok".to_string(), "text/plain"),
        "/readyz" if ready.get() => (StatusCode::OK, "ok".to_string(), "text/plain"),
        "/readyz" => (StatusCode::SERVICE_UNAVAILABLE, "not ready".to_string(), "text/plain"),
        "/metrics" => (StatusCode::OK, metrics.render(), "application/openmetrics-text; version=1.0.0; charset=utf-8"),
        _ => (StatusCode::NOT_FOUND, "not found".to_string(), "text/plain"),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = kind.parse() {
        response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
    }
    Ok(response)
}
