//! One step of kubeflow's state machine per call (controller.go's
//! reconcile<State>SparkApplication), with kspark's additions: deadlines,
//! the preflight wait, crash-safe spec-change detection.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kspark_sparkapp::ApplicationStateType as S;
use kspark_sparkapp::status::DriverInfo;

use super::{Flow, ReconcileError, Work, archive, changes, cleanup, driver_pdb, observe, pod_group, submit};
use crate::context::Context;
use crate::events::Note;
use crate::retry;

/// How often to look again while waiting for a deletion to finish.
const DELETION_POLL: Duration = Duration::from_secs(1);

pub async fn step(work: &mut Work, ctx: &Context) -> Result<Flow, ReconcileError> {
    if let Some(flow) = suspend_requested(work) {
        return Ok(flow);
    }
    if changes::spec_changed(work, ctx) {
        tracing::info!(app = work.name(), state = ?work.state(), "spec changed since submission");
        work.note(Note::normal("SparkApplicationSpecUpdateProcessed", "the spec changed: re-running the application"));
        work.set_state(S::Invalidating);
        return Ok(Flow::Next);
    }
    match work.state() {
        S::New | S::Resuming => submit::submit(work, ctx).await,
        S::Submitted | S::Running => observe_live(work, ctx).await,
        S::Unknown => observe::driver(work, ctx).await,
        S::Succeeding => succeeding(work, ctx).await,
        S::Failing => failing(work, ctx).await,
        S::SubmissionFailed => submission_failed(work, ctx).await,
        S::PendingRerun => rerun_when_clean(work, ctx).await,
        S::Invalidating => invalidating(work, ctx).await,
        S::Suspending => suspending(work, ctx).await,
        S::Suspended => suspended(work, ctx).await,
        S::Completed | S::Failed => {
            // kubeflow's cleanUpOnTermination, on every terminal pass.
            driver_pdb::remove(work, ctx).await;
            Ok(terminated(work, ctx).await)
        }
    }
}

/// SUBMITTED / RUNNING: follow the driver, then (kubeflow) converge its
/// PodDisruptionBudget to the spec while it is still live.
async fn observe_live(work: &mut Work, ctx: &Context) -> Result<Flow, ReconcileError> {
    let flow = observe::driver(work, ctx).await?;
    if matches!(work.state(), S::Submitted | S::Running) {
        driver_pdb::converge(work, ctx).await;
    }
    Ok(flow)
}

/// kubeflow: `spec.suspend` moves any live application to SUSPENDING.
fn suspend_requested(work: &mut Work) -> Option<Flow> {
    let state = work.state();
    let live = !state.is_terminated() && !matches!(state, S::Suspended | S::Suspending);
    (work.app.spec.suspend == Some(true) && live).then(|| {
        work.set_state(S::Suspending);
        Flow::Next
    })
}

async fn succeeding(work: &mut Work, ctx: &Context) -> Result<Flow, ReconcileError> {
    if retry::should_retry(&work.app) {
        archive::archive_before_rerun(work, ctx).await;
        cleanup::delete_resources(work, ctx).await?;
        reset_for_rerun(work);
        work.set_state(S::PendingRerun);
    } else {
        pod_group::delete(work, ctx).await?;
        work.set_state(S::Completed);
        work.note(Note::normal("SparkApplicationCompleted", format!("SparkApplication {} completed", work.name())));
    }
    Ok(Flow::Next)
}

async fn failing(work: &mut Work, ctx: &Context) -> Result<Flow, ReconcileError> {
    if !retry::should_retry(&work.app) {
        pod_group::delete(work, ctx).await?;
        work.set_state(S::Failed);
        let message = work.status().app_state.error_message.clone();
        work.note(Note::warning(
            "SparkApplicationFailed",
            format!("SparkApplication {} failed: {message}", work.name()),
        ));
        return Ok(Flow::Next);
    }
    match retry::until_next_retry(&work.app, Timestamp::now()) {
        Some(wait) if !wait.is_zero() => Ok(Flow::Wait(Some(wait))),
        _ => {
            archive::archive_before_rerun(work, ctx).await;
            cleanup::delete_resources(work, ctx).await?;
            reset_for_rerun(work);
            work.set_state(S::PendingRerun);
            Ok(Flow::Next)
        }
    }
}

