//! What the operator's control-plane tests share: the CRDs installed once
//! per test binary, a namespace with the driver service account, and an
//! operator process scoped to it (killed when dropped).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::Role;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};

use crate::{Error, Result, TestCluster, TestUser, block_on, unique_name};

/// kubeflow's CRDs, installed once per test binary with
/// `kspark operator install --crds-only`.
pub fn install_operator_crds(cluster: &TestCluster, kspark: &Path) -> Result<()> {
    static DONE: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    let outcome = DONE.get_or_init(|| {
        let out = Command::new(kspark)
            .args(["operator", "install", "--crds-only", "--kubeconfig"])
            .arg(cluster.kubeconfig(TestUser::Admin))
            .output()
            .map_err(|e| format!("{}: {e}", kspark.display()))?;
        if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
    });
    outcome.clone().map_err(|e| Error::Setup(format!("kspark operator install --crds-only: {e}")))
}

/// A fresh namespace with the driver service account `spark`, the CRDs
/// installed.
pub fn operator_namespace(cluster: &TestCluster, kspark: &Path, prefix: &str) -> Result<String> {
    install_operator_crds(cluster, kspark)?;
    let ns = unique_name(prefix);
    block_on(cluster.create_tenant_like_seed(&ns, "alice"))?;
    Ok(ns)
}

/// Server-side applies CRD files (YAML, one or more documents each) and
/// waits until each is Established.
pub fn install_crd_files(cluster: &TestCluster, files: &[PathBuf]) -> Result<()> {
    block_on(async {
        let api: Api<CustomResourceDefinition> = Api::all(cluster.admin_client().await?);
        for file in files {
            let text = std::fs::read_to_string(file).map_err(|e| Error::Setup(format!("{}: {e}", file.display())))?;
            let crds: Vec<CustomResourceDefinition> = serde_saphyr::from_multiple(&text)
                .map_err(|e| Error::Setup(format!("{}: not CRDs: {e}", file.display())))?;
            for crd in crds {
                let name = crd.metadata.name.clone().unwrap_or_default();
                api.patch(&name, &PatchParams::apply("kspark-tests").force(), &Patch::Apply(&crd))
                    .await
                    .map_err(|e| Error::Setup(format!("apply CRD {name}: {e}")))?;
                established(&api, &name).await?;
            }
        }
        Ok(())
    })
}

async fn established(api: &Api<CustomResourceDefinition>, name: &str) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let crd = api.get(name).await.map_err(|e| Error::Setup(format!("get CRD {name}: {e}")))?;
        let conditions = crd.status.and_then(|s| s.conditions).unwrap_or_default();
        if conditions.iter().any(|c| c.type_ == "Established" && c.status == "True") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(Error::Setup(format!("CRD {name} not Established after 20 s")))
}

/// `kspark operator run` for one namespace, as the cluster's admin; killed
/// when dropped. Its log goes to a file in the cluster's run directory,
/// whose tail a failing test prints.
pub struct OperatorProcess {
    child: Child,
    log: Option<PathBuf>,
}

/// How much of the operator's log a failing test shows.
const LOG_TAIL_LINES: usize = 60;

/// A file for one operator's log in the cluster's run directory.
fn operator_log_file(cluster: &TestCluster) -> Result<(PathBuf, std::fs::File)> {
    let path = cluster.run_dir().join(format!("{}.log", crate::unique_name("operator")));
    let file = std::fs::File::create(&path).map_err(|e| Error::Setup(format!("{}: {e}", path.display())))?;
    Ok((path, file))
}

impl OperatorProcess {
    pub fn start(cluster: &TestCluster, kspark: &Path, ns: &str, extra: &[&str]) -> Result<OperatorProcess> {
        OperatorProcess::start_with_env(cluster, kspark, ns, extra, &[])
    }

