//! The command line of a Spark Connect server pod, as kubeflow's
//! `buildStartConnectServerArgs` (internal/controller/sparkconnect/options.go)
//! writes it: `start-connect-server.sh` with `--conf`s, joined into one
//! `bash -c` string. Values from the spec's maps are shell-quoted; the
//! rest is kubeflow's own text (the driver host is a shell expression that
//! brackets an IPv6 pod address).

use std::collections::BTreeMap;

use super::SparkConnect;
use super::names::EXECUTOR_POD_TEMPLATE_PATH;
use crate::labels::{CONNECT_NAME as CONNECT_NAME_LABEL, LAUNCHED_BY_SPARK_OPERATOR};
use crate::submit::pod_template::EXECUTOR_CONTAINER_NAME;
use crate::submit::{MappingError, Problem};

/// The script the server runs, in the image's Spark.
pub const START_SCRIPT: &str = "${SPARK_HOME}/sbin/start-connect-server.sh";
/// The server pod's preStop hook.
pub const STOP_SCRIPT: &str = "${SPARK_HOME}/sbin/stop-connect-server.sh";
/// The driver's RPC and block manager ports, fixed so that the Service can name them.
pub const DRIVER_PORT: u16 = 7078;
pub const BLOCK_MANAGER_PORT: u16 = 7079;
const DRIVER_HOST: &str =
    r#"$(host=${POD_IP}; if [[ $host == *:* ]] && [[ $host != \[* ]]; then echo "[$host]"; else echo "$host"; fi)"#;
const HADOOP_PREFIX: &str = "spark.hadoop.";

/// `start-connect-server.sh` and its options, in kubeflow's order; `master`
/// is the API server as pods see it (`k8s://https://…`).
pub fn server_args(connect: &SparkConnect, master: &str) -> Result<Vec<String>, MappingError> {
    let namespace = connect.metadata.namespace.as_deref().unwrap_or_default();
    let mut args = vec![START_SCRIPT.to_string(), "--master".to_string(), master.to_string()];
    conf(&mut args, "spark.kubernetes.namespace", namespace);
    let image = executor_image(connect)?;
    conf(&mut args, "spark.kubernetes.container.image", &image);
    conf(&mut args, "spark.kubernetes.executor.container.image", &image);
    for (key, value) in connect.spec.spark_conf.iter().flatten() {
        // kubeflow sets the server pod's name itself.
        if key != "spark.kubernetes.driver.pod.name" {
            quoted_conf(&mut args, key, value);
        }
    }
    for (key, value) in connect.spec.hadoop_conf.iter().flatten() {
        let key = if key.starts_with(HADOOP_PREFIX) { key.clone() } else { format!("{HADOOP_PREFIX}{key}") };
        quoted_conf(&mut args, &key, value);
    }
    driver_conf(&mut args, connect);
    executor_conf(&mut args, connect);
    if connect.spec.executor.pod.template.is_some() {
        conf(&mut args, "spark.kubernetes.executor.podTemplateFile", EXECUTOR_POD_TEMPLATE_PATH);
        conf(&mut args, "spark.kubernetes.executor.podTemplateContainerName", EXECUTOR_CONTAINER_NAME);
    }
    dynamic_allocation(&mut args, connect);
    Ok(args)
}

/// The executors' image: the executor template's Spark container's, else
/// `spec.image`. (kubeflow looks at the first container when none is named
/// `spark-kubernetes-executor`.)
pub fn executor_image(connect: &SparkConnect) -> Result<String, MappingError> {
    let from_template = connect.spec.executor.pod.template.as_ref().and_then(|t| {
        let containers = t.0.get("spec")?.get("containers")?.as_array()?;
        let named = containers.iter().find(|c| c.get("name").and_then(|n| n.as_str()) == Some(EXECUTOR_CONTAINER_NAME));
        let container = named.or(containers.first())?;
        container.get("image")?.as_str().filter(|i| !i.is_empty()).map(str::to_string)
    });
    let from_spec = connect.spec.image.clone().filter(|i| !i.is_empty());
    from_template.or(from_spec).ok_or_else(|| MappingError::new("spec.image", Problem::NoImage))
}

fn conf(args: &mut Vec<String>, key: &str, value: impl std::fmt::Display) {
    args.push("--conf".to_string());
    args.push(format!("{key}={value}"));
}

/// `'key=value'` for bash, a `'` inside written as `'"'"'`.
fn quoted_conf(args: &mut Vec<String>, key: &str, value: &str) {
    args.push("--conf".to_string());
    args.push(format!("'{}'", format!("{key}={value}").replace('\'', r#"'"'"'"#)));
}

fn labels(args: &mut Vec<String>, role: &str, connect: &SparkConnect) {
    let name = connect.metadata.name.as_deref().unwrap_or_default();
    conf(args, &format!("spark.kubernetes.{role}.label.{LAUNCHED_BY_SPARK_OPERATOR}"), "true");
    conf(args, &format!("spark.kubernetes.{role}.label.{CONNECT_NAME_LABEL}"), name);
    let own: BTreeMap<String, String> = connect.metadata.labels.clone().unwrap_or_default();
    for (key, value) in &own {
        conf(args, &format!("spark.kubernetes.{role}.label.{key}"), value);
    }
}

fn driver_conf(args: &mut Vec<String>, connect: &SparkConnect) {
    labels(args, "driver", connect);
    let server = &connect.spec.server.pod;
    if let Some(cores) = server.cores {
        conf(args, "spark.driver.cores", cores);
    }
    if let Some(memory) = &server.memory {
        conf(args, "spark.driver.memory", memory);
    }
    conf(args, "spark.driver.bindAddress", "0.0.0.0");
    conf(args, "spark.driver.host", DRIVER_HOST);
    conf(args, "spark.driver.port", DRIVER_PORT);
    conf(args, "spark.driver.blockManager.port", BLOCK_MANAGER_PORT);
    conf(args, "spark.kubernetes.driver.pod.name", super::names::server_pod_name(connect));
}

fn executor_conf(args: &mut Vec<String>, connect: &SparkConnect) {
    labels(args, "executor", connect);
    let executor = &connect.spec.executor;
    if let Some(instances) = executor.instances {
        conf(args, "spark.executor.instances", instances);
    }
    if let Some(cores) = executor.pod.cores {
        conf(args, "spark.executor.cores", cores);
    }
    if let Some(memory) = &executor.pod.memory {
        conf(args, "spark.executor.memory", memory);
    }
    conf(args, "spark.kubernetes.executor.podNamePrefix", connect.metadata.name.as_deref().unwrap_or_default());
}

fn dynamic_allocation(args: &mut Vec<String>, connect: &SparkConnect) {
    let Some(da) = connect.spec.dynamic_allocation.as_ref().filter(|d| d.enabled) else { return };
    conf(args, "spark.dynamicAllocation.enabled", true);
    if let Some(n) = da.initial_executors {
        conf(args, "spark.dynamicAllocation.initialExecutors", n);
    }
    if let Some(n) = da.min_executors {
        conf(args, "spark.dynamicAllocation.minExecutors", n);
    }
    if let Some(n) = da.max_executors {
        conf(args, "spark.dynamicAllocation.maxExecutors", n);
    }
    conf(args, "spark.dynamicAllocation.shuffleTracking.enabled", da.shuffle_tracking_enabled.unwrap_or(true));
    if let Some(timeout) = da.shuffle_tracking_timeout {
        conf(args, "spark.dynamicAllocation.shuffleTracking.timeout", timeout);
    }
}
