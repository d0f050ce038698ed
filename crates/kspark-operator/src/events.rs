//! Kubernetes Events on SparkApplications (kubeflow's reasons) and
//! ScheduledSparkApplications.

use k8s_openapi::api::core::v1::ObjectReference;
use kspark_sparkapp::SparkApplication;
use kube::Resource;
use kube::core::DynamicObject;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};

/// The reporter shown in `kubectl describe` (kubeflow: spark-operator).
pub const REPORTER: &str = "kspark-operator";

#[derive(Clone)]
pub struct Events {
    recorder: Recorder,
    /// Publish Normal events too (kubeflow's set), not only Warnings.
    normal: bool,
}

/// One event to publish after the status is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub warning: bool,
    pub reason: &'static str,
    pub message: String,
}

impl Note {
    pub fn normal(reason: &'static str, message: impl Into<String>) -> Note {
        Note { warning: false, reason, message: message.into() }
    }

    pub fn warning(reason: &'static str, message: impl Into<String>) -> Note {
        Note { warning: true, reason, message: message.into() }
    }
}

impl Events {
    pub fn new(client: kube::Client, instance: Option<String>, normal: bool) -> Events {
        Events { recorder: Recorder::new(client, Reporter { controller: REPORTER.into(), instance }), normal }
    }

    /// Publishes; a failure is logged, never fails the reconcile.
    pub async fn publish(&self, app: &SparkApplication, note: &Note) {
        self.send(app.object_ref(&()), note).await;
    }

    /// [`Events::publish`] for an application only known as an untyped object.
    pub async fn publish_raw(&self, object: &DynamicObject, warning: bool, reason: &'static str, message: &str) {
        let note = Note { warning, reason, message: message.to_string() };
        self.send(object.object_ref(&crate::run::application_resource()), &note).await;
    }

    /// [`Events::publish`] for any object (a ScheduledSparkApplication).
    pub async fn publish_for(&self, reference: ObjectReference, note: &Note) {
        self.send(reference, note).await;
    }

    async fn send(&self, reference: ObjectReference, note: &Note) {
        if !note.warning && !self.normal {
            return;
        }
        let event = Event {
            type_: if note.warning { EventType::Warning } else { EventType::Normal },
            reason: note.reason.into(),
            note: Some(truncate(&note.message, 1000)),
            action: note.reason.into(),
            secondary: None,
        };
        if let Err(e) = self.recorder.publish(&event, &reference).await {
            tracing::warn!(object = reference.name.as_deref().unwrap_or_default(), error = %e, "cannot publish event");
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
