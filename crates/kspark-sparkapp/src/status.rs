//! `status` of a SparkApplication: what the operator observed and did
//! (kubeflow's `SparkApplicationStatus`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::schema::nullable_time;

/// kubeflow's `SparkApplicationStatus`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SparkApplicationStatus {
    /// `spark.app.id`, read from the driver pod's `spark-app-selector` label.
    #[serde(rename = "sparkApplicationId", default, skip_serializing_if = "String::is_empty")]
    pub spark_application_id: String,
    /// A UUID per submission; labels every pod of that submission.
    #[serde(rename = "submissionID", default, skip_serializing_if = "String::is_empty")]
    pub submission_id: String,
    /// kubeflow writes the zero time as `null`; so does this type.
    #[serde(default)]
    #[schemars(schema_with = "nullable_time")]
    pub last_submission_attempt_time: Option<Time>,
    #[serde(default)]
    #[schemars(schema_with = "nullable_time")]
    pub termination_time: Option<Time>,
    pub driver_info: DriverInfo,
    #[serde(rename = "applicationState", default)]
    pub app_state: ApplicationState,
    /// Executor pod name → state.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub executor_state: BTreeMap<String, ExecutorState>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub execution_attempts: i32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub submission_attempts: i32,
    /// kspark: where the operator archived the application's logs
    /// (`kspark operator run --archive-logs`); not in kubeflow's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_archive: Option<LogArchiveStatus>,
}

/// kspark's record of archived logs: the directory, the files in it, and
/// while archiving has not succeeded, how often it was tried and why it failed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogArchiveStatus {
    /// The directory, e.g. `abfss://logs@acct.dfs.core.windows.net/spark/NS/APP/SUBMISSION-ID`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub location: String,
    /// File names in `location`: `driver.log`, `executor-ID.log`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// When archiving succeeded; `null` while it has not.
    #[serde(default)]
    #[schemars(schema_with = "nullable_time")]
    pub archived_time: Option<Time>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempts: i32,
    /// When it was last tried (the next try waits longer after each failure).
    #[serde(default)]
    #[schemars(schema_with = "nullable_time")]
    pub last_attempt_time: Option<Time>,
    /// The last failure (secrets scrubbed), while archiving has not succeeded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_error: String,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// kubeflow's `DriverInfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriverInfo {
    #[serde(rename = "webUIServiceName", default, skip_serializing_if = "String::is_empty")]
    pub web_ui_service_name: String,
    #[serde(rename = "webUIAddress", default, skip_serializing_if = "String::is_empty")]
    pub web_ui_address: String,
    #[serde(rename = "webUIPort", default, skip_serializing_if = "is_zero")]
    pub web_ui_port: i32,
    #[serde(rename = "webUIIngressName", default, skip_serializing_if = "String::is_empty")]
    pub web_ui_ingress_name: String,
    #[serde(rename = "webUIIngressAddress", default, skip_serializing_if = "String::is_empty")]
    pub web_ui_ingress_address: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pod_name: String,
}

/// kubeflow's `ApplicationState`: the state and, on failures, why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationState {
    pub state: ApplicationStateType,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error_message: String,
}

/// kubeflow's `ApplicationStateType`. The strings are kubeflow's; a new
/// application's state is the empty string, not "NEW" (kubeflow's
/// `ApplicationStateNew = ""`). kubeflow's CRD does
/// not restrict the values, so the schema here says only `string`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApplicationStateType {
    #[default]
    #[serde(rename = "")]
    New,
    #[serde(rename = "SUBMITTED")]
    Submitted,
    #[serde(rename = "RUNNING")]
    Running,
    #[serde(rename = "COMPLETED")]
    Completed,
    #[serde(rename = "FAILED")]
    Failed,
    #[serde(rename = "SUBMISSION_FAILED")]
    SubmissionFailed,
    #[serde(rename = "PENDING_RERUN")]
    PendingRerun,
    #[serde(rename = "INVALIDATING")]
    Invalidating,
    #[serde(rename = "SUCCEEDING")]
    Succeeding,
    #[serde(rename = "FAILING")]
    Failing,
    #[serde(rename = "SUSPENDING")]
    Suspending,
    #[serde(rename = "SUSPENDED")]
    Suspended,
    #[serde(rename = "RESUMING")]
    Resuming,
    /// Also what a state this type does not know reads as (the CRD allows
    /// any string), so that one odd status does not make the object unreadable.
    #[serde(rename = "UNKNOWN", other)]
    Unknown,
}

