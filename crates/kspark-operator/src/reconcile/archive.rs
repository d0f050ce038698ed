//! Archiving a finished application's logs before anything may delete its
//! driver pod (the TTL deletion waits for it). A failure is a Warning event
//! and a note in `status.logArchive`; the next try comes after a growing
//! pause, through a requeue, so other applications never wait for it.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kspark_kube::log_archive::{self, ArchiveError, ArchiveRequest, Archived};
use kspark_sparkapp::status::LogArchiveStatus;

use super::Work;
use super::cleanup::driver_pod_name;
use crate::archive::LogArchiving;
use crate::context::Context;
use crate::events::Note;

/// Per application: `"false"` keeps its logs out of the archive.
pub const ARCHIVE_LOGS_ANNOTATION: &str = "kspark.io/archive-logs";
/// Per application: `"true"`/`"false"` overrides --archive-executor-logs.
pub const ARCHIVE_EXECUTOR_LOGS_ANNOTATION: &str = "kspark.io/archive-executor-logs";
/// Tries before the operator gives up (and lets the TTL deletion go ahead).
pub const MAX_ATTEMPTS: i32 = 8;
const FIRST_PAUSE: Duration = Duration::from_secs(2);
const LONGEST_PAUSE: Duration = Duration::from_secs(300);

/// Archives the logs when due; `Some(pause)` while archiving is pending
/// (failed, to be tried again after `pause`), `None` when there is nothing
/// (more) to do.
pub async fn archive_logs(work: &mut Work, ctx: &Context) -> Option<Duration> {
    let archiving = ctx.archive.as_ref()?;
    if annotation(work, ARCHIVE_LOGS_ANNOTATION) == Some("false") {
        return None;
    }
    let record = work.status().log_archive.clone().unwrap_or_default();
    if record.archived_time.is_some() || record.attempts >= MAX_ATTEMPTS {
        return None;
    }
    if let Some(wait) = until_next_try(&record, Timestamp::now()) {
        return Some(wait);
    }
    let pod = driver_pod_name(work);
    let result = archive_once(work, archiving, ctx).await;
    let mut record = LogArchiveStatus {
        attempts: record.attempts + 1,
        last_attempt_time: Some(Time(Timestamp::now())),
        ..LogArchiveStatus::default()
    };
    let outcome = match result {
        Ok(Ok(archived)) => {
            tracing::info!(app = work.name(), namespace = work.namespace(), location = %archived.location,
                bytes = archived.bytes, "logs archived");
            let message = format!("logs of SparkApplication {} archived to {}", work.name(), archived.location);
            work.note(Note::normal("SparkApplicationLogsArchived", message));
            record.location = archived.location;
            record.files = archived.files;
            record.archived_time = Some(Time(Timestamp::now()));
            None
        }
        Ok(Err(ArchiveError::DriverGone { .. })) => {
            record.attempts = MAX_ATTEMPTS;
            record.last_error = format!("driver pod {pod} is gone: nothing to archive");
            work.note(Note::warning("SparkApplicationLogArchiveFailed", record.last_error.clone()));
            None
        }
        Ok(Err(e)) => Some(failed(work, &mut record, e.to_string())),
        Err(_) => Some(failed(work, &mut record, format!("timed out after {:?}", archiving.timeout))),
    };
    work.status_mut().log_archive = Some(record);
    outcome
}

/// Before a rerun deletes the driver of the run that ended (restartPolicy
/// OnFailure/Always): one try, its outcome an event; the rerun never waits
/// for a store. Its directory is its own submission's, so the final run's
/// archive (in the status) does not overwrite it.
pub async fn archive_before_rerun(work: &mut Work, ctx: &Context) {
    let Some(archiving) = ctx.archive.as_ref() else { return };
    if annotation(work, ARCHIVE_LOGS_ANNOTATION) == Some("false") {
        return;
    }
    let note = match archive_once(work, archiving, ctx).await {
        Ok(Ok(archived)) => Note::normal(
            "SparkApplicationLogsArchived",
            format!("logs of the ended run of SparkApplication {} archived to {}", work.name(), archived.location),
        ),
        Ok(Err(e)) => Note::warning(
            "SparkApplicationLogArchiveFailed",
            format!("the logs of the ended run of SparkApplication {} were not archived: {e}", work.name()),
        ),
        Err(_) => Note::warning(
            "SparkApplicationLogArchiveFailed",
            format!("the logs of the ended run of SparkApplication {} were not archived: timed out", work.name()),
        ),
    };
    work.note(note);
}

