//! `kspark status` and `kspark wait` for a SparkApplication of kubeflow's
//! operator: its state, error message, attempts and driver, and following
//! it to COMPLETED (exit 0), FAILED or SUBMISSION_FAILED (exit 1, or the
//! driver's exit code when it has one).

use std::process::ExitCode;
use std::time::Instant;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kspark_kube::sparkapps::{self, AppOutcome};
use kspark_kube::unscheduled::unscheduled;
use kspark_kube::wait::DriverStatus;
use kspark_kube::{ClusterError, Connection};
use kspark_sparkapp::{ApplicationStateType, SparkApplication};
use tokio::sync::mpsc;

use super::follow::FollowOptions;
use crate::exit_status::ExitStatus;
use crate::failure::hinted;
use crate::output;

/// The JSON object and the text line of `kspark status` for one application.
pub fn describe(ns: &str, app: &SparkApplication, driver: Option<&Pod>) -> (serde_json::Value, String) {
    let name = app.metadata.name.clone().unwrap_or_default();
    let status = app.status.clone().unwrap_or_default();
    let state = sparkapps::state(app);
    let driver_status = driver.map(DriverStatus::of);
    let unscheduled = driver.and_then(|pod| unscheduled(pod, Timestamp::now())).map(|m| format!("driver {m}"));
    let json = serde_json::json!({
        "id": format!("{ns}:{name}"),
        "kind": "SparkApplication",
        "state": state,
        "errorMessage": status.app_state.error_message,
        "submissionAttempts": status.submission_attempts,
        "executionAttempts": status.execution_attempts,
        "sparkApplicationId": status.spark_application_id,
        "driverPod": sparkapps::driver_pod(app),
        "driver": driver_status.as_ref().map(|s| serde_json::json!({
            "phase": s.phase, "container": s.container, "exitCode": s.exit_code,
            "reason": s.reason, "message": s.message, "node": s.node,
        })),
        "driverUnscheduled": unscheduled,
        "logArchive": status.log_archive,
    });
    let mut text = format!(
        "{ns}:{name}  sparkapplication {state} (submission attempts {}, execution attempts {})",
        status.submission_attempts, status.execution_attempts
    );
    match (sparkapps::driver_pod(app), &driver_status) {
        (Some(pod), Some(s)) => text.push_str(&format!("\n  driver {ns}:{pod}  {}", output::describe(s))),
        (Some(pod), None) => text.push_str(&format!("\n  driver {ns}:{pod}  (gone)")),
        (None, _) => text.push_str("\n  driver: none yet"),
    }
    if !status.app_state.error_message.is_empty() {
        text.push_str(&format!("\n  error: {}", status.app_state.error_message.trim()));
    }
    // Seen from the pod itself, so also under kubeflow's operator, which
    // does not say it.
    if let Some(warning) = unscheduled.filter(|w| !status.app_state.error_message.contains(w.as_str())) {
        text.push_str(&format!("\n  warning: {warning}"));
    }
    if let Some(archive) = &status.log_archive {
        text.push_str(&match (&archive.archived_time, archive.last_error.trim()) {
            (Some(_), _) => format!("\n  logs archived at {}/ ({})", archive.location, archive.files.join(", ")),
            (None, error) => format!("\n  logs not archived yet (attempt {}): {error}", archive.attempts),
        });
    }
    (json, text)
}

