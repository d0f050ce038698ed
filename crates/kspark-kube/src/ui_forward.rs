//! `kspark ui`: a local HTTP port that forwards every request to a driver's
//! Spark UI through kube-apiserver's pod proxy
//! (`/api/v1/namespaces/NS/pods/POD:PORT/proxy/PATH`), so nothing but the
//! API server needs to be reachable and no kubectl is involved.
//!
//! Paths go through 1:1. The API server rewrites absolute links in HTML and
//! `Location` headers to carry its proxy prefix; a request that already
//! carries the prefix is therefore forwarded as it is.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use kube::Client;
use tokio::net::TcpListener;

/// Spark's default `spark.ui.port`.
pub const DEFAULT_UI_PORT: u16 = 4040;

/// The driver whose UI is forwarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiTarget {
    pub namespace: String,
    pub pod: String,
    pub port: u16,
}

impl UiTarget {
    /// The API server path that proxies to the UI's root.
    pub fn proxy_prefix(&self) -> String {
        format!("/api/v1/namespaces/{}/pods/{}:{}/proxy", self.namespace, self.pod, self.port)
    }

    /// The API server path for a local request path (with its query).
    fn upstream_path(&self, local: &str) -> String {
        let prefix = self.proxy_prefix();
        if local.starts_with(&format!("{prefix}/")) || local == prefix {
            return local.to_string();
        }
        let local = if local.starts_with('/') { local.to_string() } else { format!("/{local}") };
        format!("{prefix}{local}")
    }
}

/// Binds 127.0.0.1:`port`; without one, 4040 if free, else any free port.
pub async fn bind(port: Option<u16>) -> std::io::Result<TcpListener> {
    match port {
        Some(p) => TcpListener::bind((Ipv4Addr::LOCALHOST, p)).await,
        None => match TcpListener::bind((Ipv4Addr::LOCALHOST, DEFAULT_UI_PORT)).await {
            Ok(listener) => Ok(listener),
            Err(_) => TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await,
        },
    }
}

/// Serves `listener` forever, each connection on its own task.
pub async fn serve(listener: TcpListener, client: Client, target: UiTarget) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let (client, target) = (client.clone(), target.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request| forward(client.clone(), target.clone(), request));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// Headers that belong to one hop (RFC 9110 §7.6.1), plus `Host`, which
/// the API client sets, and `Accept-Encoding`, which kube's client handles.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let hop = [
        header::CONNECTION,
        header::HOST,
        header::TRANSFER_ENCODING,
        header::TE,
        header::TRAILER,
        header::UPGRADE,
        header::PROXY_AUTHORIZATION,
        header::ACCEPT_ENCODING,
        header::CONTENT_LENGTH,
        header::AUTHORIZATION,
    ];
    let mut kept = headers.clone();
    for name in hop {
        kept.remove(name);
    }
    kept.remove("keep-alive");
    kept
}

async fn forward(
    client: Client,
    target: UiTarget,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(match try_forward(&client, &target, request).await {
        Ok(response) => response,
        Err(message) => {
            let body = format!("kspark ui: cannot reach {}:{}: {message}\n", target.namespace, target.pod);
            let mut response = Response::new(Full::new(Bytes::from(body)));
            *response.status_mut() = StatusCode::BAD_GATEWAY;
            response
        }
    })
}

async fn try_forward(
    client: &Client,
    target: &UiTarget,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, String> {
    let (parts, body) = request.into_parts();
    let local = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let body = body.collect().await.map_err(|e| format!("reading the request: {e}"))?.to_bytes();
    let mut upstream = Request::builder()
        .method(parts.method)
        .uri(target.upstream_path(local))
        .body(kube::client::Body::from(body.to_vec()))
        .map_err(|e| e.to_string())?;
    *upstream.headers_mut() = end_to_end(&parts.headers);
    let response = client.send(upstream).await.map_err(|e| e.to_string())?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| format!("reading the response: {e}"))?.to_bytes();
    let mut out = Response::new(Full::new(body));
    *out.status_mut() = parts.status;
    *out.headers_mut() = end_to_end(&parts.headers);
    Ok(out)
}

/// This address on this machine, for humans and browsers.
pub fn local_url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> UiTarget {
        UiTarget { namespace: "team".into(), pod: "pi-driver".into(), port: 4040 }
    }

    #[test]
    fn local_paths_go_below_the_pod_proxy() {
        assert_eq!(target().upstream_path("/"), "/api/v1/namespaces/team/pods/pi-driver:4040/proxy/");
        assert_eq!(
            target().upstream_path("/jobs/job/?id=3"),
            "/api/v1/namespaces/team/pods/pi-driver:4040/proxy/jobs/job/?id=3"
        );
    }

    #[test]
    fn links_the_api_server_rewrote_are_not_prefixed_twice() {
        let rewritten = "/api/v1/namespaces/team/pods/pi-driver:4040/proxy/stages/";
        assert_eq!(target().upstream_path(rewritten), rewritten);
    }

    #[test]
    fn hop_headers_and_credentials_stay_behind() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:4040".parse().unwrap_or_else(|e| panic!("{e}")));
        headers.insert(header::AUTHORIZATION, "Bearer x".parse().unwrap_or_else(|e| panic!("{e}")));
        headers.insert(header::ACCEPT, "text/html".parse().unwrap_or_else(|e| panic!("{e}")));
        let kept = end_to_end(&headers);
        assert_eq!(kept.len(), 1);
        assert!(kept.contains_key(header::ACCEPT));
    }
}
