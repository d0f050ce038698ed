//! Logs that outlive the pods, on the CLI's side: `kspark submit
//! --archive-logs URI` archives the driver's log once the application has
//! ended, and `kspark logs` reads archives when the pods are gone.
//!
//! Where a `kspark submit` archive is recorded: in a record on this
//! machine, `$XDG_STATE_HOME/kspark/log-archives.jsonl` (default
//! `~/.local/state/kspark/…`), one JSON object per archive. Not on the
//! driver pod: submitters' roles rarely allow patching pods, and the pod is
//! what goes away. From elsewhere, `kspark logs --archive PREFIX NS:NAME`
//! finds the newest archive of NAME below PREFIX (the layout is fixed).
//! Operator applications record theirs in `status.logArchive`.

use std::io::Write;
use std::path::PathBuf;

use k8s_openapi::api::core::v1::Pod;
use kspark_config::{Submission, SubmitEnv};
use kspark_kube::Connection;
use kspark_kube::log_archive::{self, ArchiveRequest, DRIVER_LOG};
use kspark_storage::{Archive, EnvVars, HadoopConf};
use kube::Api;
use serde_json::{Value, json};

use crate::exit_status::ExitStatus;
use crate::failure::hinted;
use kspark_manifests::labels::{SPARK_APP_NAME, SPARK_APP_SELECTOR};

/// How long `kspark submit` gives the store before it gives up.
const ARCHIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
/// Records kept on this machine (oldest dropped first).
const MAX_RECORDS: usize = 1000;

/// `--archive-logs URI`, opened before anything is submitted, so that a
/// bad URI fails with nothing created.
pub fn open(uri: Option<&str>, submission: &Submission, env: &SubmitEnv) -> anyhow::Result<Option<Archive>> {
    let Some(uri) = uri else { return Ok(None) };
    let hadoop: HadoopConf =
        submission.conf.with_prefix("spark.hadoop.").map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Archive::open(uri, &hadoop, &env.vars).map(Some).map_err(|e| {
        hinted(
            format!("--archive-logs: {e}"),
            Some("e.g. --archive-logs abfss://logs@ACCOUNT.dfs.core.windows.net/spark or file:///shared/logs".into()),
            ExitStatus::Usage,
        )
    })
}

/// After the driver has ended: archives its log (and the executors'),
/// annotates the driver pod and keeps a record. A failure is a warning;
/// the application's outcome stays what it was.
pub async fn archive_ended(conn: &Connection, prefix: &Archive, namespace: &str, driver_pod: &str, executors: bool) {
    let pods: Api<Pod> = Api::namespaced(conn.client.clone(), namespace);
    let driver = match pods.get_opt(driver_pod).await {
        Ok(Some(pod)) => pod,
        Ok(None) => return errln!("kspark: warning: {namespace}:{driver_pod} is gone; its log was not archived"),
        Err(e) => return errln!("kspark: warning: logs not archived: cannot read {namespace}:{driver_pod}: {e}"),
    };
    let phase = driver.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or_default();
    if !matches!(phase, "Succeeded" | "Failed") {
        return errln!("kspark: note: {namespace}:{driver_pod} has not ended ({phase}); its logs were not archived");
    }
    let label = |key: &str| driver.metadata.labels.as_ref().and_then(|l| l.get(key)).cloned().unwrap_or_default();
    let (app, submission) = (label(SPARK_APP_NAME), label(SPARK_APP_SELECTOR));
    let app = if app.is_empty() { driver_pod.to_string() } else { app };
    let request = ArchiveRequest { namespace, app: &app, submission: &submission, driver_pod, executors };
    let archived =
        match tokio::time::timeout(ARCHIVE_TIMEOUT, log_archive::archive(&conn.client, prefix, &request)).await {
            Ok(Ok(archived)) => archived,
            Ok(Err(e)) => return errln!("kspark: warning: the logs were not archived: {e}"),
            Err(_) => {
                return errln!(
                    "kspark: warning: the logs were not archived: {} did not answer within {}s",
                    prefix.uri(),
                    ARCHIVE_TIMEOUT.as_secs()
                );
            }
        };
    errln!(
        "kspark: archived the logs of {namespace}:{driver_pod} to {}/ ({})",
        archived.location,
        archived.files.join(", ")
    );
    let record = json!({
        "namespace": namespace, "app": app, "driverPod": driver_pod, "submission": submission,
        "location": archived.location, "files": archived.files, "archivedAt": jiff::Timestamp::now().to_string(),
    });
    if let Err(e) = append_record(&record) {
        errln!(
            "kspark: warning: cannot keep a record of the archive ({e}); find it with `kspark logs --archive PREFIX`"
        );
    }
}

