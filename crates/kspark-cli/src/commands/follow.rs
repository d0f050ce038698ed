//! Following a driver to its end, shared by `submit` and `wait`: a live line
//! on a terminal (driver state, executors, elapsed time), one plain line per
//! state change otherwise (or one JSON object with `-o json`), a one-line
//! diagnosis when the application fails or stalls, and the driver's exit
//! code as ours. Ctrl-C stops waiting and leaves the application running.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use k8s_openapi::api::core::v1::{Pod, ResourceQuota};
use kspark_kube::executors::{self, ExecutorCounts};
use kspark_kube::wait::{self, DriverStatus, Outcome};
use kspark_kube::{ClusterError, ConnectOptions, Connection};
use tokio::sync::mpsc;

use crate::exit_status::ExitStatus;
use crate::failure::hinted;
use crate::output;
use kspark_manifests::labels::SPARK_APP_SELECTOR;

/// How often executors are counted and the live line refreshed, unless
/// `spark.kubernetes.report.interval` says otherwise.
const DEFAULT_TICK: Duration = Duration::from_secs(1);
/// How long executors may be missing before kspark says why
/// (`KSPARK_EXECUTOR_GRACE_SECONDS` changes it).
fn executor_grace() -> Duration {
    let secs = std::env::var("KSPARK_EXECUTOR_GRACE_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    Duration::from_secs(secs)
}

#[derive(Clone, Default)]
pub struct FollowOptions {
    pub quiet: bool,
    pub json: bool,
    /// Give up when the driver is still Pending after this long.
    pub timeout: Option<Duration>,
    /// Executors the application asks for (for the live view and diagnosis).
    pub wanted_executors: Option<i64>,
    /// How to reconnect when credentials expire during a long wait.
    pub reconnect: Option<ConnectOptions>,
    /// `spark.kubernetes.report.interval`.
    pub report_interval: Option<Duration>,
}

/// What the follower prints to.
struct View {
    bar: ProgressBar,
    opts: FollowOptions,
    id: String,
    started: Instant,
}

impl View {
    fn new(id: &str, opts: FollowOptions) -> View {
        // The live line only for a person at a terminal; --quiet, pipes and
        // JSON get plain state-change lines (or JSON objects) instead.
        let terminal = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let live = terminal && !opts.quiet && !opts.json;
        let target = if live { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        View { bar, opts, id: id.to_string(), started: Instant::now() }
    }

    /// A permanent line: above the live line on a terminal, plain otherwise.
    fn line(&self, text: &str) {
        if self.opts.json {
            return;
        }
        if self.bar.is_hidden() {
            errln!("{text}");
        } else {
            self.bar.println(text);
        }
    }

    fn change(&self, status: &DriverStatus, executors: Option<ExecutorCounts>) -> std::io::Result<()> {
        if self.opts.json {
            let json = serde_json::json!({
                "time": jiff::Timestamp::now().to_string(),
                "id": self.id,
                "phase": status.phase,
                "container": status.container,
                "exitCode": status.exit_code,
                "reason": status.reason,
                "message": status.message,
                "node": status.node,
                "executors": executors.map(|e| serde_json::json!({"running": e.running, "pending": e.pending, "failed": e.failed})),
            });
            outln!("{json}")?;
        }
        self.line(&format!(
            "kspark: [{:>6.1}s] driver {}",
            self.started.elapsed().as_secs_f64(),
            output::describe(status)
        ));
        Ok(())
    }

    fn live(&self, status: Option<&DriverStatus>, executors: Option<ExecutorCounts>) {
        let driver = status.map_or("starting".to_string(), |s| s.phase.clone());
        let execs = match (executors, self.opts.wanted_executors) {
            (Some(e), Some(w)) => {
                format!(" | executors {} running, {} pending, {} failed of {w}", e.running, e.pending, e.failed)
            }
            (Some(e), None) => {
                format!(" | executors {} running, {} pending, {} failed", e.running, e.pending, e.failed)
            }
            _ => String::new(),
        };
        self.bar.set_message(format!(
            "{}  driver {driver}{execs}  {:.0}s",
            self.id,
            self.started.elapsed().as_secs_f64()
        ));
        self.bar.tick();
    }
}

/// Waits for the driver of `namespace:pod` to finish.
pub async fn follow(
    connection: &Connection,
    namespace: &str,
    pod: &str,
    opts: FollowOptions,
) -> anyhow::Result<ExitCode> {
    let id = format!("{namespace}:{pod}");
    let view = View::new(&id, opts.clone());
    let mut conn = connection.clone();
    let result = loop {
        match watch(&conn, namespace, pod, &view).await {
            Err(FollowEnd::Unauthorized) if opts.reconnect.is_some() => {
                view.line("kspark: renewing the credentials (they expire or were refused)");
                let options = opts.reconnect.clone().unwrap_or_default();
                conn = kspark_kube::connect(&options).await.map_err(|e| {
                    let hint = e.hint();
                    hinted(e, hint, ExitStatus::Failure)
                })?;
            }
            other => break other,
        }
    };
    view.bar.finish_and_clear();
    match result {
        Ok(outcome) => Ok(finish(outcome, &id)),
        Err(FollowEnd::Interrupted) => {
            errln!("kspark: stopped waiting; the application keeps running.");
            errln!("  follow it: kspark wait {id}\n  stop it:   kspark kill {id}");
            Ok(ExitStatus::Interrupted.into())
        }
        Err(FollowEnd::TimedOut(status)) => {
            errln!(
                "kspark: {id} is still {} after {:?}: {}",
                status.phase,
                opts.timeout.unwrap_or_default(),
                failure_summary(&status)
            );
            errln!("  it keeps waiting in the cluster; stop it with: kspark kill {id}");
            Ok(ExitStatus::Timeout.into())
        }
        Err(FollowEnd::Unauthorized) => Err(hinted(
            "the API server no longer accepts the credentials",
            Some("log in again and `kspark wait` the application".into()),
            ExitStatus::Failure,
        )),
        Err(FollowEnd::Lost(e)) => {
            let hint = e.hint();
            Err(hinted(format!("lost track of the driver: {e}"), hint, ExitStatus::Failure))
        }
        Err(FollowEnd::Output(e)) => Err(e.into()),
    }
}

enum FollowEnd {
    Interrupted,
    TimedOut(DriverStatus),
    Unauthorized,
    Lost(ClusterError),
    /// Standard output failed (a closed pipe under `-o json`).
    Output(std::io::Error),
}

/// One connection's worth of following.
async fn watch(conn: &Connection, namespace: &str, pod: &str, view: &View) -> Result<Outcome, FollowEnd> {
    let pods: kube::Api<Pod> = kube::Api::namespaced(conn.client.clone(), namespace);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let waiting = wait::wait_for_driver(&pods, pod, move |s| {
        let _ = tx.send(s.clone());
    });
    tokio::pin!(waiting);
    let mut tick =
        tokio::time::interval(view.opts.report_interval.unwrap_or(DEFAULT_TICK).max(Duration::from_millis(100)));
    let mut last: Option<DriverStatus> = None;
    let mut executors: Option<ExecutorCounts> = None;
    let mut app_id: Option<String> = None;
    let mut running_since: Option<Instant> = None;
    let mut diagnosed = false;
    loop {
        tokio::select! {
            outcome = &mut waiting => {
                while let Ok(status) = rx.try_recv() { view.change(&status, executors).map_err(FollowEnd::Output)?; }
                return match outcome {
                    Ok(o) => Ok(o),
                    Err(ClusterError::Unauthorized { .. }) => Err(FollowEnd::Unauthorized),
                    Err(e) => Err(FollowEnd::Lost(e)),
                };
            }
            Some(status) = rx.recv() => {
                if status.phase == "Running" && running_since.is_none() { running_since = Some(Instant::now()); }
                view.change(&status, executors).map_err(FollowEnd::Output)?;
                last = Some(status);
            }
            _ = tick.tick() => {
                if view.opts.reconnect.is_some() && expiring(conn) {
                    return Err(FollowEnd::Unauthorized);
                }
                if app_id.is_none() { app_id = driver_app_id(&pods, pod).await; }
                if let Some(app) = &app_id { executors = executors::count(&conn.client, namespace, app).await.ok(); }
                view.live(last.as_ref(), executors);
                if let (Some(timeout), Some(s)) = (view.opts.timeout, &last)
                    && s.phase == "Pending" && view.started.elapsed() > timeout {
                    return Err(FollowEnd::TimedOut(s.clone()));
                }
                if !diagnosed && let Some(why) = missing_executors(conn, namespace, running_since, executors, view.opts.wanted_executors).await {
                    view.line(&format!("kspark: {why}"));
                    diagnosed = true;
                }
            }
            _ = tokio::signal::ctrl_c() => return Err(FollowEnd::Interrupted),
        }
    }
}

/// Credentials with less than a minute left are renewed before the API
/// server starts refusing them (client-go renews exec credentials the same way).
fn expiring(conn: &Connection) -> bool {
    conn.expires_at.is_some_and(|t| t.duration_since(jiff::Timestamp::now()) < jiff::SignedDuration::from_secs(60))
}

async fn driver_app_id(pods: &kube::Api<Pod>, pod: &str) -> Option<String> {
    let pod = pods.get_opt(pod).await.ok()??;
    pod.metadata.labels?.get(SPARK_APP_SELECTOR).cloned()
}

/// When the driver has run a while but fewer executors exist than it asked
/// for, the usual cause is a full quota (Spark retries forever and says
/// nothing outside its own log).
async fn missing_executors(
    conn: &Connection,
    namespace: &str,
    running_since: Option<Instant>,
    counts: Option<ExecutorCounts>,
    wanted: Option<i64>,
) -> Option<String> {
    let (since, counts, wanted) = (running_since?, counts?, wanted?);
    let have = (counts.running + counts.pending) as i64;
    if since.elapsed() < executor_grace() || have >= wanted {
        return None;
    }
    let full = full_quotas(conn, namespace).await;
    let cause = if full.is_empty() {
        "the driver cannot create them: check its service account's permissions (`kspark doctor`) and the driver log (`kspark logs`)".to_string()
    } else {
        format!("quota is exhausted ({}); the executors would wait forever", full.join(", "))
    };
    Some(format!("only {have} of {wanted} executors exist after {}s: {cause}", since.elapsed().as_secs()))
}

/// `name: pods 2/2` for every quota dimension that is used up.
async fn full_quotas(conn: &Connection, namespace: &str) -> Vec<String> {
    let api: kube::Api<ResourceQuota> = kube::Api::namespaced(conn.client.clone(), namespace);
    let Ok(list) = api.list(&Default::default()).await else { return Vec::new() };
    let mut full = Vec::new();
    for quota in list.items {
        let name = quota.metadata.name.clone().unwrap_or_default();
        let Some(status) = quota.status else { continue };
        for (resource, hard) in status.hard.unwrap_or_default() {
            let used = status.used.as_ref().and_then(|u| u.get(&resource)).map(|q| q.0.clone()).unwrap_or_default();
            let at_limit = kspark_manifests::quantity::to_milli(&used) >= kspark_manifests::quantity::to_milli(&hard.0);
            if at_limit {
                full.push(format!("{name}: {resource} {used}/{}", hard.0));
            }
        }
    }
    full
}

fn finish(outcome: Outcome, id: &str) -> ExitCode {
    match outcome {
        Outcome::Finished(status) if status.phase == "Succeeded" => {
            errln!("kspark: {id} succeeded");
            ExitCode::SUCCESS
        }
        Outcome::Finished(status) => {
            errln!("kspark: {id} failed: {}", failure_summary(&status));
            ExitStatus::of_failed_driver(status.exit_code).into()
        }
        Outcome::Deleted => {
            errln!("kspark: {id} was deleted before it finished");
            ExitStatus::Failure.into()
        }
    }
}

/// The one-line diagnosis: state plus the container's or scheduler's message.
fn failure_summary(status: &DriverStatus) -> String {
    let mut text = output::describe(status);
    let already = status.container.as_deref().is_some_and(|c| c.starts_with("waiting"));
    if let (false, Some(message)) = (already, status.message.as_deref().filter(|m| !m.is_empty())) {
        text.push_str(&format!(": {}", message.trim()));
    }
    text
}
