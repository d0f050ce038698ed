//! The role's `env` and `envFrom`, appended to the Spark container's
//! (kubeflow's `addEnvVars`, `addEnvFrom`), and single variables the other
//! mutations add.

use k8s_openapi::api::core::v1::{EnvVar, PodSpec};

use super::role::RoleSpec;
use super::spark_container;
use crate::submit::MappingError;

pub(crate) fn add_env_vars(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    if role.pod.env.is_empty() {
        return Ok(());
    }
    let container = spark_container(spec, role)?;
    container.env.get_or_insert_default().extend(role.pod.env.iter().cloned());
    Ok(())
}

pub(crate) fn add_env_from(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    // kubeflow looks for the container even when there is nothing to add.
    let container = spark_container(spec, role)?;
    if !role.pod.env_from.is_empty() {
        container.env_from.get_or_insert_default().extend(role.pod.env_from.iter().cloned());
    }
    Ok(())
}

/// One `NAME=value` variable appended to the Spark container.
pub(crate) fn add_env(spec: &mut PodSpec, role: &RoleSpec, name: &str, value: &str) -> Result<(), MappingError> {
    let variable = EnvVar { name: name.to_string(), value: Some(value.to_string()), value_from: None };
    spark_container(spec, role)?.env.get_or_insert_default().push(variable);
    Ok(())
}
