//! Would the namespace's LimitRanges admit the driver and every executor?
//! Judged on the containers after the LimitRanges' own defaults, by the
//! rules of the LimitRange admission plugin (min, max,
//! maxLimitRequestRatio, per container and per pod) and of pod validation
//! (a request above its limit). An executor refused here makes the
//! application wait forever, so every refusal is a failure that names the
//! LimitRange, the container, the value, the bound and the setting to
//! change.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{LimitRange, LimitRangeItem};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kspark_manifests::quantity::to_milli;

use super::Check;
use super::shapes::{ContainerShape, Field, Origin, PodRole, PodShape, show};

pub const NAME: &str = "limit ranges";

/// Which rule a value breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Below `min`; `None`: the value is not set at all.
    Min {
        value: Option<i128>,
        min: i128,
    },
    Max {
        value: Option<i128>,
        max: i128,
    },
    /// limit / request above `maxLimitRequestRatio` (thousandths).
    Ratio {
        request: Option<i128>,
        limit: Option<i128>,
        ratio_milli: i128,
    },
    /// A request above the limit, which the API server refuses.
    RequestAboveLimit {
        request: i128,
        limit: i128,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The LimitRange that sets the bound (for a request above its limit:
    /// the one whose default limit it is, if any).
    pub range: Option<String>,
    pub role: PodRole,
    /// `None`: the pod as a whole (a LimitRange item of type Pod).
    pub container: Option<(String, Origin)>,
    pub resource: String,
    pub field: Field,
    pub rule: Rule,
}

/// Every refusal of `pod` (already with defaults) by `ranges`.
pub fn violations(ranges: &[LimitRange], pod: &PodShape) -> Vec<Violation> {
    let mut out = Vec::new();
    for range in ranges {
        let name = range.metadata.name.clone().unwrap_or_default();
        for item in range.spec.iter().flat_map(|s| s.limits.iter()) {
            let mut judge = |container: Option<(String, Origin)>, get: &dyn Fn(Field, &str) -> Option<i128>| {
                out.extend(bounded(item, get).into_iter().map(|(resource, field, rule)| Violation {
                    range: Some(name.clone()),
                    role: pod.role,
                    container: container.clone(),
                    resource,
                    field,
                    rule,
                }));
            };
            match item.type_.as_str() {
                // Init containers too, as the admission plugin does.
                "Container" => {
                    for c in &pod.containers {
                        judge(Some((c.name.clone(), c.origin)), &|field, resource| c.get(field, resource));
                    }
                }
                "Pod" => judge(None, &|field, resource| pod.total(field, resource)),
                _ => {}
            }
        }
    }
    for c in &pod.containers {
        out.extend(requests_above_limits(pod.role, c));
    }
    out
}

/// The min, max and ratio rules of one item, for values `get` returns.
fn bounded(item: &LimitRangeItem, get: &dyn Fn(Field, &str) -> Option<i128>) -> Vec<(String, Field, Rule)> {
    let mut out = Vec::new();
    for (resource, min) in bounds(&item.min) {
        let (request, limit) = (get(Field::Request, &resource), get(Field::Limit, &resource));
        if request.is_none_or(|r| r < min) {
            out.push((resource.clone(), Field::Request, Rule::Min { value: request, min }));
        } else if let Some(l) = limit.filter(|l| *l < min) {
            out.push((resource.clone(), Field::Limit, Rule::Min { value: Some(l), min }));
        }
    }
    for (resource, max) in bounds(&item.max) {
        let (request, limit) = (get(Field::Request, &resource), get(Field::Limit, &resource));
        if limit.is_none_or(|l| l > max) {
            out.push((resource.clone(), Field::Limit, Rule::Max { value: limit, max }));
        } else if let Some(r) = request.filter(|r| *r > max) {
            out.push((resource.clone(), Field::Request, Rule::Max { value: Some(r), max }));
        }
    }
    for (resource, ratio_milli) in bounds(&item.max_limit_request_ratio) {
        let (request, limit) = (get(Field::Request, &resource), get(Field::Limit, &resource));
        let broken = match (request.filter(|r| *r > 0), limit.filter(|l| *l > 0)) {
            (Some(r), Some(l)) => l * 1000 > ratio_milli * r,
            _ => true,
        };
        if broken {
            out.push((resource, Field::Limit, Rule::Ratio { request, limit, ratio_milli }));
        }
    }
    out
}

fn bounds(map: &Option<BTreeMap<String, Quantity>>) -> Vec<(String, i128)> {
    map.iter().flatten().filter_map(|(k, q)| to_milli(&q.0).map(|v| (k.clone(), v))).collect()
}

fn requests_above_limits(role: PodRole, c: &ContainerShape) -> Vec<Violation> {
    let mut out = Vec::new();
    for (resource, request) in &c.requests {
        let Some(limit) = c.limits.get(resource).copied().filter(|l| l < request) else { continue };
        out.push(Violation {
            range: c.defaulted_by(Field::Limit, resource).map(String::from),
            role,
            container: Some((c.name.clone(), c.origin)),
            resource: resource.clone(),
            field: Field::Limit,
            rule: Rule::RequestAboveLimit { request: *request, limit },
        });
    }
    out
}

impl Violation {
    /// One line: `LimitRange small: the executor container
    /// spark-kubernetes-executor's cpu request 4 is above the maximum 2`.
    pub fn describe(&self) -> String {
        let who = match &self.container {
            Some((name, _)) => format!("the {} container {name}", self.role.word()),
            None => format!("the {} pod (all containers together)", self.role.word()),
        };
        let (res, field) = (self.resource.as_str(), self.field.word());
        let amount = |v: Option<i128>| v.map_or_else(|| "(none)".into(), |v| show(res, v));
        let what = match &self.rule {
            Rule::Min { value: None, min } => format!("sets no {res} {field}; the minimum is {}", show(res, *min)),
            Rule::Min { value, min } => {
                format!("has {res} {field} {}, below the minimum {}", amount(*value), show(res, *min))
            }
            Rule::Max { value: None, max } => format!("sets no {res} {field}; the maximum is {}", show(res, *max)),
            Rule::Max { value, max } => {
                format!("has {res} {field} {}, above the maximum {}", amount(*value), show(res, *max))
            }
            Rule::Ratio { request, limit, ratio_milli } => format!(
                "has {res} limit {} for request {}, more than the allowed limit/request ratio {}",
                amount(*limit),
                amount(*request),
                show("", *ratio_milli)
            ),
            Rule::RequestAboveLimit { request, limit } => {
                let from = if self.range.is_some() { "default " } else { "" };
                format!(
                    "would get the {from}{res} limit {}, below its {res} request {}: Kubernetes refuses a request above its limit",
                    show(res, *limit),
                    show(res, *request)
                )
            }
        };
        match &self.range {
            Some(range) => format!("LimitRange {range}: {who} {what}"),
            None => format!("{who} {what}"),
        }
    }

    /// The setting that fixes it.
    pub fn hint(&self) -> String {
        let role = self.role.word();
        let origin = self.container.as_ref().map_or(Origin::Spark, |(_, o)| *o);
        if origin != Origin::Spark {
            let name = self.container.as_ref().map(|(n, _)| n.as_str()).unwrap_or_default();
            return format!(
                "set the resources of container {name} in the {role} pod template \
                 (spark.kubernetes.{role}.podTemplateFile), or ask the admin to change the LimitRange"
            );
        }
        let cores = if self.role == PodRole::Driver { "spark.driver.cores" } else { "spark.executor.cores" };
        let limit_cores = format!("spark.kubernetes.{role}.limit.cores");
        match (self.resource.as_str(), &self.rule, self.field) {
            ("cpu", Rule::RequestAboveLimit { request, .. }, _) => {
                format!("set {limit_cores}={} (or more), or ask for fewer cores ({cores})", show("cpu", *request))
            }
            ("cpu", Rule::Ratio { request: Some(r), .. }, _) => {
                format!("set {limit_cores} closer to the request, e.g. {limit_cores}={}", show("cpu", *r))
            }
            ("cpu", Rule::Max { value: None, max }, _) => format!("set {limit_cores} (at most {})", show("cpu", *max)),
            ("cpu", _, Field::Limit) => format!("change {limit_cores}"),
            ("cpu", _, Field::Request) => {
                format!("change {cores} (or spark.kubernetes.{role}.request.cores)")
            }
            ("memory", _, _) => format!(
                "change spark.{role}.memory or spark.{role}.memoryOverhead: Spark requests and limits \
                 memory + overhead{}",
                if self.role == PodRole::Executor { " (+ off-heap and PySpark memory)" } else { "" }
            ),
            _ => "ask the admin to change the LimitRange".into(),
        }
    }
}

/// The check: one failure per violation, or one ok.
pub fn check(ranges: &[LimitRange], pods: &[PodShape]) -> Vec<Check> {
    let found: Vec<Check> = pods
        .iter()
        .flat_map(|pod| violations(ranges, pod))
        .map(|v| Check::fail(NAME, v.describe()).with_hint(v.hint()))
        .collect();
    if !found.is_empty() {
        return found;
    }
    let detail = if ranges.is_empty() {
        "no LimitRange in the namespace".to_string()
    } else {
        let names: Vec<String> = ranges.iter().filter_map(|r| r.metadata.name.clone()).collect();
        format!("the driver and executors, with the defaults filled in, are within LimitRange {}", names.join(", "))
    };
    vec![Check::ok(NAME, detail)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::shapes::tests::{executor, range};
    use serde_json::json;

    fn one(ranges: &[LimitRange], pod: &PodShape) -> Violation {
        let found = violations(ranges, &pod.with_defaults(ranges));
        assert_eq!(found.len(), 1, "{found:?}");
        found.into_iter().next().unwrap_or_else(|| unreachable!())
    }

    /// The case: a default CPU limit of 1 and 4-core executors.
    #[test]
    fn a_default_cpu_limit_below_the_request_names_the_range_and_the_setting() {
        let ranges =
            [range("kspark-defaults", json!([{"type": "Container", "default": {"cpu": "1", "memory": "2Gi"}}]))];
        let v = one(&ranges, &executor(4000, 1408, None));
        assert_eq!(v.rule, Rule::RequestAboveLimit { request: 4000, limit: 1000 });
        assert_eq!(
            v.describe(),
            "LimitRange kspark-defaults: the executor container spark-kubernetes-executor would get the default \
             cpu limit 1, below its cpu request 4: Kubernetes refuses a request above its limit"
        );
        assert!(v.hint().starts_with("set spark.kubernetes.executor.limit.cores=4 (or more)"), "{}", v.hint());
        assert!(violations(&ranges, &executor(4000, 1408, Some(4000)).with_defaults(&ranges)).is_empty());
        assert!(violations(&ranges, &executor(1000, 1408, None).with_defaults(&ranges)).is_empty());
    }

    #[test]
    fn min_max_and_ratio_for_cpu_and_memory() {
        let ranges = [range(
            "strict",
            json!([{"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "500m"},
                    "default": {"cpu": "2", "memory": "1Gi"}}]),
        )];
        let v = one(&ranges, &executor(1000, 512, Some(3000)));
        assert_eq!((v.field, &v.rule), (Field::Limit, &Rule::Max { value: Some(3000), max: 2000 }));
        assert!(v.describe().contains("cpu limit 3, above the maximum 2"), "{}", v.describe());
        assert!(v.hint().contains("spark.kubernetes.executor.limit.cores"), "{}", v.hint());
        let v = one(&ranges, &executor(200, 512, None));
        assert_eq!((v.field, &v.rule), (Field::Request, &Rule::Min { value: Some(200), min: 500 }));
        assert!(v.hint().starts_with("change spark.executor.cores"), "{}", v.hint());
        // Spark's memory request and limit are the same: heap + overhead.
        let v = one(&ranges, &executor(1000, 1408, None));
        assert!(v.describe().contains("memory limit 1408Mi, above the maximum 1Gi"), "{}", v.describe());
        assert!(v.hint().contains("spark.executor.memoryOverhead"), "{}", v.hint());
        assert!(violations(&ranges, &executor(1000, 512, None).with_defaults(&ranges)).is_empty());
        // The default limit 2 against a 500m request: a ratio of 4.
        let ranges = [range(
            "ratio",
            json!([{"type": "Container", "default": {"cpu": "2"}, "maxLimitRequestRatio": {"cpu": "2"}}]),
        )];
        let v = one(&ranges, &executor(500, 512, None));
        assert_eq!(v.rule, Rule::Ratio { request: Some(500), limit: Some(2000), ratio_milli: 2000 });
        assert!(v.describe().contains("limit/request ratio 2"), "{}", v.describe());
        assert!(v.hint().contains("spark.kubernetes.executor.limit.cores=500m"), "{}", v.hint());
        assert!(violations(&ranges, &executor(1000, 512, None).with_defaults(&ranges)).is_empty());
    }

    #[test]
    fn a_max_without_a_default_needs_a_limit_and_pod_items_count_the_whole_pod() {
        let ranges = [range("pods", json!([{"type": "Pod", "max": {"cpu": "3"}}]))];
        let v = one(&ranges, &executor(1000, 512, None));
        assert_eq!((v.container.clone(), &v.rule), (None, &Rule::Max { value: None, max: 3000 }));
        assert!(v.describe().contains("the executor pod (all containers together) sets no cpu limit"));
        assert!(violations(&ranges, &executor(1000, 512, Some(3000))).is_empty());
        assert_eq!(one(&ranges, &executor(1000, 512, Some(4000))).rule, Rule::Max { value: Some(4000), max: 3000 });
    }

    #[test]
    fn ok_names_the_ranges() {
        let ranges = [range("kspark-defaults", json!([{"type": "Container", "default": {"memory": "2Gi"}}]))];
        let checks = check(&ranges, &[executor(4000, 1408, None).with_defaults(&ranges)]);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].verdict, crate::preflight::Verdict::Ok);
        assert!(checks[0].detail.contains("kspark-defaults"), "{}", checks[0].detail);
    }
}
