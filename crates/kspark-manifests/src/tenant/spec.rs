//! What `kspark tenant create` is asked for, checked before anything is
//! sent. The spec is recorded on the namespace, so that `tenant show` can
//! compare the cluster with what kspark would apply without the flags.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::TenantError;
use super::resource_list::{parse_defaults, parse_quota};
use crate::names::is_dns_label;
use crate::quantity::to_milli;

/// The driver's service account unless `--service-account` says otherwise.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "spark";
/// LimitRange defaults for containers that set no requests/limits. Spark's
/// own containers set memory requests and limits and a CPU request but no
/// CPU limit, so a default CPU limit is the one default that reaches them:
/// it would refuse every driver or executor asking for more cores than it
/// (a request above its limit). Hence no default CPU limit, as Kubernetes
/// advises; sidecars and init containers from pod templates get these.
pub const DEFAULT_REQUESTS: &str = "cpu=500m,memory=512Mi";
pub const DEFAULT_LIMITS: &str = "memory=2Gi";

/// The flags of `kspark tenant create`, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRequest {
    pub namespace: String,
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub service_account: String,
    pub quota: Option<String>,
    pub default_requests: String,
    pub default_limits: String,
    /// `--workload-identity CLIENT_ID`: annotate the driver's service account.
    pub workload_identity: Option<String>,
    /// `--tenant-id TENANT_ID` (with `--workload-identity`).
    pub tenant_id: Option<String>,
}

/// Azure workload identity for the driver's service account: the webhook
/// reads these annotations (see [`crate::workload_identity`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureIdentity {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSpec {
    pub namespace: String,
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub service_account: String,
    /// ResourceQuota `spec.hard`; empty: no ResourceQuota.
    #[serde(default)]
    pub quota: BTreeMap<String, String>,
    #[serde(default)]
    pub default_requests: BTreeMap<String, String>,
    #[serde(default)]
    pub default_limits: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_identity: Option<AzureIdentity>,
}

impl TenantRequest {
    pub fn resolve(&self) -> Result<TenantSpec, TenantError> {
        check_namespace(&self.namespace)?;
        if !is_dns_subdomain(&self.service_account) {
            return Err(TenantError::BadServiceAccount(self.service_account.clone()));
        }
        let users = subjects(&self.users, "--user")?;
        let groups = subjects(&self.groups, "--group")?;
        if users.is_empty() && groups.is_empty() {
            return Err(TenantError::NoSubjects);
        }
        let default_requests = parse_defaults(&self.default_requests, "--default-requests")?;
        let default_limits = parse_defaults(&self.default_limits, "--default-limits")?;
        requests_within_limits(&default_requests, &default_limits)?;
        Ok(TenantSpec {
            namespace: self.namespace.clone(),
            users,
            groups,
            service_account: self.service_account.clone(),
            quota: self.quota.as_deref().map(parse_quota).transpose()?.unwrap_or_default(),
            default_requests,
            default_limits,
            workload_identity: self.azure_identity()?,
        })
    }

    fn azure_identity(&self) -> Result<Option<AzureIdentity>, TenantError> {
        let Some(client_id) = self.workload_identity.as_deref().map(str::trim) else {
            return match &self.tenant_id {
                Some(_) => Err(TenantError::TenantWithoutIdentity),
                None => Ok(None),
            };
        };
        let checked = |flag: &'static str, value: &str| {
            if is_guid(value) {
                Ok(value.to_ascii_lowercase())
            } else {
                Err(TenantError::NotGuid { flag, value: value.to_string() })
            }
        };
        Ok(Some(AzureIdentity {
            client_id: checked("--workload-identity", client_id)?,
            tenant_id: self.tenant_id.as_deref().map(|t| checked("--tenant-id", t.trim())).transpose()?,
        }))
    }
}

/// Entra IDs (client and tenant) are GUIDs: 8-4-4-4-12 hex digits.
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

