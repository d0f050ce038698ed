//! The driver pod and its companions, built by folding small steps over a
//! pod in the order Spark's `KubernetesDriverBuilder` applies its feature
//! steps, so that lists (env, volumes, ports) come out in Spark's order.

mod basic;
mod command;
mod conf_map;
mod credentials;
mod executor_template;
mod hadoop;
mod local_dirs;
mod network_policy;
mod secrets;
mod service;
mod template;
mod volume_order;
mod volumes;

use k8s_openapi::api::core::v1::{Container, EnvVar, Pod, PodSpec, Volume, VolumeMount};

use crate::context::BuildContext;
use crate::error::ManifestError;
use crate::features::LineFeatures;
use crate::jvm_order;
use crate::names;
use crate::objects::{Applied, DriverObjects};

/// The pod under construction and what the steps have added so far.
pub(crate) struct DriverState<'c, 'a> {
    pub ctx: &'c BuildContext<'a>,
    pub features: LineFeatures,
    pub prefix: String,
    pub pod_name: String,
    pub namespace: String,
    pub pod: Pod,
    pub container: Container,
    /// Settings the steps add to spark.properties, overriding the user's.
    pub added_props: Vec<(String, String)>,
    pub applied: Vec<Applied>,
    /// Set by the credentials step: a secret replaces the service account.
    pub credentials_mounted: bool,
}

impl DriverState<'_, '_> {
    pub fn spec(&mut self) -> &mut PodSpec {
        self.pod.spec.get_or_insert_with(Default::default)
    }

    pub fn add_volume(&mut self, volume: Volume) {
        self.spec().volumes.get_or_insert_with(Vec::new).push(volume);
    }

    pub fn add_mount(&mut self, name: &str, path: &str) {
        self.add_mount_full(VolumeMount { name: name.into(), mount_path: path.into(), ..Default::default() });
    }

    pub fn add_mount_full(&mut self, mount: VolumeMount) {
        self.container.volume_mounts.get_or_insert_with(Vec::new).push(mount);
    }

    pub fn add_env(&mut self, name: &str, value: &str) {
        self.add_env_var(EnvVar { name: name.into(), value: Some(value.into()), value_from: None });
    }

    pub fn add_env_var(&mut self, var: EnvVar) {
        self.container.env.get_or_insert_with(Vec::new).push(var);
    }

    pub fn set_prop(&mut self, key: &str, value: impl Into<String>) {
        self.added_props.push((key.into(), value.into()));
    }

    /// Spark's `sparkConf.getAllWithPrefix(prefix).toMap`, prefix stripped,
    /// in the order Spark iterates it (see [`crate::jvm_order`]).
    pub fn spark_prefixed(&self, prefix: &str) -> Vec<(String, String)> {
        jvm_order::prefixed_map(&self.spark_conf_entries(), prefix, self.features.scala)
    }

    /// What Spark's `SparkConf` holds when the feature steps run: the
    /// submission's settings and the submit time `spark-submit` adds.
    fn spark_conf_entries(&self) -> Vec<(String, String)> {
        let conf = &self.ctx.submission.conf;
        let mut entries: Vec<(String, String)> = conf.iter().map(|(k, s)| (k.to_string(), s.value.clone())).collect();
        if !conf.contains(SUBMIT_TIME) {
            entries.push((SUBMIT_TIME.to_string(), self.ctx.now_millis.to_string()));
        }
        entries
    }
}

const SUBMIT_TIME: &str = "spark.app.submitTime";

/// One feature step: changes the pod, adds settings or objects.
type Step = fn(&mut DriverState<'_, '_>) -> Result<(), ManifestError>;

/// Spark's driver feature steps, in its order, by their Spark class names
/// (which `spark.kubernetes.driver.pod.excludedFeatureSteps` names).
const STEPS: [(&str, Step); 11] = [
    ("org.apache.spark.deploy.k8s.features.BasicDriverFeatureStep", basic::apply),
    ("org.apache.spark.deploy.k8s.features.DriverKubernetesCredentialsFeatureStep", credentials::apply),
    ("org.apache.spark.deploy.k8s.features.DriverServiceFeatureStep", service::apply),
    ("org.apache.spark.deploy.k8s.features.NetworkPolicyFeatureStep", network_policy::apply),
    ("org.apache.spark.deploy.k8s.features.MountSecretsFeatureStep", secrets::apply_mounts),
    ("org.apache.spark.deploy.k8s.features.EnvSecretsFeatureStep", secrets::apply_env),
    ("org.apache.spark.deploy.k8s.features.MountVolumesFeatureStep", volumes::apply),
    ("org.apache.spark.deploy.k8s.features.DriverCommandFeatureStep", command::apply),
    ("org.apache.spark.deploy.k8s.features.HadoopConfDriverFeatureStep", hadoop::apply),
    ("org.apache.spark.deploy.k8s.features.PodTemplateConfigMapStep", executor_template::apply),
    ("org.apache.spark.deploy.k8s.features.LocalDirsFeatureStep", local_dirs::apply),
];

/// The class names listed in `spark.kubernetes.driver.pod.excludedFeatureSteps` (4.1+).
fn excluded_steps(st: &DriverState<'_, '_>) -> Vec<String> {
    if !st.features.excluded_feature_steps {
        return Vec::new();
    }
    let list = st.ctx.submission.conf.get("spark.kubernetes.driver.pod.excludedFeatureSteps").unwrap_or_default();
    list.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect()
}

/// Builds everything Spark's client creates for one submission.
pub fn build_driver(ctx: &BuildContext<'_>) -> Result<DriverObjects, ManifestError> {
    let features =
        LineFeatures::of(ctx.version.line().map_err(|e| ManifestError::invalid("spark version", e.to_string()))?);
    let app_name = ctx.app_name().to_string();
    if names::app_name_label(&app_name).is_empty() {
        return Err(ManifestError::EmptyAppName(app_name));
    }
    let prefix = names::resource_prefix(&app_name, &ctx.ids.prefix_id);
    let pod_name = ctx
        .submission
        .conf
        .get("spark.kubernetes.driver.pod.name")
        .map_or_else(|| format!("{prefix}-driver"), str::to_string);
    let (pod, container) = template::start(ctx)?;
    let mut st = DriverState {
        ctx,
        features,
        prefix,
        pod_name,
        namespace: ctx.namespace(),
        pod,
        container,
        added_props: Vec::new(),
        applied: Vec::new(),
        credentials_mounted: false,
    };
    let excluded = excluded_steps(&st);
    for (class, step) in STEPS {
        if !excluded.iter().any(|e| e == class) {
            step(&mut st)?;
        }
    }
    conf_map::finish(st)
}
