//! The driver's and an executor's containers as admission will see them:
//! what Spark sets, then what the namespace's LimitRanges fill in where a
//! value is missing. Quota and LimitRange checks both judge these.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, LimitRange, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kspark_manifests::quantity::to_milli;
use kspark_manifests::resources::PodResources;

/// Spark's executor container, as Spark names it (unless a pod template
/// names it).
pub const EXECUTOR_CONTAINER: &str = "spark-kubernetes-executor";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodRole {
    Driver,
    Executor,
}

impl PodRole {
    pub fn word(self) -> &'static str {
        match self {
            PodRole::Driver => "driver",
            PodRole::Executor => "executor",
        }
    }
}

/// Where a container comes from; it decides which setting changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Spark's own container: sized by Spark settings.
    Spark,
    /// Another container of the pod template.
    Sidecar,
    /// An init container of the pod template.
    Init,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Request,
    Limit,
}

impl Field {
    pub fn word(self) -> &'static str {
        match self {
            Field::Request => "request",
            Field::Limit => "limit",
        }
    }
}

/// Resource name → amount in thousandths (millicores, millibytes).
pub type Amounts = BTreeMap<String, i128>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerShape {
    pub name: String,
    pub origin: Origin,
    pub requests: Amounts,
    pub limits: Amounts,
    /// (field, resource) → the LimitRange whose default filled it in.
    pub defaulted: BTreeMap<(Field, String), String>,
}

impl ContainerShape {
    pub fn get(&self, field: Field, resource: &str) -> Option<i128> {
        match field {
            Field::Request => self.requests.get(resource).copied(),
            Field::Limit => self.limits.get(resource).copied(),
        }
    }

    /// The LimitRange that set this value, if one did.
    pub fn defaulted_by(&self, field: Field, resource: &str) -> Option<&str> {
        self.defaulted.get(&(field, resource.to_string())).map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodShape {
    pub role: PodRole,
    pub containers: Vec<ContainerShape>,
}

impl PodShape {
    /// The driver pod as built: the template's sidecars, then Spark's
    /// container (always last), and the template's init containers.
    pub fn driver(pod: &Pod) -> PodShape {
        let spec = pod.spec.clone().unwrap_or_default();
        let last = spec.containers.len().saturating_sub(1);
        let mut containers: Vec<ContainerShape> = spec
            .containers
            .iter()
            .enumerate()
            .map(|(i, c)| shape(c, if i == last { Origin::Spark } else { Origin::Sidecar }))
            .collect();
        containers.extend(spec.init_containers.iter().flatten().map(|c| shape(c, Origin::Init)));
        PodShape { role: PodRole::Driver, containers }
    }

    /// One executor as Spark's driver builds it: the pod template's
    /// containers, if there is a template, with Spark's container (the one
    /// named `wanted`, else the first) taking Spark's CPU request and
    /// memory, and Spark's CPU limit when one is set; a CPU limit of the
    /// template's stays otherwise. Spark's container comes last.
    pub fn executor(resources: PodResources, template: Option<&Pod>, wanted: Option<&str>) -> PodShape {
        let spec = template.and_then(|p| p.spec.clone()).unwrap_or_default();
        let mut others = spec.containers;
        let index =
            wanted.and_then(|name| others.iter().position(|c| c.name == name)).or((!others.is_empty()).then_some(0));
        let mut spark = shape(&index.map(|i| others.remove(i)).unwrap_or_default(), Origin::Spark);
        if spark.name.is_empty() {
            spark.name = EXECUTOR_CONTAINER.into();
        }
        spark.requests.insert("cpu".into(), resources.requests_cpu_milli);
        spark.requests.insert("memory".into(), resources.requests_memory * 1000);
        if let Some(cpu) = resources.limits_cpu_milli {
            spark.limits.insert("cpu".into(), cpu);
        }
        if let Some(memory) = resources.limits_memory {
            spark.limits.insert("memory".into(), memory * 1000);
        }
        let mut containers: Vec<ContainerShape> = others.iter().map(|c| shape(c, Origin::Sidecar)).collect();
        containers.push(spark);
        containers.extend(spec.init_containers.iter().flatten().map(|c| shape(c, Origin::Init)));
        PodShape { role: PodRole::Executor, containers }
    }

    pub fn spark_container(&self) -> Option<&ContainerShape> {
        self.containers.iter().find(|c| c.origin == Origin::Spark)
    }

    /// The pod after the LimitRange admission plugin: each LimitRange in
    /// turn fills in the `default` limits and `defaultRequest` requests of
    /// its Container items that a container lacks.
    pub fn with_defaults(&self, ranges: &[LimitRange]) -> PodShape {
        let mut pod = self.clone();
        for range in ranges {
            let name = range.metadata.name.clone().unwrap_or_default();
            let (limits, requests) = container_defaults(range);
            for container in &mut pod.containers {
                fill(container, Field::Limit, &limits, &name);
                fill(container, Field::Request, &requests, &name);
            }
        }
        pod
    }

    /// What the pod counts as for `field` of `resource`, as quota and Pod
    /// LimitRanges count it: the sum of its containers, or the largest init
    /// container if that is more. `None` when no container sets it.
    pub fn total(&self, field: Field, resource: &str) -> Option<i128> {
        let of = |origin_is_init: bool| {
            self.containers
                .iter()
                .filter(move |c| (c.origin == Origin::Init) == origin_is_init)
                .filter_map(move |c| c.get(field, resource))
        };
        let sum = of(false).reduce(|a, b| a + b);
        let init = of(true).max();
        match (sum, init) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).max(b.unwrap_or(0))),
        }
    }
}