impl TenantSpec {
    /// What the admin should know about how these settings treat Spark's
    /// pods, printed by `create`.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(cpu) = self.default_limits.get("cpu") {
            notes.push(format!(
                "containers without a CPU limit get {cpu} (--default-limits): Spark sets none, so drivers and \
                 executors asking for more than {cpu} cores are refused unless they set \
                 spark.kubernetes.driver.limit.cores / spark.kubernetes.executor.limit.cores"
            ));
        } else if self.quota.contains_key("limits.cpu") {
            notes.push(
                "the quota caps limits.cpu, which refuses pods without a CPU limit: `kspark submit` sets \
                 spark.kubernetes.{driver,executor}.limit.cores to the cores requested unless given; \
                 spark-submit users must set them"
                    .into(),
            );
        }
        if let Some(identity) = &self.workload_identity {
            notes.push(format!(
                "service account {sa} is annotated for Azure workload identity (client id {id}): kspark submit \
                 labels its pods for Azure's webhook and sets hadoop-azure's WorkloadIdentityTokenProvider \
                 (Spark 4.0+); `kspark doctor` prints the `az identity federated-credential create` command \
                 Azure needs",
                sa = self.service_account,
                id = identity.client_id
            ));
        }
        notes
    }
}

fn check_namespace(name: &str) -> Result<(), TenantError> {
    if !is_dns_label(name) {
        return Err(TenantError::BadNamespace(name.to_string()));
    }
    if matches!(name, "kube-system" | "kube-public" | "kube-node-lease") {
        return Err(TenantError::SystemNamespace(name.to_string()));
    }
    Ok(())
}

