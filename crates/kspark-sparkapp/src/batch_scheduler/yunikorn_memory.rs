//! The requests of one driver or executor pod as YuniKorn's task groups
//! state them (kubeflow's internal/scheduler/yunikorn/resourceusage):
//! Spark's sizes read as Spark reads them (JavaUtils.byteStringAsBytes),
//! its overhead rule, and whole mebibytes.

use crate::application::{SparkApplication, SparkApplicationType};
use crate::pod::SparkPodSpec;
use crate::submit::{MappingError, Problem};
use crate::webhook::quantity;

/// Spark's default memory overhead factors and minimum overhead.
const JVM_OVERHEAD_FACTOR: f64 = 0.1;
const NON_JVM_OVERHEAD_FACTOR: f64 = 0.4;
const MIN_OVERHEAD_BYTES: i64 = 384 << 20;

/// `minResource` of the driver's task group.
pub fn driver_min_resource(app: &SparkApplication) -> Result<[(String, String); 2], MappingError> {
    let driver = &app.spec.driver;
    let cpu = cpu_request(driver.pod.cores, driver.core_request.as_deref(), "driver")?;
    let bytes = pod_memory_bytes(&driver.pod, overhead_factor(app)?, "driver")?;
    Ok([("cpu".into(), cpu), ("memory".into(), mebibytes(bytes))])
}

/// `minResource` of the executors' task group: one executor, with its
/// PySpark memory and Spark's off-heap memory.
pub fn executor_min_resource(app: &SparkApplication) -> Result<[(String, String); 2], MappingError> {
    let executor = &app.spec.executor;
    let cpu = cpu_request(executor.pod.cores, executor.core_request.as_deref(), "executor")?;
    let bytes = pod_memory_bytes(&executor.pod, overhead_factor(app)?, "executor")?;
    let total = [bytes, pyspark_memory_bytes(app)?, off_heap_bytes(app)?].into_iter().try_fold(0i64, i64::checked_add);
    let total = total.ok_or_else(|| size_error("spec.executor.memory", "the executor's memory", "is too large"))?;
    Ok([("cpu".into(), cpu), ("memory".into(), mebibytes(total))])
}

/// `coreRequest` as written (once it reads as a quantity), else `cores`, else 1.
fn cpu_request(cores: Option<i32>, core_request: Option<&str>, role: &str) -> Result<String, MappingError> {
    match (core_request, cores) {
        (Some(request), _) => match quantity::canonical(request) {
            Ok(_) => Ok(request.to_string()),
            Err(e) => Err(size_error(&format!("spec.{role}.coreRequest"), request, &e.to_string())),
        },
        (None, Some(cores)) => Ok(cores.to_string()),
        (None, None) => Ok("1".to_string()),
    }
}

fn overhead_factor(app: &SparkApplication) -> Result<f64, MappingError> {
    match &app.spec.memory_overhead_factor {
        Some(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .ok_or_else(|| size_error("spec.memoryOverheadFactor", text, "is not a number (such as 0.1)")),
        None if matches!(app.spec.type_, SparkApplicationType::Java | SparkApplicationType::Scala) => {
            Ok(JVM_OVERHEAD_FACTOR)
        }
        None => Ok(NON_JVM_OVERHEAD_FACTOR),
    }
}

/// `memory` plus `memoryOverhead`, or plus the factor's share (at least 384 MiB).
fn pod_memory_bytes(pod: &SparkPodSpec, factor: f64, role: &str) -> Result<i64, MappingError> {
    let memory = match &pod.memory {
        Some(text) => spark_bytes(text, &format!("spec.{role}.memory"))?,
        None => 0,
    };
    let overhead = match &pod.memory_overhead {
        Some(text) => spark_bytes(text, &format!("spec.{role}.memoryOverhead"))?,
        // Go converts the float back to int64, truncating.
        None => (memory as f64 * factor).max(MIN_OVERHEAD_BYTES as f64) as i64,
    };
    memory.checked_add(overhead).ok_or_else(|| size_error(&format!("spec.{role}.memory"), "memory", "is too large"))
}

/// `spark.executor.pyspark.memory` of Python applications (MiB when it has no unit).
fn pyspark_memory_bytes(app: &SparkApplication) -> Result<i64, MappingError> {
    let key = "spark.executor.pyspark.memory";
    let Some(text) = app.spec.spark_conf.get(key).filter(|_| app.spec.type_ == SparkApplicationType::Python) else {
        return Ok(0);
    };
    let text = if text.parse::<i64>().is_ok() { format!("{text}m") } else { text.clone() };
    spark_bytes(&text, &format!("spec.sparkConf.{key}"))
}

/// `spark.memory.offHeap.size` when `spark.memory.offHeap.enabled` is set
/// to anything but `false`.
fn off_heap_bytes(app: &SparkApplication) -> Result<i64, MappingError> {
    let conf = &app.spec.spark_conf;
    let enabled = conf.get("spark.memory.offHeap.enabled").is_some_and(|v| v != "false");
    match conf.get("spark.memory.offHeap.size").filter(|_| enabled) {
        Some(size) => spark_bytes(size, "spec.sparkConf.spark.memory.offHeap.size"),
        None => Ok(0),
    }
}

/// kubeflow's `byteStringAsBytes`: digits and a unit (b, k, kb, m, mb, g,
/// gb, t, tb, p, pb; any case). A plain number has no unit and is refused.
fn spark_bytes(text: &str, field: &str) -> Result<i64, MappingError> {
    let lower = text.to_ascii_lowercase();
    let digits_end = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(digits_end);
    let shift = match unit {
        "b" => Some(0),
        "k" | "kb" => Some(10),
        "m" | "mb" => Some(20),
        "g" | "gb" => Some(30),
        "t" | "tb" => Some(40),
        "p" | "pb" => Some(50),
        _ => None,
    };
    let value = digits.parse::<i64>().ok().filter(|_| !digits.is_empty());
    match (value, shift) {
        (Some(value), Some(shift)) => {
            value.checked_mul(1i64 << shift).ok_or_else(|| size_error(field, text, "is too large"))
        }
        _ => Err(size_error(field, text, "is not a size with a unit (such as 512m, 2g or 1024k)")),
    }
}

/// Whole mebibytes, rounded down, as Spark sizes the pods.
fn mebibytes(bytes: i64) -> String {
    format!("{}Mi", bytes / 1024 / 1024)
}

fn size_error(field: &str, value: &str, problem: &str) -> MappingError {
    MappingError::new(
        field,
        Problem::InvalidSize(format!("`{value}` {problem} (YuniKorn's task groups need it); fix the value")),
    )
}
