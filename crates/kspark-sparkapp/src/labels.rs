//! The labels kubeflow's operator puts on what it launches (its
//! `pkg/common` constants), which kspark's operator writes the same way and
//! kspark's commands read to tie a pod to its SparkApplication.

/// The SparkApplication's name, on its driver, executors, Services and PodGroups.
pub const APP_NAME: &str = "sparkoperator.k8s.io/app-name";
/// `"true"` on the pods of an application the operator submitted.
pub const LAUNCHED_BY_SPARK_OPERATOR: &str = "sparkoperator.k8s.io/launched-by-spark-operator";
/// A label selector for the pods the operator launched.
pub const LAUNCHED_BY_SPARK_OPERATOR_SELECTOR: &str = "sparkoperator.k8s.io/launched-by-spark-operator=true";
/// Asks kubeflow's pod webhook to mutate the pod.
pub const MUTATED_BY_SPARK_OPERATOR: &str = "sparkoperator.k8s.io/mutated-by-spark-operator";
/// `"true"` on the Services the operator creates for an application (its UI).
pub const CREATED_BY_SPARK_OPERATOR: &str = "sparkoperator.k8s.io/created-by-spark-operator";
/// The submission attempt's id, on the pods of that attempt.
pub const SUBMISSION_ID: &str = "sparkoperator.k8s.io/submission-id";
/// The ScheduledSparkApplication's name, on each run it creates.
pub const SCHEDULED_APP_NAME: &str = "sparkoperator.k8s.io/scheduled-app-name";
/// The SparkConnect's name, on its server pod, executors, ConfigMap and Service.
pub const CONNECT_NAME: &str = "sparkoperator.k8s.io/connect-name";
/// kubeflow's value of Spark's `spark-role` label for a Spark Connect server.
pub const CONNECT_SERVER_ROLE: &str = "connect-server";
/// Labels with this prefix are not copied from the application to its pods.
pub const KUEUE_PREFIX: &str = "kueue.x-k8s.io/";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selector_names_the_label() {
        assert_eq!(LAUNCHED_BY_SPARK_OPERATOR_SELECTOR, format!("{LAUNCHED_BY_SPARK_OPERATOR}=true"));
    }
}
