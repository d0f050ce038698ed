//! The objects kubeflow's SparkConnect controller creates for a
//! SparkConnect (internal/controller/sparkconnect/reconciler.go): the
//! `<name>-conf` ConfigMap with the executors' pod template, the server pod
//! (the server template with kubeflow's container, probes, environment and
//! volume added) and the Service in front of it. Pure builders: the
//! operator and `kspark connect --no-operator` create what these return.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, EnvVar, EnvVarSource, ExecAction, KeyToPath, Lifecycle,
    LifecycleHandler, ObjectFieldSelector, Pod, PodSpec, Probe, Service, ServicePort, TCPSocketAction, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::SparkConnect;
use super::names::{
    CONF_VOLUME, EXECUTOR_POD_TEMPLATE_FILE, EXECUTOR_POD_TEMPLATE_PATH, SERVER_PORT, common_labels, config_map_name,
    server_pod_name, server_selector_labels, server_service_name,
};
use super::server_args::{BLOCK_MANAGER_PORT, DRIVER_PORT, STOP_SCRIPT, server_args};
use crate::submit::pod_template::DRIVER_CONTAINER_NAME;
use crate::submit::{MappingError, Problem, typed_template};

/// The Spark UI's port, which the Service also exposes.
const UI_PORT: u16 = 4040;

/// The controller reference kubeflow sets on everything it creates, so that
/// deleting the SparkConnect deletes them.
pub fn owner_reference(connect: &SparkConnect) -> OwnerReference {
    OwnerReference {
        api_version: "sparkoperator.k8s.io/v1alpha1".to_string(),
        kind: "SparkConnect".to_string(),
        name: connect.metadata.name.clone().unwrap_or_default(),
        uid: connect.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

fn metadata(connect: &SparkConnect, name: String, labels: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: connect.metadata.namespace.clone(),
        labels: Some(labels),
        owner_references: Some(vec![owner_reference(connect)]),
        ..Default::default()
    }
}

/// `<name>-conf`: the executor pod template (`null` without one, as
/// kubeflow's YAML of a nil template reads).
pub fn config_map(connect: &SparkConnect) -> Result<ConfigMap, MappingError> {
    let template = typed_template("spec.executor.template", connect.spec.executor.pod.template.as_ref())?;
    let yaml = match template {
        Some(template) => serde_saphyr::to_string(&template)
            .map_err(|e| MappingError::new("spec.executor.template", Problem::InvalidTemplate(e.to_string())))?,
        None => "null\n".to_string(),
    };
    Ok(ConfigMap {
        metadata: metadata(connect, config_map_name(connect), common_labels(connect)),
        data: Some(BTreeMap::from([(EXECUTOR_POD_TEMPLATE_FILE.to_string(), yaml)])),
        ..Default::default()
    })
}

/// The server pod: `spec.server.template` (labels, annotations, spec) with
/// the Spark container (the one named `spark-kubernetes-driver`, else the
/// first, else a new one) running `start-connect-server.sh`.
pub fn server_pod(connect: &SparkConnect, master: &str) -> Result<Pod, MappingError> {
    let template = typed_template("spec.server.template", connect.spec.server.pod.template.as_ref())?;
    let (template_meta, mut spec) = match template {
        Some(t) => (t.metadata.unwrap_or_default(), t.spec.unwrap_or_default()),
        None => (ObjectMeta::default(), PodSpec::default()),
    };
    if spec.containers.is_empty() {
        spec.containers.push(Container { name: DRIVER_CONTAINER_NAME.to_string(), ..Default::default() });
    }
    let index = spec.containers.iter().position(|c| c.name == DRIVER_CONTAINER_NAME).unwrap_or(0);
    let container = &mut spec.containers[index];
    if container.image.as_deref().unwrap_or_default().is_empty() {
        let image = connect.spec.image.clone().filter(|i| !i.is_empty());
        container.image = Some(image.ok_or_else(|| MappingError::new("spec.image", Problem::NoImage))?);
    }
    container.command = Some(vec!["bash".to_string(), "-c".to_string()]);
    container.args = Some(vec![server_args(connect, master)?.join(" ")]);
    container.startup_probe.get_or_insert_with(startup_probe);
    container.readiness_probe.get_or_insert_with(readiness_probe);
    server_environment(container);
    container.volume_mounts.get_or_insert_default().push(VolumeMount {
        name: CONF_VOLUME.to_string(),
        sub_path: Some(EXECUTOR_POD_TEMPLATE_FILE.to_string()),
        mount_path: EXECUTOR_POD_TEMPLATE_PATH.to_string(),
        read_only: Some(true),
        ..Default::default()
    });
    container.lifecycle = Some(Lifecycle {
        pre_stop: Some(LifecycleHandler {
            exec: Some(ExecAction { command: Some(vec!["bash".into(), "-c".into(), STOP_SCRIPT.into()]) }),
            ..Default::default()
        }),
        ..Default::default()
    });
    spec.volumes.get_or_insert_default().push(conf_volume(connect));
    let mut labels = template_meta.labels.unwrap_or_default();
    labels.extend(server_selector_labels(connect));
    Ok(Pod {
        metadata: ObjectMeta {
            annotations: template_meta.annotations,
            ..metadata(connect, server_pod_name(connect), labels)
        },
        spec: Some(spec),
        ..Default::default()
    })
}

fn server_environment(container: &mut Container) {
    let env = container.env.get_or_insert_default();
    env.push(EnvVar {
        name: "POD_IP".to_string(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector { field_path: "status.podIP".to_string(), ..Default::default() }),
            ..Default::default()
        }),
        ..Default::default()
    });
    // spark-daemon.sh stays in the foreground, so the container lives as long as the server.
    env.push(EnvVar { name: "SPARK_NO_DAEMONIZE".to_string(), value: Some("true".to_string()), ..Default::default() });
}

