//! NEW / RESUMING / a due rerun: build through the one submission path,
//! check the namespace, create the driver (adopting it when an earlier try
//! of the same attempt already did) and record the submission.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kspark_kube::ClusterError;
use kspark_kube::api_status::is_transient_code;
use kspark_kube::preflight::{self, Plan, Verdict};
use kspark_kube::submit::{SubmitError, submit_adopting};
use kspark_sparkapp::batch_scheduler::{self, BatchScheduler, Scheduled};
use kspark_sparkapp::defaults::apply_defaults;
use kspark_sparkapp::submit::prometheus_config::prometheus_config_map;
use kspark_sparkapp::{ApplicationStateType as S, DeployMode, SparkApplication};
use kube::Api;
use kube::api::{Patch, PatchParams};
use kube::runtime::reflector::ObjectRef;

use super::driver_account;
use super::pod_group::{self, PodGroupError};
use super::{Flow, ReconcileError, Work};
use crate::build::{Built, build};
use crate::context::Context;
use crate::events::Note;
use crate::exposure::proxy_settings;
use crate::identity::{AttemptIdentity, SPEC_DIGEST_ANNOTATION, attempt_identity};
use crate::pods::WatchedPod;
use kspark_manifests::labels::SPARK_APP_SELECTOR;
use kspark_sparkapp::labels;

/// How kubeflow's error message starts when spark-submit fails (its e2e
/// test fail-submission looks for it).
pub const SPARK_SUBMIT_FAILED: &str = "failed to run spark-submit";
/// How soon to look again while the namespace cannot take the application.
const PREFLIGHT_RETRY: Duration = Duration::from_secs(10);
/// How soon to try again after an error that says nothing about the application.
const TRANSIENT_RETRY: Duration = Duration::from_secs(2);

pub async fn submit(work: &mut Work, ctx: &Context) -> Result<Flow, ReconcileError> {
    let attempt = work.status().submission_attempts + 1;
    let digest = work.spec_digest.clone();
    let uid = work.app.metadata.uid.clone().unwrap_or_default();
    let identity = attempt_identity(&uid, &digest, attempt);
    if let Some((pod, app_id)) = already_created(work, ctx, &identity) {
        // The cache shows this very attempt's driver: an earlier reconcile
        // created it and its status write is not in the cache yet.
        record_submission(work, &identity, attempt, &pod, &app_id);
        super::expose::apply(work, ctx).await;
        return Ok(Flow::Next);
    }
    if work.app.spec.mode == Some(DeployMode::Client) {
        let why = "spec.mode: client mode runs the driver inside the operator, which kspark does not do; use cluster";
        return Ok(submission_failed(work, &identity, attempt, why.to_string()));
    }
    if !ctx.facts.listed().await {
        let why = "the namespace's quotas, LimitRanges and service accounts are not listed yet".to_string();
        return Ok(postpone(work, why));
    }
    let defaulted = batch_scheduler::with_default(&work.app, ctx.options.default_batch_scheduler);
    let scheduled = match batch_schedule(defaulted.as_ref().unwrap_or(&work.app)) {
        Ok(scheduled) => scheduled,
        Err(message) => return Ok(submission_failed(work, &identity, attempt, message)),
    };
    let app = scheduled.as_ref().map(|s| &s.app).or(defaulted.as_ref()).unwrap_or(&work.app);
    let built = match build_for_namespace(app, work, ctx, &identity, &digest) {
        Ok(built) => built,
        Err(message) => return Ok(submission_failed(work, &identity, attempt, message)),
    };
    if ctx.options.preflight {
        match driver_account::missing(&built, work, ctx).await {
            Ok(None) => {}
            Ok(Some(why)) => return Ok(submission_failed(work, &identity, attempt, spark_submit_failed(&why))),
            Err(error) => return Ok(postpone(work, error)),
        }
        if let Some(reason) = refusal(&built, ctx) {
            return Ok(wait_for_namespace(work, reason));
        }
    }
    if let Some(group) = scheduled.as_ref().and_then(|s| s.pod_group.as_ref()) {
        match pod_group::sync(group, work, ctx).await {
            Ok(()) => {}
            Err(PodGroupError::Transient(message)) => return Ok(postpone(work, message)),
            Err(PodGroupError::Refused(message)) => return Ok(submission_failed(work, &identity, attempt, message)),
        }
    }
    if let Err(e) = apply_monitoring_config(work, ctx).await {
        return Ok(submission_failed(work, &identity, attempt, e));
    }
    let wanted = identity.submission_id.clone();
    let same = move |pod: &Pod| label(pod, labels::SUBMISSION_ID) == Some(wanted.as_str());
    match submit_adopting(&ctx.client, built.objects, same).await {
        Ok(submitted) => {
            record_submission(work, &identity, attempt, &submitted.pod_name, &submitted.app_id);
            super::expose::apply(work, ctx).await;
            Ok(Flow::Next)
        }
        Err(e) if transient(&e) => Ok(postpone(work, e.to_string())),
        Err(e) => {
            tracing::warn!(app = work.name(), error = %e, "submission failed");
            let message = match e.hint() {
                Some(hint) => format!("{e} (hint: {hint})"),
                None => e.to_string(),
            };
            Ok(submission_failed(work, &identity, attempt, spark_submit_failed(&message)))
        }
    }
}

