//! One reconcile of one ScheduledSparkApplication (kubeflow's state
//! machine: "" → Scheduled, or FailedValidation): validate, start the due
//! run if any, keep the history, write the status once, and sleep until
//! the next run is due — each schedule is requeued at its own time, so
//! nothing ever scans all of them.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kspark_kube::{is_conflict, is_not_found};
use kspark_sparkapp::{ScheduleState, ScheduledSparkApplicationSpec, ScheduledSparkApplicationStatus};
use kube::Resource;
use kube::api::{Api, DeleteParams, PostParams};
use kube::core::DynamicObject;
use kube::runtime::controller::Action;

use super::concurrency::{self, Decision};
use super::cron::Schedule;
use super::runs;
use super::{ScheduledContext, history, scheduled_resource};
use crate::events::Note;
use crate::metrics::namespace_label;

/// The longest a schedule sleeps: a clock stepped by NTP is noticed
/// within this, whatever the next run time said.
const LONGEST_SLEEP: Duration = Duration::from_secs(300);
/// Retry after a write that lost to a newer version (the watch brings it).
const AFTER_CONFLICT: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("cannot {action} {what}: {source}")]
    Api { action: &'static str, what: String, source: kube::Error },
    #[error("cannot write the status of {name}: it does not serialise: {source}")]
    SerialiseStatus { name: String, source: serde_json::Error },
}

impl ScheduleError {
    /// The `kind` label of the error counter.
    pub fn kind(&self) -> &'static str {
        match self {
            ScheduleError::Api { action: "create", .. } => "create_run",
            ScheduleError::Api { action: "delete", .. } => "delete_run",
            ScheduleError::Api { .. } => "write_status",
            ScheduleError::SerialiseStatus { .. } => "serialise_status",
        }
    }
}

/// The schedule being reconciled and what the reconcile decided.
struct Work {
    /// The object the status write is conditioned on (its resourceVersion).
    object: DynamicObject,
    status: ScheduledSparkApplicationStatus,
    notes: Vec<Note>,
}

impl Work {
    fn name(&self) -> &str {
        self.object.metadata.name.as_deref().unwrap_or_default()
    }

    fn namespace(&self) -> &str {
        self.object.metadata.namespace.as_deref().unwrap_or_default()
    }
}

pub async fn reconcile(object: Arc<DynamicObject>, ctx: Arc<ScheduledContext>) -> Result<Action, ScheduleError> {
    let key = crate::backoff::key_of(&object.metadata);
    let result = reconcile_schedule(object, ctx.clone()).await;
    if result.is_ok() {
        ctx.backoff.succeeded(&key);
    }
    result
}

async fn reconcile_schedule(object: Arc<DynamicObject>, ctx: Arc<ScheduledContext>) -> Result<Action, ScheduleError> {
    if object.metadata.deletion_timestamp.is_some() {
        ctx.fired.forget(object.metadata.uid.as_deref().unwrap_or_default());
        return Ok(Action::await_change());
    }
    // Until the cache of runs is filled, Forbid and the history would decide on nothing.
    if ctx.runs.wait_until_ready().now_or_never().is_none() {
        tracing::info!(schedule = ?object.metadata.name, "waiting for the cache of scheduled runs");
        return Ok(Action::requeue(Duration::from_millis(500)));
    }
    let before = status_of(&object);
    let mut work = Work { object: (*object).clone(), status: before.clone(), notes: Vec::new() };
    let spec = match spec_of(&object) {
        Ok(spec) => spec,
        Err(reason) => return refuse(work, &before, reason, &ctx).await,
    };
    if spec.suspend == Some(true) {
        return Ok(Action::await_change());
    }
    let schedule = match Schedule::parse(&spec.schedule, &spec.time_zone) {
        Ok(schedule) => schedule,
        Err(e) => return refuse(work, &before, e.to_string(), &ctx).await,
    };
    let now = ctx.clock.now();
    if let Err(reason) = runs::check_name_room(work.name(), now, ctx.precision) {
        return refuse(work, &before, reason, &ctx).await;
    }
    let uid = object.metadata.uid.clone().unwrap_or_default();
    let due = work.status.next_run.as_ref().map(|t| t.0);
    let mut fired = None;
    match due {
        Some(due) if work.status.schedule_state == ScheduleState::Scheduled && due <= now => {
            if ctx.fired.already(&uid, due) {
                // This process started it; the cache has not seen the status yet.
                return Ok(Action::requeue(AFTER_CONFLICT));
            }
            fire(&mut work, &spec, &schedule, due, now, &ctx).await?;
            fired = Some(due);
        }
        Some(_) if work.status.schedule_state == ScheduleState::Scheduled => {}
        _ => schedule_first(&mut work.status, &schedule, now),
    }
    keep_history(&mut work, &spec, &ctx).await?;
    if work.status != before && !write_status(&work, &ctx).await? {
        return Ok(Action::requeue(AFTER_CONFLICT));
    }
    if let Some(due) = fired {
        ctx.fired.record(&uid, due);
    }
    for note in &work.notes {
        ctx.events.publish_for(work.object.object_ref(&scheduled_resource()), note).await;
    }
    Ok(Action::requeue(sleep_until(work.status.next_run.as_ref(), ctx.clock.now())))
}

