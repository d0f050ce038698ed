//! Will the driver and all its executors fit in the namespace's
//! ResourceQuotas and LimitRanges? A quota that admits the driver but not
//! the executors makes the application wait forever, so that is a failure.

use k8s_openapi::api::core::v1::{LimitRange, ResourceQuota};
use kspark_manifests::quantity::to_milli;
use kspark_manifests::resources::{self, PodResources};
use kube::api::ListParams;
use kube::{Api, Client};

use super::{Check, Plan};

const QUOTA: &str = "quota";
const LIMITS: &str = "limit ranges";

pub async fn check(client: &Client, plan: &Plan<'_>) -> Vec<Check> {
    let ns = plan.namespace().to_string();
    let driver = resources::of_pod(plan.pod());
    let executor = match resources::executor(plan.conf, plan.kind, plan.features) {
        Ok(e) => e,
        Err(e) => return vec![Check::fail(QUOTA, e.to_string())],
    };
    let count = resources::initial_executors(plan.conf).unwrap_or(2).max(0);
    let quotas: Api<ResourceQuota> = Api::namespaced(client.clone(), &ns);
    let quota_check = match quotas.list(&ListParams::default()).await {
        Ok(list) => fit(&list.items, driver, executor, count),
        Err(e) => Check::warn(QUOTA, format!("cannot read the ResourceQuotas of {ns}: {}", message(&e))),
    };
    let ranges: Api<LimitRange> = Api::namespaced(client.clone(), &ns);
    let range_check = match ranges.list(&ListParams::default()).await {
        Ok(list) => within_limits(&list.items, plan, executor),
        Err(e) => Check::warn(LIMITS, format!("cannot read the LimitRanges of {ns}: {}", message(&e))),
    };
    vec![quota_check, range_check]
}

fn message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message.clone(),
        other => other.to_string(),
    }
}

/// One quota dimension: (hard, used) for `names`, and what one pod uses.
fn dimension(quota: &ResourceQuota, names: &[&str]) -> Option<(i128, i128)> {
    let status = quota.status.as_ref()?;
    let name = names.iter().find(|n| status.hard.as_ref().is_some_and(|h| h.contains_key(**n)))?;
    let hard = to_milli(&status.hard.as_ref()?.get(*name)?.0)?;
    let used = status.used.as_ref().and_then(|u| u.get(*name)).and_then(|q| to_milli(&q.0)).unwrap_or(0);
    Some((hard, used))
}

struct Need {
    label: &'static str,
    names: &'static [&'static str],
    per_driver: i128,
    per_executor: i128,
    unit: fn(i128) -> String,
}

fn needs(driver: PodResources, executor: PodResources) -> Vec<Need> {
    let cpu = |m: i128| format!("{m}m CPU");
    let mem = |b: i128| format!("{}Mi", b / 1000 / (1024 * 1024));
    let pods = |n: i128| format!("{} pods", n / 1000);
    vec![
        Need { label: "pods", names: &["pods", "count/pods"], per_driver: 1000, per_executor: 1000, unit: pods },
        Need {
            label: "requests.cpu",
            names: &["requests.cpu", "cpu"],
            per_driver: driver.requests_cpu_milli,
            per_executor: executor.requests_cpu_milli,
            unit: cpu,
        },
        Need {
            label: "requests.memory",
            names: &["requests.memory", "memory"],
            per_driver: driver.requests_memory * 1000,
            per_executor: executor.requests_memory * 1000,
            unit: mem,
        },
        Need {
            label: "limits.cpu",
            names: &["limits.cpu"],
            per_driver: driver.limits_cpu_milli.unwrap_or(0),
            per_executor: executor.limits_cpu_milli.unwrap_or(0),
            unit: cpu,
        },
        Need {
            label: "limits.memory",
            names: &["limits.memory"],
            per_driver: driver.limits_memory.unwrap_or(0) * 1000,
            per_executor: executor.limits_memory.unwrap_or(0) * 1000,
            unit: mem,
        },
    ]
}

fn fit(quotas: &[ResourceQuota], driver: PodResources, executor: PodResources, executors: i64) -> Check {
    if quotas.is_empty() {
        return Check::ok(QUOTA, "no ResourceQuota in the namespace");
    }
    let n = executors as i128;
    for quota in quotas {
        let qname = quota.metadata.name.clone().unwrap_or_default();
        for need in needs(driver, executor) {
            let Some((hard, used)) = dimension(quota, need.names) else { continue };
            let free = hard - used;
            let total = need.per_driver + n * need.per_executor;
            if total <= free {
                continue;
            }
            let show = need.unit;
            if need.per_driver > free {
                return Check::fail(
                    QUOTA,
                    format!(
                        "quota {qname} has {} of {} left; the driver alone needs {}: it would be rejected",
                        show(free.max(0)),
                        need.label,
                        show(need.per_driver)
                    ),
                )
                .with_hint("lower spark.driver.memory/cores, or ask the admin to raise the quota");
            }
            let fitting = if need.per_executor > 0 { (free - need.per_driver) / need.per_executor } else { n };
            return Check::fail(QUOTA, format!(
                "quota {qname} has {} of {} left; this app needs 1 driver + {executors} executors = {}: only {fitting} of the executors would start and the rest would wait forever",
                show(free.max(0)), need.label, show(total)
            )).with_hint(format!(
                "lower spark.executor.instances to {fitting} (or executor memory/cores), or ask the admin to raise {}",
                need.label
            ));
        }
    }
    Check::ok(QUOTA, format!("the driver and {executors} executors fit in the namespace's quota"))
}

fn within_limits(ranges: &[LimitRange], plan: &Plan<'_>, executor: PodResources) -> Check {
    let driver = plan.pod().spec.as_ref().and_then(|s| s.containers.last()).and_then(|c| c.resources.clone());
    let driver_cpu =
        driver.as_ref().and_then(|r| r.requests.as_ref()).and_then(|m| m.get("cpu")).and_then(|q| to_milli(&q.0));
    let driver_mem =
        driver.as_ref().and_then(|r| r.limits.as_ref()).and_then(|m| m.get("memory")).and_then(|q| to_milli(&q.0));
    let pods = [
        ("driver", driver_cpu, driver_mem),
        ("executor", Some(executor.requests_cpu_milli), Some(executor.requests_memory * 1000)),
    ];
    for range in ranges {
        for item in range.spec.iter().flat_map(|s| s.limits.iter()).filter(|l| l.type_ == "Container") {
            for (who, cpu, mem) in pods {
                for (what, value) in [("cpu", cpu), ("memory", mem)] {
                    let Some(v) = value else { continue };
                    let bound = |m: &Option<
                        std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
                    >| {
                        m.as_ref().and_then(|m| m.get(what)).map(|q| (q.0.clone(), to_milli(&q.0).unwrap_or(0)))
                    };
                    if let Some((text, max)) = bound(&item.max)
                        && v > max
                    {
                        return Check::fail(
                            LIMITS,
                            format!("the {who} container's {what} is above the LimitRange maximum {text}"),
                        );
                    }
                    if let Some((text, min)) = bound(&item.min)
                        && v < min
                    {
                        return Check::fail(
                            LIMITS,
                            format!("the {who} container's {what} is below the LimitRange minimum {text}"),
                        );
                    }
                }
            }
        }
    }
    Check::ok(
        LIMITS,
        if ranges.is_empty() {
            "no LimitRange in the namespace"
        } else {
            "driver and executors are within the LimitRanges"
        },
    )
}