    /// With extra environment variables (a clock file, storage credentials).
    pub fn start_with_env(
        cluster: &TestCluster,
        kspark: &Path,
        ns: &str,
        extra: &[&str],
        env: &[(String, String)],
    ) -> Result<OperatorProcess> {
        let args = [&["--namespace", ns][..], extra].concat();
        OperatorProcess::spawn(cluster, kspark, &args, &cluster.kubeconfig(TestUser::Admin), env)
    }

    /// `kspark operator run ARGS --kubeconfig KUBECONFIG`: the operator with
    /// the rights of the account the kubeconfig names, its log in the
    /// cluster's run directory.
    pub fn spawn(
        cluster: &TestCluster,
        kspark: &Path,
        args: &[&str],
        kubeconfig: &Path,
        env: &[(String, String)],
    ) -> Result<OperatorProcess> {
        let mut command = Command::new(kspark);
        // A test process killed mid-test leaves no operator behind.
        crate::process::die_with_parent(&mut command);
        let (log, log_file) = operator_log_file(cluster)?;
        let child = command
            .args(["operator", "run"])
            .args(args)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .env("RUST_LOG", "info")
            .envs(env.iter().cloned())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| Error::Setup(format!("{} operator run: {e}", kspark.display())))?;
        Ok(OperatorProcess { child, log: Some(log) })
    }

    /// `kspark operator install --watch-namespace ns` into a namespace of
    /// its own, the installed Role in `ns` edited by `edit` (a right taken
    /// away), then `kspark operator run --namespace ns EXTRA` as the
    /// installed service account once it may list what it watches: the
    /// installed RBAC is what the operator has.
    pub fn start_installed(
        cluster: &TestCluster,
        kspark: &Path,
        ns: &str,
        extra: &[&str],
        edit: impl FnOnce(&mut Role),
    ) -> Result<OperatorProcess> {
        install_operator_crds(cluster, kspark)?;
        let operator_ns = unique_name("op-system");
        let install = Command::new(kspark)
            .args(["operator", "install", "--namespace", &operator_ns, "--watch-namespace", ns, "--kubeconfig"])
            .arg(cluster.kubeconfig(TestUser::Admin))
            .output()
            .map_err(|e| Error::Setup(format!("{} operator install: {e}", kspark.display())))?;
        if !install.status.success() {
            return Err(Error::Setup(format!("operator install: {}", String::from_utf8_lossy(&install.stderr))));
        }
        block_on(async {
            let roles: Api<Role> = Api::namespaced(cluster.admin_client().await?, ns);
            let mut role = roles.get(NAME).await.map_err(|e| Error::Setup(format!("installed Role: {e}")))?;
            edit(&mut role);
            roles.replace(NAME, &PostParams::default(), &role).await.map_err(|e| Error::Setup(format!("Role: {e}")))?;
            Ok::<_, Error>(())
        })?;
        let kubeconfig = installed_operator_kubeconfig(cluster, &operator_ns, Some(ns))?;
        let args = [&["--namespace", ns][..], extra].concat();
        OperatorProcess::spawn(cluster, kspark, &args, &kubeconfig, &[])
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        self.kill();
        let Some(log) = &self.log else { return };
        if std::thread::panicking() {
            // The test failed: what the operator did is the first clue.
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
            eprintln!("--- the operator's log ({}), last {} lines:\n{}", log.display(), tail.len(), tail.join("\n"));
        } else {
            let _ = std::fs::remove_file(log);
        }
    }
}

