//! The ScheduledSparkApplication resource: a SparkApplication template run on
//! a cron schedule (kubeflow's api/v1beta2/scheduledsparkapplication_types.go).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::application::SparkApplicationSpec;
use crate::schema::nullable_time;

/// kubeflow's `ScheduledSparkApplicationSpec`.
// Several print columns share `type_ = "string"`, which clippy takes for a
// repeated attribute.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "sparkoperator.k8s.io",
    version = "v1beta2",
    kind = "ScheduledSparkApplication",
    plural = "scheduledsparkapplications",
    singular = "scheduledsparkapplication",
    shortname = "scheduledsparkapp",
    namespaced,
    status = "ScheduledSparkApplicationStatus",
    annotation("api-approved.kubernetes.io", "https://github.com/kubeflow/spark-operator/pull/1298"),
    printcolumn(name = "Schedule", type_ = "string", json_path = ".spec.schedule"),
    printcolumn(name = "TimeZone", type_ = "string", json_path = ".spec.timeZone"),
    printcolumn(name = "Suspend", type_ = "string", json_path = ".spec.suspend"),
    printcolumn(name = "Last Run", type_ = "date", json_path = ".status.lastRun"),
    printcolumn(name = "Last Run Name", type_ = "string", json_path = ".status.lastRunName"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledSparkApplicationSpec {
    /// A cron expression, or kubeflow's `@every 3m` style.
    pub schedule: String,
    /// "Local", "UTC" or an IANA name; kubeflow's default is "Local".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub time_zone: String,
    pub template: SparkApplicationSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_policy: Option<ConcurrencyPolicy>,
    /// kubeflow's default is 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_run_history_limit: Option<i32>,
    /// kubeflow's default is 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_run_history_limit: Option<i32>,
}

/// kubeflow's `ConcurrencyPolicy`. Its CRD does not restrict the values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConcurrencyPolicy {
    Allow,
    Forbid,
    Replace,
}

impl JsonSchema for ConcurrencyPolicy {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ConcurrencyPolicy".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

/// kubeflow's `ScheduleState`: a new schedule's is the empty string. Its
/// CRD does not restrict the values, so the schema says only `string`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScheduleState {
    #[default]
    #[serde(rename = "")]
    New,
    Validating,
    Scheduled,
    FailedValidation,
}

impl ScheduleState {
    pub fn is_new(&self) -> bool {
        *self == ScheduleState::New
    }
}

impl JsonSchema for ScheduleState {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ScheduleState".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

/// kubeflow's `ScheduledSparkApplicationStatus`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledSparkApplicationStatus {
    #[serde(default)]
    #[schemars(schema_with = "nullable_time")]
    pub last_run: Option<Time>,
    #[serde(default)]
    #[schemars(schema_with = "nullable_time")]
    pub next_run: Option<Time>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_run_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub past_successful_run_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub past_failed_run_names: Vec<String>,
    /// "", "Validating", "Scheduled" or "FailedValidation".
    #[serde(default, skip_serializing_if = "ScheduleState::is_new")]
    pub schedule_state: ScheduleState,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}