/// Waits for the SparkApplication `ns/name` to reach a final state.
pub async fn follow(conn: &Connection, ns: &str, name: &str, opts: FollowOptions) -> anyhow::Result<ExitCode> {
    let id = format!("{ns}:{name}");
    let started = Instant::now();
    let api: kube::Api<SparkApplication> = kube::Api::namespaced(conn.client.clone(), ns);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let waiting = sparkapps::wait_for_app(&api, name, move |app| {
        let _ = tx.send(app.clone());
    });
    tokio::pin!(waiting);
    let mut started_running = false;
    let outcome = loop {
        let timeout = async {
            match opts.timeout {
                Some(t) if !started_running => tokio::time::sleep(t.saturating_sub(started.elapsed())).await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            outcome = &mut waiting => {
                while let Ok(app) = rx.try_recv() { change(&id, &app, started, &opts)?; }
                break outcome;
            }
            Some(app) = rx.recv() => {
                started_running |= has_started(&app);
                change(&id, &app, started, &opts)?;
            }
            _ = timeout => {
                errln!("kspark: {id} has not started running after {:?}; it keeps going in the cluster", opts.timeout.unwrap_or_default());
                errln!("  look at it: kspark status {id}\n  stop it:    kspark kill {id}");
                return Ok(ExitStatus::Timeout.into());
            }
            _ = tokio::signal::ctrl_c() => {
                errln!("kspark: stopped waiting; the application keeps running.");
                errln!("  follow it: kspark wait {id}\n  stop it:   kspark kill {id}");
                return Ok(ExitStatus::Interrupted.into());
            }
        }
    };
    match outcome {
        Ok(AppOutcome::Finished(app)) => Ok(finish(conn, ns, &id, &app).await),
        Ok(AppOutcome::Deleted) => {
            errln!("kspark: sparkapplication {id} was deleted before it finished");
            Ok(ExitStatus::Failure.into())
        }
        Err(e @ ClusterError::Unauthorized { .. }) => {
            Err(hinted(e, Some("log in again and `kspark wait` the application".into()), ExitStatus::Failure))
        }
        Err(e) => {
            let hint = e.hint();
            Err(hinted(format!("lost track of sparkapplication {id}: {e}"), hint, ExitStatus::Failure))
        }
    }
}

/// Past submission: running, or already on the way out.
fn has_started(app: &SparkApplication) -> bool {
    let state = app.status.as_ref().map(|s| s.app_state.state).unwrap_or_default();
    !matches!(state, ApplicationStateType::New | ApplicationStateType::Submitted | ApplicationStateType::PendingRerun)
}

fn change(id: &str, app: &SparkApplication, started: Instant, opts: &FollowOptions) -> std::io::Result<()> {
    let status = app.status.clone().unwrap_or_default();
    let state = sparkapps::state(app);
    if opts.json {
        let json = serde_json::json!({
            "time": jiff::Timestamp::now().to_string(),
            "id": id,
            "state": state,
            "errorMessage": status.app_state.error_message,
            "driverPod": sparkapps::driver_pod(app),
            "submissionAttempts": status.submission_attempts,
            "executionAttempts": status.execution_attempts,
        });
        return outln!("{json}");
    }
    let driver = sparkapps::driver_pod(app).map(|p| format!(" (driver {p})")).unwrap_or_default();
    errln!("kspark: [{:>6.1}s] sparkapplication {state}{driver}", started.elapsed().as_secs_f64());
    Ok(())
}

/// COMPLETED is success; a failure exits with the driver's exit code when
/// the driver terminated with one, else 1.
async fn finish(conn: &Connection, ns: &str, id: &str, app: &SparkApplication) -> ExitCode {
    let status = app.status.clone().unwrap_or_default();
    if status.app_state.state == ApplicationStateType::Completed {
        errln!("kspark: {id} completed");
        return ExitCode::SUCCESS;
    }
    let driver = match sparkapps::driver_pod(app) {
        Some(pod) => {
            let pods: kube::Api<Pod> = kube::Api::namespaced(conn.client.clone(), ns);
            pods.get_opt(pod).await.ok().flatten().map(|p| DriverStatus::of(&p))
        }
        None => None,
    };
    let message = status.app_state.error_message.trim();
    let why = if message.is_empty() { "no error message from the operator".to_string() } else { message.to_string() };
    errln!("kspark: {id} {}: {why}", sparkapps::state(app));
    if let Some(d) = &driver {
        errln!("  driver: {}", output::describe(d));
    }
    ExitStatus::of_failed_driver(driver.and_then(|d| d.exit_code)).into()
}
