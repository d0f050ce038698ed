//! Labels kubeflow's operator puts on the pods it launches (pkg/common/spark.go).

pub const APP_NAME: &str = "sparkoperator.k8s.io/app-name";
pub const LAUNCHED_BY_SPARK_OPERATOR: &str = "sparkoperator.k8s.io/launched-by-spark-operator";
/// Asks kubeflow's pod webhook to mutate the pod.
pub const MUTATED_BY_SPARK_OPERATOR: &str = "sparkoperator.k8s.io/mutated-by-spark-operator";
pub const SUBMISSION_ID: &str = "sparkoperator.k8s.io/submission-id";
/// Labels with this prefix are not copied from the application to its pods.
pub const KUEUE_PREFIX: &str = "kueue.x-k8s.io/";
