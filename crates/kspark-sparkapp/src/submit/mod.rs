//! The spark-submit command line kubeflow's operator runs for a
//! SparkApplication (`buildSparkSubmitArgs` in kubeflow's
//! internal/controller/sparkapplication/submission.go), as a pure function.
//!
//! Before building, the spec goes through what kubeflow does to it first:
//! its defaulting webhook ([`crate::defaults`]), its validating webhook
//! ([`validate`]) and, for Prometheus monitoring, its controller's spec
//! rewrite ([`monitoring`]). The options then follow kubeflow's order;
//! inside one option, map entries follow key order (Go's is random).

mod args;
pub mod error;
pub mod monitoring;
pub mod pod_template;
pub mod prometheus_config;
mod role;
mod top_level;
mod validate;
mod volumes;

use k8s_openapi::api::core::v1::PodTemplateSpec;

pub use error::{MappingError, Problem};
pub use top_level::driver_pod_name;
pub use validate::{DENIED_SPARK_CONF_KEYS, SPARK_NAMESPACE_KEY};

use crate::application::SparkApplication;
use crate::defaults::apply_defaults;
use crate::pod::RawPodTemplate;
use args::{Args, go_path_join};
use pod_template::{
    DRIVER_CONTAINER_NAME, DRIVER_TEMPLATE_FILE, EXECUTOR_CONTAINER_NAME, EXECUTOR_TEMPLATE_FILE, Owner,
};

/// What a submission needs besides the SparkApplication.
#[derive(Clone, Copy, Debug)]
pub struct SubmitInputs<'a> {
    /// A fresh UUID per submission (kubeflow's `status.submissionID`).
    pub submission_id: &'a str,
    /// `--master`, e.g. `k8s://https://10.0.0.1:443` (see [`master_url`]).
    pub master_url: &'a str,
    /// Where the pod template files go; kubeflow uses
    /// `/tmp/spark/<submission id>` (see [`default_pod_template_dir`]).
    pub pod_template_dir: &'a str,
}

/// The command line and the two pod template files it refers to.
#[derive(Clone, Debug, PartialEq)]
pub struct SubmitCommand {
    /// Everything after `spark-submit`.
    pub args: Vec<String>,
    /// To be written to `<pod_template_dir>/driver-pod-template.yaml`.
    pub driver_pod_template: PodTemplateSpec,
    /// To be written to `<pod_template_dir>/executor-pod-template.yaml`.
    pub executor_pod_template: PodTemplateSpec,
}

/// kubeflow's `util.GetMasterURL`: the API server as seen from a pod
/// (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT), IPv6 in brackets.
pub fn master_url(service_host: &str, service_port: &str) -> String {
    if service_host.contains(':') && !service_host.starts_with('[') {
        format!("k8s://https://[{service_host}]:{service_port}")
    } else {
        format!("k8s://https://{service_host}:{service_port}")
    }
}

/// kubeflow's directory for a submission's pod templates.
pub fn default_pod_template_dir(submission_id: &str) -> String {
    format!("/tmp/spark/{submission_id}")
}

/// The arguments kubeflow's operator passes to spark-submit for `app`, in
/// kubeflow's order, or the first field that makes `app` unsubmittable.
pub fn submit_args(app: &SparkApplication, inputs: &SubmitInputs) -> Result<SubmitCommand, MappingError> {
    validate::validate(app)?;
    let original = app;
    let mut app = app.clone();
    apply_defaults(&mut app.spec);
    // validate() made sure these are there.
    let name = app.metadata.name.clone().unwrap_or_default();
    let namespace = app.metadata.namespace.clone().unwrap_or_default();
    let uid = app.metadata.uid.clone().unwrap_or_default();
    monitoring::apply_prometheus(&mut app.spec, &namespace, &name);

    let spec = &app.spec;
    let mut args = Args::default();
    top_level::before_role_options(&mut args, &app, inputs, &name, &namespace);
    role::driver_conf(&mut args, &app, &name, inputs.submission_id);
    role::driver_env(&mut args, &spec.driver.pod);
    role::driver_secrets(&mut args, &spec.driver.pod.secrets);
    let driver_mounts = &spec.driver.pod.volume_mounts;
    volumes::local_dir_mounts(&mut args, "driver", "spec.driver.volumeMounts", &spec.volumes, driver_mounts)?;
    role::executor_conf(&mut args, &app, &name, inputs.submission_id);
    role::executor_env(&mut args, &spec.executor.pod);
    role::executor_secrets(&mut args, &spec.executor.pod.secrets);
    let executor_mounts = &spec.executor.pod.volume_mounts;
    volumes::local_dir_mounts(&mut args, "executor", "spec.executor.volumeMounts", &spec.volumes, executor_mounts)?;
    top_level::node_selector(&mut args, spec);
    top_level::dynamic_allocation(&mut args, spec);

    let owner = Owner { name: &name, uid: &uid };
    let driver_template = typed_template("spec.driver.template", spec.driver.pod.template.as_ref())?;
    let driver_pod_template = pod_template::driver_template(driver_template, &owner);
    let executor_template = typed_template("spec.executor.template", spec.executor.pod.template.as_ref())?;
    let mut executor_pod_template = pod_template::executor_template(executor_template, &owner);
    // Spark's driver creates the executors from this template, so what
    // kubeflow's webhook does to every executor pod goes in here.
    crate::webhook::mutate_executor_template(&mut executor_pod_template, original)?;
    let dir = inputs.pod_template_dir;
    pod_template::template_options(
        &mut args,
        "driver",
        &go_path_join(dir, DRIVER_TEMPLATE_FILE),
        DRIVER_CONTAINER_NAME,
    );
    let executor_file = go_path_join(dir, EXECUTOR_TEMPLATE_FILE);
    pod_template::template_options(&mut args, "executor", &executor_file, EXECUTOR_CONTAINER_NAME);
    top_level::after_pod_templates(&mut args, spec);
    Ok(SubmitCommand { args: args.0, driver_pod_template, executor_pod_template })
}

/// The template as a PodTemplateSpec, as kubeflow's Go type reads it.
pub(crate) fn typed_template(
    field: &str,
    raw: Option<&RawPodTemplate>,
) -> Result<Option<PodTemplateSpec>, MappingError> {
    raw.map(|raw| raw.to_spec().map_err(|e| MappingError::new(field, Problem::InvalidTemplate(e.to_string()))))
        .transpose()
}
