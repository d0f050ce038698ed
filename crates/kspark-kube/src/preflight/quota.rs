//! Will the driver and all its executors fit in the namespace's
//! ResourceQuotas? A quota that admits the driver but not the executors
//! makes the application wait forever, so that is a failure. Pods are
//! counted as admission counts them: after the LimitRanges' defaults.

use k8s_openapi::api::core::v1::ResourceQuota;
use kspark_manifests::quantity::to_milli;

use super::Check;
use super::shapes::{Field, Origin, PodRole, PodShape};

pub const NAME: &str = "quota";

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

fn needs(driver: &PodShape, executor: &PodShape) -> Vec<Need> {
    let cpu = |m: i128| format!("{m}m CPU");
    let mem = |b: i128| format!("{}Mi", b / 1000 / (1024 * 1024));
    let pods = |n: i128| format!("{} pods", n / 1000);
    let each = |field, resource| {
        let of = |pod: &PodShape| pod.total(field, resource).unwrap_or(0);
        (of(driver), of(executor))
    };
    let need = |label, names, (per_driver, per_executor): (i128, i128), unit: fn(i128) -> String| Need {
        label,
        names,
        per_driver,
        per_executor,
        unit,
    };
    vec![
        need("pods", &["pods", "count/pods"], (1000, 1000), pods),
        need("requests.cpu", &["requests.cpu", "cpu"], each(Field::Request, "cpu"), cpu),
        need("requests.memory", &["requests.memory", "memory"], each(Field::Request, "memory"), mem),
        need("limits.cpu", &["limits.cpu"], each(Field::Limit, "cpu"), cpu),
        need("limits.memory", &["limits.memory"], each(Field::Limit, "memory"), mem),
    ]
}

/// The driver and `executors` executors (both with defaults) against what
/// each quota has left.
pub fn fit(quotas: &[ResourceQuota], driver: &PodShape, executor: &PodShape, executors: i64) -> Check {
    if quotas.is_empty() {
        return Check::ok(NAME, "no ResourceQuota in the namespace");
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
                    NAME,
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
            return Check::fail(NAME, format!(
                "quota {qname} has {} of {} left; this app needs 1 driver + {executors} executors = {}: only {fitting} of the executors would start and the rest would wait forever",
                show(free.max(0)), need.label, show(total)
            )).with_hint(executors_hint(need.label, executor, fitting));
        }
    }
    Check::ok(NAME, format!("the driver and {executors} executors fit in the namespace's quota"))
}

fn executors_hint(label: &str, executor: &PodShape, fitting: i128) -> String {
    let general = format!(
        "lower spark.executor.instances to {fitting} (or executor memory/cores), or ask the admin to raise {label}"
    );
    // A LimitRange's default CPU limit charges every executor that much,
    // whatever it requests.
    let defaulted = executor.spark_container().and_then(|c| c.defaulted_by(Field::Limit, "cpu"));
    match defaulted {
        Some(range) if label == "limits.cpu" => format!(
            "the executors' CPU limit is LimitRange {range}'s default: set spark.kubernetes.executor.limit.cores \
             to the cores requested, or {general}"
        ),
        _ => general,
    }
}

/// A quota on CPU or memory makes Kubernetes refuse every pod with a
/// container that does not set that request or limit ("must specify
/// limits.cpu"), whatever is left of the quota.
pub fn constraints(quotas: &[ResourceQuota], pods: &[PodShape]) -> Vec<Check> {
    let mut out = Vec::new();
    for quota in quotas {
        let qname = quota.metadata.name.clone().unwrap_or_default();
        for (key, field, resource) in constrained(quota) {
            for pod in pods {
                for c in pod.containers.iter().filter(|c| c.get(field, resource).is_none()) {
                    out.push(
                        Check::fail(
                            NAME,
                            format!(
                                "quota {qname} caps {key}, and the {} container {} sets no {resource} {}: \
                                 Kubernetes refuses the pod",
                                pod.role.word(),
                                c.name,
                                field.word()
                            ),
                        )
                        .with_hint(unset_hint(pod.role, c.origin, &c.name, field, resource)),
                    );
                }
            }
        }
    }
    out
}

/// The (quota key, field, resource) of `quota` that every container must set.
fn constrained(quota: &ResourceQuota) -> Vec<(String, Field, &'static str)> {
    let spec = quota.spec.as_ref().and_then(|s| s.hard.as_ref());
    let status = quota.status.as_ref().and_then(|s| s.hard.as_ref());
    let mut keys: Vec<&String> = spec.into_iter().chain(status).flat_map(|h| h.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (field, resource) = match key.as_str() {
                "cpu" | "requests.cpu" => (Field::Request, "cpu"),
                "memory" | "requests.memory" => (Field::Request, "memory"),
                "limits.cpu" => (Field::Limit, "cpu"),
                "limits.memory" => (Field::Limit, "memory"),
                _ => return None,
            };
            Some((key.clone(), field, resource))
        })
        .collect()
}

fn unset_hint(role: PodRole, origin: Origin, container: &str, field: Field, resource: &str) -> String {
    let role = role.word();
    match (origin, field, resource) {
        (Origin::Spark, Field::Limit, "cpu") => format!(
            "set spark.kubernetes.{role}.limit.cores (e.g. to the cores requested), or ask the admin for a default \
             CPU limit (kspark tenant create --default-limits cpu=…)"
        ),
        _ => format!(
            "set the {resource} {} of container {container} in the {role} pod template \
             (spark.kubernetes.{role}.podTemplateFile), or ask the admin for a LimitRange default",
            field.word()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::Verdict;
    use crate::preflight::shapes::tests::{executor, range};
    use serde_json::json;

    fn quota(hard: serde_json::Value, used: serde_json::Value) -> ResourceQuota {
        serde_json::from_value(
            json!({"metadata": {"name": "q"}, "spec": {"hard": hard}, "status": {"hard": hard, "used": used}}),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_limits_cpu_quota_refuses_containers_without_a_cpu_limit() {
        let q = [quota(json!({"limits.cpu": "8", "requests.memory": "8Gi"}), json!({}))];
        let found = constraints(&q, &[executor(2000, 1408, None)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].detail.contains(
                "quota q caps limits.cpu, and the executor container spark-kubernetes-executor sets no cpu limit"
            ),
            "{}",
            found[0].detail
        );
        assert!(found[0].hint.as_deref().unwrap_or_default().contains("spark.kubernetes.executor.limit.cores"));
        assert!(constraints(&q, &[executor(2000, 1408, Some(2000))]).is_empty());
    }

    #[test]
    fn default_limits_count_against_the_quota() {
        // A default CPU limit of 4 charges every pod 4 of limits.cpu=8: the
        // driver and one executor use it all.
        let ranges = [range("wide", json!([{"type": "Container", "default": {"cpu": "4"}}]))];
        let q = [quota(json!({"limits.cpu": "8"}), json!({"limits.cpu": "0"}))];
        let pod = executor(1000, 1408, None).with_defaults(&ranges);
        let check = fit(&q, &pod, &pod, 2);
        assert_eq!(check.verdict, Verdict::Fail, "{check:?}");
        assert!(check.detail.contains("only 1 of the executors would start"), "{}", check.detail);
        let hint = check.hint.unwrap_or_default();
        assert!(hint.starts_with("the executors' CPU limit is LimitRange wide's default"), "{hint}");
        let exact = executor(1000, 1408, Some(1000));
        assert_eq!(fit(&q, &exact, &exact, 2).verdict, Verdict::Ok);
    }
}
