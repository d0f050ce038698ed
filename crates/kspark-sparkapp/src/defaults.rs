//! kubeflow's defaults for a SparkApplication (api/v1beta2/defaults.go,
//! `SetSparkApplicationDefaults`). kubeflow applies them in its mutating
//! webhook when an application is created; kspark has no webhook, so its
//! operator applies them before it builds the command line.

use std::collections::BTreeMap;

use crate::application::{DeployMode, SparkApplicationSpec};
use crate::restart::RestartPolicyType;
use crate::scheduling::DynamicAllocation;

/// Seconds between retries when the restart policy is not Never.
const DEFAULT_RETRY_INTERVAL_SECONDS: i64 = 5;

/// Fills in what kubeflow's defaulting fills in; idempotent.
pub fn apply_defaults(spec: &mut SparkApplicationSpec) {
    spec.mode.get_or_insert(DeployMode::Cluster);
    let policy = &mut spec.restart_policy;
    let policy_type = *policy.type_.get_or_insert(RestartPolicyType::Never);
    if policy_type != RestartPolicyType::Never {
        policy.on_failure_retry_interval.get_or_insert(DEFAULT_RETRY_INTERVAL_SECONDS);
        policy.on_submission_failure_retry_interval.get_or_insert(DEFAULT_RETRY_INTERVAL_SECONDS);
    }

    let conf = &spec.spark_conf;
    let driver = &mut spec.driver.pod;
    if !conf.contains_key("spark.driver.cores") && driver.cores.is_none() {
        driver.cores = Some(1);
    }
    if !conf.contains_key("spark.driver.memory") && driver.memory.is_none() {
        driver.memory = Some("1g".to_string());
    }
    let executor = &mut spec.executor;
    if !conf.contains_key("spark.executor.cores") && executor.pod.cores.is_none() {
        executor.pod.cores = Some(1);
    }
    if !conf.contains_key("spark.executor.memory") && executor.pod.memory.is_none() {
        executor.pod.memory = Some("1g".to_string());
    }
    let dynamic = dynamic_allocation_enabled(conf, spec.dynamic_allocation.as_ref());
    let instances_in_conf = conf.get("spark.executor.instances").is_some_and(|v| !v.is_empty());
    if executor.instances.is_none() && !instances_in_conf && !dynamic {
        executor.instances = Some(1);
    }
    if let Some(allocation) = spec.dynamic_allocation.as_mut().filter(|a| a.enabled) {
        allocation.shuffle_tracking_enabled.get_or_insert(true);
    }
}

/// kubeflow's `isDynamicAllocationEnabled`. It looks the property up in
/// lower case ("spark.dynamicallocation.enabled"), so Spark's own spelling
/// `spark.dynamicAllocation.enabled` in sparkConf does not count; kspark
/// keeps that quirk so its defaults match kubeflow's.
fn dynamic_allocation_enabled(conf: &BTreeMap<String, String>, allocation: Option<&DynamicAllocation>) -> bool {
    match allocation {
        Some(allocation) => allocation.enabled,
        None => conf.get("spark.dynamicallocation.enabled").is_some_and(|v| go_parse_bool(v)),
    }
}

/// Go's `strconv.ParseBool`, where anything unparsable is false.
fn go_parse_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::SparkApplicationType;
    use crate::pod::{DriverSpec, ExecutorSpec};

    fn spec() -> SparkApplicationSpec {
        serde_json::from_value(serde_json::json!({
            "type": "Scala", "sparkVersion": "4.0.4", "mainApplicationFile": "local:///app.jar",
            "driver": {}, "executor": {}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    // Expectations from kubeflow's api/v1beta2/defaults_test.go (TestSetSparkApplicationDefaults*).
    #[test]
    fn empty_spec_gets_cluster_mode_never_restart_one_core_one_gig_one_executor() {
        let mut s = spec();
        apply_defaults(&mut s);
        assert_eq!(s.type_, SparkApplicationType::Scala);
        assert_eq!(s.mode, Some(DeployMode::Cluster));
        assert_eq!(s.restart_policy.type_, Some(RestartPolicyType::Never));
        assert_eq!(s.restart_policy.on_failure_retry_interval, None);
        assert_eq!((s.driver.pod.cores, s.driver.pod.memory.as_deref()), (Some(1), Some("1g")));
        assert_eq!((s.executor.pod.cores, s.executor.pod.memory.as_deref()), (Some(1), Some("1g")));
        assert_eq!(s.executor.instances, Some(1));
    }

    #[test]
    fn on_failure_policy_gets_five_second_intervals_but_keeps_given_ones() {
        let mut s = spec();
        s.restart_policy.type_ = Some(RestartPolicyType::OnFailure);
        s.restart_policy.on_failure_retry_interval = Some(30);
        apply_defaults(&mut s);
        assert_eq!(s.restart_policy.on_failure_retry_interval, Some(30));
        assert_eq!(s.restart_policy.on_submission_failure_retry_interval, Some(5));
    }

    #[test]
    fn spark_conf_values_suppress_resource_defaults() {
        let mut s = spec();
        for key in ["spark.driver.cores", "spark.driver.memory", "spark.executor.cores", "spark.executor.memory"] {
            s.spark_conf.insert(key.to_string(), "2".to_string());
        }
        s.spark_conf.insert("spark.executor.instances".to_string(), "3".to_string());
        apply_defaults(&mut s);
        assert_eq!(s.driver, DriverSpec::default());
        assert_eq!(s.executor, ExecutorSpec::default());
    }

    #[test]
    fn dynamic_allocation_suppresses_instances_and_enables_shuffle_tracking() {
        let mut s = spec();
        s.dynamic_allocation = Some(DynamicAllocation { enabled: true, ..Default::default() });
        apply_defaults(&mut s);
        assert_eq!(s.executor.instances, None);
        assert_eq!(s.dynamic_allocation.and_then(|a| a.shuffle_tracking_enabled), Some(true));
    }

    #[test]
    fn only_the_lower_case_conf_key_counts_as_dynamic_allocation() {
        let mut s = spec();
        s.spark_conf.insert("spark.dynamicAllocation.enabled".to_string(), "true".to_string());
        apply_defaults(&mut s);
        assert_eq!(s.executor.instances, Some(1));
        let mut s = spec();
        s.spark_conf.insert("spark.dynamicallocation.enabled".to_string(), "T".to_string());
        apply_defaults(&mut s);
        assert_eq!(s.executor.instances, None);
    }

    #[test]
    fn applying_twice_changes_nothing() {
        let mut once = spec();
        apply_defaults(&mut once);
        let mut twice = once.clone();
        apply_defaults(&mut twice);
        assert_eq!(once, twice);
    }
}
