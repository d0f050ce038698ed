//! Which container of a pod is Spark's (kubeflow's `findContainer`).

use k8s_openapi::api::core::v1::Container;

use super::Role;
use crate::submit::pod_template::{DRIVER_CONTAINER_NAME, EXECUTOR_CONTAINER_NAME};

/// The executor container's name before Spark 3 (kubeflow still looks for it).
const SPARK2_EXECUTOR_CONTAINER_NAME: &str = "executor";

/// The first container with one of the role's Spark container names, else
/// the first container (kubeflow assumes it is Spark's); `None` when there
/// is no container (where kubeflow's webhook fails).
pub(crate) fn index(containers: &[Container], role: Role) -> Option<usize> {
    let names: &[&str] = match role {
        Role::Driver => &[DRIVER_CONTAINER_NAME],
        Role::Executor => &[SPARK2_EXECUTOR_CONTAINER_NAME, EXECUTOR_CONTAINER_NAME],
    };
    if containers.is_empty() {
        return None;
    }
    Some(containers.iter().position(|c| names.contains(&c.name.as_str())).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(names: &[&str]) -> Vec<Container> {
        names.iter().map(|n| Container { name: n.to_string(), ..Default::default() }).collect()
    }

    #[test]
    fn finds_by_name_else_first_else_none() {
        assert_eq!(index(&named(&["sidecar", "spark-kubernetes-driver"]), Role::Driver), Some(1));
        assert_eq!(index(&named(&["sidecar", "executor"]), Role::Executor), Some(1));
        assert_eq!(index(&named(&["a", "spark-kubernetes-executor"]), Role::Executor), Some(1));
        assert_eq!(index(&named(&["main", "sidecar"]), Role::Driver), Some(0));
        assert_eq!(index(&[], Role::Executor), None);
    }
}
