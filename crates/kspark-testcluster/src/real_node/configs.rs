//! The real node's configuration files, rendered from plain inputs (pure
//! functions: what they write is checked by the unit tests below, what it
//! does by the real-node tests). JSON is written where a component reads
//! YAML: YAML is a superset.

use std::net::Ipv4Addr;
use std::path::Path;

use serde_json::{Value, json};

use super::paths::{BRIDGE, CNI_NETWORK, NODE_IP, NodePaths, POD_SUBNET};

/// The sandbox ("pause") image every pod starts with; served by the
/// harness's registry like every other image.
pub(crate) const SANDBOX_IMAGE: &str = "registry.k8s.io/pause:3.10";

/// Registries whose names images are pulled by: each is mirrored to the
/// harness's registry, so no pull ever leaves the machine.
pub(crate) const MIRRORED_REGISTRIES: [&str; 7] =
    ["docker.io", "registry.k8s.io", "ghcr.io", "quay.io", "gcr.io", "mcr.microsoft.com", "registry.example"];

/// containerd 1.6 (config version 2): its own root, state and socket; the
/// CRI plugin with runc under cgroupfs, the harness's CNI config and
/// registry mirrors. `restrict_oom_score_adj`: this machine withholds
/// CAP_SYS_RESOURCE, and without it the pause container (-998) cannot start.
pub(crate) fn containerd_toml(paths: &NodePaths) -> String {
    format!(
        r#"version = 2
root = "{root}"
state = "{state}"

[grpc]
  address = "{socket}"

[ttrpc]
  address = "{socket}.ttrpc"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{SANDBOX_IMAGE}"
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{cni}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "{hosts}"
"#,
        root = paths.containerd_root().display(),
        state = paths.containerd_state().display(),
        socket = paths.containerd_socket().display(),
        cni = paths.cni_conf_dir().display(),
        hosts = paths.registry_hosts_dir().display(),
    )
}

/// `certs.d/<registry>/hosts.toml`: the harness's registry is both the
/// mirror and the `server`, so a name it lacks fails there instead of
/// falling back to the real registry on the internet.
pub(crate) fn registry_hosts_toml(registry: &str) -> String {
    format!(
        "server = \"http://{registry}\"\n\n[host.\"http://{registry}\"]\n  capabilities = [\"pull\", \"resolve\"]\n  skip_verify = true\n"
    )
}

/// The pod network: the harness's bridge (gateway = the node address),
/// host-local addresses kept under the node's state, port mappings, no
/// masquerading (pods talk to nothing beyond the bridge).
pub(crate) fn cni_conflist(paths: &NodePaths) -> Value {
    json!({
        "cniVersion": "0.4.0",
        "name": CNI_NETWORK,
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": true,
                "ipMasq": false,
                "hairpinMode": true,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{ "subnet": POD_SUBNET, "gateway": NODE_IP.to_string() }]],
                    "routes": [{ "dst": "0.0.0.0/0" }],
                    "dataDir": paths.cni_ipam().display().to_string(),
                },
            },
            { "type": "portmap", "capabilities": { "portMappings": true } },
        ],
    })
}

/// Ports the node's components listen on (all free ports picked at start).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodePorts {
    pub kubelet: u16,
    pub kubelet_healthz: u16,
    pub proxy_healthz: u16,
    pub proxy_metrics: u16,
    pub dns_health: u16,
    pub registry: u16,
}

/// KubeletConfiguration for cgroup v1 with the cgroupfs driver, webhook
/// authentication and authorization against the cluster, the harness's
/// CoreDNS, low eviction thresholds (a test machine's disk is often fuller
/// than a node's) and everything on the node address or loopback.
pub(crate) fn kubelet_config(paths: &NodePaths, ports: NodePorts, ca_file: &Path, resolv_conf: &Path) -> Value {
    json!({
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": NODE_IP.to_string(),
        "port": ports.kubelet,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": ports.kubelet_healthz,
        "authentication": {
            "anonymous": { "enabled": false },
            "webhook": { "enabled": true },
            "x509": { "clientCAFile": ca_file.display().to_string() },
        },
        "authorization": { "mode": "Webhook" },
        "cgroupDriver": "cgroupfs",
        "failCgroupV1": false,
        "failSwapOn": false,
        "containerRuntimeEndpoint": format!("unix://{}", paths.containerd_socket().display()),
        "clusterDNS": [NODE_IP.to_string()],
        "clusterDomain": "cluster.local",
        "resolvConf": resolv_conf.display().to_string(),
        "podLogsDirectory": paths.pod_logs().display().to_string(),
        "serializeImagePulls": false,
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "nodefs.inodesFree": "1%",
            "imagefs.available": "1%",
        },
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "protectKernelDefaults": false,
        "syncFrequency": "10s",
        "nodeStatusUpdateFrequency": "5s",
        "maxPods": 50,
    })
}