/// Users and groups are whatever the API server calls them (on AKS, Entra
/// object IDs), so anything goes except empty names; pasted whitespace is
/// trimmed and repeats are dropped.
fn subjects(names: &[String], flag: &'static str) -> Result<Vec<String>, TenantError> {
    let mut out: Vec<String> = Vec::new();
    for name in names.iter().map(|n| n.trim()) {
        if name.is_empty() {
            return Err(TenantError::EmptySubject(flag));
        }
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

/// The API server rejects a LimitRange whose default request is above its
/// default limit; say so before the namespace exists.
fn requests_within_limits(
    requests: &BTreeMap<String, String>,
    limits: &BTreeMap<String, String>,
) -> Result<(), TenantError> {
    for (key, request) in requests {
        let Some(limit) = limits.get(key) else { continue };
        if to_milli(request) > to_milli(limit) {
            return Err(TenantError::RequestAboveLimit {
                key: key.clone(),
                request: request.clone(),
                limit: limit.clone(),
            });
        }
    }
    Ok(())
}

fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> TenantRequest {
        TenantRequest {
            namespace: "team-a".into(),
            users: vec!["alice".into()],
            groups: vec![],
            service_account: DEFAULT_SERVICE_ACCOUNT.into(),
            quota: None,
            default_requests: DEFAULT_REQUESTS.into(),
            default_limits: DEFAULT_LIMITS.into(),
            workload_identity: None,
            tenant_id: None,
        }
    }

    #[test]
    fn workload_identity_takes_guids() {
        let client = "0D6C1F2E-AAAA-BBBB-CCCC-123456789ABC";
        let mut r = request();
        r.tenant_id = Some("72f988bf-86f1-41af-91ab-2d7cd011db47".into());
        assert_eq!(r.resolve(), Err(TenantError::TenantWithoutIdentity));
        r.workload_identity = Some(format!(" {client} "));
        let identity = r.resolve().ok().and_then(|s| s.workload_identity);
        assert_eq!(identity.as_ref().map(|i| i.client_id.as_str()), Some("0d6c1f2e-aaaa-bbbb-cccc-123456789abc"));
        assert_eq!(identity.and_then(|i| i.tenant_id).as_deref(), Some("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        r.workload_identity = Some("my-identity".into());
        assert!(matches!(r.resolve(), Err(TenantError::NotGuid { flag: "--workload-identity", .. })));
        r.workload_identity = Some(client.into());
        r.tenant_id = Some("contoso.onmicrosoft.com".into());
        assert!(matches!(r.resolve(), Err(TenantError::NotGuid { flag: "--tenant-id", .. })));
    }

    #[test]
    fn defaults_resolve() {
        let spec = request().resolve();
        let spec = spec.as_ref().map(|s| (s.quota.len(), s.default_requests.len(), s.default_limits.len()));
        assert_eq!(spec, Ok((0, 2, 1)));
    }

    #[test]
    fn subjects_are_trimmed_and_deduplicated() {
        let mut r = request();
        r.users =
            vec!["0d6c1f2e-aaaa-bbbb-cccc-123456789abc\r\n".into(), "0d6c1f2e-aaaa-bbbb-cccc-123456789abc".into()];
        r.groups = vec!["Spark Users".into()];
        let spec = r.resolve().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.users, ["0d6c1f2e-aaaa-bbbb-cccc-123456789abc"]);
        assert_eq!(spec.groups, ["Spark Users"]);
        r.users = vec![" ".into()];
        assert_eq!(r.resolve(), Err(TenantError::EmptySubject("--user")));
        r.users.clear();
        r.groups.clear();
        assert_eq!(r.resolve(), Err(TenantError::NoSubjects));
    }

    #[test]
    fn names_are_checked() {
        for bad in ["Team", "team_a", "-a", "a-", "", &"a".repeat(64)] {
            let mut r = request();
            r.namespace = bad.to_string();
            assert_eq!(r.resolve(), Err(TenantError::BadNamespace(bad.to_string())));
        }
        let mut r = request();
        r.namespace = "kube-system".into();
        assert!(matches!(r.resolve(), Err(TenantError::SystemNamespace(_))));
        let mut r = request();
        r.service_account = "spark.driver".into();
        assert!(r.resolve().is_ok());
        r.service_account = "Spark".into();
        assert!(matches!(r.resolve(), Err(TenantError::BadServiceAccount(_))));
    }

    #[test]
    fn notes_say_how_cpu_limits_treat_spark_pods() {
        let spec = request().resolve().unwrap_or_else(|e| panic!("{e}"));
        assert!(!spec.default_limits.contains_key("cpu"), "no default CPU limit by default");
        assert!(spec.notes().is_empty(), "{:?}", spec.notes());
        let mut r = request();
        r.quota = Some("limits.cpu=8".into());
        let notes = r.resolve().map(|s| s.notes()).unwrap_or_default();
        assert!(notes.len() == 1 && notes[0].contains("`kspark submit` sets"), "{notes:?}");
        r.default_limits = "cpu=1".into();
        let notes = r.resolve().map(|s| s.notes()).unwrap_or_default();
        assert!(notes.len() == 1 && notes[0].contains("more than 1 cores"), "{notes:?}");
    }

    #[test]
    fn a_default_request_above_its_limit_is_refused() {
        let mut r = request();
        r.default_requests = "cpu=2".into();
        assert!(r.resolve().is_ok(), "no default CPU limit to be above");
        r.default_limits = "cpu=1,memory=2Gi".into();
        assert!(matches!(r.resolve(), Err(TenantError::RequestAboveLimit { key, .. }) if key == "cpu"));
        r.default_requests = "cpu=1000m".into();
        assert!(r.resolve().is_ok());
    }

    #[test]
    fn the_spec_round_trips_through_its_annotation() {
        let mut r = request();
        r.quota = Some("pods=5,limits.memory=32Gi".into());
        let spec = r.resolve().unwrap_or_else(|e| panic!("{e}"));
        let text = serde_json::to_string(&spec).unwrap_or_default();
        assert_eq!(serde_json::from_str::<TenantSpec>(&text).ok(), Some(spec));
    }
}