/// Tried again soon, saying why, after an error that says nothing about
/// the application.
fn postpone(work: &mut Work, error: String) -> Flow {
    tracing::info!(app = work.name(), error = %error, "submission postponed");
    let message = format!("waiting: {error}");
    if work.status().app_state.error_message != message {
        work.status_mut().app_state.error_message = message;
    }
    Flow::Wait(Some(TRANSIENT_RETRY))
}

/// What kubeflow's batch scheduler does before the submission, on the
/// application as kubeflow's defaulting leaves it; `None` (and no copy of
/// the application) when it names no batch scheduler kubeflow has.
fn batch_schedule(app: &SparkApplication) -> Result<Option<Scheduled>, String> {
    if BatchScheduler::of(app).is_none() {
        return Ok(None);
    }
    let mut defaulted = app.clone();
    apply_defaults(&mut defaulted.spec);
    batch_scheduler::schedule(&defaulted).map(Some).map_err(|e| e.to_string())
}

/// This attempt's driver pod, when the watch cache already has it.
fn already_created(work: &Work, ctx: &Context, identity: &AttemptIdentity) -> Option<(String, String)> {
    let name = super::cleanup::driver_pod_name(work);
    let pod = ctx.pods.get(&ObjectRef::<WatchedPod>::new(&name).within(work.namespace()))?;
    (label(&pod, labels::SUBMISSION_ID) == Some(identity.submission_id.as_str()))
        .then(|| (name, label(&pod, SPARK_APP_SELECTOR).unwrap_or_default().to_string()))
}

/// kubeflow's controller creates the Prometheus ConfigMap both pods mount.
async fn apply_monitoring_config(work: &Work, ctx: &Context) -> Result<(), String> {
    let Some(config_map) = prometheus_config_map(&work.app) else { return Ok(()) };
    let name = config_map.metadata.name.clone().unwrap_or_default();
    let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), work.namespace());
    api.patch(&name, &PatchParams::apply("kspark-operator").force(), &Patch::Apply(&config_map))
        .await
        .map(|_| ())
        .map_err(|e| ClusterError::from_kube(format!("apply ConfigMap {name}"), e).to_string())
}

/// Builds, and builds again with what the namespace calls for, as `kspark
/// submit` does: Azure workload identity when the driver's service account
/// carries it (refused on a Spark line without its token provider), and
/// CPU limits when the quota caps limits.cpu while Spark would set none.
fn build_for_namespace(
    app: &SparkApplication,
    work: &Work,
    ctx: &Context,
    identity: &AttemptIdentity,
    digest: &str,
) -> Result<Built, String> {
    let now = Timestamp::now().as_millisecond();
    let mut built = build(app, identity, &ctx.settings, &[], now).map_err(|e| e.to_string())?;
    let ns = work.namespace();
    let mut extra = Vec::new();
    if let Some(azure) = ctx.facts.workload_identity(ns, &plan(&built).driver_account()) {
        if let Some(refusal) = azure.refusal(&built.features, &built.submission.conf) {
            return Err(refusal.to_string());
        }
        extra = azure.settings_to_add(&built.submission.conf);
    }
    extra.extend(preflight::cpu_limits_from(ctx.facts.quotas_in(ns), ctx.facts.ranges_in(ns), &plan(&built)));
    // kubeflow: a UI published below a path prefix must build its links under it.
    if let Some(url) = super::expose::ui_url(work, &ctx.options.exposure, &identity.ids.app_id) {
        extra.extend(proxy_settings(&work.app, &url?));
    }
    if !extra.is_empty() {
        built = build(app, identity, &ctx.settings, &extra, now).map_err(|e| e.to_string())?;
    }
    built.objects.pod.metadata.annotations.get_or_insert_default().insert(SPEC_DIGEST_ANNOTATION.into(), digest.into());
    Ok(built)
}