/// A kubeconfig that authenticates as service account `account` of
/// `namespace` (a token from the TokenRequest API, valid an hour): the
/// operator run with exactly the rights `kspark operator install` gave it.
pub fn service_account_kubeconfig(cluster: &TestCluster, namespace: &str, account: &str) -> Result<PathBuf> {
    let token = block_on(async {
        let accounts: Api<ServiceAccount> = Api::namespaced(cluster.admin_client().await?, namespace);
        let request = TokenRequest {
            spec: TokenRequestSpec { audiences: Vec::new(), expiration_seconds: Some(3600), ..Default::default() },
            ..Default::default()
        };
        let issued: TokenRequest = accounts
            .create_subresource("token", account, &PostParams::default(), &request)
            .await
            .map_err(|e| Error::Setup(format!("token for {namespace}/{account}: {e}")))?;
        Ok::<_, Error>(issued.status.map(|s| s.token).unwrap_or_default())
    })?;
    let kubeconfig = serde_json::json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "account",
        "clusters": [{"name": "test", "cluster": {
            "server": cluster.server_url(),
            "certificate-authority": cluster.ca_cert_path().display().to_string()}}],
        "users": [{"name": "account", "user": {"token": token}}],
        "contexts": [{"name": "account", "context": {"cluster": "test", "user": "account"}}]
    });
    let path = std::env::temp_dir().join(format!("{namespace}-{account}.kubeconfig"));
    let text = serde_json::to_vec(&kubeconfig).map_err(|e| Error::Setup(format!("kubeconfig: {e}")))?;
    std::fs::write(&path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    Ok(path)
}

/// The name of what `kspark operator install` makes: its service account,
/// Role, Deployment.
const NAME: &str = "kspark-operator";

/// A kubeconfig authenticating as the service account `kspark operator
/// install` made in `operator_ns`, returned once it may list the
/// operator's objects in `watched` (every namespace: `None`).
pub fn installed_operator_kubeconfig(
    cluster: &TestCluster,
    operator_ns: &str,
    watched: Option<&str>,
) -> Result<PathBuf> {
    let kubeconfig = service_account_kubeconfig(cluster, operator_ns, NAME)?;
    wait_for_operator_rights(&kubeconfig, watched)?;
    Ok(kubeconfig)
}

/// The resources of kubeflow's group the operator lists and watches.
const OPERATOR_RESOURCES: [(&str, &str, &str); 3] = [
    ("v1beta2", "SparkApplication", "sparkapplications"),
    ("v1beta2", "ScheduledSparkApplication", "scheduledsparkapplications"),
    ("v1alpha1", "SparkConnect", "sparkconnects"),
];

/// Waits until the account of `kubeconfig` may list what the operator
/// watches in `namespace` (every namespace: `None`). A new binding takes a
/// moment to reach the API server's authorizer; an operator started before
/// spends its watches' backoff (up to 30 s) on the refusals, which a test
/// would read as the operator ignoring its objects.
fn wait_for_operator_rights(kubeconfig: &Path, namespace: Option<&str>) -> Result<()> {
    block_on(async {
        let client = crate::client::client_from_kubeconfig(kubeconfig).await?;
        let start = Instant::now();
        loop {
            match list_operator_resources(&client, namespace).await {
                Ok(()) => return Ok(()),
                Err(e) if start.elapsed() > Duration::from_secs(30) => {
                    return Err(Error::Setup(format!("the operator's account still cannot list: {e}")));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    })
}

async fn list_operator_resources(client: &kube::Client, namespace: Option<&str>) -> kube::Result<()> {
    use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
    for (version, kind, plural) in OPERATOR_RESOURCES {
        let gvk = GroupVersionKind::gvk("sparkoperator.k8s.io", version, kind);
        let resource = ApiResource::from_gvk_with_plural(&gvk, plural);
        let api: Api<DynamicObject> = match namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
            None => Api::all_with(client.clone(), &resource),
        };
        api.list_metadata(&kube::api::ListParams::default().limit(1)).await?;
    }
    let pods: Api<k8s_openapi::api::core::v1::Pod> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    pods.list_metadata(&kube::api::ListParams::default().limit(1)).await?;
    Ok(())
}

/// A SparkApplication of kubeflow's SparkPi shape (Spark 4.0.5, one
/// executor, the driver as service account `spark`), as JSON for tests to
/// adjust (annotations for the simulated node, fields under test).
pub fn spark_pi_application(name: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": "SparkApplication",
        "metadata": {"name": name},
        "spec": {
            "type": "Scala",
            "mode": "cluster",
            "image": "apache/spark:4.0.5",
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "sparkVersion": "4.0.5",
            "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark"},
            "executor": {"instances": 1, "cores": 1, "memory": "512m"}
        }
    })
}
