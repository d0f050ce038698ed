//! The two Roles of a tenant, exactly what Spark needs, no wildcards.

use k8s_openapi::api::rbac::v1::PolicyRule;

fn rule(group: &str, resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(resources.iter().map(|r| r.to_string()).collect()),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    }
}

/// What Spark's driver does with executors (reference §6.6): create, watch,
/// label (patch) and delete executor pods, one ConfigMap for them, PVCs it
/// creates and reuses, and the collection deletes at the end.
pub fn driver_rules() -> Vec<PolicyRule> {
    vec![
        rule("", &["pods"], &["create", "get", "list", "watch", "patch", "delete", "deletecollection"]),
        rule("", &["configmaps"], &["create", "get", "deletecollection"]),
        rule("", &["services"], &["get", "deletecollection"]),
        rule("", &["persistentvolumeclaims"], &["create", "get", "list", "delete", "deletecollection"]),
    ]
}

/// What `kspark submit` (and spark-submit) need, plus `list`, `status`,
/// `logs`, `events`, `kill` and the reads `kspark doctor` makes. Secrets:
/// create/patch only, for Spark's driver-credentials Secret — a submitter
/// never reads other people's secrets.
pub fn submitter_rules() -> Vec<PolicyRule> {
    vec![
        rule("", &["pods"], &["create", "get", "list", "watch", "delete"]),
        rule("", &["pods/log"], &["get"]),
        rule("", &["services", "configmaps", "persistentvolumeclaims"], &["create", "patch", "get", "delete"]),
        rule("", &["secrets"], &["create", "patch"]),
        rule("networking.k8s.io", &["networkpolicies"], &["create", "patch", "get"]),
        rule("", &["events"], &["get", "list", "watch"]),
        rule("", &["resourcequotas", "limitranges"], &["get", "list"]),
        rule("", &["serviceaccounts"], &["get"]),
        rule("authorization.k8s.io", &["localsubjectaccessreviews"], &["create"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_wildcards() {
        for r in driver_rules().iter().chain(submitter_rules().iter()) {
            assert!(!r.verbs.iter().any(|v| v.contains('*')));
            assert!(!r.resources.iter().flatten().any(|v| v.contains('*')));
        }
    }

    #[test]
    fn submitters_cannot_read_secrets() {
        let reads = submitter_rules()
            .into_iter()
            .filter(|r| r.resources.iter().flatten().any(|x| x == "secrets"))
            .flat_map(|r| r.verbs)
            .filter(|v| v == "get" || v == "list" || v == "watch")
            .count();
        assert_eq!(reads, 0);
    }
}
