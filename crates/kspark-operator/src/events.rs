//! Kubernetes Events on SparkApplications (kubeflow's reasons) and
//! ScheduledSparkApplications.
//!
//! Each event is one create of an `events.k8s.io/v1` Event. kube-rs's
//! Recorder is not used: it keeps every event it sent for six minutes to
//! count repeats, and scans that cache on every publish — with thousands of
//! applications that cache was the operator's largest memory use and a
//! tenth of its CPU, for repeats an application's events never have (each
//! names its own application and state).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kspark_sparkapp::SparkApplication;
use kube::Resource;
use kube::api::PostParams;

use crate::application_object::ApplicationObject;

/// The reporter shown in `kubectl describe` (kubeflow: spark-operator).
pub const REPORTER: &str = "kspark-operator";

#[derive(Clone)]
pub struct Events {
    client: kube::Client,
    /// `reportingInstance`: the pod's name in a cluster, else the host's.
    instance: String,
    /// Makes event names unique within this process.
    sequence: Arc<AtomicU64>,
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
        let instance = instance.unwrap_or_else(|| REPORTER.to_string());
        Events { client, instance, sequence: Arc::new(AtomicU64::new(0)), normal }
    }

    /// Publishes; a failure is logged, never fails the reconcile.
    pub async fn publish(&self, app: &SparkApplication, note: &Note) {
        self.send(app.object_ref(&()), note).await;
    }

    /// [`Events::publish`] for an application only known as an untyped object.
    pub async fn publish_raw(&self, object: &ApplicationObject, warning: bool, reason: &'static str, message: &str) {
        let note = Note { warning, reason, message: message.to_string() };
        self.send(object.object_ref(&()), &note).await;
    }

    /// [`Events::publish`] for any object (a ScheduledSparkApplication).
    pub async fn publish_for(&self, reference: ObjectReference, note: &Note) {
        self.send(reference, note).await;
    }

    async fn send(&self, reference: ObjectReference, note: &Note) {
        if !note.warning && !self.normal {
            return;
        }
        let namespace = reference.namespace.clone().unwrap_or_else(|| "default".into());
        let event = self.event(reference, note);
        if let Err(e) = self.create(&namespace, &event).await {
            let name = event.regarding.as_ref().and_then(|r| r.name.as_deref()).unwrap_or_default();
            tracing::warn!(object = name, error = %e, "cannot publish event");
        }
    }

    /// POSTs the event; the answer (the event again, with its managed
    /// fields) is not read — nothing uses it.
    async fn create(&self, namespace: &str, event: &Event) -> Result<(), kube::Error> {
        let url = format!("/apis/events.k8s.io/v1/namespaces/{namespace}/events");
        let body = serde_json::to_vec(event).map_err(kube::Error::SerdeError)?;
        let request =
            kube::core::Request::new(url).create(&PostParams::default(), body).map_err(kube::Error::BuildRequest)?;
        self.client.request_text(request).await.map(drop)
    }

    fn event(&self, reference: ObjectReference, note: &Note) -> Event {
        let now = Timestamp::now();
        // As client-go: the object's name and a unique hexadecimal suffix.
        let suffix = now.as_nanosecond() as u64 ^ self.sequence.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}.{suffix:x}", reference.name.as_deref().unwrap_or("sparkapplication"));
        Event {
            metadata: ObjectMeta { name: Some(name), namespace: reference.namespace.clone(), ..Default::default() },
            event_time: Some(MicroTime(now)),
            type_: Some(if note.warning { "Warning" } else { "Normal" }.into()),
            reason: Some(note.reason.into()),
            action: Some(note.reason.into()),
            note: Some(truncate(&note.message, 1000)),
            reporting_controller: Some(REPORTER.into()),
            reporting_instance: Some(self.instance.clone()),
            regarding: Some(reference),
            ..Default::default()
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
