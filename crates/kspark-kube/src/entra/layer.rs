//! The tower layer that puts an Entra ID bearer token on every request to
//! the API server and, when the server answers 401, fetches a new token
//! and sends the request once more (when its body can be replayed: every
//! kube-rs request except streamed uploads).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, Response, StatusCode};
use kube::client::Body;
use secrecy::{ExposeSecret, SecretString};
use tower::buffer::Buffer;
use tower::{BoxError, Layer, Service, ServiceExt};

use super::tokens::EntraTokens;

/// Wraps kube's service stack (outermost, before the base URI is set).
#[derive(Clone)]
pub struct EntraAuthLayer {
    tokens: Arc<EntraTokens>,
}

impl EntraAuthLayer {
    pub fn new(tokens: Arc<EntraTokens>) -> EntraAuthLayer {
        EntraAuthLayer { tokens }
    }
}

/// Requests in flight while one waits for a token or its retry.
const BUFFER: usize = 1024;

impl<S> Layer<S> for EntraAuthLayer
where
    S: Service<Request<Body>> + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError> + Send + Sync,
{
    type Service = EntraAuth<Buffer<Request<Body>, S::Future>>;

    fn layer(&self, inner: S) -> Self::Service {
        // A buffer makes kube's boxed (single-owner) stack cloneable, so a
        // refused request can be sent again.
        EntraAuth { inner: Buffer::new(inner, BUFFER), tokens: self.tokens.clone() }
    }
}

#[derive(Clone)]
pub struct EntraAuth<S> {
    inner: S,
    tokens: Arc<EntraTokens>,
}

type ResponseFuture<R> = Pin<Box<dyn Future<Output = Result<R, BoxError>> + Send>>;

impl<S, B> Service<Request<Body>> for EntraAuth<S>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = BoxError;
    type Future = ResponseFuture<Response<B>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The ready service goes with this call; `self` keeps a fresh clone.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let tokens = self.tokens.clone();
        Box::pin(async move {
            let issued = tokens.token().await?;
            let replay = replayable(&request);
            let response = inner.call(with_bearer(request, &issued.token)?).await.map_err(Into::into)?;
            let Some(again) = replay.filter(|_| response.status() == StatusCode::UNAUTHORIZED) else {
                return Ok(response);
            };
            tracing::debug!("the API server refused the Entra ID token (401); fetching a new one");
            let fresh = tokens.replace(&issued.token).await?;
            inner.oneshot(with_bearer(again, &fresh.token)?).await.map_err(Into::into)
        })
    }
}

fn with_bearer(mut request: Request<Body>, token: &SecretString) -> Result<Request<Body>, BoxError> {
    let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose_secret()))
        .map_err(|_| BoxError::from("the Entra ID token holds characters not allowed in an HTTP header"))?;
    value.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(request)
}

/// A copy of `request` to send again, if its body is in memory.
fn replayable(request: &Request<Body>) -> Option<Request<Body>> {
    let body = request.body().try_clone()?;
    let mut copy = Request::new(body);
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    Some(copy)
}
