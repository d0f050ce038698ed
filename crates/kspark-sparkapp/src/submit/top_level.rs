//! The options that come from the application as a whole (kubeflow's
//! masterOption ... driverPodNameOption, nodeSelectorOption,
//! dynamicAllocationOption, proxyUserOption, mainApplicationFileOption and
//! applicationOption in submission.go).

use super::SubmitInputs;
use super::args::Args;
use crate::application::{DeployMode, SparkApplication, SparkApplicationSpec};

const DRIVER_POD_NAME: &str = "spark.kubernetes.driver.pod.name";

/// Everything kubeflow adds before the driver's options.
pub(crate) fn before_role_options(
    args: &mut Args,
    app: &SparkApplication,
    inputs: &SubmitInputs,
    name: &str,
    namespace: &str,
) {
    let spec = &app.spec;
    args.option("--master", inputs.master_url);
    args.option("--deploy-mode", spec.mode.unwrap_or(DeployMode::Cluster).as_str());
    if let Some(class) = &spec.main_class {
        args.option("--class", class);
    }
    args.option("--name", name);
    dependencies(args, spec);
    args.conf("spark.kubernetes.namespace", namespace);
    args.conf_non_empty("spark.kubernetes.container.image", spec.image.as_ref());
    args.conf_non_empty("spark.kubernetes.container.image.pullPolicy", spec.image_pull_policy.as_ref());
    if !spec.image_pull_secrets.is_empty() {
        args.conf("spark.kubernetes.container.image.pullSecrets", spec.image_pull_secrets.join(","));
    }
    args.conf_non_empty("spark.kubernetes.pyspark.pythonVersion", spec.python_version.as_ref());
    args.conf_non_empty("spark.kubernetes.memoryOverheadFactor", spec.memory_overhead_factor.as_ref());
    // The operator never waits for the application; it watches the pods.
    args.conf("spark.kubernetes.submission.waitAppCompletion", "false");
    for (key, value) in spec.spark_conf.iter().filter(|(key, _)| *key != DRIVER_POD_NAME) {
        args.conf(key, value);
    }
    for (key, value) in &spec.hadoop_conf {
        args.conf(format!("spark.hadoop.{key}"), value);
    }
    args.conf(DRIVER_POD_NAME, driver_pod_name(app, name));
}

/// kubeflow's `util.GetDriverPodName`.
pub fn driver_pod_name(app: &SparkApplication, name: &str) -> String {
    let spec = &app.spec;
    let non_empty = |n: &&String| !n.is_empty();
    let chosen =
        spec.driver.pod_name.as_ref().filter(non_empty).or(spec.spark_conf.get(DRIVER_POD_NAME).filter(non_empty));
    chosen.cloned().unwrap_or_else(|| format!("{name}-driver"))
}

fn dependencies(args: &mut Args, spec: &SparkApplicationSpec) {
    let deps = &spec.deps;
    args.joined("--jars", &deps.jars);
    args.joined("--packages", &deps.packages);
    args.joined("--exclude-packages", &deps.exclude_packages);
    args.joined("--repositories", &deps.repositories);
    args.joined("--py-files", &deps.py_files);
    args.joined("--files", &deps.files);
    args.joined("--archives", &deps.archives);
}

/// `spec.nodeSelector` → `spark.kubernetes.node.selector.*`.
pub(crate) fn node_selector(args: &mut Args, spec: &SparkApplicationSpec) {
    for (key, value) in &spec.node_selector {
        args.conf(format!("spark.kubernetes.node.selector.{key}"), value);
    }
}

/// `spec.dynamicAllocation` → `spark.dynamicAllocation.*`; shuffle tracking
/// is written out even when not set (true).
pub(crate) fn dynamic_allocation(args: &mut Args, spec: &SparkApplicationSpec) {
    let Some(allocation) = spec.dynamic_allocation.as_ref().filter(|a| a.enabled) else { return };
    args.conf("spark.dynamicAllocation.enabled", "true");
    args.conf_opt("spark.dynamicAllocation.initialExecutors", allocation.initial_executors);
    args.conf_opt("spark.dynamicAllocation.minExecutors", allocation.min_executors);
    args.conf_opt("spark.dynamicAllocation.maxExecutors", allocation.max_executors);
    let shuffle_tracking = allocation.shuffle_tracking_enabled.unwrap_or(true);
    args.conf("spark.dynamicAllocation.shuffleTracking.enabled", shuffle_tracking.to_string());
    args.conf_opt("spark.dynamicAllocation.shuffleTracking.timeout", allocation.shuffle_tracking_timeout);
}

/// `--proxy-user`, the primary resource and the application's arguments.
pub(crate) fn after_pod_templates(args: &mut Args, spec: &SparkApplicationSpec) {
    if let Some(user) = spec.proxy_user.as_ref().filter(|u| !u.is_empty()) {
        args.option("--proxy-user", user);
    }
    args.0.push(spec.main_application_file.clone());
    args.0.extend(spec.arguments.iter().cloned());
}
