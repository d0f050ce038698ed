//! kubeflow's `--default-batch-scheduler`: the batch scheduler of an
//! application whose `spec.batchScheduler` is unset or empty (kubeflow's
//! `shouldDoBatchScheduling`); one it names, even one kubeflow lacks, is
//! kept.
//!
//! kubeflow applies the default in its controller only: its pod webhook
//! reads the stored application, so there the default's PodGroup, group
//! annotations and task groups are made while the pods keep their own
//! `schedulerName`. Here the default is the application's batch scheduler
//! for everything, the pods' `schedulerName` included, so that they reach
//! the scheduler their group was made for.

use super::BatchScheduler;
use crate::application::SparkApplication;

/// Whether the application leaves its batch scheduler to the operator.
pub fn names_none(app: &SparkApplication) -> bool {
    app.spec.batch_scheduler.as_deref().is_none_or(str::is_empty)
}

/// The application as if it named `default`, when it names none and
/// there is a default (`None`: use the application as it is).
pub fn with_default(app: &SparkApplication, default: Option<BatchScheduler>) -> Option<SparkApplication> {
    let default = default.filter(|_| names_none(app))?;
    let mut defaulted = app.clone();
    defaulted.spec.batch_scheduler = Some(default.name().to_string());
    Some(defaulted)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn app(batch_scheduler: Option<&str>) -> SparkApplication {
        let mut spec = json!({
            "type": "Scala", "mainApplicationFile": "local:///a.jar", "sparkVersion": "3.5.9",
            "driver": {}, "executor": {}
        });
        if let Some(name) = batch_scheduler {
            spec["batchScheduler"] = json!(name);
        }
        serde_json::from_value(json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": "a", "namespace": "n"}, "spec": spec
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn chosen(app: &SparkApplication, default: Option<BatchScheduler>) -> Option<String> {
        with_default(app, default).unwrap_or_else(|| app.clone()).spec.batch_scheduler
    }

    #[test]
    fn unset_or_empty_takes_the_default() {
        for default in [BatchScheduler::Volcano, BatchScheduler::Yunikorn, BatchScheduler::KubeScheduler] {
            assert_eq!(chosen(&app(None), Some(default)).as_deref(), Some(default.name()));
            assert_eq!(chosen(&app(Some("")), Some(default)).as_deref(), Some(default.name()));
        }
    }

    #[test]
    fn a_named_scheduler_is_kept_even_one_kubeflow_lacks() {
        assert_eq!(chosen(&app(Some("yunikorn")), Some(BatchScheduler::Volcano)).as_deref(), Some("yunikorn"));
        assert_eq!(chosen(&app(Some("my-scheduler")), Some(BatchScheduler::Volcano)).as_deref(), Some("my-scheduler"));
    }

    #[test]
    fn no_default_leaves_the_application_alone() {
        assert!(with_default(&app(None), None).is_none());
        assert!(with_default(&app(Some("volcano")), Some(BatchScheduler::Yunikorn)).is_none());
        assert_eq!(chosen(&app(Some("")), None).as_deref(), Some(""));
    }

    #[test]
    fn names_round_trip() {
        for name in BatchScheduler::NAMES {
            assert_eq!(BatchScheduler::named(name).map(BatchScheduler::name), Some(name));
        }
        assert_eq!(BatchScheduler::named("default-scheduler"), None);
    }
}