fn records_file() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(state.join("kspark/log-archives.jsonl"))
}

fn read_records() -> Vec<Value> {
    let Some(file) = records_file() else { return Vec::new() };
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

fn append_record(record: &Value) -> std::io::Result<()> {
    let file = records_file().ok_or_else(|| std::io::Error::other("neither XDG_STATE_HOME nor HOME is set"))?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut records = read_records();
    records.push(record.clone());
    let keep = records.len().saturating_sub(MAX_RECORDS);
    let mut out = std::fs::File::create(&file)?;
    for r in &records[keep..] {
        writeln!(out, "{r}")?;
    }
    Ok(())
}

/// An archive to read: its directory and the files in it.
pub struct Archived {
    pub location: String,
    pub files: Vec<String>,
}

/// The newest record on this machine of `NS:NAME` (driver pod or app name).
pub fn recorded(namespace: &str, name: &str) -> Option<Archived> {
    read_records().into_iter().rev().find_map(|r| {
        let field = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let matches = field("namespace") == namespace && (field("driverPod") == name || field("app") == name);
        let files = r.get("files")?.as_array()?.iter().filter_map(|f| f.as_str().map(str::to_string)).collect();
        matches.then(|| Archived { location: field("location"), files })
    })
}

/// The newest archive of `NS/NAME` below `prefix` (`kspark logs --archive`).
pub async fn below_prefix(prefix: &str, namespace: &str, name: &str) -> anyhow::Result<Option<Archived>> {
    let archive =
        Archive::open(prefix, &HadoopConf::new(), &process_env()).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    let found =
        log_archive::latest(&archive, namespace, name).await.map_err(|e| hinted(e, None, ExitStatus::Failure))?;
    Ok(found.map(|(dir, files)| Archived { location: dir.uri().to_string(), files }))
}

fn process_env() -> EnvVars {
    std::env::vars().collect()
}

/// Prints archived logs: the driver's, one executor's, or the driver's and
/// every executor's.
pub async fn print(id: &str, archived: &Archived, executor: Option<&str>, all_executors: bool) -> anyhow::Result<()> {
    errln!("kspark: the pods of {id} are gone; reading the archive at {}/", archived.location);
    let dir = Archive::open(&archived.location, &HadoopConf::new(), &process_env())
        .map_err(|e| hinted(e, None, ExitStatus::Failure))?;
    let executor_files = || archived.files.iter().filter(|f| f.starts_with("executor-")).cloned();
    let files: Vec<String> = match executor {
        Some(n) => vec![format!("executor-{n}.log")],
        None if all_executors => std::iter::once(DRIVER_LOG.to_string()).chain(executor_files()).collect(),
        None => vec![DRIVER_LOG.to_string()],
    };
    for file in &files {
        if files.len() > 1 {
            outln!("==> {}/{file} <==", archived.location)?;
        }
        let mut out = crate::stdio::LineWriter::default();
        log_archive::read(&dir, file, |line| out.line(line)).await.map_err(|e| hinted(e, None, ExitStatus::Failure))?;
        out.finish()?;
    }
    Ok(())
}
