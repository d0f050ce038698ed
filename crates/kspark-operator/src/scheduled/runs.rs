//! The runs of a schedule: the SparkApplication a run is created as
//! (kubeflow's name, labels and owner reference) and what the operator
//! knows of the existing ones, from its cache.

use std::collections::BTreeMap;
use std::str::FromStr;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kspark_sparkapp::ApplicationStateType;
use kspark_sparkapp::labels;
use kube::core::DynamicObject;
use kube::runtime::reflector::Store;
use serde_json::Value;

/// How precisely a run's name carries its scheduled time (kubeflow's
/// --scheduled-spark-application-timestamp-precision; nanos by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NamePrecision {
    #[default]
    Nanos,
    Micros,
    Millis,
    Seconds,
    Minutes,
}

impl FromStr for NamePrecision {
    type Err = String;
    fn from_str(text: &str) -> Result<NamePrecision, String> {
        Ok(match text {
            "nanos" => NamePrecision::Nanos,
            "micros" => NamePrecision::Micros,
            "millis" => NamePrecision::Millis,
            "seconds" => NamePrecision::Seconds,
            "minutes" => NamePrecision::Minutes,
            other => return Err(format!("{other:?}: use nanos, micros, millis, seconds or minutes")),
        })
    }
}

impl NamePrecision {
    fn format(self, time: Timestamp) -> String {
        match self {
            NamePrecision::Nanos => time.as_nanosecond().to_string(),
            NamePrecision::Micros => time.as_microsecond().to_string(),
            NamePrecision::Millis => time.as_millisecond().to_string(),
            NamePrecision::Seconds => time.as_second().to_string(),
            NamePrecision::Minutes => time.as_second().div_euclid(60).to_string(),
        }
    }
}

/// The name of the run scheduled at `due`: kubeflow's `<schedule>-<time>`,
/// but from the scheduled time rather than the moment it was created, so a
/// restarted operator creating the same run again gets AlreadyExists.
pub fn run_name(schedule: &str, due: Timestamp, precision: NamePrecision) -> String {
    format!("{schedule}-{}", precision.format(due))
}

/// A run's name must be a DNS-1035 label (at most 63 characters), as every
/// SparkApplication's: a schedule whose runs could not be submitted is
/// refused up front rather than failing each run.
pub fn check_name_room(schedule: &str, now: Timestamp, precision: NamePrecision) -> Result<(), String> {
    let example = run_name(schedule, now, precision);
    if example.len() <= MAX_RUN_NAME {
        return Ok(());
    }
    let room = MAX_RUN_NAME.saturating_sub(example.len() - schedule.len());
    Err(format!(
        "metadata.name {schedule:?} is too long: its runs ({example}) would exceed {MAX_RUN_NAME} characters; \
         use a name of at most {room} characters or --scheduled-spark-application-timestamp-precision seconds"
    ))
}

const MAX_RUN_NAME: usize = 63;

/// The SparkApplication of one run: the template as written (every field,
/// also those kspark's types do not know), the schedule's labels plus
/// [`labels::SCHEDULED_APP_NAME`], owned by the schedule so deleting it deletes its runs.
pub fn run_object(schedule: &DynamicObject, template: &Value, name: &str) -> DynamicObject {
    let meta = &schedule.metadata;
    let schedule_name = meta.name.clone().unwrap_or_default();
    let mut labels: BTreeMap<String, String> = meta.labels.clone().unwrap_or_default();
    labels.insert(labels::SCHEDULED_APP_NAME.into(), schedule_name.clone());
    let owner = OwnerReference {
        api_version: "sparkoperator.k8s.io/v1beta2".into(),
        kind: "ScheduledSparkApplication".into(),
        name: schedule_name,
        uid: meta.uid.clone().unwrap_or_default(),
        block_owner_deletion: Some(true),
        controller: None,
    };
    let mut run = DynamicObject::new(name, &crate::application_object::application_resource());
    run.metadata = ObjectMeta {
        name: Some(name.into()),
        namespace: meta.namespace.clone(),
        labels: Some(labels),
        owner_references: Some(vec![owner]),
        ..ObjectMeta::default()
    };
    run.data = serde_json::json!({ "spec": template });
    run
}

