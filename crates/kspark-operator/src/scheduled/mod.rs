//! ScheduledSparkApplication: kubeflow's cron-scheduled SparkApplications.
//! Each schedule sleeps in the controller's queue until its next run is
//! due; a run is an ordinary SparkApplication (reconciled like any other),
//! named after its scheduled time so it is never created twice.
//!
//! Layout: [`clock`] (the time schedules are read against), [`cron`]
//! (schedule and time zone parsing), [`fired`] (what this process has
//! started, against a lagging cache), [`runs`] (a run's object and the cache
//! of runs), [`concurrency`] (Allow/Forbid/Replace), [`history`] (which
//! finished runs are kept), [`reconcile`] (the state machine).

pub mod clock;
pub mod concurrency;
pub mod cron;
pub mod fired;
pub mod history;
pub mod reconcile;
pub mod runs;

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use kspark_sparkapp::{ApplicationStateType, ScheduledSparkApplication};
use kube::Client;
use kube::core::{ApiResource, DynamicObject};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{Controller, WatchStreamExt, controller, watcher};

pub use clock::Clock;
pub use runs::NamePrecision;

use crate::events::Events;
use crate::metrics::Metrics;
use crate::scope::Scope;
use kspark_sparkapp::labels;

/// What every schedule's reconcile shares.
pub struct ScheduledContext {
    pub client: Client,
    /// The runs of all schedules (SparkApplications with the schedule label).
    pub runs: Store<DynamicObject>,
    pub clock: Clock,
    pub precision: NamePrecision,
    pub events: Events,
    pub metrics: Metrics,
    pub fired: fired::Fired,
    /// Failed reconciles in a row, per schedule.
    pub backoff: crate::backoff::Backoff,
}

/// The ScheduledSparkApplication resource, for untyped access: one schedule
/// the Rust type cannot read fails on its own (FailedValidation).
pub fn scheduled_resource() -> ApiResource {
    ApiResource::erase::<ScheduledSparkApplication>(&())
}

pub(crate) struct ScheduledSettings {
    pub clock: Clock,
    pub precision: NamePrecision,
    pub concurrency: u16,
    pub events: Events,
    pub metrics: Metrics,
}

/// The schedules' controller: runs until `shutdown`.
pub(crate) fn controller(
    client: &Client,
    scope: &Scope,
    settings: ScheduledSettings,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) -> impl Future<Output = ()> + Send {
    let resource = scheduled_resource();
    let runs_resource = crate::application_object::application_resource();
    let runs_writer = reflector::store::Writer::new(runs_resource.clone());
    let runs = runs_writer.as_reader();
    let run_config = watcher::Config::default().labels(labels::SCHEDULED_APP_NAME);
    let run_events = scope
        .watch(scope.dynamic_api(client, &runs_resource), run_config)
        .modify(runs::keep_run_small)
        .reflect(runs_writer)
        .applied_objects();
    let (schedules, schedule_events) = scope.cached_dynamic(client, &resource, watcher::Config::default());
    let ctx = Arc::new(ScheduledContext {
        client: client.clone(),
        runs,
        clock: settings.clock,
        precision: settings.precision,
        events: settings.events,
        metrics: settings.metrics,
        fired: fired::Fired::default(),
        backoff: Default::default(),
    });
    let owner_resource = resource.clone();
    Controller::for_stream_with(scope.admitted(schedule_events), schedules, resource)
        .with_config(controller::Config::default().concurrency(settings.concurrency))
        .watches_stream_with(
            scope.admitted(run_events),
            move |run| finished_run_owner(&run, &owner_resource),
            runs_resource,
        )
        .graceful_shutdown_on(shutdown)
        .run(reconcile::reconcile, on_error, ctx)
        .for_each(|result| crate::controller_output::log_result("ScheduledSparkApplication", result))
}

/// A run that finished changes its schedule's history: reconcile the schedule.
fn finished_run_owner(run: &DynamicObject, resource: &ApiResource) -> Option<ObjectRef<DynamicObject>> {
    let state = run.data.pointer("/status/applicationState/state").cloned().unwrap_or_default();
    let state: ApplicationStateType = serde_json::from_value(state).unwrap_or_default();
    if !state.is_terminated() {
        return None;
    }
    let schedule = run.metadata.labels.as_ref()?.get(labels::SCHEDULED_APP_NAME)?;
    Some(ObjectRef::new_with(schedule, resource.clone()).within(run.metadata.namespace.as_deref()?))
}

fn on_error(
    schedule: Arc<DynamicObject>,
    error: &reconcile::ScheduleError,
    ctx: Arc<ScheduledContext>,
) -> controller::Action {
    let meta = &schedule.metadata;
    crate::backoff::retry_after_failure(
        &ctx.backoff,
        &ctx.metrics,
        meta,
        "ScheduledSparkApplication",
        error.kind(),
        error,
    )
}
