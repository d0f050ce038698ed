//! Container limits kubeflow's webhook sets: the role's `memoryLimit` and
//! `gpu` (kubeflow's `addMemoryLimit`, `addGPU`).

use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::quantity::{canonical, decimal_count};
use super::role::RoleSpec;
use super::spark_container;
use crate::submit::{MappingError, Problem};

/// A Java size (`512m`, `2g`) as a Kubernetes one (`512Mi`, `2Gi`), then as
/// Kubernetes writes that quantity back (`1024Mi` becomes `1Gi`).
pub(crate) fn add_memory_limit(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    // kubeflow looks for the container even when there is nothing to set.
    let container = spark_container(spec, role)?;
    let Some(limit) = &role.pod.memory_limit else { return Ok(()) };
    let quantity = canonical(&java_size_as_quantity(limit)).map_err(|problem| {
        let hint = "write a size such as 2g, 512m or 2Gi";
        MappingError::new(role.field("memoryLimit"), Problem::InvalidSize(format!("`{limit}`: {problem}; {hint}")))
    })?;
    set_limit(container, "memory", quantity);
    Ok(())
}

/// Nothing for a GPU without a name or with a quantity below 1 (kubeflow
/// only logs those).
pub(crate) fn add_gpu(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    let Some(gpu) = role.pod.gpu.as_ref().filter(|g| !g.name.is_empty() && g.quantity > 0) else { return Ok(()) };
    let container = spark_container(spec, role)?;
    set_limit(container, &gpu.name, decimal_count(gpu.quantity));
    Ok(())
}

fn set_limit(container: &mut Container, resource: &str, quantity: String) {
    let resources = container.resources.get_or_insert_default();
    resources.limits.get_or_insert_default().insert(resource.to_string(), Quantity(quantity));
}

/// kubeflow's `ConvertJavaMemoryStringToK8sMemoryString`: trimmed, and a
/// Java unit suffix (any case) becomes the binary unit, the rest lowercased.
fn java_size_as_quantity(size: &str) -> String {
    const UNITS: [(&str, &str); 10] = [
        ("kb", "Ki"),
        ("mb", "Mi"),
        ("gb", "Gi"),
        ("tb", "Ti"),
        ("pb", "Pi"),
        ("k", "Ki"),
        ("m", "Mi"),
        ("g", "Gi"),
        ("t", "Ti"),
        ("p", "Pi"),
    ];
    let trimmed = size.trim();
    let lower = trimmed.to_lowercase();
    UNITS
        .iter()
        .find_map(|(unit, binary)| lower.strip_suffix(unit).map(|number| format!("{number}{binary}")))
        .unwrap_or_else(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::java_size_as_quantity;

    #[test]
    fn java_units_become_binary_units() {
        assert_eq!(java_size_as_quantity(" 512m "), "512Mi");
        assert_eq!(java_size_as_quantity("2G"), "2Gi");
        assert_eq!(java_size_as_quantity("1gb"), "1Gi");
        assert_eq!(java_size_as_quantity("1.5T"), "1.5Ti");
        assert_eq!(java_size_as_quantity("2Gi"), "2Gi");
        assert_eq!(java_size_as_quantity("1024"), "1024");
    }
}
