//! Container logs that keep following through dropped connections and API
//! server time-outs: lines are read with their kubelet timestamps, and when
//! the stream ends or stays silent too long while the container still runs,
//! it is reopened from the last timestamp seen (skipping what was printed).

use std::ops::ControlFlow;
use std::time::Duration;

use futures::{AsyncBufReadExt, TryStreamExt};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::LogParams;

use crate::error::ClusterError;

/// Silence longer than this makes kspark check the connection by reopening
/// (AKS load balancers drop idle connections after about four minutes).
const IDLE: Duration = Duration::from_secs(60);

pub struct LogRequest {
    pub pod: String,
    pub container: Option<String>,
    pub follow: bool,
    pub since_seconds: Option<i64>,
}

/// Streams the logs of one container to `on_line`, until the container's
/// log ends or `on_line` breaks (its reader has gone). With `reconnect`, a
/// 401 (expired credentials) renews them and the stream goes on where it was.
pub async fn stream(
    api: &Api<Pod>,
    req: &LogRequest,
    reconnect: Option<&crate::ConnectOptions>,
    mut on_line: impl FnMut(&str) -> ControlFlow<()>,
) -> Result<(), ClusterError> {
    let mut api = api.clone();
    let mut last: Option<(Timestamp, String)> = None;
    loop {
        let params = LogParams {
            follow: req.follow,
            container: req.container.clone(),
            timestamps: true,
            since_seconds: if last.is_none() { req.since_seconds } else { None },
            since_time: last.as_ref().map(|(t, _)| *t),
            ..Default::default()
        };
        let reader = match api.log_stream(&req.pod, &params).await {
            Ok(reader) => reader,
            Err(kube::Error::Api(status)) if status.code == 401 && reconnect.is_some() => {
                let options = reconnect.cloned().unwrap_or_default();
                let conn = crate::connect(&options)
                    .await
                    .map_err(|_| ClusterError::Unauthorized { action: format!("read the logs of {}", req.pod) })?;
                api = Api::namespaced(conn.client, api.namespace().unwrap_or("default"));
                continue;
            }
            Err(e) => return Err(ClusterError::from_kube(format!("read the logs of {}", req.pod), e)),
        };
        let mut lines = reader.lines();
        loop {
            let next = if req.follow {
                tokio::time::timeout(IDLE, lines.try_next()).await
            } else {
                Ok(lines.try_next().await)
            };
            match next {
                Ok(Ok(Some(line))) => {
                    if emit(&line, &mut last, &mut on_line).is_break() {
                        return Ok(());
                    }
                }
                Ok(Ok(None)) | Ok(Err(_)) | Err(_) => break,
            }
        }
        if !req.follow || finished(&api, &req.pod).await {
            return Ok(());
        }
    }
}

/// Prints a `TIMESTAMP text` line unless it was printed before a reopen.
fn emit(
    line: &str,
    last: &mut Option<(Timestamp, String)>,
    on_line: &mut impl FnMut(&str) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let (stamp, text) = match line.split_once(' ') {
        Some((ts, rest)) => match ts.parse::<Timestamp>() {
            Ok(t) => (Some(t), rest),
            Err(_) => (None, line),
        },
        None => (line.parse::<Timestamp>().ok(), ""),
    };
    if let (Some(t), Some((seen, seen_text))) = (stamp, last.as_ref())
        && (t < *seen || (t == *seen && text == seen_text))
    {
        return ControlFlow::Continue(());
    }
    if let Some(t) = stamp {
        *last = Some((t, text.to_string()));
    }
    on_line(text)
}

async fn finished(api: &Api<Pod>, pod: &str) -> bool {
    match api.get_opt(pod).await {
        Ok(Some(p)) => matches!(p.status.and_then(|s| s.phase).as_deref(), Some("Succeeded") | Some("Failed")),
        Ok(None) => true,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reopened_streams_do_not_repeat_lines() {
        let mut printed = Vec::new();
        let mut last = None;
        let mut sink = |l: &str| {
            printed.push(l.to_string());
            if l == "stop" { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        };
        let _ = emit("2026-01-01T00:00:01Z one", &mut last, &mut sink);
        let _ = emit("2026-01-01T00:00:02Z two", &mut last, &mut sink);
        // The reopened stream starts again at the last timestamp.
        let _ = emit("2026-01-01T00:00:02Z two", &mut last, &mut sink);
        let _ = emit("2026-01-01T00:00:03Z three", &mut last, &mut sink);
        assert!(emit("2026-01-01T00:00:04Z stop", &mut last, &mut sink).is_break());
        assert_eq!(printed, vec!["one", "two", "three", "stop"]);
    }
}
