//! What kubeflow's pod webhook (`mutateSparkPod` in
//! internal/webhook/sparkpod_defaulter.go) does to a driver or executor pod
//! of a SparkApplication, as pure functions, since kspark runs without a
//! webhook: the operator applies [`mutate_driver_pod`] to the driver pod it
//! builds, and [`crate::submit::submit_args`] applies
//! [`mutate_executor_template`] to the executor pod template (Spark's driver
//! creates the executors from it).
//!
//! The mutations run in kubeflow's order, one concern per module; each
//! appends or replaces exactly what kubeflow's does. Like kubeflow's webhook,
//! they see the application after kubeflow's defaults.

mod configmaps;
mod containers;
mod env;
mod find_container;
mod lifecycle;
mod monitoring;
mod networking;
pub(crate) mod owner;
pub mod quantity;
mod resources;
mod role;
mod scheduling;
mod security;
mod volumes;

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodTemplateSpec};

pub use role::Role;

use crate::application::SparkApplication;
use crate::defaults::apply_defaults;
use crate::submit::pod_template::EXECUTOR_CONTAINER_NAME;
use crate::submit::{MappingError, Problem};
use role::RoleSpec;

/// One of kubeflow's pod mutations, on the pod's spec.
type Mutation = fn(&mut PodSpec, &RoleSpec) -> Result<(), MappingError>;

/// kubeflow's list, in its order (its first entry, the owner reference, is
/// [`owner`] and only concerns the driver's metadata).
const MUTATIONS: &[Mutation] = &[
    env::add_env_vars,
    env::add_env_from,
    configmaps::add_hadoop_config_map,
    configmaps::add_spark_config_map,
    configmaps::add_general_config_maps,
    volumes::add_volumes,
    networking::add_container_ports,
    networking::add_host_network,
    networking::add_host_aliases,
    containers::add_init_containers,
    containers::add_sidecars,
    networking::add_dns_config,
    scheduling::add_priority_class_name,
    scheduling::add_scheduler_name,
    scheduling::add_node_selector,
    scheduling::add_affinity,
    scheduling::add_tolerations,
    resources::add_memory_limit,
    resources::add_gpu,
    monitoring::add_prometheus_config,
    security::add_container_security_context,
    security::add_pod_security_context,
    lifecycle::add_termination_grace_period,
    lifecycle::add_lifecycle,
    lifecycle::add_share_process_namespace,
];

/// Mutates the driver pod kspark built (as spark-submit builds it) the way
/// kubeflow's webhook mutates it when Spark creates it.
pub fn mutate_driver_pod(pod: &mut Pod, app: &SparkApplication) -> Result<(), MappingError> {
    let app = defaulted(app);
    owner::add_owner_reference(&mut pod.metadata, &app);
    mutate_spec(pod.spec.get_or_insert_default(), &RoleSpec::of(&app, Role::Driver))
}

/// Puts what kubeflow's webhook does to every executor pod into the
/// executor pod template. A template without containers first gets the
/// container Spark would create (`spark-kubernetes-executor`), so that the
/// mutations land where Spark puts the executor.
pub fn mutate_executor_template(template: &mut PodTemplateSpec, app: &SparkApplication) -> Result<(), MappingError> {
    let app = defaulted(app);
    let spec = template.spec.get_or_insert_default();
    if spec.containers.is_empty() {
        spec.containers.push(Container { name: EXECUTOR_CONTAINER_NAME.to_string(), ..Default::default() });
    }
    mutate_spec(spec, &RoleSpec::of(&app, Role::Executor))
}

fn defaulted(app: &SparkApplication) -> SparkApplication {
    let mut app = app.clone();
    apply_defaults(&mut app.spec);
    app
}

fn mutate_spec(spec: &mut PodSpec, role: &RoleSpec) -> Result<(), MappingError> {
    MUTATIONS.iter().try_for_each(|mutation| mutation(spec, role))
}

/// The Spark container of the pod (kubeflow's `findContainer`), or an error
/// naming the role when the pod has no container at all.
pub(crate) fn spark_container<'a>(spec: &'a mut PodSpec, role: &RoleSpec) -> Result<&'a mut Container, MappingError> {
    let index = find_container::index(&spec.containers, role.role)
        .ok_or_else(|| MappingError::new(role.field("template"), Problem::NoSparkContainer))?;
    Ok(&mut spec.containers[index])
}