fn conf_volume(connect: &SparkConnect) -> Volume {
    Volume {
        name: CONF_VOLUME.to_string(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map_name(connect),
            items: Some(vec![KeyToPath {
                key: EXECUTOR_POD_TEMPLATE_FILE.to_string(),
                path: EXECUTOR_POD_TEMPLATE_FILE.to_string(),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn tcp_probe() -> Probe {
    Probe {
        tcp_socket: Some(TCPSocketAction { port: IntOrString::Int(SERVER_PORT.into()), ..Default::default() }),
        period_seconds: Some(10),
        timeout_seconds: Some(1),
        ..Default::default()
    }
}

/// Up to 5 minutes for the JVM to start listening.
fn startup_probe() -> Probe {
    Probe { initial_delay_seconds: Some(5), failure_threshold: Some(30), ..tcp_probe() }
}

fn readiness_probe() -> Probe {
    Probe { failure_threshold: Some(3), ..tcp_probe() }
}

/// The Service: `spec.server.service` if given (its name, labels and spec
/// kept), with the driver's, the UI's and the gRPC ports and the server
/// pod's labels as its selector.
pub fn server_service(connect: &SparkConnect) -> Service {
    let given = connect.spec.server.service.clone().unwrap_or_default();
    let mut labels = given.metadata.labels.clone().unwrap_or_default();
    labels.extend(common_labels(connect));
    let mut spec = given.spec.unwrap_or_default();
    spec.ports = Some(vec![
        port("driver-rpc", DRIVER_PORT, "tcp"),
        port("blockmanager", BLOCK_MANAGER_PORT, "tcp"),
        port("web-ui", UI_PORT, "http"),
        port("spark-connect-server", SERVER_PORT, "grpc"),
    ]);
    spec.selector.get_or_insert_default().extend(server_selector_labels(connect));
    Service {
        metadata: ObjectMeta {
            annotations: given.metadata.annotations,
            ..metadata(connect, server_service_name(connect), labels)
        },
        spec: Some(spec),
        ..Default::default()
    }
}

fn port(name: &str, number: u16, protocol: &str) -> ServicePort {
    ServicePort {
        name: Some(name.to_string()),
        port: number.into(),
        target_port: Some(IntOrString::Int(number.into())),
        protocol: Some("TCP".to_string()),
        app_protocol: Some(protocol.to_string()),
        ..Default::default()
    }
}
