//! A stand-in Spark UI for pods annotated [`crate::annotations::WEB_UI`]:
//! plain HTTP on the pod's IP and UI port, reached by kube-apiserver's pod
//! proxy (`pods/proxy`) as it would reach a real driver.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use k8s_openapi::api::core::v1::Pod;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::annotations::WEB_UI;

/// The page text of a pod that serves a UI, if it does.
pub(crate) fn page_text(pod: &Pod) -> Option<String> {
    pod.metadata.annotations.as_ref()?.get(WEB_UI).cloned()
}

/// The port Spark's UI listens on: the container port named `spark-ui`.
pub(crate) fn ui_port(pod: &Pod) -> u16 {
    let containers = pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| p.name.as_deref() == Some("spark-ui"))
        .and_then(|p| u16::try_from(p.container_port).ok())
        .unwrap_or(4040)
}

/// Serves the page on `addr` until the task is aborted.
pub(crate) async fn serve(addr: SocketAddr, text: String) -> std::io::Result<JoinHandle<()>> {
    let listener = TcpListener::bind(addr).await?;
    Ok(tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let text = text.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                    // An absolute link, as Spark's pages have: kube-apiserver
                    // rewrites those to carry its proxy prefix.
                    let body = format!(
                        "<html><head><title>Spark UI stand-in</title></head>\
                         <body><p>{text} path={}</p><a href=\"/jobs/\">Jobs</a></body></html>",
                        request.uri()
                    );
                    let mut response = Response::new(Full::new(Bytes::from(body)));
                    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
                    async move { Ok::<_, std::convert::Infallible>(response) }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    }))
}