async fn submission_failed(work: &mut Work, ctx: &Context) -> Result<Flow, ReconcileError> {
    if !retry::should_retry(&work.app) {
        pod_group::delete(work, ctx).await?;
        work.set_state(S::Failed);
        work.status_mut().termination_time = Some(Time(Timestamp::now()));
        // kubeflow's event for FAILED, whichever way the application got there.
        let message = work.status().app_state.error_message.clone();
        work.note(Note::warning(
            "SparkApplicationFailed",
            format!("SparkApplication {} failed: {message}", work.name()),
        ));
        return Ok(Flow::Next);
    }
    match retry::until_next_retry(&work.app, Timestamp::now()) {
        Some(wait) if !wait.is_zero() => Ok(Flow::Wait(Some(wait))),
        _ => rerun_when_clean(work, ctx).await,
    }
}

/// Submits once the previous driver is gone; deletes it otherwise.
async fn rerun_when_clean(work: &mut Work, ctx: &Context) -> Result<Flow, ReconcileError> {
    if cleanup::resources_gone(work, ctx).await? {
        let note = format!("SparkApplication {}: the previous run is cleaned up; submitting again", work.name());
        work.note(Note::normal("SparkApplicationPendingRerun", note));
        submit::submit(work, ctx).await
    } else {
        cleanup::delete_resources(work, ctx).await?;
        Ok(Flow::Wait(Some(DELETION_POLL)))
    }
}

async fn invalidating(work: &mut Work, ctx: &Context) -> Result<Flow, ReconcileError> {
    cleanup::delete_resources(work, ctx).await?;
    reset_for_rerun(work);
    let status = work.status_mut();
    status.submission_attempts = 0;
    status.execution_attempts = 0;
    status.last_submission_attempt_time = None;
    work.set_state(S::PendingRerun);
    Ok(Flow::Next)
}

async fn suspending(work: &mut Work, ctx: &Context) -> Result<Flow, ReconcileError> {
    work.note(Note::normal("SparkApplicationSuspending", format!("SparkApplication {} is suspending", work.name())));
    cleanup::delete_resources(work, ctx).await?;
    clear_run(work);
    work.set_state(S::Suspended);
    Ok(Flow::Next)
}

async fn suspended(work: &mut Work, ctx: &Context) -> Result<Flow, ReconcileError> {
    if work.app.spec.suspend == Some(true) {
        return Ok(Flow::Wait(None));
    }
    if !cleanup::resources_gone(work, ctx).await? {
        return Ok(Flow::Wait(Some(DELETION_POLL)));
    }
    clear_run(work);
    work.note(Note::normal("SparkApplicationResuming", format!("SparkApplication {} is resuming", work.name())));
    work.set_state(S::Resuming);
    Ok(Flow::Next)
}

/// COMPLETED / FAILED: archive the logs (when asked), then delete the
/// application once its TTL has passed — never before its logs are archived
/// or archiving has given up.
async fn terminated(work: &mut Work, ctx: &Context) -> Flow {
    if let Some(retry_after) = archive::archive_logs(work, ctx).await {
        return Flow::Wait(Some(retry_after));
    }
    let ttl = work
        .app
        .spec
        .time_to_live_seconds
        .or((ctx.options.default_ttl_seconds > 0).then_some(ctx.options.default_ttl_seconds));
    let (Some(ttl), Some(ended)) = (ttl, work.status().termination_time.as_ref().map(|t| t.0)) else {
        return Flow::Wait(None);
    };
    let lived = Timestamp::now().duration_since(ended).as_millis();
    let ttl_ms = i128::from(ttl.max(0)) * 1000;
    if lived > ttl_ms {
        work.delete_application = true;
        return Flow::Wait(None);
    }
    Flow::Wait(Some(Duration::from_millis((ttl_ms - lived) as u64 + 50)))
}

/// kubeflow's reset for SUCCEEDING/FAILING before a rerun.
fn reset_for_rerun(work: &mut Work) {
    clear_run(work);
    work.status_mut().termination_time = None;
}

/// kubeflow's reset for SUSPENDED.
fn clear_run(work: &mut Work) {
    let status = work.status_mut();
    status.spark_application_id.clear();
    status.app_state.error_message.clear();
    status.driver_info = DriverInfo::default();
    status.executor_state.clear();
    // kspark's: the next run's logs go to an archive of their own.
    status.log_archive = None;
}
