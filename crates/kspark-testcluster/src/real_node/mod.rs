//! A real node beside the control plane: containerd with runc and the CNI
//! bridge plugin (Debian's packages), the kubelet and kube-proxy (the
//! control plane's Kubernetes version) and CoreDNS, all built by
//! `testcluster/build-node.sh`; images come from the harness's own registry
//! (`testcluster/build-images.sh`, pushed by `push-images.sh`), which
//! containerd uses as the mirror of every public registry name.
//!
//! Start is in two steps: [`RealNode::prepare`] (checks, lock, bridge) runs
//! before kube-apiserver, which listens on the bridge's address so pods
//! reach it; [`RealNode::start`] runs once the control plane is up. Stop
//! undoes everything: processes by PID, sandboxes through the CRI,
//! kube-proxy's chains, mounts, cgroups, the bridge and its guard.

mod configs;
mod host;
mod network;
pub(crate) mod paths;
mod sweep;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use self::configs::NodePorts;
use self::host::NodeLock;
use self::network::Network;
use self::paths::NodePaths;
use crate::binaries::{run_build_script, testcluster_script};
use crate::client::client_from_kubeconfig;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::process::{ProcessGroup, ProcessSpec};
use crate::readiness::{self, Waiter};
use crate::runtime::run_isolated;

pub(crate) use self::paths::KUBELET_USER;
pub use self::paths::{NODE_IP, REAL_NODE_NAME};

/// What the node's components need from the cluster.
#[derive(Debug, Clone)]
pub(crate) struct NodeInputs {
    pub ca_cert: PathBuf,
    pub kubelet_kubeconfig: PathBuf,
    pub proxy_kubeconfig: PathBuf,
    pub dns_kubeconfig: PathBuf,
    pub admin_kubeconfig: PathBuf,
    pub logs_dir: PathBuf,
    pub timeout: Duration,
}

/// The node's processes and host state; stopped on drop.
#[derive(Debug)]
pub(crate) struct RealNode {
    paths: NodePaths,
    bin_dir: PathBuf,
    processes: Option<ProcessGroup>,
    network: Option<Network>,
    registry: Option<String>,
    phases: Vec<(&'static str, Duration)>,
    _lock: NodeLock,
}

impl RealNode {
    /// Checks the machine, takes the one-node lock, builds (or finds) the
    /// node's binaries and makes the bridge, removing what a crashed run
    /// left of it.
    pub(crate) fn prepare(run_dir: &Path) -> Result<Self> {
        host::check()?;
        let paths = NodePaths::new(run_dir);
        let lock = NodeLock::acquire(&paths)?;
        let bin_dir = run_build_script(&testcluster_script("build-node.sh"))?;
        fsutil::create_dir_all(paths.run_dir())?;
        let network = Network::create()?;
        Ok(Self {
            paths,
            bin_dir,
            processes: Some(ProcessGroup::new()?),
            network: Some(network),
            registry: None,
            phases: Vec::new(),
            _lock: lock,
        })
    }

    /// Registry and images, containerd (then a sweep of a crashed run's
    /// sandboxes), kubelet, kube-proxy and CoreDNS; returns when the node is
    /// Ready and cluster DNS answers.
    pub(crate) fn start(&mut self, inputs: &NodeInputs) -> Result<()> {
        let ports = pick_ports()?;
        let step = Instant::now();
        self.start_registry(inputs, ports.registry)?;
        self.phases.push(("registry and images", step.elapsed()));
        let step = Instant::now();
        // A crashed run's shims and containers, which a new containerd would
        // not all know.
        sweep::kill_leftover_processes(&self.paths);
        self.start_containerd(inputs)?;
        sweep::remove_sandboxes(&self.bin("crictl"), &self.paths);
        sweep::unmount_leftovers(&self.paths);
        sweep::remove_cgroups();
        sweep::remove_proxy_rules(&self.bin("kube-proxy"));
        sweep::remove_kubelet_rules();
        self.phases.push(("containerd", step.elapsed()));
        let step = Instant::now();
        self.start_kubelet(inputs, ports)?;
        self.start_kube_proxy(inputs, ports)?;
        self.start_coredns(inputs, ports)?;
        self.wait_until_ready(inputs, ports)?;
        self.phases.push(("kubelet, kube-proxy, CoreDNS ready", step.elapsed()));
        Ok(())
    }

