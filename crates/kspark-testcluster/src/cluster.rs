//! [`TestCluster`]: start, accessors, shutdown.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use kube::Client;

use crate::binaries;
use crate::client::client_from_kubeconfig;
use crate::components::{self, APISERVER_KUBELET_CLIENT, Inputs};
use crate::error::{Error, Result};
use crate::fake_node::{FAKE_NODE_NAME, FakeNode, FakeNodeConfig};
use crate::kubeconfig::{self, ClusterEndpoint, ExecPlugin, KubeconfigCredential};
use crate::pki::{ClientIdentity, Pki, PkiPaths, generate_ca};
use crate::ports::Ports;
use crate::process::{ProcessGroup, ProcessInfo, ProcessSpec};
use crate::readiness::{self, Waiter};
use crate::real_node::{self, KUBELET_USER, NodeInputs, RealNode};
use crate::rundir::{Layout, RunDir};
use crate::runtime::run_isolated;
use crate::users::{CredentialKind, TestUser, Tokens};

/// How to start a cluster. `Default` is what tests want.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// Run directory to use (kept afterwards). `None`: a fresh directory
    /// under the temp dir, removed when the cluster is dropped (set
    /// `KSPARK_TESTCLUSTER_KEEP=1` to keep it).
    pub run_dir: Option<PathBuf>,
    /// Directory with the four binaries. `None`: `$KSPARK_CONTROL_PLANE_BIN`,
    /// else the build script's output.
    pub bin_dir: Option<PathBuf>,
    /// The build script to run when no bin dir is given.
    pub build_script: PathBuf,
    /// Deadline for each readiness step.
    pub ready_timeout: Duration,
    /// Start the simulated node (without it, pods stay unscheduled).
    pub fake_node: bool,
    /// Start a real node (containerd, runc, kubelet, kube-proxy, CoreDNS)
    /// instead of the simulated one: pods really run. Needs root; one real
    /// node per machine at a time.
    pub real_node: bool,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            run_dir: None,
            bin_dir: None,
            build_script: binaries::default_build_script(),
            ready_timeout: Duration::from_secs(120),
            fake_node: true,
            real_node: false,
        }
    }
}

/// Paths of a client certificate and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertPaths {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A running single-node control plane: etcd, kube-apiserver,
/// kube-controller-manager, kube-scheduler and the fake node. Dropping it
/// stops everything (reverse order) and removes its run directory.
#[derive(Debug)]
pub struct TestCluster {
    fake_node: Option<FakeNode>,
    /// In a mutex so that the shared real-node cluster (a static) can be
    /// stopped at process exit.
    real_node: Mutex<Option<RealNode>>,
    listen_ip: Ipv4Addr,
    processes: ProcessGroup,
    run_dir: RunDir,
    layout: Layout,
    pki: PkiPaths,
    endpoint: ClusterEndpoint,
    credentials: HashMap<TestUser, KubeconfigCredential>,
    tokens: Tokens,
    ports: Ports,
    bin_dir: PathBuf,
    phases: Vec<(&'static str, Duration)>,
}

static SHARED: OnceLock<Result<TestCluster>> = OnceLock::new();
static SHARED_REAL_NODE: OnceLock<Result<TestCluster>> = OnceLock::new();

/// Client-certificate identities: users, then control-plane and node
/// components (the bootstrap RBAC policy already binds the `system:kube-*`
/// users, `system:nodes` and `system:kube-proxy`).
const CERT_IDENTITIES: [ClientIdentity; 7] = [
    ClientIdentity { stem: "admin-cert", common_name: "admin", organizations: &["system:masters"] },
    ClientIdentity { stem: "carol", common_name: "carol", organizations: &[crate::users::SPARK_USERS_GROUP] },
    ClientIdentity {
        stem: "kube-controller-manager",
        common_name: "system:kube-controller-manager",
        organizations: &[],
    },
    ClientIdentity { stem: "kube-scheduler", common_name: "system:kube-scheduler", organizations: &[] },
    ClientIdentity { stem: "kubelet", common_name: KUBELET_USER, organizations: &["system:nodes"] },
    ClientIdentity { stem: "kube-proxy", common_name: "system:kube-proxy", organizations: &[] },
    ClientIdentity {
        stem: APISERVER_KUBELET_CLIENT,
        common_name: APISERVER_KUBELET_CLIENT,
        organizations: &["system:masters"],
    },
];

impl TestCluster {
    /// Builds or finds the binaries, writes PKI, tokens and kubeconfigs,
    /// starts every process and waits until the cluster is usable: the
    /// apiserver is ready, the `default` service account exists, the `edit`
    /// ClusterRole is aggregated and the fake node is Ready.
    pub fn start(opts: StartOptions) -> Result<Self> {
        let began = Instant::now();
        let bin_dir = binaries::locate(opts.bin_dir.as_deref(), &opts.build_script)?;
        let located = began.elapsed();
        let run_dir = RunDir::create(opts.run_dir.as_deref())?;
        let real_node = match opts.real_node {
            true => Some(RealNode::prepare(run_dir.layout().root())?),
            false => None,
        };
        let mut cluster = Self::prepare(bin_dir, run_dir, real_node)?;
        cluster.phases.push(("locate binaries", located));
        if let Err(e) = cluster.boot(&opts) {
            // Keep the logs the error points at.
            cluster.run_dir.keep();
            return Err(e);
        }
        cluster.phases.push(("total", began.elapsed()));
        Ok(cluster)
    }

