//! The one kubelet endpoint tests need: container logs
//! (`/containerLogs/{ns}/{pod}/{container}`), which kube-apiserver proxies
//! `pods/log` to. What a container "prints" is scripted by annotations (see
//! [`crate::annotations`]); every line has a fixed timestamp so that
//! `timestamps`, `sinceTime`, `sinceSeconds` and `tailLines` behave like a
//! kubelet's, and `follow` streams until the container terminates.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::annotations;
use crate::error::{Error, Result};

/// Binds 127.0.0.1 on a free port; returns the listener's port and the
/// server future.
pub(crate) async fn start(client: Client) -> Result<(u16, impl std::future::Future<Output = ()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| Error::io("binding the kubelet log port", e))?;
    let port = listener.local_addr().map_err(|e| Error::io("kubelet log port", e))?.port();
    let acceptor = TlsAcceptor::from(Arc::new(tls_config()?));
    Ok((port, serve(listener, acceptor, client)))
}

/// A self-signed serving certificate: kube-apiserver does not verify the
/// kubelet's certificate unless --kubelet-certificate-authority is set.
fn tls_config() -> Result<ServerConfig> {
    let key = rcgen::KeyPair::generate().map_err(|e| Error::FakeNode(format!("kubelet key: {e}")))?;
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .map_err(|e| Error::FakeNode(format!("kubelet certificate: {e}")))?;
    params.subject_alt_names.push(rcgen::SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    let cert = params.self_signed(&key).map_err(|e| Error::FakeNode(format!("kubelet certificate: {e}")))?;
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    ServerConfig::builder_with_provider(Arc::new(tokio_rustls::rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(vec![CertificateDer::from(cert.der().to_vec())], der))
        .map_err(|e| Error::FakeNode(format!("kubelet TLS: {e}")))
}

async fn serve(listener: TcpListener, acceptor: TlsAcceptor, client: Client) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let (acceptor, client) = (acceptor.clone(), client.clone());
        tokio::spawn(async move {
            if let Ok(tls) = acceptor.accept(tcp).await {
                let _ = handle(tls, client).await;
            }
        });
    }
}

/// The parts of a log request that matter here.
#[derive(Debug, Default)]
struct LogQuery {
    namespace: String,
    pod: String,
    container: String,
    follow: bool,
    timestamps: bool,
    since: Option<Timestamp>,
    tail: Option<usize>,
}

fn parse_target(target: &str) -> Option<LogQuery> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut parts = path.trim_start_matches('/').split('/');
    if parts.next()? != "containerLogs" {
        return None;
    }
    let mut q = LogQuery {
        namespace: parts.next()?.to_string(),
        pod: parts.next()?.to_string(),
        container: parts.next()?.to_string(),
        ..Default::default()
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = v.replace("%3A", ":").replace("%3a", ":");
        match k {
            "follow" => q.follow = v == "true",
            "timestamps" => q.timestamps = v == "true",
            "sinceTime" => q.since = v.parse().ok(),
            "sinceSeconds" => {
                q.since = v.parse::<i64>().ok().map(|s| Timestamp::now() - jiff::SignedDuration::from_secs(s));
            }
            "tailLines" => q.tail = v.parse().ok(),
            _ => {}
        }
    }
    Some(q)
}

async fn handle<S: tokio::io::AsyncRead + AsyncWrite + Unpin>(stream: S, client: Client) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).await? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or_default().to_string();
    let mut stream = reader.into_inner();
    let Some(query) = parse_target(&target) else {
        return respond(&mut stream, 404, "not found").await;
    };
    let pods: Api<Pod> = Api::namespaced(client, &query.namespace);
    let Ok(Some(pod)) = pods.get_opt(&query.pod).await else {
        return respond(&mut stream, 404, &format!("pods \"{}\" not found", query.pod)).await;
    };
    let Some(script) = ContainerLog::of(&pod, &query.container) else {
        let message =
            format!("container \"{}\" in pod \"{}\" is waiting to start or does not exist", query.container, query.pod);
        return respond(&mut stream, 400, &message).await;
    };
    stream_log(&mut stream, &pods, &query, script).await
}

async fn respond<W: AsyncWrite + Unpin>(stream: &mut W, code: u16, message: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {code} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        if code == 400 { "Bad Request" } else { "Not Found" },
        message.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(message.as_bytes()).await?;
    stream.shutdown().await
}

/// What one container has printed so far.
struct ContainerLog {
    started: Timestamp,
    finished: Option<Timestamp>,
    lines: Vec<String>,
    exit_line: Option<String>,
    tick: Option<Duration>,
}