    /// `127.0.0.1:<port>` of the harness's registry (pushing there makes an
    /// image pullable by its public name, e.g. `docker.io/apache/spark`).
    pub(crate) fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    pub(crate) fn phases(&self) -> &[(&'static str, Duration)] {
        &self.phases
    }

    pub(crate) fn processes(&self) -> Vec<crate::ProcessInfo> {
        self.processes.as_ref().map(ProcessGroup::infos).unwrap_or_default()
    }

    fn bin(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    fn group(&self) -> Result<&ProcessGroup> {
        self.processes.as_ref().ok_or_else(|| host::real_node_error("the real node has been stopped"))
    }

    fn spawn(&self, name: &str, program: PathBuf, args: Vec<String>, logs_dir: &Path) -> Result<u32> {
        self.group()?.start(ProcessSpec {
            name: name.to_string(),
            program,
            args,
            log: logs_dir.join(format!("{name}.log")),
            cwd: self.paths.run_dir().to_path_buf(),
        })
    }

    fn waiter(&self, timeout: Duration) -> Result<Waiter<'_>> {
        Ok(Waiter { processes: self.group()?, timeout })
    }

    fn start_registry(&mut self, inputs: &NodeInputs, port: u16) -> Result<()> {
        let binary = run_build_script(&testcluster_script("build-registry.sh"))?;
        let storage = cache_root().join("real-node/registry");
        fsutil::create_dir_all(&storage)?;
        let config = self.paths.file("registry.yaml");
        fsutil::write_public(&config, configs::registry_config(&storage, port).as_bytes())?;
        self.spawn("registry", binary, vec!["serve".into(), config.display().to_string()], &inputs.logs_dir)?;
        let waiter = self.waiter(inputs.timeout)?;
        run_isolated(waiter.until("registry", "GET /v2/", || readiness::http_ok(port, "/v2/")))??;
        let address = format!("127.0.0.1:{port}");
        let layout = run_build_script(&testcluster_script("build-images.sh"))?;
        push_images(&layout, &address)?;
        self.registry = Some(address);
        Ok(())
    }

    fn start_containerd(&self, inputs: &NodeInputs) -> Result<()> {
        let registry = self.registry.clone().unwrap_or_default();
        for name in configs::MIRRORED_REGISTRIES {
            let dir = self.paths.registry_hosts_dir().join(name);
            fsutil::create_dir_all(&dir)?;
            fsutil::write_public(&dir.join("hosts.toml"), configs::registry_hosts_toml(&registry).as_bytes())?;
        }
        fsutil::create_dir_all(&self.paths.cni_conf_dir())?;
        let conflist = serde_json::to_vec_pretty(&configs::cni_conflist(&self.paths)).unwrap_or_default();
        fsutil::write_public(&self.paths.cni_conf_dir().join("10-kspark.conflist"), &conflist)?;
        for dir in [self.paths.containerd_root(), self.paths.containerd_state(), self.paths.cni_ipam()] {
            fsutil::create_dir_all(&dir)?;
        }
        let config = self.paths.file("containerd.toml");
        fsutil::write_public(&config, configs::containerd_toml(&self.paths).as_bytes())?;
        let args = vec!["--config".into(), config.display().to_string(), "--log-level=warn".into()];
        self.spawn("containerd", PathBuf::from("/usr/bin/containerd"), args, &inputs.logs_dir)?;
        let crictl = self.bin("crictl");
        let endpoint = format!("unix://{}", self.paths.containerd_socket().display());
        let waiter = self.waiter(inputs.timeout)?;
        run_isolated(waiter.until("containerd", "CRI version", || {
            let crictl = crictl.display().to_string();
            let endpoint = endpoint.clone();
            async move {
                host::run(&crictl, &["--runtime-endpoint", &endpoint, "version"]).map(drop).map_err(|e| e.to_string())
            }
        }))?
    }

    fn start_kubelet(&self, inputs: &NodeInputs, ports: NodePorts) -> Result<()> {
        for dir in [self.paths.kubelet_root(), self.paths.pod_logs()] {
            fsutil::create_dir_all(&dir)?;
        }
        let resolv = self.paths.file("resolv.conf");
        fsutil::write_public(&resolv, configs::resolv_conf(NODE_IP).as_bytes())?;
        let config = self.paths.file("kubelet.yaml");
        let document = configs::kubelet_config(&self.paths, ports, &inputs.ca_cert, &resolv);
        write_json(&config, &document)?;
        let args = vec![
            format!("--config={}", config.display()),
            format!("--kubeconfig={}", inputs.kubelet_kubeconfig.display()),
            format!("--root-dir={}", self.paths.kubelet_root().display()),
            format!("--cert-dir={}", self.paths.file("kubelet-pki").display()),
            format!("--hostname-override={REAL_NODE_NAME}"),
            format!("--node-ip={NODE_IP}"),
            "--v=1".into(),
        ];
        self.spawn("kubelet", self.bin("kubelet"), args, &inputs.logs_dir).map(drop)
    }

    fn start_kube_proxy(&self, inputs: &NodeInputs, ports: NodePorts) -> Result<()> {
        let config = self.paths.file("kube-proxy.yaml");
        write_json(&config, &configs::kube_proxy_config(ports, &inputs.proxy_kubeconfig))?;
        let args = vec![format!("--config={}", config.display()), "--v=1".into()];
        self.spawn("kube-proxy", self.bin("kube-proxy"), args, &inputs.logs_dir).map(drop)
    }

    fn start_coredns(&self, inputs: &NodeInputs, ports: NodePorts) -> Result<()> {
        let corefile = self.paths.file("Corefile");
        fsutil::write_public(&corefile, configs::corefile(&inputs.dns_kubeconfig, ports.dns_health).as_bytes())?;
        let args = vec!["-conf".into(), corefile.display().to_string()];
        self.spawn("coredns", self.bin("coredns"), args, &inputs.logs_dir).map(drop)
    }

    fn wait_until_ready(&self, inputs: &NodeInputs, ports: NodePorts) -> Result<()> {
        let waiter = self.waiter(inputs.timeout)?;
        let admin = inputs.admin_kubeconfig.clone();
        run_isolated(async move {
            waiter.until("coredns", "GET /health", || readiness::http_ok(ports.dns_health, "/health")).await?;
            waiter.until("kube-proxy", "GET /healthz", || readiness::http_ok(ports.proxy_healthz, "/healthz")).await?;
            let client = client_from_kubeconfig(&admin).await?;
            waiter.until("kubelet", "node Ready", || readiness::node_ready(&client, REAL_NODE_NAME)).await
        })?
    }

    /// Stops everything, in the order that lets each step clean up after
    /// the one before: the kubelet (so nothing restarts pods), every pod
    /// through the CRI, kube-proxy and its chains, containerd and the rest,
    /// what outlived containerd, then mounts, cgroups and the bridge. Safe
    /// to call more than once.
    pub(crate) fn stop(&mut self) {
        let Some(group) = self.processes.take() else {
            return;
        };
        group.stop_named("kubelet");
        sweep::remove_kubelet_rules();
        if group.is_running("containerd") {
            sweep::remove_sandboxes(&self.bin("crictl"), &self.paths);
        }
        group.stop_named("kube-proxy");
        sweep::remove_proxy_rules(&self.bin("kube-proxy"));
        group.stop_all();
        sweep::kill_leftover_processes(&self.paths);
        sweep::unmount_leftovers(&self.paths);
        sweep::remove_cgroups();
        if let Some(mut network) = self.network.take() {
            network.remove();
        }
    }
}

impl Drop for RealNode {
    fn drop(&mut self) {
        self.stop();
    }
}

fn pick_ports() -> Result<NodePorts> {
    let listeners = (0..6)
        .map(|_| std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::io("reserving free ports on 127.0.0.1", e))?;
    let port = |i: usize| listeners[i].local_addr().map(|a| a.port()).unwrap_or(0);
    Ok(NodePorts {
        kubelet: port(0),
        kubelet_healthz: port(1),
        proxy_healthz: port(2),
        proxy_metrics: port(3),
        dns_health: port(4),
        registry: port(5),
    })
}

fn write_json(path: &Path, document: &Value) -> Result<()> {
    let text = serde_json::to_vec_pretty(document)
        .map_err(|e| host::real_node_error(format!("rendering {}: {e}", path.display())))?;
    fsutil::write_public(path, &text)
}

/// `$KSPARK_CACHE`, else `~/.cache/kspark`, as the scripts use.
fn cache_root() -> PathBuf {
    match std::env::var_os("KSPARK_CACHE").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root")).join(".cache/kspark")
        }
    }
}

fn push_images(layout: &Path, registry: &str) -> Result<()> {
    let script = testcluster_script("push-images.sh");
    let layout = layout.display().to_string();
    host::run("bash", &[&script.display().to_string(), &layout, registry]).map(drop)
}