pub(super) fn plan(built: &Built) -> Plan<'_> {
    Plan {
        objects: &built.objects,
        conf: &built.submission.conf,
        kind: built.submission.kind,
        features: built.features,
    }
}

/// kubeflow's message for what spark-submit itself fails on (the API
/// server refusing the driver, a missing service account), with kspark's
/// reason after it.
fn spark_submit_failed(reason: &str) -> String {
    format!("{SPARK_SUBMIT_FAILED}: {reason}")
}

/// What keeps the namespace from taking the application now (and may stop
/// doing so: a quota that frees up), from the watched quotas and LimitRanges.
fn refusal(built: &Built, ctx: &Context) -> Option<String> {
    let plan = plan(built);
    let ns = plan.namespace().to_string();
    let checks = preflight::namespace_checks(ctx.facts.quotas_in(&ns), ctx.facts.ranges_in(&ns), &plan);
    let failed = checks.into_iter().find(|c| c.verdict == Verdict::Fail)?;
    Some(match failed.hint {
        Some(hint) => format!("{}: {} (hint: {hint})", failed.name, failed.detail),
        None => format!("{}: {}", failed.name, failed.detail),
    })
}

/// The application stays NEW, saying why, and is looked at again.
fn wait_for_namespace(work: &mut Work, reason: String) -> Flow {
    let message = format!("waiting: {reason}");
    if work.status().app_state.error_message != message {
        work.note(Note::warning("SparkApplicationWaiting", message.clone()));
        work.status_mut().app_state.error_message = message;
    }
    Flow::Wait(Some(PREFLIGHT_RETRY))
}

fn record_submission(work: &mut Work, identity: &AttemptIdentity, attempt: i32, pod: &str, app_id: &str) {
    let status = work.status_mut();
    status.submission_id = identity.submission_id.clone();
    status.driver_info = Default::default();
    status.driver_info.pod_name = pod.to_string();
    status.spark_application_id = app_id.to_string();
    status.last_submission_attempt_time = Some(Time(Timestamp::now()));
    status.termination_time = None;
    status.submission_attempts = attempt;
    status.execution_attempts += 1;
    status.app_state.error_message.clear();
    work.set_state(S::Submitted);
    let name = work.name().to_string();
    work.note(Note::normal("SparkApplicationSubmitted", format!("SparkApplication {name} was submitted successfully")));
}

fn submission_failed(work: &mut Work, identity: &AttemptIdentity, attempt: i32, message: String) -> Flow {
    let pod = super::cleanup::driver_pod_name(work);
    let status = work.status_mut();
    status.submission_id = identity.submission_id.clone();
    status.driver_info.pod_name = pod;
    status.last_submission_attempt_time = Some(Time(Timestamp::now()));
    status.submission_attempts = attempt;
    status.app_state.error_message = message.clone();
    work.set_state(S::SubmissionFailed);
    let name = work.name().to_string();
    work.note(Note::warning(
        "SparkApplicationSubmissionFailed",
        format!("failed to submit SparkApplication {name}: {message}"),
    ));
    Flow::Next
}

/// Errors that say nothing about the application: the network, the API
/// server's load, or the previous run's driver still being deleted.
fn transient(error: &SubmitError) -> bool {
    let cluster = match error {
        SubmitError::Cluster(e) | SubmitError::RolledBack { failure: e, .. } => e,
    };
    match cluster {
        ClusterError::Transport { .. } => true,
        ClusterError::Rejected { code, .. } => is_transient_code(*code),
        _ => false,
    }
}

fn label<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    pod.metadata.labels.as_ref()?.get(key).map(String::as_str)
}