/// New (or fixed after FailedValidation): the first run time. kubeflow
/// keeps an earlier next run a new object already carried.
fn schedule_first(status: &mut ScheduledSparkApplicationStatus, schedule: &Schedule, now: Timestamp) {
    let next = schedule.next_after(now);
    let carried = status.next_run.as_ref().map(|t| t.0).filter(|_| status.schedule_state.is_new());
    status.next_run = match (carried, next) {
        (Some(carried), Some(next)) if carried < next => Some(Time(carried)),
        (_, next) => next.map(Time),
    };
    status.schedule_state = ScheduleState::Scheduled;
    status.reason.clear();
}

/// Starts the run due at `due` (or skips it under Forbid). However long the
/// operator was away, this is one run: the next time is counted from now.
async fn fire(
    work: &mut Work,
    spec: &ScheduledSparkApplicationSpec,
    schedule: &Schedule,
    due: Timestamp,
    now: Timestamp,
    ctx: &ScheduledContext,
) -> Result<(), ScheduleError> {
    let name = runs::run_name(work.name(), due, ctx.precision);
    let known = runs::runs_of(&ctx.runs, work.namespace(), work.name());
    let ns = namespace_label(work.namespace());
    match concurrency::decide(spec.concurrency_policy, &known, &name) {
        Decision::Skip { active } => {
            ctx.metrics.scheduled_runs_skipped.get_or_create(&ns).inc();
            work.notes.push(Note::normal(
                "ScheduledRunSkipped",
                format!("{name} skipped: {active} is still active (Forbid)"),
            ));
        }
        Decision::Start { replace } => {
            for old in &replace {
                delete_run(work.namespace(), old, ctx).await?;
                work.notes.push(Note::normal("ScheduledRunReplaced", format!("{old} deleted for {name} (Replace)")));
            }
            create_run(work, &name, ctx).await?;
            ctx.metrics.scheduled_runs.get_or_create(&ns).inc();
            let late = now.duration_since(due).as_secs_f64().max(0.0);
            ctx.metrics.scheduled_run_delay.get_or_create(&ns).observe(late);
            work.status.last_run = Some(Time(now));
            work.status.last_run_name = name.clone();
            work.notes.push(Note::normal("ScheduledRunCreated", format!("created {name}")));
        }
    }
    work.status.next_run = schedule.next_after(now).map(Time);
    Ok(())
}

/// Creates the run; AlreadyExists means an earlier try (before a crash or
/// a lost status write) created it, and it is not created twice.
async fn create_run(work: &Work, name: &str, ctx: &ScheduledContext) -> Result<(), ScheduleError> {
    let template = work.object.data.get("spec").and_then(|s| s.get("template")).cloned().unwrap_or_default();
    let run = runs::run_object(&work.object, &template, name);
    let api: Api<DynamicObject> =
        Api::namespaced_with(ctx.client.clone(), work.namespace(), &crate::application_object::application_resource());
    match api.create(&PostParams::default(), &run).await {
        Ok(_) => {
            tracing::info!(schedule = work.name(), namespace = work.namespace(), run = name, "started a scheduled run");
            Ok(())
        }
        Err(e) if is_conflict(&e) => {
            tracing::info!(schedule = work.name(), run = name, "the scheduled run exists already; not created twice");
            Ok(())
        }
        Err(source) => Err(ScheduleError::Api { action: "create", what: format!("SparkApplication {name}"), source }),
    }
}

async fn delete_run(namespace: &str, name: &str, ctx: &ScheduledContext) -> Result<(), ScheduleError> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(ctx.client.clone(), namespace, &crate::application_object::application_resource());
    match api.delete(name, &DeleteParams::background().grace_period(0)).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(source) => Err(ScheduleError::Api { action: "delete", what: format!("SparkApplication {name}"), source }),
    }
}

/// Deletes finished runs beyond the limits and lists the kept ones.
async fn keep_history(
    work: &mut Work,
    spec: &ScheduledSparkApplicationSpec,
    ctx: &ScheduledContext,
) -> Result<(), ScheduleError> {
    let known = runs::runs_of(&ctx.runs, work.namespace(), work.name());
    let history = history::bookkeep(&known, spec.successful_run_history_limit, spec.failed_run_history_limit);
    for old in &history.to_delete {
        delete_run(work.namespace(), old, ctx).await?;
    }
    work.status.past_successful_run_names = history.successful;
    work.status.past_failed_run_names = history.failed;
    Ok(())
}