    /// One cluster per process, started on first use and shared by every
    /// test of the test binary (tests isolate themselves by namespace).
    /// Statics are never dropped: the processes die with the test process
    /// through `PR_SET_PDEATHSIG`. Panics with the reason if the cluster
    /// cannot be started, so that tests fail (never skip) without it.
    pub fn shared() -> &'static TestCluster {
        match Self::try_shared() {
            Ok(cluster) => cluster,
            Err(e) => panic!("kspark-testcluster: the shared test control plane is not available: {e}"),
        }
    }

    /// [`TestCluster::shared`] without the panic. A failed start is
    /// remembered: every caller gets the same error without a retry.
    pub fn try_shared() -> std::result::Result<&'static TestCluster, &'static Error> {
        SHARED.get_or_init(|| TestCluster::start(StartOptions::default())).as_ref()
    }

    /// [`TestCluster::shared`] with a real node instead of the simulated
    /// one. The node is stopped (pods, mounts, cgroups, bridge) when the
    /// test process exits; a killed test process leaves it to the next
    /// start, which removes it.
    pub fn shared_real_node() -> &'static TestCluster {
        let cluster = SHARED_REAL_NODE.get_or_init(|| {
            let options = StartOptions { fake_node: false, real_node: true, ..StartOptions::default() };
            let cluster = TestCluster::start(options);
            if cluster.is_ok() {
                crate::exit_hook::at_exit(stop_shared_real_node);
            }
            cluster
        });
        match cluster {
            Ok(cluster) => cluster,
            Err(e) => panic!("kspark-testcluster: the shared real-node test cluster is not available: {e}"),
        }
    }

    fn prepare(bin_dir: PathBuf, run_dir: RunDir, real_node: Option<RealNode>) -> Result<Self> {
        let layout = run_dir.layout().clone();
        let ports = Ports::pick()?;
        let listen_ip = if real_node.is_some() { real_node::NODE_IP } else { Ipv4Addr::LOCALHOST };
        let extra_ips: Vec<IpAddr> = real_node.is_some().then_some(IpAddr::V4(listen_ip)).into_iter().collect();
        let pki = Pki::generate(&CERT_IDENTITIES, &extra_ips)?;
        let pki_paths = pki.write(&layout.pki_dir())?;
        let tokens = Tokens::generate();
        tokens.write(&layout.token_file())?;
        let endpoint = ClusterEndpoint {
            server: format!("https://{listen_ip}:{}", ports.apiserver),
            ca_pem: pki.ca.cert_pem.clone(),
        };
        let credentials = credentials(&pki, &tokens)?;
        let cluster = Self {
            fake_node: None,
            real_node: Mutex::new(real_node),
            listen_ip,
            processes: ProcessGroup::new()?,
            run_dir,
            layout,
            pki: pki_paths,
            endpoint,
            credentials,
            tokens,
            ports,
            bin_dir,
            phases: Vec::new(),
        };
        cluster.write_kubeconfigs(&pki)?;
        Ok(cluster)
    }

    fn write_kubeconfigs(&self, pki: &Pki) -> Result<()> {
        for user in TestUser::ALL {
            let credential = self.credential(user)?;
            kubeconfig::write(&self.kubeconfig(user), user.label(), &self.endpoint, credential)?;
        }
        for component in ["kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy"] {
            let pair = pki.client(component).ok_or_else(|| missing_cert(component))?;
            let credential =
                KubeconfigCredential::ClientCert { cert_pem: pair.cert_pem.clone(), key_pem: pair.key_pem.clone() };
            kubeconfig::write(&self.layout.kubeconfig(component), component, &self.endpoint, &credential)?;
        }
        Ok(())
    }

    fn boot(&mut self, opts: &StartOptions) -> Result<()> {
        let step = Instant::now();
        self.start_etcd(opts.ready_timeout)?;
        self.phases.push(("etcd ready", step.elapsed()));
        let step = Instant::now();
        self.start_apiserver(opts.ready_timeout)?;
        self.phases.push(("kube-apiserver ready", step.elapsed()));
        let step = Instant::now();
        self.spawn("kube-controller-manager", components::controller_manager_args)?;
        self.spawn("kube-scheduler", components::scheduler_args)?;
        let fake_node = opts.fake_node && !opts.real_node;
        if fake_node {
            self.fake_node = Some(FakeNode::start(self.fake_node_config(), opts.ready_timeout)?);
        }
        self.wait_for_controllers(opts.ready_timeout, fake_node)?;
        self.processes.ensure_all_running()?;
        self.phases.push(("controllers + fake node ready", step.elapsed()));
        self.start_real_node(opts.ready_timeout)
    }

    fn start_real_node(&mut self, timeout: Duration) -> Result<()> {
        let inputs = NodeInputs {
            ca_cert: self.pki.ca_cert(),
            kubelet_kubeconfig: self.layout.kubeconfig("kubelet"),
            proxy_kubeconfig: self.layout.kubeconfig("kube-proxy"),
            dns_kubeconfig: self.kubeconfig(TestUser::AdminCert),
            admin_kubeconfig: self.kubeconfig(TestUser::Admin),
            logs_dir: self.layout.logs_dir(),
            // A first run builds and pushes images.
            timeout: timeout.max(Duration::from_secs(300)),
        };
        let mut slot = lock(&self.real_node);
        let Some(node) = slot.as_mut() else {
            return Ok(());
        };
        node.start(&inputs)?;
        let phases = node.phases().to_vec();
        drop(slot);
        self.phases.extend(phases);
        Ok(())
    }

    fn start_etcd(&self, timeout: Duration) -> Result<()> {
        self.spawn("etcd", components::etcd_args)?;
        let waiter = Waiter { processes: &self.processes, timeout };
        let port = self.ports.etcd_client;
        run_isolated(waiter.until("etcd", "GET /health", || readiness::etcd_health(port)))?
    }

    fn start_apiserver(&self, timeout: Duration) -> Result<()> {
        self.spawn("kube-apiserver", components::apiserver_args)?;
        let waiter = Waiter { processes: &self.processes, timeout };
        let admin = self.kubeconfig(TestUser::Admin);
        run_isolated(async move {
            let client = client_from_kubeconfig(&admin).await?;
            waiter.until("kube-apiserver", "GET /readyz", || readiness::apiserver_ready(&client)).await
        })?
    }

    fn wait_for_controllers(&self, timeout: Duration, fake_node: bool) -> Result<()> {
        let waiter = Waiter { processes: &self.processes, timeout };
        let admin = self.kubeconfig(TestUser::Admin);
        run_isolated(async move {
            let client = client_from_kubeconfig(&admin).await?;
            let kcm = "kube-controller-manager";
            waiter
                .until(kcm, "service account default/default", || {
                    readiness::service_account_exists(&client, "default", "default")
                })
                .await?;
            waiter.until(kcm, "ClusterRole edit aggregated", || readiness::edit_role_aggregated(&client)).await?;
            if fake_node {
                waiter
                    .until("kube-apiserver", "fake node Ready", || readiness::node_ready(&client, FAKE_NODE_NAME))
                    .await?;
            }
            Ok(())
        })?
    }

    fn spawn(&self, name: &str, args: fn(&Inputs<'_>) -> Vec<String>) -> Result<u32> {
        let kcm = self.layout.kubeconfig("kube-controller-manager");
        let scheduler = self.layout.kubeconfig("kube-scheduler");
        let inputs = Inputs {
            layout: &self.layout,
            pki: &self.pki,
            ports: self.ports,
            kcm_kubeconfig: &kcm,
            scheduler_kubeconfig: &scheduler,
            listen_ip: self.listen_ip,
            real_node: lock(&self.real_node).is_some(),
        };
        self.processes.start(ProcessSpec {
            name: name.to_string(),
            program: self.bin_dir.join(name),
            args: args(&inputs),
            log: self.layout.log(name),
            cwd: self.layout.root().to_path_buf(),
        })
    }

    fn fake_node_config(&self) -> FakeNodeConfig {
        FakeNodeConfig {
            kubeconfig: self.kubeconfig(TestUser::Admin),
            log: self.layout.log("fake-node"),
            kubelet_version: format!("v{}", crate::versions::kubernetes_version()),
        }
    }

    fn credential(&self, user: TestUser) -> Result<&KubeconfigCredential> {
        self.credentials.get(&user).ok_or_else(|| missing_cert(user.label()))
    }

    /// Stops the fake node and every process (newest first). Also done on
    /// drop; the run directory stays until drop.
    pub fn stop(&mut self) {
        if let Some(mut node) = self.fake_node.take() {
            node.stop();
        }
        self.stop_real_node();
        self.processes.stop_all();
    }

    /// Stops the real node (if any) and removes what it made on the
    /// machine; the control plane keeps running.
    fn stop_real_node(&self) {
        if let Some(mut node) = lock(&self.real_node).take() {
            node.stop();
        }
    }
}

