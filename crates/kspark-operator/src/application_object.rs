//! A SparkApplication as the watch delivers it, before it is read as the
//! Rust type: metadata, and the spec and status as the JSON text the API
//! server sent.
//!
//! Why not the typed resource: one application the Rust type cannot read
//! must fail on its own, not break the list of all of them. Why not kube's
//! DynamicObject: it parses every event into a `serde_json::Value` tree,
//! and its references carry the resource's names, hashed again and again
//! by the controller's queue — together a fifth of the operator's CPU in a
//! burst. Raw JSON text is only checked on the way in, and read once per
//! reconcile.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use kspark_sparkapp::SparkApplication;
use kube::Resource;
use kube::core::ApiResource;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ApplicationObject {
    #[serde(deserialize_with = "metadata_without_managed_fields")]
    pub metadata: ObjectMeta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Box<RawValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Box<RawValue>>,
}

impl Resource for ApplicationObject {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;

    fn kind(dt: &()) -> Cow<'_, str> {
        SparkApplication::kind(dt)
    }

    fn group(dt: &()) -> Cow<'_, str> {
        SparkApplication::group(dt)
    }

    fn version(dt: &()) -> Cow<'_, str> {
        SparkApplication::version(dt)
    }

    fn plural(dt: &()) -> Cow<'_, str> {
        SparkApplication::plural(dt)
    }

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// ObjectMeta's fields but `managedFields`, which the operator never reads
/// and which is most of the metadata of an object several managers wrote:
/// skipped while parsing instead of built and dropped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataWithoutManagedFields {
    annotations: Option<BTreeMap<String, String>>,
    creation_timestamp: Option<Time>,
    deletion_grace_period_seconds: Option<i64>,
    deletion_timestamp: Option<Time>,
    finalizers: Option<Vec<String>>,
    generate_name: Option<String>,
    generation: Option<i64>,
    labels: Option<BTreeMap<String, String>>,
    name: Option<String>,
    namespace: Option<String>,
    owner_references: Option<Vec<OwnerReference>>,
    resource_version: Option<String>,
    self_link: Option<String>,
    uid: Option<String>,
}

pub fn metadata_without_managed_fields<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ObjectMeta, D::Error> {
    let m = MetadataWithoutManagedFields::deserialize(deserializer)?;
    Ok(ObjectMeta {
        annotations: m.annotations,
        creation_timestamp: m.creation_timestamp,
        deletion_grace_period_seconds: m.deletion_grace_period_seconds,
        deletion_timestamp: m.deletion_timestamp,
        finalizers: m.finalizers,
        generate_name: m.generate_name,
        generation: m.generation,
        labels: m.labels,
        managed_fields: None,
        name: m.name,
        namespace: m.namespace,
        owner_references: m.owner_references,
        resource_version: m.resource_version,
        self_link: m.self_link,
        uid: m.uid,
    })
}

/// The SparkApplication resource, for untyped access as a DynamicObject
/// (the runs a schedule creates and deletes).
pub(crate) fn application_resource() -> ApiResource {
    ApiResource::erase::<SparkApplication>(&())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_event_keeps_spec_and_status_as_sent_and_drops_managed_fields() {
        let text = r#"{"type":"MODIFIED","object":{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication",
            "metadata":{"name":"a","namespace":"n","uid":"u","resourceVersion":"7","labels":{"l":"v"},
              "managedFields":[{"manager":"kubectl","operation":"Apply","fieldsV1":{"f:spec":{}}}]},
            "spec":{"type":"Scala","driver":{"cores":1}},"status":{"applicationState":{"state":"RUNNING"}}}}"#;
        let event: kube::core::WatchEvent<ApplicationObject> =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        let kube::core::WatchEvent::Modified(app) = event else { panic!("not MODIFIED") };
        assert_eq!(app.metadata.name.as_deref(), Some("a"));
        assert_eq!(app.metadata.resource_version.as_deref(), Some("7"));
        assert_eq!(app.metadata.managed_fields, None);
        assert_eq!(app.spec.map(|s| s.get().to_string()).as_deref(), Some(r#"{"type":"Scala","driver":{"cores":1}}"#));
        assert_eq!(
            app.status.map(|s| s.get().to_string()).as_deref(),
            Some(r#"{"applicationState":{"state":"RUNNING"}}"#)
        );
    }

    #[test]
    fn the_resource_is_kubeflows_sparkapplication() {
        assert_eq!(ApplicationObject::api_version(&()), "sparkoperator.k8s.io/v1beta2");
        assert_eq!(ApplicationObject::plural(&()), "sparkapplications");
        assert_eq!(ApplicationObject::kind(&()), "SparkApplication");
    }
}