fn shape(container: &Container, origin: Origin) -> ContainerShape {
    let resources = container.resources.clone().unwrap_or_default();
    let amounts = |map: Option<BTreeMap<String, Quantity>>| -> Amounts {
        map.unwrap_or_default().into_iter().filter_map(|(k, q)| to_milli(&q.0).map(|v| (k, v))).collect()
    };
    let limits = amounts(resources.limits);
    let mut requests = amounts(resources.requests);
    requests_default_to_limits(&mut requests, &limits);
    ContainerShape { name: container.name.clone(), origin, requests, limits, defaulted: BTreeMap::new() }
}

/// The API server's own defaulting, before any admission plugin: a
/// resource with a limit and no request is requested at its limit.
fn requests_default_to_limits(requests: &mut Amounts, limits: &Amounts) {
    for (k, v) in limits {
        requests.entry(k.clone()).or_insert(*v);
    }
}

/// One LimitRange's default limits and requests for containers, its
/// Container items merged in order (a later item's value wins), as the
/// admission plugin merges them.
fn container_defaults(range: &LimitRange) -> (Amounts, Amounts) {
    let (mut limits, mut requests) = (Amounts::new(), Amounts::new());
    for item in range.spec.iter().flat_map(|s| s.limits.iter()).filter(|i| i.type_ == "Container") {
        for (target, source) in [(&mut limits, &item.default), (&mut requests, &item.default_request)] {
            for (k, q) in source.iter().flatten() {
                if let Some(v) = to_milli(&q.0) {
                    target.insert(k.clone(), v);
                }
            }
        }
    }
    (limits, requests)
}

fn fill(container: &mut ContainerShape, field: Field, defaults: &Amounts, range: &str) {
    for (resource, value) in defaults {
        let value = *value;
        let target = match field {
            Field::Request => &mut container.requests,
            Field::Limit => &mut container.limits,
        };
        if !target.contains_key(resource) {
            target.insert(resource.clone(), value);
            container.defaulted.insert((field, resource.clone()), range.to_string());
        }
    }
}

