//! What the pods of one application ask of a namespace, in the units of
//! ResourceQuota accounting: the driver as built, and each executor as
//! Spark's driver will build it.

use k8s_openapi::api::core::v1::Pod;
use kspark_config::{AppKind, SparkConf};

use crate::error::ManifestError;
use crate::features::LineFeatures;
use crate::memory;
use crate::quantity::to_milli;

/// Requests and limits of one pod (millicores, bytes); `None` = not set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PodResources {
    pub requests_cpu_milli: i128,
    pub requests_memory: i128,
    pub limits_cpu_milli: Option<i128>,
    pub limits_memory: Option<i128>,
}

/// Sums the containers of a built pod.
pub fn of_pod(pod: &Pod) -> PodResources {
    let mut total = PodResources::default();
    let containers = pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    for c in containers {
        let res = c.resources.clone().unwrap_or_default();
        let get = |map: &Option<
            std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
        >,
                   key: &str| { map.as_ref().and_then(|m| m.get(key)).and_then(|q| to_milli(&q.0)) };
        total.requests_cpu_milli += get(&res.requests, "cpu").unwrap_or(0);
        total.requests_memory += get(&res.requests, "memory").unwrap_or(0) / 1000;
        total.limits_cpu_milli = add(total.limits_cpu_milli, get(&res.limits, "cpu"));
        total.limits_memory = add(total.limits_memory, get(&res.limits, "memory").map(|m| m / 1000));
    }
    total
}

fn add(a: Option<i128>, b: Option<i128>) -> Option<i128> {
    match (a, b) {
        (None, None) => None,
        (x, y) => Some(x.unwrap_or(0) + y.unwrap_or(0)),
    }
}

/// One executor pod of this application (default resource profile).
pub fn executor(conf: &SparkConf, kind: AppKind, features: LineFeatures) -> Result<PodResources, ManifestError> {
    let mib = memory::container_mib(conf, kind, "executor", features)? as i128;
    let bytes = mib * 1024 * 1024;
    let request_cpu = match conf.get("spark.kubernetes.executor.request.cores") {
        Some(v) => {
            to_milli(v).ok_or_else(|| conf.error("spark.kubernetes.executor.request.cores", "not a quantity"))?
        }
        None => conf.int("spark.executor.cores")?.unwrap_or(1) as i128 * 1000,
    };
    let limit_cpu = conf
        .get("spark.kubernetes.executor.limit.cores")
        .map(|v| to_milli(v).ok_or_else(|| conf.error("spark.kubernetes.executor.limit.cores", "not a quantity")))
        .transpose()?;
    Ok(PodResources {
        requests_cpu_milli: request_cpu,
        requests_memory: bytes,
        limits_cpu_milli: limit_cpu,
        limits_memory: Some(bytes),
    })
}

/// How many executors the application starts with: `spark.executor.instances`
/// (default 2), or with dynamic allocation the largest of it, the minimum and
/// the initial count.
pub fn initial_executors(conf: &SparkConf) -> Result<i64, ManifestError> {
    let instances = conf.int("spark.executor.instances")?;
    if conf.bool("spark.dynamicAllocation.enabled")?.unwrap_or(false) {
        let min = conf.int("spark.dynamicAllocation.minExecutors")?.unwrap_or(0);
        let initial = conf.int("spark.dynamicAllocation.initialExecutors")?.unwrap_or(min);
        return Ok(min.max(initial).max(instances.unwrap_or(0)));
    }
    Ok(instances.unwrap_or(2))
}
