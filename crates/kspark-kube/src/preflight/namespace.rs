//! What the namespace imposes on pods (its ResourceQuotas and LimitRanges,
//! read once), the checks of the driver and executors against it, and the
//! one setting kspark adds for it: a CPU limit where a quota on limits.cpu
//! requires one and Spark sets none.

use k8s_openapi::api::core::v1::{LimitRange, Pod, ResourceQuota};
use kspark_config::SparkConf;
use kspark_manifests::resources;
use kube::api::ListParams;
use kube::{Api, Client};

use super::shapes::{Field, PodShape, show};
use super::{Check, Plan, limit_ranges, quota};

pub struct NamespacePolicy {
    pub quotas: Result<Vec<ResourceQuota>, String>,
    pub ranges: Result<Vec<LimitRange>, String>,
}

impl NamespacePolicy {
    pub async fn read(client: &Client, namespace: &str) -> NamespacePolicy {
        let quotas: Api<ResourceQuota> = Api::namespaced(client.clone(), namespace);
        let ranges: Api<LimitRange> = Api::namespaced(client.clone(), namespace);
        let params = ListParams::default();
        let (q, r) = tokio::join!(quotas.list(&params), ranges.list(&params));
        NamespacePolicy { quotas: q.map(|l| l.items).map_err(message), ranges: r.map(|l| l.items).map_err(message) }
    }

    fn ranges(&self) -> &[LimitRange] {
        self.ranges.as_deref().unwrap_or_default()
    }

    /// The driver and one executor, with the LimitRanges' defaults.
    pub fn pods(&self, plan: &Plan<'_>) -> Result<[PodShape; 2], String> {
        let sized = resources::executor(plan.conf, plan.kind, plan.features).map_err(|e| e.to_string())?;
        let template = executor_template(plan);
        let wanted = plan.conf.get("spark.kubernetes.executor.podTemplateContainerName");
        let executor = PodShape::executor(sized, template.as_ref(), wanted);
        let ranges = self.ranges();
        Ok([PodShape::driver(plan.pod()).with_defaults(ranges), executor.with_defaults(ranges)])
    }

    pub fn checks(&self, plan: &Plan<'_>) -> Vec<Check> {
        let ns = plan.namespace();
        let [driver, executor] = match self.pods(plan) {
            Ok(pods) => pods,
            Err(e) => return vec![Check::fail(quota::NAME, e)],
        };
        let count = resources::initial_executors(plan.conf).unwrap_or(2).max(0);
        let mut checks = Vec::new();
        match &self.quotas {
            Ok(quotas) => {
                let unset = quota::constraints(quotas, &[driver.clone(), executor.clone()]);
                if unset.is_empty() {
                    checks.push(quota::fit(quotas, &driver, &executor, count));
                }
                checks.extend(unset);
            }
            Err(e) => checks.push(Check::warn(quota::NAME, format!("cannot read the ResourceQuotas of {ns}: {e}"))),
        }
        match &self.ranges {
            Ok(ranges) => checks.extend(limit_ranges::check(ranges, &[driver, executor])),
            Err(e) => checks.push(Check::warn(limit_ranges::NAME, format!("cannot read the LimitRanges of {ns}: {e}"))),
        }
        checks
    }

    /// `spark.kubernetes.{driver,executor}.limit.cores` = the cores
    /// requested, for the roles whose Spark container would otherwise have
    /// no CPU limit in a namespace whose quota caps limits.cpu: such pods
    /// are refused outright, and a limit equal to the request charges the
    /// quota exactly what the pod asks for. Empty when nothing needs it,
    /// or when the quotas cannot be read.
    pub fn cpu_limits_to_set(&self, plan: &Plan<'_>) -> Vec<(String, String)> {
        if !self.quotas.as_deref().unwrap_or_default().iter().any(caps_limits_cpu) {
            return Vec::new();
        }
        let pods = self.pods(plan).map(Vec::from).unwrap_or_default();
        pods.iter().filter_map(|pod| missing_cpu_limit(plan.conf, pod)).collect()
    }
}

/// The executor pod template, read as the driver will read it; one that
/// does not parse (the driver would refuse it) is left out.
fn executor_template(plan: &Plan<'_>) -> Option<Pod> {
    let value: serde_json::Value = serde_saphyr::from_str(plan.objects.executor_template()?).ok()?;
    serde_json::from_value(value).ok()
}

fn caps_limits_cpu(quota: &ResourceQuota) -> bool {
    let spec = quota.spec.as_ref().and_then(|s| s.hard.as_ref());
    let status = quota.status.as_ref().and_then(|s| s.hard.as_ref());
    spec.into_iter().chain(status).any(|hard| hard.contains_key("limits.cpu"))
}

fn missing_cpu_limit(conf: &SparkConf, pod: &PodShape) -> Option<(String, String)> {
    let key = format!("spark.kubernetes.{}.limit.cores", pod.role.word());
    let spark = pod.spark_container()?;
    if conf.get(&key).is_some() || spark.get(Field::Limit, "cpu").is_some() {
        return None;
    }
    let request = spark.get(Field::Request, "cpu")?;
    Some((key, show("cpu", request)))
}

fn message(e: kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message,
        other => other.to_string(),
    }
}