/// `4`, `500m`, `1408Mi`, `2Gi`: an amount as Kubernetes would write it.
pub fn show(resource: &str, milli: i128) -> String {
    let bytes_like = resource == "memory" || resource.ends_with("storage");
    if bytes_like && milli % 1000 == 0 {
        let bytes = milli / 1000;
        for (unit, size) in [("Gi", 1i128 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)] {
            if bytes != 0 && bytes % size == 0 {
                return format!("{}{unit}", bytes / size);
            }
        }
        return bytes.to_string();
    }
    if milli % 1000 == 0 { (milli / 1000).to_string() } else { format!("{milli}m") }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A LimitRange as the API server stores it, from JSON.
    pub fn range(name: &str, items: serde_json::Value) -> LimitRange {
        serde_json::from_value(serde_json::json!({"metadata": {"name": name}, "spec": {"limits": items}}))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn resources(cpu_milli: i128, mib: i128, limit_cpu: Option<i128>) -> PodResources {
        PodResources {
            requests_cpu_milli: cpu_milli,
            requests_memory: mib << 20,
            limits_cpu_milli: limit_cpu,
            limits_memory: Some(mib << 20),
        }
    }

    pub fn executor(cpu_milli: i128, mib: i128, limit_cpu: Option<i128>) -> PodShape {
        PodShape::executor(resources(cpu_milli, mib, limit_cpu), None, None)
    }

    #[test]
    fn executors_keep_their_templates_containers_and_cpu_limit() {
        let template: Pod = serde_json::from_value(serde_json::json!({"spec": {
            "initContainers": [{"name": "fetch"}],
            "containers": [
                {"name": "side", "resources": {"limits": {"cpu": "100m"}}},
                {"name": "main", "resources": {"limits": {"cpu": "3", "ephemeral-storage": "1Gi"}, "requests": {"cpu": "1"}}}
            ]}}))
        .unwrap_or_else(|e| panic!("{e}"));
        let pod = PodShape::executor(resources(2000, 1408, None), Some(&template), Some("main"));
        let names: Vec<(&str, Origin)> = pod.containers.iter().map(|c| (c.name.as_str(), c.origin)).collect();
        assert_eq!(names, [("side", Origin::Sidecar), ("main", Origin::Spark), ("fetch", Origin::Init)]);
        let spark = pod.spark_container().unwrap_or_else(|| panic!("no Spark container"));
        assert_eq!(spark.get(Field::Request, "cpu"), Some(2000), "Spark's request replaces the template's");
        assert_eq!(spark.get(Field::Limit, "cpu"), Some(3000), "the template's CPU limit stays");
        assert_eq!(spark.get(Field::Limit, "ephemeral-storage"), Some((1i128 << 30) * 1000));
        let limited = PodShape::executor(resources(2000, 1408, Some(2000)), Some(&template), None);
        assert_eq!(limited.containers[1].name, "side", "without a name, the first container is Spark's");
        assert_eq!(limited.spark_container().and_then(|c| c.get(Field::Limit, "cpu")), Some(2000));
        assert_eq!(executor(1000, 512, None).containers[0].name, EXECUTOR_CONTAINER);
    }

    #[test]
    fn defaults_fill_only_what_is_missing_first_range_first() {
        let first =
            range("first", serde_json::json!([{"type": "Container", "default": {"cpu": "1", "memory": "2Gi"}}]));
        let second = range(
            "second",
            serde_json::json!([{"type": "Container", "default": {"cpu": "3"}, "defaultRequest": {"ephemeral-storage": "1Gi"}}]),
        );
        let pod = executor(4000, 1408, None).with_defaults(&[first, second]);
        let c = &pod.containers[0];
        assert_eq!(c.get(Field::Limit, "cpu"), Some(1000), "the first range's default wins");
        assert_eq!(c.defaulted_by(Field::Limit, "cpu"), Some("first"));
        assert_eq!(c.get(Field::Limit, "memory"), Some((1408i128 << 20) * 1000), "Spark set it");
        assert_eq!(c.defaulted_by(Field::Limit, "memory"), None);
        assert_eq!(c.defaulted_by(Field::Request, "ephemeral-storage"), Some("second"));
        let pod_item = range("pods", serde_json::json!([{"type": "Pod", "max": {"cpu": "1"}}]));
        assert_eq!(executor(4000, 1408, None).with_defaults(&[pod_item]).containers[0].limits.get("cpu"), None);
    }

    #[test]
    fn driver_containers_sidecars_and_init_containers() {
        let pod: Pod = serde_json::from_value(serde_json::json!({"spec": {
            "initContainers": [{"name": "init", "resources": {"limits": {"cpu": "3"}}}],
            "containers": [
                {"name": "side", "resources": {"requests": {"cpu": "250m"}}},
                {"name": "spark-kubernetes-driver", "resources": {"requests": {"cpu": "2", "memory": "1408Mi"}, "limits": {"memory": "1408Mi"}}}
            ]}}))
        .unwrap_or_else(|e| panic!("{e}"));
        let shape = PodShape::driver(&pod);
        let origins: Vec<(&str, Origin)> = shape.containers.iter().map(|c| (c.name.as_str(), c.origin)).collect();
        assert_eq!(
            origins,
            [("side", Origin::Sidecar), ("spark-kubernetes-driver", Origin::Spark), ("init", Origin::Init)]
        );
        assert_eq!(shape.containers[2].get(Field::Request, "cpu"), Some(3000), "request defaults to limit");
        assert_eq!(shape.total(Field::Request, "cpu"), Some(3000), "the init container needs more than the sum");
        assert_eq!(shape.total(Field::Request, "memory"), Some((1408i128 << 20) * 1000));
        assert_eq!(shape.total(Field::Limit, "ephemeral-storage"), None);
    }

    #[test]
    fn amounts_read_as_kubernetes_writes_them() {
        assert_eq!(show("cpu", 4000), "4");
        assert_eq!(show("cpu", 500), "500m");
        assert_eq!(show("memory", (1408i128 << 20) * 1000), "1408Mi");
        assert_eq!(show("memory", (2i128 << 30) * 1000), "2Gi");
        assert_eq!(show("memory", 1500), "1500m");
    }
}
