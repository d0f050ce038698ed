//! `spec.restartPolicy`: whether and when the operator submits an application again.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// kubeflow's `RestartPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestartPolicy {
    /// Defaults to `Never` (kubeflow's defaults.go).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<RestartPolicyType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub on_submission_failure_retries: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub on_failure_retries: Option<i32>,
    /// Seconds; defaults to 5 unless the type is `Never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub on_submission_failure_retry_interval: Option<i64>,
    /// Seconds; defaults to 5 unless the type is `Never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub on_failure_retry_interval: Option<i64>,
}

impl RestartPolicy {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// kubeflow's `RestartPolicyType` (the CRD's enum order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RestartPolicyType {
    Never,
    Always,
    OnFailure,
}

/// kubeflow's `ShouldRetry`: whether an application in SUCCEEDING, FAILING
/// or SUBMISSION_FAILED runs again under its restart policy (`Always`; or
/// `OnFailure` while the attempts made are within the retries).
pub fn should_retry(app: &crate::SparkApplication) -> bool {
    use crate::ApplicationStateType as S;
    let policy = &app.spec.restart_policy;
    let Some(status) = app.status.as_ref() else { return false };
    let kind = policy.type_.unwrap_or(RestartPolicyType::Never);
    let within = |retries: Option<i32>, attempts: i32| retries.is_some_and(|r| attempts <= r);
    match (status.app_state.state, kind) {
        (S::Succeeding, kind) => kind == RestartPolicyType::Always,
        (S::Failing | S::SubmissionFailed, RestartPolicyType::Always) => true,
        (S::Failing, RestartPolicyType::OnFailure) => within(policy.on_failure_retries, status.execution_attempts),
        (S::SubmissionFailed, RestartPolicyType::OnFailure) => {
            within(policy.on_submission_failure_retries, status.submission_attempts)
        }
        _ => false,
    }
}
