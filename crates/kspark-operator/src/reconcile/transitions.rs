//! Metrics and the log line for what a reconcile changed, after its status
//! was written.

use jiff::Timestamp;
use kspark_sparkapp::{ApplicationStateType as S, SparkApplicationStatus};

use super::Work;
use crate::context::Context;
use crate::metrics::namespace_label;

pub fn record(before: &SparkApplicationStatus, work: &Work, ctx: &Context) {
    let after = work.status();
    let (from, to) = (before.app_state.state, after.app_state.state);
    let m = &ctx.metrics;
    let ns = namespace_label(work.namespace());
    let age = work
        .app
        .metadata
        .creation_timestamp
        .as_ref()
        .map(|t| Timestamp::now().duration_since(t.0).as_secs_f64().max(0.0))
        .unwrap_or_default();
    if after.submission_attempts > before.submission_attempts && to != S::SubmissionFailed {
        m.submitted.get_or_create(&ns).inc();
        if after.submission_attempts == 1 {
            m.submit_latency.get_or_create(&ns).observe(age);
        }
    }
    if from == to {
        return;
    }
    // One line per transition: what an operator's log reader follows.
    let reason = after.app_state.error_message.as_str();
    tracing::info!(
        app = work.name(),
        namespace = work.namespace(),
        from = from.name(),
        to = to.name(),
        reason,
        "state changed"
    );
    // kubeflow counts entering SUBMISSION_FAILED (its metrics follow state
    // changes), not each retry that fails again.
    if to == S::SubmissionFailed {
        m.failed_submission.get_or_create(&ns).inc();
    }
    if to == S::Running {
        m.running.get_or_create(&ns).inc();
        if after.execution_attempts <= 1 {
            m.start_latency.get_or_create(&ns).observe(age);
        }
    }
    if from == S::Running {
        m.running.get_or_create(&ns).dec();
    }
    match to {
        S::Completed => {
            m.succeeded.get_or_create(&ns).inc();
            m.completion_latency.get_or_create(&ns).observe(age);
        }
        S::Failed => {
            m.failed.get_or_create(&ns).inc();
            m.completion_latency.get_or_create(&ns).observe(age);
        }
        _ => {}
    }
}
