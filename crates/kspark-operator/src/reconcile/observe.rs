//! SUBMITTED / RUNNING / UNKNOWN: the application follows its driver pod
//! (kubeflow's updateDriverState and updateExecutorState), read from the
//! watch cache. kspark adds why a pending driver is stuck and deadlines.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kspark_kube::unscheduled::{unscheduled, until_unscheduled};
use kspark_sparkapp::ApplicationStateType as S;
use kspark_sparkapp::status::{DriverState, ExecutorState};
use kube::Api;
use kube::runtime::reflector::ObjectRef;

use super::cleanup::driver_pod_name;
use super::driver_cache::cached_driver;
use super::{Flow, ReconcileError, Work};
use crate::context::Context;
use crate::driver_state::{
    application_state, driver_failure, driver_state, executor_exit, executor_state, pending_problem,
};
use crate::events::Note;
use crate::pods::WatchedPod;
use kspark_manifests::labels::{SPARK_APP_SELECTOR, SPARK_EXEC_ID};

pub async fn driver(work: &mut Work, ctx: &Context) -> Result<Flow, ReconcileError> {
    let name = driver_pod_name(work);
    let pod = match cached_driver(work, ctx) {
        Some(pod) => pod,
        None => match not_in_cache(work, ctx, &name).await? {
            Ok(pod) => std::sync::Arc::new(WatchedPod(pod)),
            Err(flow) => return Ok(flow),
        },
    };
    if let Some(id) = pod.metadata.labels.as_ref().and_then(|l| l.get(SPARK_APP_SELECTOR)) {
        work.status_mut().spark_application_id = id.clone();
    }
    let state = driver_state(&pod);
    if matches!(state, DriverState::Completed | DriverState::Failed) && work.status().termination_time.is_none() {
        work.status_mut().termination_time = Some(Time(Timestamp::now()));
    }
    if state == DriverState::Failed {
        work.status_mut().app_state.error_message = driver_failure(&pod);
    }
    let next = application_state(state);
    if next != work.state() {
        work.note(driver_note(state, &name));
        work.set_state(next);
    }
    if work.state() == S::Running || matches!(state, DriverState::Completed | DriverState::Failed) {
        executors(work, ctx);
    }
    match state {
        DriverState::Pending => Ok(pending(work, ctx, &pod)),
        DriverState::Running => Ok(running(work, ctx, &pod)),
        _ => Ok(Flow::Next),
    }
}

/// The driver is not in the cache: just after submission the cache may
/// not have it yet (wait, as kubeflow's grace period); after that, ask the
/// API server before failing, since under load the cache can lag by more
/// than the grace period.
async fn not_in_cache(work: &mut Work, ctx: &Context, name: &str) -> Result<Result<Pod, Flow>, ReconcileError> {
    let grace = ctx.options.driver_pod_creation_grace;
    if work.state() == S::Submitted {
        let since = since_submission(work);
        if since < grace {
            return Ok(Err(Flow::Wait(Some(grace - since))));
        }
    }
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), work.namespace());
    match pods.get_opt(name).await {
        Ok(Some(mut pod)) => {
            crate::pods::keep_what_matters(&mut pod);
            Ok(Ok(pod))
        }
        Ok(None) => Ok(Err(driver_missing(work, ctx, name))),
        Err(source) => Err(ReconcileError::Read { what: format!("driver pod {name}"), source }),
    }
}

/// kubeflow fails the application when its driver pod is gone.
fn driver_missing(work: &mut Work, ctx: &Context, name: &str) -> Flow {
    let grace = ctx.options.driver_pod_creation_grace;
    let message = "driver pod not found".to_string();
    work.note(Note::warning(
        "SparkDriverNotFound",
        format!("Driver pod {name} not found after grace period {grace:?}, marking application as Failing"),
    ));
    let status = work.status_mut();
    status.app_state.error_message = message;
    status.termination_time = Some(Time(Timestamp::now()));
    work.set_state(S::Failing);
    Flow::Next
}

/// A pending driver: say why it is stuck; fail it at the start deadline.
fn pending(work: &mut Work, ctx: &Context, pod: &Pod) -> Flow {
    let now = Timestamp::now();
    let problem = pending_problem(pod);
    if let Some(problem) = problem.as_ref().filter(|p| work.status().app_state.error_message != **p) {
        work.note(Note::warning("SparkDriverPending", problem.clone()));
        work.status_mut().app_state.error_message = problem.clone();
    }
    let problem = problem.or_else(|| not_scheduled(work, pod, now));
    // Looked at again when the grace period ends: an untouched pod changes
    // no more, so no watch event would bring it back.
    let recheck = until_unscheduled(pod, now).filter(|d| !d.is_zero());
    let Some(deadline) = ctx.options.driver_start_deadline else { return Flow::Wait(recheck) };
    let since = since_submission(work);
    if since < deadline {
        return Flow::Wait(Some(recheck.map_or(deadline - since, |r| r.min(deadline - since))));
    }
    let why = problem.unwrap_or_else(|| "it is still Pending".into());
    fail(work, format!("driver not running {}s after submission: {why}", deadline.as_secs()));
    Flow::Next
}

