//! The CustomResourceDefinitions of SparkApplication,
//! ScheduledSparkApplication and SparkConnect, with schemas derived from the Rust types and
//! shaped like kubeflow's (controller-gen) ones.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, CustomResourceValidation, JSONSchemaProps,
};
use kube::CustomResourceExt;
use kube::core::schema::{OptionalEnum, OptionalIntOrString, StructuralSchemaRewriter};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use schemars::transform::AddNullable;
use serde_json::{Value, json};

use crate::application::SparkApplication;
use crate::connect::SparkConnect;
use crate::scheduled::ScheduledSparkApplication;

/// Marks the few places kubeflow's CRD says `nullable: true` (its `+nullable`
/// times); everywhere else the `nullable` schemars adds for `Option` is
/// dropped, as controller-gen does not write it.
pub(crate) const KEEP_NULLABLE: &str = "x-kspark-keep-nullable";

/// The SparkApplication CRD.
pub fn spark_application_crd() -> CustomResourceDefinition {
    with_schema::<SparkApplication>(SparkApplication::crd())
}

/// The ScheduledSparkApplication CRD.
pub fn scheduled_spark_application_crd() -> CustomResourceDefinition {
    with_schema::<ScheduledSparkApplication>(ScheduledSparkApplication::crd())
}

/// The SparkConnect CRD (kubeflow's v1alpha1).
pub fn spark_connect_crd() -> CustomResourceDefinition {
    with_schema::<SparkConnect>(SparkConnect::crd())
}

fn with_schema<K: JsonSchema>(mut crd: CustomResourceDefinition) -> CustomResourceDefinition {
    let schema = structural_schema::<K>();
    crd.spec.names.list_kind = Some(format!("{}List", crd.spec.names.kind));
    for version in &mut crd.spec.versions {
        version.schema = Some(CustomResourceValidation { open_api_v3_schema: Some(schema.clone()) });
    }
    crd
}

/// The schema kube-derive would generate (same schemars settings and kube
/// transforms), then with kubeflow's nullability.
fn structural_schema<K: JsonSchema>() -> JSONSchemaProps {
    let generator = SchemaSettings::openapi3()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .with_transform(AddNullable::default())
        .with_transform(StructuralSchemaRewriter)
        .with_transform(OptionalEnum)
        .with_transform(OptionalIntOrString)
        .into_generator();
    let mut value = generator.into_root_schema_for::<K>().to_value();
    drop_generated_nullable(&mut value);
    add_object_meta_fields(&mut value);
    // The schema is built from Rust types in this crate: failing to read it
    // back as JSONSchemaProps is a bug here, not bad input.
    #[allow(clippy::expect_used)]
    serde_json::from_value(value).expect("the derived schema is a valid JSONSchemaProps")
}

/// kube-derive leaves `apiVersion`, `kind` and `metadata` out of the schema
/// (the API server knows them); controller-gen writes them, with `metadata`
/// required.
fn add_object_meta_fields(root: &mut Value) {
    if let Some(properties) = root.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert("apiVersion".into(), json!({ "type": "string" }));
        properties.insert("kind".into(), json!({ "type": "string" }));
        properties.insert("metadata".into(), json!({ "type": "object" }));
    }
    if let Some(required) = root.get_mut("required").and_then(Value::as_array_mut)
        && !required.contains(&json!("metadata"))
    {
        required.insert(0, json!("metadata"));
    }
}

fn drop_generated_nullable(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.remove(KEEP_NULLABLE).is_none() && map.remove("nullable").is_some() {
                // An `Option` of an enum also lists null among the values.
                if let Some(Value::Array(values)) = map.get_mut("enum") {
                    values.retain(|v| !v.is_null());
                }
            }
            // `title`s name Rust types; controller-gen writes none. Nor does
            // it write defaults for these types, and a default in a CRD would
            // make the API server fill fields in.
            map.remove("title");
            map.remove("default");
            for (keyword, value) in map.iter_mut() {
                match (keyword.as_str(), value) {
                    // Property names are field names, not keywords.
                    ("properties", Value::Object(properties)) => {
                        properties.values_mut().for_each(drop_generated_nullable)
                    }
                    (_, value) => drop_generated_nullable(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(drop_generated_nullable),
        _ => {}
    }
}
