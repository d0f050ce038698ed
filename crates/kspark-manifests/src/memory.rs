//! Container memory as Spark computes it: the heap plus an overhead that is
//! a factor of the heap (0.1 for JVM apps, 0.4 for Python and R) with a
//! floor. Shared by the driver build and quota checks.

use kspark_config::{AppKind, SparkConf};

use crate::error::ManifestError;
use crate::features::LineFeatures;

const DEFAULT_MEMORY_MIB: u64 = 1024;
const MIN_OVERHEAD_MIB: u64 = 384;
const JVM_FACTOR: f64 = 0.1;
const NON_JVM_FACTOR: f64 = 0.4;

/// `spark.kubernetes.memoryOverheadFactor` as the driver step resolves it
/// (and writes back into spark.properties for the executors).
pub fn default_overhead_factor(conf: &SparkConf, kind: AppKind) -> Result<f64, ManifestError> {
    let explicit = conf.float("spark.kubernetes.memoryOverheadFactor")?;
    let fallback = if kind == AppKind::Java { JVM_FACTOR } else { NON_JVM_FACTOR };
    let factor = explicit.unwrap_or(fallback);
    if factor < 0.0 {
        return Err(conf.error("spark.kubernetes.memoryOverheadFactor", "must not be negative").into());
    }
    Ok(factor)
}

/// Java's `Double.toString` for the factors Spark writes (`0.1`, `1.0`).
pub fn java_double(v: f64) -> String {
    format!("{v:?}")
}

/// Total memory in MiB of a driver (`role = "driver"`) or executor container.
pub fn container_mib(
    conf: &SparkConf,
    kind: AppKind,
    role: &str,
    features: LineFeatures,
) -> Result<u64, ManifestError> {
    let memory_key = format!("spark.{role}.memory");
    let heap = conf.mib(&memory_key)?.unwrap_or(DEFAULT_MEMORY_MIB);
    let factor = match conf.float(&format!("spark.{role}.memoryOverheadFactor"))? {
        Some(f) => f,
        None => default_overhead_factor(conf, kind)?,
    };
    let floor = if features.min_memory_overhead_setting {
        conf.mib(&format!("spark.{role}.minMemoryOverhead"))?.unwrap_or(MIN_OVERHEAD_MIB)
    } else {
        MIN_OVERHEAD_MIB
    };
    let overhead = match conf.mib(&format!("spark.{role}.memoryOverhead"))? {
        Some(explicit) => explicit,
        None => ((factor * heap as f64) as u64).max(floor),
    };
    Ok(heap + overhead + executor_extras(conf, kind, role)?)
}

/// Executors also reserve off-heap memory and PySpark worker memory.
fn executor_extras(conf: &SparkConf, kind: AppKind, role: &str) -> Result<u64, ManifestError> {
    if role != "executor" {
        return Ok(0);
    }
    let off_heap = if conf.bool("spark.memory.offHeap.enabled")?.unwrap_or(false) {
        conf.mib("spark.memory.offHeap.size")?.unwrap_or(0)
    } else {
        0
    };
    let pyspark = if kind == AppKind::Python { conf.mib("spark.executor.pyspark.memory")?.unwrap_or(0) } else { 0 };
    Ok(off_heap + pyspark)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kspark_config::Source;
    use kspark_config::version::SparkLine;

    fn mib(pairs: &[(&str, &str)], kind: AppKind, role: &str) -> u64 {
        let mut conf = SparkConf::new();
        for (k, v) in pairs {
            conf.set(*k, *v, Source::ConfFlag);
        }
        container_mib(&conf, kind, role, LineFeatures::of(SparkLine::V4_0)).unwrap_or(0)
    }

    #[test]
    fn spark_reference_examples() {
        assert_eq!(mib(&[], AppKind::Java, "driver"), 1408);
        assert_eq!(mib(&[("spark.driver.memory", "2g")], AppKind::Java, "driver"), 2432);
        assert_eq!(mib(&[("spark.driver.memory", "2g")], AppKind::Python, "driver"), 2867);
        assert_eq!(mib(&[("spark.driver.memory", "4g")], AppKind::Java, "driver"), 4505);
        assert_eq!(mib(&[("spark.driver.memoryOverhead", "512m")], AppKind::Java, "driver"), 1536);
    }

    #[test]
    fn executor_extras_count() {
        let pairs = [
            ("spark.memory.offHeap.enabled", "true"),
            ("spark.memory.offHeap.size", "1g"),
            ("spark.executor.pyspark.memory", "512m"),
        ];
        assert_eq!(mib(&pairs, AppKind::Python, "executor"), 1024 + 409 + 1024 + 512);
        assert_eq!(mib(&pairs, AppKind::Java, "executor"), 1024 + 384 + 1024);
    }

    #[test]
    fn bad_memory_names_the_key() {
        let mut conf = SparkConf::new();
        conf.set("spark.driver.memory", "1x", Source::ConfFlag);
        let err = container_mib(&conf, AppKind::Java, "driver", LineFeatures::of(SparkLine::V4_0));
        assert!(matches!(err, Err(e) if e.to_string().contains("spark.driver.memory=1x")));
    }
}