/// Registered with `atexit` by [`TestCluster::shared_real_node`].
extern "C" fn stop_shared_real_node() {
    if let Some(Ok(cluster)) = SHARED_REAL_NODE.get() {
        cluster.stop_real_node();
    }
}

/// A poisoned lock only means a thread panicked; the node still needs
/// stopping.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Accessors.
impl TestCluster {
    /// Kubeconfig file of `user` (CA embedded, current context set).
    pub fn kubeconfig(&self, user: TestUser) -> PathBuf {
        self.layout.kubeconfig(user.label())
    }

    /// `https://127.0.0.1:<port>`.
    pub fn server_url(&self) -> &str {
        &self.endpoint.server
    }

    /// The cluster CA certificate (PEM).
    pub fn ca_cert_path(&self) -> PathBuf {
        self.pki.ca_cert()
    }

    /// The cluster CA certificate itself (PEM).
    pub fn ca_cert_pem(&self) -> &str {
        &self.endpoint.ca_pem
    }

    /// The bearer token of a token user (`None` for certificate users).
    pub fn token(&self, user: TestUser) -> Option<&str> {
        self.tokens.get(user)
    }

    /// Certificate and key files of a certificate user (`None` for token users).
    pub fn client_cert_paths(&self, user: TestUser) -> Option<ClientCertPaths> {
        (user.credential_kind() == CredentialKind::ClientCert).then(|| ClientCertPaths {
            cert: self.pki.client_cert(user.label()),
            key: self.pki.client_key(user.label()),
        })
    }

