//! The labels Spark itself puts on a submission's pods, Services and
//! ConfigMaps (Spark's Kubernetes `Constants`), which kspark writes the same
//! way and reads back to find an application's pods.

/// The application's id (`spark-…`), on every object of the submission.
pub const SPARK_APP_SELECTOR: &str = "spark-app-selector";
/// `spark.app.name`, made a valid label value.
pub const SPARK_APP_NAME: &str = "spark-app-name";
/// Which pod this is: [`DRIVER_ROLE`] or [`EXECUTOR_ROLE`].
pub const SPARK_ROLE: &str = "spark-role";
pub const DRIVER_ROLE: &str = "driver";
pub const EXECUTOR_ROLE: &str = "executor";
/// The Spark version the objects were built for.
pub const SPARK_VERSION: &str = "spark-version";
/// An executor's number, on executor pods.
pub const SPARK_EXEC_ID: &str = "spark-exec-id";

/// A label selector for every driver pod.
pub const DRIVERS_SELECTOR: &str = "spark-role=driver";

/// A label selector for the executor pods of the application `app_id`.
pub fn executors_selector(app_id: &str) -> String {
    format!("{SPARK_APP_SELECTOR}={app_id},{SPARK_ROLE}={EXECUTOR_ROLE}")
}

/// A label selector for every pod of the application `app_id`.
pub fn application_selector(app_id: &str) -> String {
    format!("{SPARK_APP_SELECTOR}={app_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_built_from_the_label_names() {
        assert_eq!(DRIVERS_SELECTOR, format!("{SPARK_ROLE}={DRIVER_ROLE}"));
        assert_eq!(executors_selector("spark-1"), "spark-app-selector=spark-1,spark-role=executor");
        assert_eq!(application_selector("spark-1"), "spark-app-selector=spark-1");
    }
}
