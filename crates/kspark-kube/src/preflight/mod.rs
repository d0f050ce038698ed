//! Preflight checks: everything known to make a Spark submission fail or
//! hang, checked before anything is created. Each check answers ok, warn or
//! fail with one line of why; the cluster reviews run concurrently.

mod access;
mod azure;
mod credentials;
mod driver_account;
mod limit_ranges;
mod namespace;
mod placement;
mod quota;
mod shapes;

use namespace::NamespacePolicy;

use k8s_openapi::api::core::v1::{LimitRange, Pod, ResourceQuota};
use kspark_config::{AppKind, SparkConf};
use kspark_manifests::{DriverObjects, LineFeatures};
use serde::Serialize;

use crate::connect::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
}

/// One check's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub verdict: Verdict,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Check {
    pub fn new(name: &str, verdict: Verdict, detail: impl Into<String>) -> Check {
        Check { name: name.to_string(), verdict, detail: detail.into(), hint: None }
    }

    pub fn ok(name: &str, detail: impl Into<String>) -> Check {
        Check::new(name, Verdict::Ok, detail)
    }

    pub fn warn(name: &str, detail: impl Into<String>) -> Check {
        Check::new(name, Verdict::Warn, detail)
    }

    pub fn fail(name: &str, detail: impl Into<String>) -> Check {
        Check::new(name, Verdict::Fail, detail)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Check {
        self.hint = Some(hint.into());
        self
    }
}

/// What the checks look at.
pub struct Plan<'a> {
    pub objects: &'a DriverObjects,
    pub conf: &'a SparkConf,
    pub kind: AppKind,
    pub features: LineFeatures,
}

impl Plan<'_> {
    pub fn namespace(&self) -> &str {
        &self.objects.namespace
    }

    pub fn pod(&self) -> &Pod {
        &self.objects.pod
    }

    /// The driver's service account, `default` when none is set.
    pub fn driver_account(&self) -> String {
        let spec = self.pod().spec.as_ref();
        spec.and_then(|s| s.service_account_name.clone()).unwrap_or_else(|| "default".into())
    }
}

/// Runs every check; cluster round trips run concurrently.
pub async fn run(conn: &Connection, plan: &Plan<'_>) -> Vec<Check> {
    let mut checks = vec![credentials::check(conn)];
    checks.extend(placement::offline_checks(plan));
    match conn.client.apiserver_version().await {
        Ok(v) => checks
            .push(Check::ok("api server", format!("{} answers, Kubernetes {}.{}", conn.api_url, v.major, v.minor))),
        Err(e) => {
            let detail =
                format!("cannot reach {}: {}", conn.api_url, crate::error::ClusterError::from_kube("get /version", e));
            checks.push(Check::fail("api server", detail).with_hint("check --master, the network path and the CA"));
            return checks;
        }
    }
    let (access, account, policy) = tokio::join!(
        access::submitter(&conn.client, plan),
        driver_account::check(&conn.client, plan),
        NamespacePolicy::read(&conn.client, plan.namespace()),
    );
    checks.extend(access);
    checks.extend(account);
    checks.extend(policy.checks(plan));
    checks
}

/// The CPU limits kspark sets because the namespace's quota caps
/// limits.cpu and Spark sets none (see [`NamespacePolicy::cpu_limits_to_set`]).
pub async fn cpu_limits_to_set(client: &kube::Client, plan: &Plan<'_>) -> Vec<(String, String)> {
    NamespacePolicy::read(client, plan.namespace()).await.cpu_limits_to_set(plan)
}

/// The namespace checks (quotas, LimitRanges) from objects already at hand:
/// an operator keeps them from watches instead of asking per application.
pub fn namespace_checks(quotas: Vec<ResourceQuota>, ranges: Vec<LimitRange>, plan: &Plan<'_>) -> Vec<Check> {
    NamespacePolicy { quotas: Ok(quotas), ranges: Ok(ranges) }.checks(plan)
}

/// [`cpu_limits_to_set`] from objects already at hand.
pub fn cpu_limits_from(quotas: Vec<ResourceQuota>, ranges: Vec<LimitRange>, plan: &Plan<'_>) -> Vec<(String, String)> {
    NamespacePolicy { quotas: Ok(quotas), ranges: Ok(ranges) }.cpu_limits_to_set(plan)
}

/// The checks that need no cluster (for `--dry-run`).
pub fn offline(plan: &Plan<'_>) -> Vec<Check> {
    placement::offline_checks(plan)
}

pub fn worst(checks: &[Check]) -> Verdict {
    checks.iter().map(|c| c.verdict).max().unwrap_or(Verdict::Ok)
}