/// What the schedule needs to know of one of its runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub name: String,
    pub created: Option<Timestamp>,
    pub state: ApplicationStateType,
    pub deleting: bool,
}

impl Run {
    pub fn is_active(&self) -> bool {
        !self.state.is_terminated() && !self.deleting
    }
}

/// The runs of `namespace/schedule` in the cache of labelled SparkApplications.
pub fn runs_of(store: &Store<DynamicObject>, namespace: &str, schedule: &str) -> Vec<Run> {
    store
        .state()
        .iter()
        .filter(|app| app.metadata.namespace.as_deref() == Some(namespace))
        .filter(|app| {
            app.metadata.labels.as_ref().and_then(|l| l.get(labels::SCHEDULED_APP_NAME)).map(String::as_str)
                == Some(schedule)
        })
        .map(|app| run_of(app))
        .collect()
}

fn run_of(app: &DynamicObject) -> Run {
    let state = app.data.pointer("/status/applicationState/state").cloned().unwrap_or(Value::Null);
    Run {
        name: app.metadata.name.clone().unwrap_or_default(),
        created: app.metadata.creation_timestamp.as_ref().map(|t| t.0),
        state: serde_json::from_value(state).unwrap_or_default(),
        deleting: app.metadata.deletion_timestamp.is_some(),
    }
}

/// What the cache keeps of a run: its metadata and state, not its spec.
pub fn keep_run_small(app: &mut DynamicObject) {
    app.metadata.managed_fields = None;
    app.metadata.annotations = None;
    let state = app.data.pointer("/status/applicationState/state").cloned();
    app.data = match state {
        Some(state) => serde_json::json!({"status": {"applicationState": {"state": state}}}),
        None => serde_json::json!({}),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> DynamicObject {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "ScheduledSparkApplication",
            "metadata": {"name": "nightly", "namespace": "etl", "uid": "u-1", "labels": {"team": "a"}},
            "spec": {"schedule": "@daily", "template": {"type": "Scala", "futureField": 1}}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_run_is_named_after_its_scheduled_time_with_kubeflows_precisions() {
        let due: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(run_name("nightly", due, NamePrecision::Nanos), "nightly-1772323200000000000");
        assert_eq!(run_name("nightly", due, NamePrecision::Seconds), "nightly-1772323200");
        assert_eq!(run_name("nightly", due, NamePrecision::Minutes), "nightly-29538720");
        assert!("hours".parse::<NamePrecision>().is_err());
    }

    #[test]
    fn a_schedule_name_must_leave_room_for_the_time() {
        let now = Timestamp::now();
        assert!(check_name_room(&"a".repeat(43), now, NamePrecision::Nanos).is_ok());
        let error = check_name_room(&"a".repeat(44), now, NamePrecision::Nanos).err().unwrap_or_default();
        assert!(error.contains("at most 43 characters"), "{error}");
        assert!(check_name_room(&"a".repeat(52), now, NamePrecision::Seconds).is_ok());
    }

    #[test]
    fn a_run_carries_the_template_the_labels_and_the_owner() {
        let template = schedule().data["spec"]["template"].clone();
        let run = run_object(&schedule(), &template, "nightly-1");
        let labels = run.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.get("team").map(String::as_str), Some("a"));
        assert_eq!(labels.get(labels::SCHEDULED_APP_NAME).map(String::as_str), Some("nightly"));
        let owner = run.metadata.owner_references.clone().unwrap_or_default();
        assert_eq!((owner[0].kind.as_str(), owner[0].uid.as_str()), ("ScheduledSparkApplication", "u-1"));
        assert_eq!(owner[0].block_owner_deletion, Some(true));
        assert_eq!(run.data["spec"]["futureField"], 1, "unknown template fields are kept");
        assert_eq!(run.metadata.namespace.as_deref(), Some("etl"));
    }
}
