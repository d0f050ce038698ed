//! Local files of a submission: planned (and refused) before anything is
//! built, printed by `--dry-run`, uploaded after the preflight and deleted
//! again when the submission fails.

use std::time::Instant;

use kspark_config::uploads::{self, UploadPlan};
use kspark_config::{Submission, SubmitEnv};
use kspark_storage::{FileUpload, HadoopConf, UploadTarget, Uploaded};

use crate::exit_status::ExitStatus;
use crate::failure::hinted;

/// Rewrites the submission's local URIs to where Spark would put them.
pub fn plan(submission: &mut Submission, cwd: &std::path::Path) -> anyhow::Result<UploadPlan> {
    uploads::plan(submission, cwd, &mut || uuid::Uuid::new_v4().to_string())
        .map_err(|e| with_hint(e, ExitStatus::Usage))
}

/// `--dry-run`: what would go where, on stderr (stdout has the objects).
pub fn print_plan(plan: &UploadPlan) {
    for upload in &plan.uploads {
        let size = std::fs::metadata(&upload.source).map(|m| m.len()).unwrap_or(0);
        errln!(
            "kspark: would upload {} ({}, {}) to {}",
            upload.source.display(),
            human_size(size),
            upload.origin,
            upload.target
        );
    }
    if !plan.is_empty() {
        errln!("kspark: dry run: nothing was uploaded (each run picks new spark-upload-UUID directories)");
    }
}

/// Opens the upload path with its credentials, before anything is sent.
pub fn open(plan: &UploadPlan, submission: &Submission, env: &SubmitEnv) -> anyhow::Result<Option<UploadTarget>> {
    if plan.is_empty() {
        return Ok(None);
    }
    let hadoop: HadoopConf =
        submission.conf.with_prefix("spark.hadoop.").map(|(k, v)| (k.to_string(), v.to_string())).collect();
    UploadTarget::open(&plan.upload_path, &hadoop, &env.vars).map(Some).map_err(|e| with_hint(e, ExitStatus::Usage))
}

/// Uploads everything or nothing.
pub async fn upload(target: &UploadTarget, plan: &UploadPlan, quiet: bool) -> anyhow::Result<Uploaded> {
    let files: Vec<FileUpload> = plan
        .uploads
        .iter()
        .map(|u| FileUpload { source: u.source.clone(), object: u.object.clone(), target: u.target.clone() })
        .collect();
    let started = Instant::now();
    let uploaded = target.upload_all(&files).await.map_err(|e| {
        let (message, hint) = split_hint(&e.to_string());
        let message = format!("{message} (anything already uploaded was deleted; nothing was created in the cluster)");
        hinted(message, hint, ExitStatus::Failure)
    })?;
    if !quiet {
        errln!(
            "kspark: uploaded {} file(s), {}, to {} in {:.1} s",
            uploaded.count(),
            human_size(uploaded.bytes),
            target.uri(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(uploaded)
}

/// The submission failed after the uploads: take them back.
pub async fn delete(uploaded: Uploaded) {
    let count = uploaded.count();
    match uploaded.delete().await {
        Ok(()) => errln!("kspark: deleted the {count} uploaded file(s) again"),
        Err(e) => errln!("kspark: warning: {e}"),
    }
}

/// Library errors end in `; hint: …`; the CLI shows hints on their own line.
fn with_hint(e: impl std::fmt::Display, exit_status: ExitStatus) -> anyhow::Error {
    let (message, hint) = split_hint(&e.to_string());
    hinted(message, hint, exit_status)
}

fn split_hint(text: &str) -> (String, Option<String>) {
    match text.split_once("; hint: ") {
        Some((message, hint)) => (message.to_string(), Some(hint.to_string())),
        None => (text.to_string(), None),
    }
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}