impl ApplicationStateType {
    /// The state for a log line: kubeflow's string, or `NEW` for its empty one.
    pub fn name(self) -> &'static str {
        match self {
            Self::New => "NEW",
            Self::Submitted => "SUBMITTED",
            Self::Running => "RUNNING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::SubmissionFailed => "SUBMISSION_FAILED",
            Self::PendingRerun => "PENDING_RERUN",
            Self::Invalidating => "INVALIDATING",
            Self::Succeeding => "SUCCEEDING",
            Self::Failing => "FAILING",
            Self::Suspending => "SUSPENDING",
            Self::Suspended => "SUSPENDED",
            Self::Resuming => "RESUMING",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// kubeflow's `util.IsTerminated`: COMPLETED or FAILED.
    pub fn is_terminated(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

impl JsonSchema for ApplicationStateType {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ApplicationStateType".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

/// kubeflow's `ExecutorState` (the strings are also its `DriverState`'s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ExecutorState {
    Pending,
    Running,
    Completed,
    Failed,
    /// Also what a state this type does not know reads as.
    #[serde(other)]
    Unknown,
}

impl JsonSchema for ExecutorState {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ExecutorState".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

/// kubeflow's `DriverState`.
pub type DriverState = ExecutorState;

#[cfg(test)]
mod tests {
    use super::*;

    // The strings of kubeflow's api/v1beta2/sparkapplication_types.go.
    #[test]
    fn states_use_kubeflows_strings() {
        let all = [
            (ApplicationStateType::New, ""),
            (ApplicationStateType::Submitted, "SUBMITTED"),
            (ApplicationStateType::Running, "RUNNING"),
            (ApplicationStateType::Completed, "COMPLETED"),
            (ApplicationStateType::Failed, "FAILED"),
            (ApplicationStateType::SubmissionFailed, "SUBMISSION_FAILED"),
            (ApplicationStateType::PendingRerun, "PENDING_RERUN"),
            (ApplicationStateType::Invalidating, "INVALIDATING"),
            (ApplicationStateType::Succeeding, "SUCCEEDING"),
            (ApplicationStateType::Failing, "FAILING"),
            (ApplicationStateType::Suspending, "SUSPENDING"),
            (ApplicationStateType::Suspended, "SUSPENDED"),
            (ApplicationStateType::Resuming, "RESUMING"),
            (ApplicationStateType::Unknown, "UNKNOWN"),
        ];
        for (state, text) in all {
            assert_eq!(serde_json::to_value(state).ok(), Some(serde_json::json!(text)));
            assert_eq!(serde_json::from_value::<ApplicationStateType>(serde_json::json!(text)).ok(), Some(state));
            assert_eq!(state.name(), if text.is_empty() { "NEW" } else { text });
        }
        assert_eq!(
            serde_json::from_value::<ApplicationStateType>(serde_json::json!("FROM_A_NEWER_KUBEFLOW")).ok(),
            Some(ApplicationStateType::Unknown)
        );
    }

    #[test]
    fn a_fresh_status_serializes_like_kubeflows() {
        // Go writes the zero times as null and always writes driverInfo and applicationState.
        let status = SparkApplicationStatus::default();
        assert_eq!(
            serde_json::to_value(&status).ok(),
            Some(serde_json::json!({
                "lastSubmissionAttemptTime": null, "terminationTime": null,
                "driverInfo": {}, "applicationState": {"state": ""}
            }))
        );
    }
}