/// A driver no scheduler has touched past the grace period: said once, in
/// the status and a Warning event (kubeflow says nothing; the driver would
/// wait forever, silently).
fn not_scheduled(work: &mut Work, pod: &Pod, now: Timestamp) -> Option<String> {
    let message = format!("driver {}", unscheduled(pod, now)?);
    if work.status().app_state.error_message != message {
        work.note(Note::warning("SparkDriverNotScheduled", message.clone()));
        work.status_mut().app_state.error_message = message.clone();
    }
    Some(message)
}

/// A running driver without a running executor fails at the executor deadline.
fn running(work: &mut Work, ctx: &Context, pod: &Pod) -> Flow {
    if !work.status().app_state.error_message.is_empty() {
        work.status_mut().app_state.error_message.clear();
    }
    let Some(deadline) = ctx.options.executor_start_deadline else { return Flow::Wait(None) };
    if work.status().executor_state.values().any(|s| *s != ExecutorState::Pending) {
        return Flow::Wait(None);
    }
    let started = pod.status.as_ref().and_then(|s| s.start_time.as_ref()).map(|t| t.0).unwrap_or_else(Timestamp::now);
    let since = elapsed(started);
    if since < deadline {
        return Flow::Wait(Some(deadline - since));
    }
    fail(work, format!("no executor started {}s after the driver started", deadline.as_secs()));
    Flow::Next
}

fn fail(work: &mut Work, message: String) {
    work.note(Note::warning("SparkApplicationDeadlineExceeded", message.clone()));
    let status = work.status_mut();
    status.app_state.error_message = message;
    status.termination_time = Some(Time(Timestamp::now()));
    work.set_state(S::Failing);
}

/// kubeflow's executor map, at most `max_tracked_executors` entries (by
/// executor ID); executors that disappeared are settled as kubeflow does.
fn executors(work: &mut Work, ctx: &Context) {
    let (ns, app) = (work.namespace().to_string(), work.name().to_string());
    let max = ctx.options.max_tracked_executors;
    let mut seen = Vec::new();
    for name in ctx.executors.executors_of(&ns, &app) {
        let Some(pod) = ctx.pods.get(&ObjectRef::<WatchedPod>::new(&name).within(&ns)) else { continue };
        let labels = pod.metadata.labels.as_ref();
        let label = |k: &str| labels.and_then(|l| l.get(k)).map(String::as_str);
        if label(SPARK_EXEC_ID).and_then(|id| id.parse::<usize>().ok()).is_some_and(|id| id > max) {
            continue;
        }
        let state = executor_state(&pod);
        if work.status().executor_state.get(&name) != Some(&state) {
            work.note(executor_note(&pod, &name, state));
        }
        work.status_mut().executor_state.insert(name.clone(), state);
        seen.push(name);
    }
    let driver_running = work.state() == S::Running;
    let completed = work.state() == S::Completed;
    for (name, state) in work.status_mut().executor_state.iter_mut() {
        if seen.contains(name) || matches!(state, ExecutorState::Completed | ExecutorState::Failed) {
            continue;
        }
        *state = match (driver_running, completed) {
            (true, _) => ExecutorState::Unknown,
            (false, true) => ExecutorState::Completed,
            (false, false) => ExecutorState::Failed,
        };
    }
}

fn driver_note(state: DriverState, name: &str) -> Note {
    match state {
        DriverState::Pending => Note::normal("SparkDriverPending", format!("Driver {name} is pending")),
        DriverState::Running => Note::normal("SparkDriverRunning", format!("Driver {name} is running")),
        DriverState::Completed => Note::normal("SparkDriverCompleted", format!("Driver {name} completed")),
        DriverState::Failed => Note::warning("SparkDriverFailed", format!("Driver {name} failed")),
        DriverState::Unknown => Note::warning("SparkDriverUnknownState", format!("Driver {name} in unknown state")),
    }
}

fn executor_note(pod: &Pod, name: &str, state: ExecutorState) -> Note {
    match state {
        ExecutorState::Pending => Note::normal("SparkExecutorPending", format!("Executor {name} is pending")),
        ExecutorState::Running => Note::normal("SparkExecutorRunning", format!("Executor {name} is running")),
        ExecutorState::Completed => Note::normal("SparkExecutorCompleted", format!("Executor {name} completed")),
        ExecutorState::Failed => {
            let (code, reason) = executor_exit(pod);
            Note::warning(
                "SparkExecutorFailed",
                format!("Executor {name} failed with ExitCode: {code}, Reason: {reason}"),
            )
        }
        ExecutorState::Unknown => {
            Note::warning("SparkExecutorUnknownState", format!("Executor {name} in unknown state"))
        }
    }
}

fn since_submission(work: &Work) -> Duration {
    work.status().last_submission_attempt_time.as_ref().map(|t| elapsed(t.0)).unwrap_or_default()
}

fn elapsed(since: Timestamp) -> Duration {
    Duration::from_millis(Timestamp::now().duration_since(since).as_millis().max(0) as u64)
}