    /// The run directory (PKI, kubeconfigs, etcd data, logs).
    pub fn run_dir(&self) -> &Path {
        self.layout.root()
    }

    /// Log file of a component: `etcd`, `kube-apiserver`,
    /// `kube-controller-manager`, `kube-scheduler` or `fake-node`.
    pub fn log_path(&self, component: &str) -> PathBuf {
        self.layout.log(component)
    }

    /// Where the binaries came from.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// Name of the simulated node.
    pub fn fake_node_name(&self) -> &'static str {
        FAKE_NODE_NAME
    }

    /// Whether pods really run (a real node) or are played (the fake node).
    pub fn has_real_node(&self) -> bool {
        lock(&self.real_node).is_some()
    }

    /// `127.0.0.1:<port>` of the real node's image registry: an image pushed
    /// there as `<registry>/apache/spark:x` is pulled by pods as
    /// `docker.io/apache/spark:x` (containerd mirrors public registry names
    /// to it). `None` without a real node.
    pub fn image_registry(&self) -> Option<String> {
        lock(&self.real_node).as_ref().and_then(|n| n.registry().map(str::to_string))
    }

    /// PID, RSS and log of each process (the real node's too).
    pub fn processes(&self) -> Vec<ProcessInfo> {
        let mut infos = self.processes.infos();
        if let Some(node) = lock(&self.real_node).as_ref() {
            infos.extend(node.processes());
        }
        infos
    }

    /// How long each start-up phase took (`total` is the whole of `start`).
    pub fn startup_phases(&self) -> &[(&'static str, Duration)] {
        &self.phases
    }

    /// Errors (with the log's tail) if a control-plane process has exited.
    pub fn check_alive(&self) -> Result<()> {
        self.processes.ensure_all_running()
    }

    /// A client acting as `admin` (system:masters, token).
    pub async fn admin_client(&self) -> Result<Client> {
        self.client(TestUser::Admin).await
    }

    /// A client acting as `user`, built from its kubeconfig. Made anew on
    /// each call, so it belongs to the caller's runtime.
    pub async fn client(&self, user: TestUser) -> Result<Client> {
        client_from_kubeconfig(&self.kubeconfig(user)).await
    }

    /// Creates `name` (unless it exists) and waits for its `default`
    /// service account, without which pods are refused.
    pub async fn create_namespace(&self, name: &str) -> Result<()> {
        let client = self.admin_client().await?;
        readiness::ensure_namespace(&client, name).await?;
        readiness::default_service_account(&client, name, Duration::from_secs(60)).await
    }

    /// See [`crate::tenant`]: namespace, driver service account and roles,
    /// and a submitter Role bound to `user` (e.g. `"alice"`).
    pub async fn create_tenant_like_seed(&self, namespace: &str, user: &str) -> Result<()> {
        let client = self.admin_client().await?;
        crate::tenant::create_tenant_like_seed(&client, namespace, user).await
    }

    /// Writes `kubeconfigs/<name>.yaml` whose user runs an exec credential
    /// plugin, and returns its path.
    pub fn write_exec_kubeconfig(&self, name: &str, plugin: &ExecPlugin) -> Result<PathBuf> {
        let path = self.extra_kubeconfig_path(name)?;
        let credential = KubeconfigCredential::Exec(plugin.clone());
        kubeconfig::write(&path, name, &self.endpoint, &credential)
    }

    /// Writes `kubeconfigs/<user>-wrong-ca.yaml`: `user`'s credentials, but
    /// a CA that did not sign the server certificate, so TLS must fail.
    pub fn write_wrong_ca_kubeconfig(&self, user: TestUser) -> Result<PathBuf> {
        let name = format!("{}-wrong-ca", user.label());
        let path = self.extra_kubeconfig_path(&name)?;
        let (_, other_ca) = generate_ca("not-the-kspark-testcluster-ca")?;
        let endpoint = ClusterEndpoint { server: self.endpoint.server.clone(), ca_pem: other_ca.cert_pem };
        kubeconfig::write(&path, &name, &endpoint, self.credential(user)?)
    }

    fn extra_kubeconfig_path(&self, name: &str) -> Result<PathBuf> {
        let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if plain && !name.starts_with('.') {
            Ok(self.layout.kubeconfig(name))
        } else {
            Err(Error::Kubeconfig {
                path: self.layout.kubeconfigs_dir().join(name),
                message: "name must be letters, digits, '-', '_' or '.'".into(),
            })
        }
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn credentials(pki: &Pki, tokens: &Tokens) -> Result<HashMap<TestUser, KubeconfigCredential>> {
    TestUser::ALL
        .into_iter()
        .map(|user| {
            let credential = match user.credential_kind() {
                CredentialKind::Token => tokens.get(user).map(|t| KubeconfigCredential::Token(t.to_string())),
                CredentialKind::ClientCert => pki.client(user.label()).map(|pair| KubeconfigCredential::ClientCert {
                    cert_pem: pair.cert_pem.clone(),
                    key_pem: pair.key_pem.clone(),
                }),
            };
            credential.map(|c| (user, c)).ok_or_else(|| missing_cert(user.label()))
        })
        .collect()
}

/// Only reachable if the identity tables above disagree: a bug, reported
/// as an error rather than a panic all the same.
fn missing_cert(name: &str) -> Error {
    Error::Kubeconfig { path: PathBuf::from(name), message: format!("no credential was generated for {name}") }
}