/// One archiving of the current run, within the timeout.
async fn archive_once(
    work: &Work,
    archiving: &LogArchiving,
    ctx: &Context,
) -> Result<Result<Archived, ArchiveError>, tokio::time::error::Elapsed> {
    let executors = match annotation(work, ARCHIVE_EXECUTOR_LOGS_ANNOTATION) {
        Some(value) => value == "true",
        None => archiving.executors,
    };
    let pod = driver_pod_name(work);
    let status = work.status();
    let submission = [&status.submission_id, &status.spark_application_id]
        .into_iter()
        .find(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| "unknown".into());
    let request = ArchiveRequest {
        namespace: work.namespace(),
        app: work.name(),
        submission: &submission,
        driver_pod: &pod,
        executors,
    };
    tokio::time::timeout(archiving.timeout, log_archive::archive(&ctx.client, &archiving.prefix, &request)).await
}

/// Records a failure; the pause before the next try, or `None` after the last.
fn failed(work: &mut Work, record: &mut LogArchiveStatus, error: String) -> Duration {
    tracing::warn!(app = work.name(), namespace = work.namespace(), attempt = record.attempts, %error,
        "archiving logs failed");
    let pause = pause_after(record.attempts);
    let then = if record.attempts >= MAX_ATTEMPTS {
        format!("giving up after {} attempts", record.attempts)
    } else {
        format!("attempt {}/{MAX_ATTEMPTS}, trying again in {}s", record.attempts, pause.as_secs())
    };
    let message = format!("archiving the logs of SparkApplication {} failed ({then}): {error}", work.name());
    work.note(Note::warning("SparkApplicationLogArchiveFailed", message));
    record.last_error = error;
    pause
}

/// 2 s, 4 s, 8 s … at most 5 min.
fn pause_after(attempts: i32) -> Duration {
    let doubled = FIRST_PAUSE.saturating_mul(1u32 << attempts.clamp(1, 16).saturating_sub(1));
    doubled.min(LONGEST_PAUSE)
}

fn until_next_try(record: &LogArchiveStatus, now: Timestamp) -> Option<Duration> {
    let last = record.last_attempt_time.as_ref()?.0;
    let due = pause_after(record.attempts);
    let elapsed = Duration::try_from(now.duration_since(last)).unwrap_or_default();
    (elapsed < due).then(|| due - elapsed)
}

fn annotation<'a>(work: &'a Work, key: &str) -> Option<&'a str> {
    work.app.metadata.annotations.as_ref()?.get(key).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_five_minutes() {
        assert_eq!(pause_after(1), Duration::from_secs(2));
        assert_eq!(pause_after(2), Duration::from_secs(4));
        assert_eq!(pause_after(4), Duration::from_secs(16));
        assert_eq!(pause_after(20), Duration::from_secs(300));
    }

    #[test]
    fn the_next_try_waits_for_its_pause() {
        let now = Timestamp::from_second(1_000_000).unwrap_or_default();
        let record = |attempts, ago: i64| LogArchiveStatus {
            attempts,
            last_attempt_time: Some(Time(Timestamp::from_second(1_000_000 - ago).unwrap_or_default())),
            ..Default::default()
        };
        assert_eq!(until_next_try(&record(2, 1), now), Some(Duration::from_secs(3)));
        assert_eq!(until_next_try(&record(2, 5), now), None);
        assert_eq!(until_next_try(&LogArchiveStatus::default(), now), None);
    }
}
