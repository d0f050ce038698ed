//! Logs that outlive their pods: at an application's end the driver's log
//! (and, when asked, each remaining executor's) is streamed from the API
//! server (`pods/log`) into object storage, below
//! `PREFIX/NAMESPACE/APP/SUBMISSION/` as `driver.log` and `executor-ID.log`.
//! Used by `kspark submit --archive-logs` and the operator; read back by
//! `kspark logs` once the pods are gone.

use k8s_openapi::api::core::v1::Pod;
use kspark_storage::{Archive, StorageError};
use kube::api::{ListParams, LogParams};
use kube::{Api, Client};

use crate::error::ClusterError;
use kspark_manifests::labels::{SPARK_APP_SELECTOR, SPARK_EXEC_ID, executors_selector};

/// The driver's log in an archive directory.
pub const DRIVER_LOG: &str = "driver.log";
/// Spark's container names; other containers are sidecars.
const SPARK_CONTAINERS: [&str; 3] = ["spark-kubernetes-driver", "spark-kubernetes-executor", "executor"];

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("driver pod {namespace}:{pod} is gone, its log with it; hint: archive logs before deleting pods")]
    DriverGone { namespace: String, pod: String },
}

/// What to archive.
pub struct ArchiveRequest<'a> {
    pub namespace: &'a str,
    /// The SparkApplication's name, or `spark-app-name` for `kspark submit`.
    pub app: &'a str,
    /// The operator's submission ID, or the Spark application ID.
    pub submission: &'a str,
    pub driver_pod: &'a str,
    pub executors: bool,
}

/// What was archived: the directory and the file names in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archived {
    pub location: String,
    pub files: Vec<String>,
    pub bytes: u64,
}

/// The directory of one submission below the archive prefix.
pub fn directory(prefix: &Archive, namespace: &str, app: &str, submission: &str) -> Archive {
    prefix.child(&format!("{namespace}/{app}/{submission}"))
}

/// Streams the driver's log (then the executors') into `PREFIX/NS/APP/SUBMISSION/`.
pub async fn archive(client: &Client, prefix: &Archive, req: &ArchiveRequest<'_>) -> Result<Archived, ArchiveError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), req.namespace);
    let driver = pods
        .get_opt(req.driver_pod)
        .await
        .map_err(|e| ClusterError::from_kube(format!("read pod {}:{}", req.namespace, req.driver_pod), e))?
        .ok_or_else(|| ArchiveError::DriverGone { namespace: req.namespace.into(), pod: req.driver_pod.into() })?;
    let dir = directory(prefix, req.namespace, req.app, req.submission);
    let mut archived = Archived { location: dir.uri().to_string(), files: Vec::new(), bytes: 0 };
    archived.bytes += copy_log(&pods, &driver, &dir, DRIVER_LOG).await?;
    archived.files.push(DRIVER_LOG.to_string());
    if req.executors {
        for executor in executors(&pods, &driver).await? {
            let id = label(&executor, SPARK_EXEC_ID).unwrap_or_else(|| name(&executor).to_string());
            let file = format!("executor-{id}.log");
            archived.bytes += copy_log(&pods, &executor, &dir, &file).await?;
            archived.files.push(file);
        }
    }
    Ok(archived)
}

async fn copy_log(pods: &Api<Pod>, pod: &Pod, dir: &Archive, file: &str) -> Result<u64, ArchiveError> {
    let params = LogParams { container: spark_container(pod), ..Default::default() };
    let action = || format!("read the logs of {}", name(pod));
    let reader = pods.log_stream(name(pod), &params).await.map_err(|e| ClusterError::from_kube(action(), e))?;
    Ok(dir.put_stream(file, reader).await?)
}

/// The executor pods still there (Spark deletes them as the driver ends,
/// unless spark.kubernetes.executor.deleteOnTermination=false).
async fn executors(pods: &Api<Pod>, driver: &Pod) -> Result<Vec<Pod>, ClusterError> {
    let Some(app_id) = label(driver, SPARK_APP_SELECTOR) else { return Ok(Vec::new()) };
    let selector = executors_selector(&app_id);
    let list = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| ClusterError::from_kube(format!("list executors of {app_id}"), e))?;
    Ok(list.items)
}

/// Spark's container, else the last one (sidecars come first).
fn spark_container(pod: &Pod) -> Option<String> {
    let containers = &pod.spec.as_ref()?.containers;
    let spark = containers.iter().find(|c| SPARK_CONTAINERS.contains(&c.name.as_str()));
    spark.or(containers.last()).map(|c| c.name.clone())
}

fn name(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or_default()
}

fn label(pod: &Pod, key: &str) -> Option<String> {
    pod.metadata.labels.as_ref()?.get(key).cloned()
}

/// Prints an archived file line by line.
pub async fn read(
    dir: &Archive,
    file: &str,
    mut on_line: impl FnMut(&str) -> std::ops::ControlFlow<()>,
) -> Result<(), StorageError> {
    let bytes = dir.get(file).await?;
    let _ = String::from_utf8_lossy(&bytes).lines().try_for_each(&mut on_line);
    Ok(())
}

/// The newest submission directory of `NS/APP` below `prefix` that holds a
/// driver log, for `kspark logs --archive PREFIX` when nothing else knows.
pub async fn latest(
    prefix: &Archive,
    namespace: &str,
    app: &str,
) -> Result<Option<(Archive, Vec<String>)>, StorageError> {
    let app_dir = prefix.child(&format!("{namespace}/{app}"));
    let names = app_dir.list().await?;
    let Some(newest) = names.iter().rev().find_map(|n| n.strip_suffix(&format!("/{DRIVER_LOG}"))) else {
        return Ok(None);
    };
    let files = names
        .iter()
        .filter_map(|n| n.strip_prefix(&format!("{newest}/")))
        .filter(|f| !f.contains('/'))
        .map(str::to_string)
        .collect();
    Ok(Some((app_dir.child(newest), files)))
}
