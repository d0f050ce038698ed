//! One reconcile of one SparkApplication: kubeflow's state machine, run in
//! memory until it has to wait (for the driver, a retry interval, a
//! deletion), then one conditional status write and the events.
//!
//! Steps (as Stackable's operators: dereference → validate → build → apply):
//! the application comes from the watch cache; [`states`] decides the next
//! state from it and the cached pods; [`submit`] builds through kspark's
//! one submission path and creates the driver idempotently; the status is
//! written with the resourceVersion read, so a stale cache can never
//! overwrite a newer state.

mod archive;
pub use archive::{ARCHIVE_EXECUTOR_LOGS_ANNOTATION, ARCHIVE_LOGS_ANNOTATION};
mod changes;
mod cleanup;
mod driver_account;
mod driver_cache;
mod driver_pdb;
pub use driver_pdb::driver_pdb;
mod expose;
mod observe;
mod pod_group;
mod read;
mod states;
mod submit;
mod transitions;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kspark_kube::{is_conflict, is_not_found};
use kspark_sparkapp::{ApplicationStateType, SparkApplication, SparkApplicationStatus};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::runtime::controller::Action;

use crate::application_object::ApplicationObject;
use crate::context::Context;
use crate::events::Note;

/// Steps at most per reconcile (a full cycle is NEW → SUBMITTED →
/// RUNNING → SUCCEEDING → COMPLETED; a rerun adds a few).
const MAX_STEPS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("cannot write the status of {name}: {source}")]
    WriteStatus { name: String, source: kube::Error },
    #[error("cannot delete {what}: {source}")]
    Delete { what: String, source: kube::Error },
    #[error("cannot read {what}: {source}")]
    Read { what: String, source: kube::Error },
    #[error(
        "cannot {action} the driver PodDisruptionBudget {name}: {source} (retrying; the operator's role needs \
         poddisruptionbudgets in the policy group)"
    )]
    DriverPdb { action: &'static str, name: String, source: kube::Error },
}

impl ReconcileError {
    /// The `kind` label of the error counter.
    pub fn kind(&self) -> &'static str {
        match self {
            ReconcileError::WriteStatus { .. } => "write_status",
            ReconcileError::Delete { .. } => "delete",
            ReconcileError::Read { .. } => "read",
            ReconcileError::DriverPdb { .. } => "driver_pdb",
        }
    }
}

/// What a state handler decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Evaluate again (the state may have changed).
    Next,
    /// Nothing more to do now; look again after this long, or on a change.
    Wait(Option<Duration>),
}

/// The application being reconciled and what the reconcile will do.
pub struct Work {
    pub app: SparkApplication,
    /// [`crate::identity::spec_digest`] of the spec, computed once.
    pub spec_digest: String,
    pub notes: Vec<Note>,
    pub delete_application: bool,
    /// A failure that must not hold the state back: the status is written,
    /// then the reconcile fails so that it is retried.
    pub deferred_error: Option<ReconcileError>,
}

impl Work {
    pub fn status(&self) -> &SparkApplicationStatus {
        self.app.status.as_ref().unwrap_or(&EMPTY_STATUS)
    }

    pub fn status_mut(&mut self) -> &mut SparkApplicationStatus {
        self.app.status.get_or_insert_default()
    }

    pub fn state(&self) -> ApplicationStateType {
        self.status().app_state.state
    }

    pub fn set_state(&mut self, state: ApplicationStateType) {
        self.status_mut().app_state.state = state;
    }

    pub fn name(&self) -> &str {
        self.app.metadata.name.as_deref().unwrap_or_default()
    }

    pub fn namespace(&self) -> &str {
        self.app.metadata.namespace.as_deref().unwrap_or_default()
    }

    pub fn note(&mut self, note: Note) {
        self.notes.push(note);
    }

    /// Keeps the first such failure ([`on_error`] logs it).
    pub fn defer_error(&mut self, error: ReconcileError) {
        self.deferred_error.get_or_insert(error);
    }
}

static EMPTY_STATUS: std::sync::LazyLock<SparkApplicationStatus> = std::sync::LazyLock::new(Default::default);

pub async fn reconcile(object: Arc<ApplicationObject>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    let started = Instant::now();
    ctx.metrics.reconciles.inc();
    let result = match read::application(&object) {
        Ok(app) => reconcile_inner(app, &ctx).await,
        Err(unreadable) => read::refuse(&object, &unreadable, &ctx).await,
    };
    ctx.metrics.reconcile_seconds.observe(started.elapsed().as_secs_f64());
    if result.is_ok() {
        ctx.backoff.succeeded(&crate::backoff::key_of(&object.metadata));
    }
    result
}

