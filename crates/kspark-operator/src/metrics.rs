//! Prometheus metrics: kubeflow's `spark_application_*` names where kubeflow
//! has one, and kspark's latency histograms from creation to submission,
//! to a running driver and to the end; and the standard `process_*`
//! metrics of the operator's process ([`crate::process_metrics`]).

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type ByNamespace = Family<Vec<(String, String)>, Counter>;
type Latency = Family<Vec<(String, String)>, Histogram>;

#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    pub submitted: ByNamespace,
    pub failed_submission: ByNamespace,
    pub succeeded: ByNamespace,
    pub failed: ByNamespace,
    pub running: Family<Vec<(String, String)>, Gauge>,
    pub reconciles: Counter,
    /// By error kind (`kind` label).
    pub reconcile_errors: Family<Vec<(String, String)>, Counter>,
    pub submit_latency: Latency,
    pub start_latency: Latency,
    pub completion_latency: Latency,
    pub reconcile_seconds: Histogram,
    pub scheduled_runs: ByNamespace,
    pub scheduled_runs_skipped: ByNamespace,
    pub scheduled_run_delay: Latency,
}

fn latency_buckets() -> impl Iterator<Item = f64> {
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0].into_iter()
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let latency = || Latency::new_with_constructor(|| Histogram::new(latency_buckets()));
        let metrics = Metrics {
            registry: Arc::new(Registry::default()),
            submitted: ByNamespace::default(),
            failed_submission: ByNamespace::default(),
            succeeded: ByNamespace::default(),
            failed: ByNamespace::default(),
            running: Family::default(),
            reconciles: Counter::default(),
            reconcile_errors: Family::default(),
            submit_latency: latency(),
            start_latency: latency(),
            completion_latency: latency(),
            reconcile_seconds: Histogram::new([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0]),
            scheduled_runs: ByNamespace::default(),
            scheduled_runs_skipped: ByNamespace::default(),
            scheduled_run_delay: latency(),
        };
        // Counters get `_total` appended by the encoder (OpenMetrics);
        // kubeflow's names are given without it.
        let m = &metrics;
        registry.register("spark_application_submit_count", "Applications submitted", m.submitted.clone());
        registry.register(
            "spark_application_failed_submission_count",
            "Submissions that failed",
            m.failed_submission.clone(),
        );
        registry.register("spark_application_success_count", "Applications that completed", m.succeeded.clone());
        registry.register("spark_application_failure_count", "Applications that failed", m.failed.clone());
        registry.register("spark_application_running_count", "Applications running now", m.running.clone());
        registry.register(
            "spark_application_submit_latency_seconds",
            "Creation of the SparkApplication to its driver pod created",
            m.submit_latency.clone(),
        );
        registry.register(
            "spark_application_start_latency_seconds",
            "Creation of the SparkApplication to its driver running",
            m.start_latency.clone(),
        );
        registry.register(
            "kspark_application_completion_latency_seconds",
            "Creation of the SparkApplication to COMPLETED or FAILED",
            m.completion_latency.clone(),
        );
        registry.register("kspark_operator_reconciles", "Reconciles run", m.reconciles.clone());
        registry.register("kspark_operator_reconcile_errors", "Reconciles that failed", m.reconcile_errors.clone());
        registry.register("kspark_operator_reconcile_seconds", "Time per reconcile", m.reconcile_seconds.clone());
        // kubeflow has no metrics of its own for schedules.
        registry.register(
            "kspark_scheduled_runs",
            "Runs started by ScheduledSparkApplications",
            m.scheduled_runs.clone(),
        );
        registry.register(
            "kspark_scheduled_runs_skipped",
            "Due runs skipped because one was still active (Forbid)",
            m.scheduled_runs_skipped.clone(),
        );
        registry.register(
            "kspark_scheduled_run_delay_seconds",
            "Scheduled time of a run to its SparkApplication created",
            m.scheduled_run_delay.clone(),
        );
        // kubeflow's /metrics has them from Prometheus' Go client.
        registry.register_collector(Box::new(crate::process_metrics::ProcessCollector::new()));
        Metrics { registry: Arc::new(registry), ..metrics }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

pub fn error_kind_label(kind: &str) -> Vec<(String, String)> {
    vec![("kind".to_string(), kind.to_string())]
}

pub fn namespace_label(namespace: &str) -> Vec<(String, String)> {
    vec![("app_namespace".to_string(), namespace.to_string())]
}