impl ContainerLog {
    fn of(pod: &Pod, container: &str) -> Option<ContainerLog> {
        let status = pod.status.as_ref()?.container_statuses.as_ref()?.iter().find(|c| c.name == container)?.clone();
        let state = status.state?;
        let (started, finished, exit) = match (state.running, state.terminated) {
            (Some(r), _) => (r.started_at?.0, None, None),
            (None, Some(t)) => (t.started_at?.0, t.finished_at.map(|f| f.0), Some(t.exit_code)),
            _ => return None,
        };
        let note = |key: &str| pod.metadata.annotations.as_ref().and_then(|a| a.get(key)).cloned();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let lines = match note(annotations::LOG) {
            Some(text) => text.replace("\\n", "\n").lines().map(str::to_string).collect(),
            None => vec![format!("{name} {container} started")],
        };
        Some(ContainerLog {
            started,
            finished,
            lines,
            exit_line: exit.map(|code| format!("{name} {container} exited {code}")),
            tick: note(annotations::LOG_INTERVAL_MILLIS).and_then(|m| m.parse().ok()).map(Duration::from_millis),
        })
    }

    /// Every line written up to `until`, with its timestamp.
    fn until(&self, until: Timestamp) -> Vec<(Timestamp, String)> {
        let mut out = self.printed(until);
        out.extend(self.exit());
        out
    }

    /// The exit line, once the container has terminated.
    fn exit(&self) -> Option<(Timestamp, String)> {
        self.exit_line.clone().zip(self.finished).map(|(line, t)| (t, line))
    }

    /// What the program printed up to `until` (without the exit line).
    fn printed(&self, until: Timestamp) -> Vec<(Timestamp, String)> {
        let mut out: Vec<(Timestamp, String)> = self.lines.iter().map(|l| (self.started, l.clone())).collect();
        if let Some(tick) = self.tick.filter(|t| !t.is_zero()) {
            let end = self.finished.unwrap_or(until).min(until);
            let mut n = 1u32;
            let mut at = self.started + tick;
            while at <= end {
                out.push((at, format!("tick {n}")));
                n += 1;
                at += tick;
            }
        }
        out
    }
}

async fn stream_log<W: AsyncWrite + Unpin>(
    stream: &mut W,
    pods: &Api<Pod>,
    query: &LogQuery,
    mut log: ContainerLog,
) -> std::io::Result<()> {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await?;
    let mut lines = log.until(Timestamp::now());
    lines.retain(|(t, _)| query.since.is_none_or(|s| *t >= s));
    if let Some(tail) = query.tail {
        lines = lines.split_off(lines.len().saturating_sub(tail));
    }
    write_lines(stream, &lines, query.timestamps).await?;
    // Following: new program lines as they come, the exit line once.
    let mut sent = log.printed(Timestamp::now()).len();
    let mut exit_sent = log.finished.is_some();
    let mut last = lines.last().map(|(t, _)| *t);
    while query.follow && !exit_sent {
        tokio::time::sleep(log.tick.unwrap_or(Duration::from_millis(200)).min(Duration::from_millis(500))).await;
        if let Ok(Some(pod)) = pods.get_opt(&query.pod).await
            && let Some(now) = ContainerLog::of(&pod, &query.container)
        {
            log = now;
        }
        let printed = log.printed(Timestamp::now());
        let new = &printed[sent.min(printed.len())..];
        write_lines(stream, new, query.timestamps).await?;
        last = new.last().map_or(last, |(t, _)| Some(*t));
        sent = sent.max(printed.len());
        if let Some((t, line)) = log.exit() {
            // A kubelet's timestamps never go backwards; ticks counted while
            // the status was catching up may be later than the real finish.
            let t = last.map_or(t, |l| l.max(t));
            write_lines(stream, &[(t, line)], query.timestamps).await?;
            exit_sent = true;
        }
    }
    stream.write_all(b"0\r\n\r\n").await?;
    stream.shutdown().await
}

async fn write_lines<W: AsyncWrite + Unpin>(
    stream: &mut W,
    lines: &[(Timestamp, String)],
    stamps: bool,
) -> std::io::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut body = String::new();
    for (t, line) in lines {
        if stamps {
            body.push_str(&format!("{} ", t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")));
        }
        body.push_str(line);
        body.push('\n');
    }
    stream.write_all(format!("{:x}\r\n{body}\r\n", body.len()).as_bytes()).await?;
    stream.flush().await
}

#[cfg(test)]
mod tests {
    use super::parse_target;

    #[test]
    fn log_requests() {
        let q = parse_target(
            "/containerLogs/ns/p/c?follow=true&tailLines=2&timestamps=true&sinceTime=2026-01-01T00%3A00%3A00Z",
        );
        let q = q.unwrap_or_default();
        assert_eq!((q.namespace.as_str(), q.pod.as_str(), q.container.as_str()), ("ns", "p", "c"));
        assert!(q.follow && q.timestamps);
        assert_eq!(q.tail, Some(2));
        assert!(q.since.is_some());
        assert!(parse_target("/pods").is_none());
    }
}
