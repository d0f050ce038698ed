//! Where the real node keeps its state. One real node runs on a machine at a
//! time (kube-proxy's iptables chains and the bridge are machine-wide), so
//! its state has fixed homes: a crashed run's containers, mounts and
//! sandboxes are found, and removed, by the next one at the same paths.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// The node's name in the cluster.
pub const REAL_NODE_NAME: &str = "kspark-node-1";
/// The kubelet's user: the Node authorizer reads the node name from it.
pub(crate) const KUBELET_USER: &str = "system:node:kspark-node-1";

/// The harness's own bridge: pods hang off it, and the control plane listens
/// on its address so that pods reach it.
pub(crate) const BRIDGE: &str = "kspark0";
/// The bridge's address: the node's InternalIP, the pods' gateway, where
/// kube-apiserver, the kubelet and CoreDNS listen.
pub const NODE_IP: Ipv4Addr = Ipv4Addr::new(10, 244, 0, 1);
/// Pod addresses (host-local IPAM) and kube-proxy's cluster CIDR.
pub(crate) const POD_SUBNET: &str = "10.244.0.0/24";
pub(crate) const POD_PREFIX_LEN: u8 = 24;
/// CNI network name (also host-local's data directory name).
pub(crate) const CNI_NETWORK: &str = "kspark";

/// Persistent state (containerd's content store and snapshots survive runs,
/// so images are pulled once; the kubelet's root is swept at start).
#[derive(Debug, Clone)]
pub(crate) struct NodePaths {
    state: PathBuf,
    runtime: PathBuf,
    run_dir: PathBuf,
}

impl NodePaths {
    /// `run_dir` is the cluster's run directory: configs and logs.
    pub(crate) fn new(run_dir: &Path) -> Self {
        Self {
            state: PathBuf::from("/var/lib/kspark-testcluster"),
            runtime: PathBuf::from("/run/kspark-testcluster"),
            run_dir: run_dir.join("node"),
        }
    }
    /// Held (flock) while a real node runs.
    pub fn lock_file(&self) -> PathBuf {
        self.runtime.join("real-node.lock")
    }
    pub fn containerd_root(&self) -> PathBuf {
        self.state.join("containerd")
    }
    pub fn containerd_state(&self) -> PathBuf {
        self.runtime.join("containerd")
    }
    pub fn containerd_socket(&self) -> PathBuf {
        self.runtime.join("containerd.sock")
    }
    pub fn kubelet_root(&self) -> PathBuf {
        self.state.join("kubelet")
    }
    pub fn pod_logs(&self) -> PathBuf {
        self.state.join("pod-logs")
    }
    pub fn cni_ipam(&self) -> PathBuf {
        self.state.join("cni-ipam")
    }
    pub fn runtime_dir(&self) -> &Path {
        &self.runtime
    }
    /// Per-run files: configs, kubeconfigs of the node's components.
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }
    pub fn cni_conf_dir(&self) -> PathBuf {
        self.run_dir.join("cni")
    }
    pub fn registry_hosts_dir(&self) -> PathBuf {
        self.run_dir.join("certs.d")
    }
    pub fn file(&self, name: &str) -> PathBuf {
        self.run_dir.join(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubelet_user_names_the_node() {
        assert_eq!(KUBELET_USER, format!("system:node:{REAL_NODE_NAME}"));
    }
}