async fn reconcile_inner(mut app: SparkApplication, ctx: &Context) -> Result<Action, ReconcileError> {
    if app.metadata.deletion_timestamp.is_some() {
        // The driver pod is owned by the application (and everything else
        // by the driver pod): Kubernetes' garbage collector removes them.
        driver_pdb::remove_on_deletion(&app, ctx).await?;
        return Ok(Action::await_change());
    }
    let before = app.status.clone().unwrap_or_default();
    let spec_digest = crate::identity::spec_digest_of_owned(&mut app.spec);
    let mut work = Work { app, spec_digest, notes: Vec::new(), delete_application: false, deferred_error: None };
    let wait = run_steps(&mut work, ctx).await?;
    if work.delete_application {
        return delete_application(&work, ctx).await;
    }
    if *work.status() != before {
        match write_status(&work, ctx).await {
            Ok(()) => transitions::record(&before, &work, ctx),
            // Someone (or an earlier reconcile) wrote a newer version: the
            // watch brings it, and this reconcile's decisions are redone on it.
            Err(ReconcileError::WriteStatus { source, .. }) if is_conflict(&source) => {
                return Ok(Action::requeue(Duration::from_millis(200)));
            }
            Err(e) => return Err(e),
        }
    }
    for note in &work.notes {
        ctx.events.publish(&work.app, note).await;
    }
    if let Some(error) = work.deferred_error.take() {
        return Err(error);
    }
    Ok(match wait {
        Some(after) => Action::requeue(after.max(Duration::from_millis(100))),
        None => Action::await_change(),
    })
}

async fn run_steps(work: &mut Work, ctx: &Context) -> Result<Option<Duration>, ReconcileError> {
    for _ in 0..MAX_STEPS {
        let state = work.state();
        match states::step(work, ctx).await? {
            Flow::Next if work.state() != state => continue,
            Flow::Next => return Ok(None),
            Flow::Wait(after) => return Ok(after),
        }
    }
    Ok(Some(Duration::from_secs(1)))
}

/// Replaces the status, only if the application is still at the version
/// read (the patch sets `metadata.resourceVersion`, which the API server
/// takes as a precondition: 409 when someone wrote in between). A patch
/// rather than a PUT of the whole object: the spec is neither sent nor
/// parsed back, and the answer is read untyped.
async fn write_status(work: &Work, ctx: &Context) -> Result<(), ReconcileError> {
    let api: Api<ApplicationObject> = Api::namespaced(ctx.client.clone(), work.namespace());
    let failed = |source| ReconcileError::WriteStatus { name: work.name().to_string(), source };
    let version = work.app.metadata.resource_version.clone().unwrap_or_default();
    let status = serde_json::to_value(work.status()).map_err(|e| failed(kube::Error::SerdeError(e)))?;
    let patch: json_patch::Patch = serde_json::from_value(serde_json::json!([
        {"op": "replace", "path": "/metadata/resourceVersion", "value": version},
        {"op": "add", "path": "/status", "value": status},
    ]))
    .map_err(|e| failed(kube::Error::SerdeError(e)))?;
    api.patch_status(work.name(), &PatchParams::default(), &Patch::Json::<()>(patch)).await.map(|_| ()).map_err(failed)
}

async fn delete_application(work: &Work, ctx: &Context) -> Result<Action, ReconcileError> {
    let api: Api<SparkApplication> = Api::namespaced(ctx.client.clone(), work.namespace());
    tracing::info!(app = work.name(), namespace = work.namespace(), "deleting expired SparkApplication");
    match api.delete(work.name(), &DeleteParams::background()).await {
        Ok(_) => Ok(Action::await_change()),
        Err(e) if is_not_found(&e) => Ok(Action::await_change()),
        Err(source) => Err(ReconcileError::Delete { what: format!("SparkApplication {}", work.name()), source }),
    }
}

/// The controller's answer to a failed reconcile: try again, later after
/// each failure in a row.
pub fn on_error(app: Arc<ApplicationObject>, error: &ReconcileError, ctx: Arc<Context>) -> Action {
    crate::backoff::retry_after_failure(
        &ctx.backoff,
        &ctx.metrics,
        &app.metadata,
        "SparkApplication",
        error.kind(),
        error,
    )
}