/// KubeProxyConfiguration: iptables mode for the pod subnet, NodePorts only
/// on the node address, no conntrack tuning (the machine may refuse it),
/// health and metrics on loopback.
pub(crate) fn kube_proxy_config(ports: NodePorts, kubeconfig: &Path) -> Value {
    json!({
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        "clusterCIDR": POD_SUBNET,
        "hostnameOverride": super::paths::REAL_NODE_NAME,
        "bindAddress": NODE_IP.to_string(),
        "healthzBindAddress": format!("127.0.0.1:{}", ports.proxy_healthz),
        "metricsBindAddress": format!("127.0.0.1:{}", ports.proxy_metrics),
        "nodePortAddresses": [format!("{NODE_IP}/32")],
        "clientConnection": { "kubeconfig": kubeconfig.display().to_string() },
        "conntrack": { "maxPerCore": 0, "min": 0, "tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s" },
        "iptables": { "localhostNodePorts": false, "syncPeriod": "5s", "minSyncPeriod": "0s" },
    })
}

/// CoreDNS on the node address: the cluster domain from the API server and
/// nothing else (no `forward`: pods resolve no outside name).
pub(crate) fn corefile(kubeconfig: &Path, health_port: u16) -> String {
    format!(
        "cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {{\n    bind {NODE_IP}\n    errors\n    log\n    health 127.0.0.1:{health_port}\n    kubernetes cluster.local in-addr.arpa ip6.arpa {{\n        kubeconfig {kubeconfig}\n        pods insecure\n        ttl 5\n    }}\n}}\n",
        kubeconfig = kubeconfig.display(),
    )
}

/// The distribution registry: plain HTTP on loopback, its blobs kept under
/// the cache so a pushed layer is pushed once per machine.
pub(crate) fn registry_config(storage: &Path, port: u16) -> String {
    format!(
        "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
        storage.display()
    )
}

/// `resolv.conf` the kubelet hands to pods with `dnsPolicy: Default`: the
/// harness's CoreDNS, never the machine's resolver.
pub(crate) fn resolv_conf(node_ip: Ipv4Addr) -> String {
    format!("nameserver {node_ip}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> NodePaths {
        NodePaths::new(Path::new("/tmp/run"))
    }

    #[test]
    fn containerd_uses_its_own_socket_cni_and_mirrors() {
        let toml = containerd_toml(&paths());
        assert!(toml.contains("address = \"/run/kspark-testcluster/containerd.sock\""));
        assert!(toml.contains("restrict_oom_score_adj = true"));
        assert!(toml.contains("conf_dir = \"/tmp/run/node/cni\""));
        assert!(toml.contains("config_path = \"/tmp/run/node/certs.d\""));
        assert!(toml.contains("SystemdCgroup = false"));
    }

    #[test]
    fn a_mirrored_registry_never_falls_back_to_the_internet() {
        let hosts = registry_hosts_toml("127.0.0.1:5000");
        assert!(hosts.starts_with("server = \"http://127.0.0.1:5000\""));
        assert!(!hosts.contains("docker"));
    }

    #[test]
    fn pods_get_addresses_on_the_bridge_without_masquerading() {
        let conf = cni_conflist(&paths());
        let bridge = &conf["plugins"][0];
        assert_eq!(bridge["bridge"], BRIDGE);
        assert_eq!(bridge["ipMasq"], false);
        assert_eq!(bridge["ipam"]["ranges"][0][0]["gateway"], "10.244.0.1");
        assert_eq!(bridge["ipam"]["dataDir"], "/var/lib/kspark-testcluster/cni-ipam");
    }

    #[test]
    fn kubelet_listens_on_the_node_address_and_loopback_only() {
        let ports = NodePorts {
            kubelet: 1,
            kubelet_healthz: 2,
            proxy_healthz: 3,
            proxy_metrics: 4,
            dns_health: 5,
            registry: 6,
        };
        let config = kubelet_config(&paths(), ports, Path::new("/ca"), Path::new("/resolv"));
        assert_eq!(config["address"], "10.244.0.1");
        assert_eq!(config["healthzBindAddress"], "127.0.0.1");
        assert_eq!(config["readOnlyPort"], 0);
        assert_eq!(config["cgroupDriver"], "cgroupfs");
        assert_eq!(config["clusterDNS"][0], "10.244.0.1");
        let proxy = kube_proxy_config(ports, Path::new("/kc"));
        assert_eq!(proxy["nodePortAddresses"][0], "10.244.0.1/32");
        assert_eq!(proxy["metricsBindAddress"], "127.0.0.1:4");
    }

    #[test]
    fn coredns_serves_the_cluster_domain_and_forwards_nothing() {
        let corefile = corefile(Path::new("/kc"), 9);
        assert!(corefile.contains("bind 10.244.0.1"));
        assert!(corefile.contains("kubernetes cluster.local"));
        assert!(!corefile.contains("forward"));
    }
}
