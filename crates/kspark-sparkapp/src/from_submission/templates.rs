//! Pod template files become `spec.driver.template` / `spec.executor.template`.
//! kubeflow's operator writes them back to files and always names its own
//! Spark container (`spark-kubernetes-driver` / `-executor`), so a container
//! chosen by `podTemplateContainerName` is renamed to that.

use serde_json::{Map, Value};

use super::conf::Remaining;
use super::error::ConversionError;
use crate::pod::RawPodTemplate;
use crate::submit::pod_template::{DRIVER_CONTAINER_NAME, EXECUTOR_CONTAINER_NAME};

/// The template file's content as read by the caller (a Pod, YAML or JSON).
pub(super) fn take(
    conf: &mut Remaining,
    role: &'static str,
    read: Option<&Value>,
    notes: &mut Vec<String>,
) -> Result<Option<RawPodTemplate>, ConversionError> {
    let file_key = format!("spark.kubernetes.{role}.podTemplateFile");
    if conf.get(&file_key).is_none() {
        return Ok(None);
    }
    let Some(Value::Object(pod)) = read else {
        return Err(ConversionError::PodTemplateFile { key: file_key, role });
    };
    conf.take(&file_key);
    let kubeflows_name = if role == "driver" { DRIVER_CONTAINER_NAME } else { EXECUTOR_CONTAINER_NAME };
    let mut template = Map::new();
    for part in ["metadata", "spec"] {
        if let Some(value) = pod.get(part) {
            template.insert(part.to_string(), value.clone());
        }
    }
    let owners = template.get_mut("metadata").and_then(Value::as_object_mut).and_then(|m| m.remove("ownerReferences"));
    if owners.is_some() {
        // They name objects of the submitter's cluster; a pod owned by a
        // missing object is deleted at once. kubeflow adds the application.
        notes.push(format!("the {role} template's ownerReferences are left out: kubeflow's operator adds its own"));
    }
    let name_key = format!("spark.kubernetes.{role}.podTemplateContainerName");
    if let Some(chosen) = conf.take(&name_key).filter(|c| c != kubeflows_name) {
        if rename_container(&mut template, &chosen, kubeflows_name) {
            notes.push(format!(
                "the {role} template's container `{chosen}` ({name_key}) is called `{kubeflows_name}` in the \
                 SparkApplication: kubeflow's operator always names the Spark container so"
            ));
        } else {
            // Spark falls back to the first container when the chosen one is
            // missing; so does it when kubeflow names one that is missing.
            notes.push(format!("{name_key}={chosen} names no container of the template; Spark uses the first one"));
        }
    }
    Ok(Some(RawPodTemplate(template)))
}

fn rename_container(template: &mut Map<String, Value>, from: &str, to: &str) -> bool {
    let containers = template.get_mut("spec").and_then(|s| s.get_mut("containers")).and_then(Value::as_array_mut);
    let Some(container) =
        containers.into_iter().flatten().find(|c| c.get("name").and_then(Value::as_str) == Some(from))
    else {
        return false;
    };
    container["name"] = Value::String(to.to_string());
    true
}