/// FailedValidation with the reason, written and announced once.
async fn refuse(
    mut work: Work,
    before: &ScheduledSparkApplicationStatus,
    reason: String,
    ctx: &ScheduledContext,
) -> Result<Action, ScheduleError> {
    work.status.schedule_state = ScheduleState::FailedValidation;
    work.status.reason = reason;
    if work.status == *before {
        return Ok(Action::await_change());
    }
    tracing::warn!(schedule = work.name(), namespace = work.namespace(), reason = %work.status.reason, "invalid schedule");
    if !write_status(&work, ctx).await? {
        return Ok(Action::requeue(AFTER_CONFLICT));
    }
    let note = Note::warning("ScheduleInvalid", format!("{}; nothing is run until it is fixed", work.status.reason));
    ctx.events.publish_for(work.object.object_ref(&scheduled_resource()), &note).await;
    Ok(Action::await_change())
}

/// Writes the status conditioned on the version read; false if a newer
/// version won (it is reconciled when the watch brings it).
async fn write_status(work: &Work, ctx: &ScheduledContext) -> Result<bool, ScheduleError> {
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.client.clone(), work.namespace(), &scheduled_resource());
    let mut object = work.object.clone();
    object.metadata.managed_fields = None;
    object.data["status"] = serde_json::to_value(&work.status)
        .map_err(|source| ScheduleError::SerialiseStatus { name: work.name().to_string(), source })?;
    match api.replace_status(work.name(), &PostParams::default(), &object).await {
        Ok(_) => Ok(true),
        Err(e) if is_conflict(&e) || is_not_found(&e) => Ok(false),
        Err(source) => Err(ScheduleError::Api { action: "write the status of", what: work.name().to_string(), source }),
    }
}

fn spec_of(object: &DynamicObject) -> Result<ScheduledSparkApplicationSpec, String> {
    let spec = object.data.get("spec").cloned().unwrap_or_default();
    serde_path_to_error::deserialize(spec).map_err(|e| {
        let path = e.path().to_string();
        format!("spec.{path} cannot be read: {}; fix the field and apply it again", e.into_inner())
    })
}

fn status_of(object: &DynamicObject) -> ScheduledSparkApplicationStatus {
    object.data.get("status").cloned().and_then(|s| serde_json::from_value(s).ok()).unwrap_or_default()
}

fn sleep_until(next: Option<&Time>, now: Timestamp) -> Duration {
    let Some(next) = next else { return LONGEST_SLEEP };
    let wait = Duration::try_from(next.0.duration_since(now)).unwrap_or(Duration::ZERO);
    wait.clamp(Duration::from_millis(50), LONGEST_SLEEP)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn every_minute() -> Schedule {
        Schedule::parse("* * * * *", "UTC").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_new_schedule_keeps_an_earlier_next_run_it_carried_as_kubeflow_does() {
        let mut status =
            ScheduledSparkApplicationStatus { next_run: Some(Time(at("2026-03-01T10:00:30Z"))), ..Default::default() };
        schedule_first(&mut status, &every_minute(), at("2026-03-01T10:00:10Z"));
        assert_eq!(status.next_run, Some(Time(at("2026-03-01T10:00:30Z"))));
        assert_eq!(status.schedule_state, ScheduleState::Scheduled);
    }

    #[test]
    fn a_fixed_schedule_starts_afresh_and_drops_the_old_reason() {
        let mut status = ScheduledSparkApplicationStatus {
            next_run: Some(Time(at("2026-03-01T09:00:00Z"))),
            schedule_state: ScheduleState::FailedValidation,
            reason: "spec.schedule …".into(),
            ..Default::default()
        };
        schedule_first(&mut status, &every_minute(), at("2026-03-01T10:00:10Z"));
        assert_eq!(status.next_run, Some(Time(at("2026-03-01T10:01:00Z"))));
        assert!(status.reason.is_empty());
    }

    #[test]
    fn a_schedule_sleeps_until_its_next_run_but_never_longer_than_five_minutes() {
        let now = at("2026-03-01T10:00:00Z");
        let sleep = |next: &str| sleep_until(Some(&Time(at(next))), now);
        assert_eq!(sleep("2026-03-01T10:00:02Z"), Duration::from_secs(2));
        assert_eq!(sleep("2026-03-02T10:00:00Z"), LONGEST_SLEEP);
        assert_eq!(sleep("2026-03-01T09:00:00Z"), Duration::from_millis(50), "overdue: at once");
        assert_eq!(sleep_until(None, now), LONGEST_SLEEP);
    }
}
