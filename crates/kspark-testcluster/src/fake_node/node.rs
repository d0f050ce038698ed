//! The Node object and its heartbeat Lease.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

use super::status::{HOST_IP, now};
use crate::error::{Error, Result};

/// Renewal period of the node Lease (the kubelet's default is 10 s too).
pub(crate) const LEASE_RENEW: Duration = Duration::from_secs(10);
const LEASE_DURATION_SECONDS: i32 = 40;
const FIELD_MANAGER: &str = "kspark-fake-node";

/// Creates the node (or brings an existing one back to Ready).
pub(crate) async fn register(client: &Client, name: &str, kubelet_version: &str, kubelet_port: u16) -> Result<()> {
    let api: Api<Node> = Api::all(client.clone());
    let status = node_status(name, kubelet_version, kubelet_port);
    let node: Node = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": { "name": name, "labels": labels(name) },
        "spec": { "podCIDR": "10.246.0.0/16", "podCIDRs": ["10.246.0.0/16"] },
        "status": status,
    }))
    .map_err(|e| Error::FakeNode(format!("building the Node object: {e}")))?;
    match api.create(&PostParams::default(), &node).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.is_already_exists() => {}
        Err(e) => return Err(Error::kube(format!("creating node {name}"), e)),
    }
    // Create may drop status on some versions; the status subresource keeps it.
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(json!({ "status": status })))
        .await
        .map_err(|e| Error::kube(format!("setting the status of node {name}"), e))?;
    // Admission (TaintNodesByCondition) gives every new node the
    // not-ready:NoSchedule taint; the node-lifecycle controller, which would
    // lift it, is off (see components.rs), so the node lifts it itself.
    api.patch(name, &PatchParams::default(), &Patch::Merge(json!({ "spec": { "taints": null } })))
        .await
        .map_err(|e| Error::kube(format!("removing the start-up taint of node {name}"), e))?;
    Ok(())
}

fn labels(name: &str) -> serde_json::Value {
    json!({
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kspark.test/fake-node": "true",
    })
}

fn node_status(name: &str, kubelet_version: &str, kubelet_port: u16) -> serde_json::Value {
    let resources = json!({ "cpu": "16", "memory": "64Gi", "pods": "110", "ephemeral-storage": "100Gi" });
    let t = now();
    let cond = |type_: &str, status: &str, reason: &str, message: &str| {
        json!({ "type": type_, "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": t, "lastTransitionTime": t })
    };
    json!({
        "capacity": resources,
        "allocatable": resources,
        "conditions": [
            cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            cond("Ready", "True", "KubeletReady", "kubelet is posting ready status (kspark fake node)"),
        ],
        "addresses": [
            { "type": "InternalIP", "address": HOST_IP },
            { "type": "Hostname", "address": name },
        ],
        "daemonEndpoints": { "kubeletEndpoint": { "Port": kubelet_port } },
        "nodeInfo": {
            "machineID": "kspark-fake", "systemUUID": "kspark-fake", "bootID": "kspark-fake",
            "kernelVersion": "fake", "osImage": "kspark fake node",
            "containerRuntimeVersion": "fake://0", "kubeletVersion": kubelet_version,
            "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64",
        },
    })
}

/// Creates or renews the node's Lease in `kube-node-lease` (server-side
/// apply, so the first call creates it).
pub(crate) async fn renew_lease(client: &Client, name: &str) -> Result<()> {
    let api: Api<Lease> = Api::namespaced(client.clone(), "kube-node-lease");
    let lease = Lease {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some("kube-node-lease".into()),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(name.to_string()),
            lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
            renew_time: Some(MicroTime(Timestamp::now())),
            ..Default::default()
        }),
    };
    api.patch(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&lease))
        .await
        .map(drop)
        .map_err(|e| Error::kube(format!("renewing the lease of node {name}"), e))
}
