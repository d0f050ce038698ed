//! Following a driver to its end, shared by `submit` and `wait`: one line
//! per state change, the driver's exit code as ours, Ctrl-C leaves it running.

use std::process::ExitCode;

use anyhow::Context;
use k8s_openapi::api::core::v1::Pod;
use kspark_kube::Connection;
use kspark_kube::wait::{self, DriverStatus, Outcome};

use crate::output;

/// Waits for the driver, printing state changes; Ctrl-C stops waiting but
/// leaves the application running.
pub async fn follow(connection: &Connection, namespace: &str, pod: &str, quiet: bool) -> anyhow::Result<ExitCode> {
    let pods: kube::Api<Pod> = kube::Api::namespaced(connection.client.clone(), namespace);
    let id = format!("{namespace}:{pod}");
    let started = std::time::Instant::now();
    let waiting = wait::wait_for_driver(&pods, pod, |status| {
        if !quiet {
            eprintln!("kspark: [{:>5.1}s] driver {}", started.elapsed().as_secs_f64(), output::describe(status));
        }
    });
    let outcome = tokio::select! {
        outcome = waiting => outcome.context("lost track of the driver")?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\nkspark: stopped waiting; the application keeps running.");
            eprintln!("  follow it: kspark wait {id}\n  stop it:   kspark kill {id}");
            return Ok(ExitCode::from(130));
        }
    };
    Ok(finish(outcome, &id))
}

fn finish(outcome: Outcome, id: &str) -> ExitCode {
    match outcome {
        Outcome::Finished(status) if status.phase == "Succeeded" => {
            eprintln!("kspark: {id} succeeded");
            ExitCode::SUCCESS
        }
        Outcome::Finished(status) => {
            eprintln!("kspark: {id} failed: {}", failure_summary(&status));
            let code = status.exit_code.filter(|c| *c != 0).map_or(1, |c| c.clamp(1, 255) as u8);
            ExitCode::from(code)
        }
        Outcome::Deleted => {
            eprintln!("kspark: {id} was deleted before it finished");
            ExitCode::from(1)
        }
    }
}

fn failure_summary(status: &DriverStatus) -> String {
    let mut text = output::describe(status);
    if let Some(message) = status.message.as_deref().filter(|m| !m.is_empty()) {
        text.push_str(&format!(": {}", message.trim()));
    }
    text
}
