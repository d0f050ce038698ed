//! The pod template files kubeflow writes for every submission
//! (driverPodTemplateOption / executorPodTemplateOption and
//! buildDriverPodTemplate / buildExecutorPodTemplate in submission.go): the
//! user's template, or one with just the Spark container, plus an owner
//! reference to the SparkApplication so the pods are its children.

use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use super::args::Args;

/// kubeflow's `SparkDriverContainerName`.
pub const DRIVER_CONTAINER_NAME: &str = "spark-kubernetes-driver";
/// kubeflow's `Spark3DefaultExecutorContainerName`.
pub const EXECUTOR_CONTAINER_NAME: &str = "spark-kubernetes-executor";
pub const DRIVER_TEMPLATE_FILE: &str = "driver-pod-template.yaml";
pub const EXECUTOR_TEMPLATE_FILE: &str = "executor-pod-template.yaml";

/// Who owns the pods: the SparkApplication being submitted.
pub(crate) struct Owner<'a> {
    pub name: &'a str,
    pub uid: &'a str,
}

impl Owner<'_> {
    /// The driver's reference makes the application its controller; the
    /// executors' is a plain one, so that other controllers (Kueue) can tell
    /// they belong to the application (kubeflow's comment in submission.go).
    fn reference(&self, controller: bool) -> OwnerReference {
        OwnerReference {
            api_version: "sparkoperator.k8s.io/v1beta2".to_string(),
            kind: "SparkApplication".to_string(),
            name: self.name.to_string(),
            uid: self.uid.to_string(),
            controller: controller.then_some(true),
            block_owner_deletion: controller.then_some(true),
        }
    }
}

pub(crate) fn driver_template(template: Option<PodTemplateSpec>, owner: &Owner) -> PodTemplateSpec {
    with_owner(template, DRIVER_CONTAINER_NAME, owner.reference(true))
}

pub(crate) fn executor_template(template: Option<PodTemplateSpec>, owner: &Owner) -> PodTemplateSpec {
    with_owner(template, EXECUTOR_CONTAINER_NAME, owner.reference(false))
}

fn with_owner(template: Option<PodTemplateSpec>, container: &str, owner: OwnerReference) -> PodTemplateSpec {
    let mut template = template.unwrap_or_else(|| PodTemplateSpec {
        metadata: None,
        spec: Some(PodSpec {
            containers: vec![Container { name: container.to_string(), ..Default::default() }],
            ..Default::default()
        }),
    });
    let references = template.metadata.get_or_insert_default().owner_references.get_or_insert_default();
    if !references.contains(&owner) {
        references.push(owner);
    }
    template
}

/// `spark.kubernetes.{role}.podTemplateFile` and `...podTemplateContainerName`.
pub(crate) fn template_options(args: &mut Args, role: &str, file: &str, container: &str) {
    args.conf(format!("spark.kubernetes.{role}.podTemplateFile"), file);
    args.conf(format!("spark.kubernetes.{role}.podTemplateContainerName"), container);
}
