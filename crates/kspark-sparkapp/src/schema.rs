//! Schema pieces kubeflow's CRD spells differently from what schemars derives.

use schemars::{Schema, SchemaGenerator, json_schema};

/// An object the API server keeps as it is (kubeflow's
/// `+kubebuilder:validation:Schemaless` + `PreserveUnknownFields` on pod templates).
pub fn preserve_unknown_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "object", "x-kubernetes-preserve-unknown-fields": true })
}

/// A `metav1.Time` that kubeflow marks `+nullable` (the zero time serializes as null).
pub fn nullable_time(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "format": "date-time", "nullable": true, "x-kspark-keep-nullable": true })
}

/// A `corev1.ResourceList` as controller-gen writes it: quantities as
/// int-or-string with Kubernetes' quantity pattern (k8s-openapi's Quantity
/// schema has no pattern).
pub fn resource_list(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "additionalProperties": {
            "anyOf": [{ "type": "integer" }, { "type": "string" }],
            "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$",
            "x-kubernetes-int-or-string": true
        }
    })
}

/// A `map[string]int` as controller-gen writes it: integers without a format.
pub fn integer_map(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "object", "additionalProperties": { "type": "integer" } })
}
