//! The two Roles of a tenant. Each rule names the calls that need it; there
//! are no wildcards and nothing "just in case": what is not listed here is
//! refused, and `kspark doctor` says which verb is missing if Spark ever
//! needs more.

use k8s_openapi::api::rbac::v1::PolicyRule;

/// kubeflow's API group, whose SparkApplications kspark's operator runs.
const SPARK_OPERATOR_GROUP: &str = "sparkoperator.k8s.io";

fn rule(group: &str, resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(resources.iter().map(|r| r.to_string()).collect()),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    }
}

/// What Spark's driver does to run executors (spark-k8s-submission.md §6.6):
/// create, watch, label (patch: inactive and decommission labels) and delete
/// executor pods, delete them by label at the end; create the executor
/// ConfigMap and delete it by label; delete the Services by label at stop;
/// create, list (reuse) and delete by label the OnDemand executor PVCs,
/// which Spark 4 does by default. The statefulset allocator (`apps`
/// statefulsets) is left out: it is opt-in, and its users must add it.
pub fn driver_rules() -> Vec<PolicyRule> {
    vec![
        rule("", &["pods"], &["create", "get", "list", "watch", "patch", "delete", "deletecollection"]),
        rule("", &["configmaps"], &["create", "deletecollection"]),
        rule("", &["services"], &["deletecollection"]),
        rule("", &["persistentvolumeclaims"], &["create", "list", "deletecollection"]),
    ]
}

/// What `kspark submit` (and `spark-submit`), `list`, `status`, `wait`,
/// `logs`, `events`, `kill` and `doctor` do in the namespace:
///
/// * the driver pod is created, read, watched, listed (globs, `list`) and
///   deleted (`kill`, and the rollback of a failed submission);
/// * `kspark ui` reads the driver's Spark UI through the API server's pod
///   proxy: GET only, so the UI's kill buttons (POSTs) stay out of reach;
/// * the driver's companions are server-side applied, i.e. PATCHed, and an
///   apply that creates also needs `create`; NetworkPolicies since Spark 4.2;
/// * Secrets: create and patch only, for the driver-credentials Secret Spark
///   creates with `spark.kubernetes.authenticate.driver.*` or Kerberos.
///   Never get, list or watch: a submitter must not read the credentials of
///   the other people who share the namespace;
/// * `doctor` reads quotas, limit ranges, service accounts and the Roles and
///   bindings, and asks what the driver's account may do with
///   LocalSubjectAccessReviews;
/// * `kspark connect`: SparkConnects as SparkApplications, and a port
///   forward to the server pod;
/// * the operator path: a user applies, reads, watches and deletes
///   SparkApplications and ScheduledSparkApplications (`kubectl apply` reads,
///   creates and patches) and reads their status; the operator, not the
///   user, creates the pods.
pub fn submitter_rules() -> Vec<PolicyRule> {
    vec![
        rule("", &["pods"], &["create", "get", "list", "watch", "delete"]),
        rule("", &["pods/log"], &["get"]),
        rule("", &["pods/proxy"], &["get"]),
        rule("", &["services", "configmaps", "persistentvolumeclaims"], &["create", "patch"]),
        rule("", &["secrets"], &["create", "patch"]),
        rule("networking.k8s.io", &["networkpolicies"], &["create", "patch"]),
        rule("", &["events"], &["list", "watch"]),
        rule("", &["resourcequotas", "limitranges", "serviceaccounts"], &["get", "list"]),
        rule("rbac.authorization.k8s.io", &["roles", "rolebindings"], &["get", "list"]),
        rule("authorization.k8s.io", &["localsubjectaccessreviews"], &["create"]),
        rule(
            SPARK_OPERATOR_GROUP,
            &["sparkapplications", "scheduledsparkapplications"],
            &["create", "get", "list", "watch", "patch", "delete"],
        ),
        rule(SPARK_OPERATOR_GROUP, &["sparkapplications/status", "scheduledsparkapplications/status"], &["get"]),
        rule(SPARK_OPERATOR_GROUP, &["sparkconnects"], &["create", "get", "list", "watch", "patch", "delete"]),
        rule(SPARK_OPERATOR_GROUP, &["sparkconnects/status"], &["get"]),
        // `kspark connect` forwards a local port to the Spark Connect server
        // (websocket upgrades are authorised as get before 1.35, create after).
        rule("", &["pods/portforward"], &["get", "create"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (group, resource, verb) a list of rules grants.
    fn grants(rules: &[PolicyRule]) -> Vec<String> {
        let mut out = Vec::new();
        for r in rules {
            for g in r.api_groups.iter().flatten() {
                for res in r.resources.iter().flatten() {
                    out.extend(r.verbs.iter().map(|v| format!("{g}/{res} {v}")));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn no_wildcards_and_nothing_but_named_resources() {
        for r in driver_rules().iter().chain(submitter_rules().iter()) {
            let words = r.verbs.iter().chain(r.resources.iter().flatten()).chain(r.api_groups.iter().flatten());
            assert!(!words.into_iter().any(|w| w.contains('*')), "{r:?}");
            assert!(r.resource_names.is_none() && r.non_resource_urls.is_none(), "{r:?}");
        }
    }

    #[test]
    fn the_driver_gets_exactly_what_spark_uses() {
        let want = [
            "/configmaps create",
            "/configmaps deletecollection",
            "/persistentvolumeclaims create",
            "/persistentvolumeclaims deletecollection",
            "/persistentvolumeclaims list",
            "/pods create",
            "/pods delete",
            "/pods deletecollection",
            "/pods get",
            "/pods list",
            "/pods patch",
            "/pods watch",
            "/services deletecollection",
        ];
        assert_eq!(grants(&driver_rules()), want);
    }

    #[test]
    fn submitters_may_write_but_never_read_secrets() {
        let secrets: Vec<String> =
            grants(&submitter_rules()).into_iter().filter(|g| g.starts_with("/secrets ")).collect();
        assert_eq!(secrets, ["/secrets create", "/secrets patch"]);
    }

    #[test]
    fn submitters_cannot_change_rbac_or_use_other_accounts() {
        let all = grants(&submitter_rules());
        let rbac: Vec<&String> = all.iter().filter(|g| g.starts_with("rbac.")).collect();
        assert!(rbac.iter().all(|g| g.ends_with(" get") || g.ends_with(" list")), "{rbac:?}");
        assert!(!all.iter().any(|g| g.contains("serviceaccounts/token") || g.contains("impersonate")));
        assert!(!all.iter().any(|g| g.contains("pods/exec") || g.contains("pods/attach")));
    }

    #[test]
    fn submitters_may_run_applications_and_connect_servers_through_the_operator_but_not_change_their_status() {
        let all = grants(&submitter_rules());
        for verb in ["create", "get", "list", "watch", "patch", "delete"] {
            assert!(all.contains(&format!("sparkoperator.k8s.io/sparkapplications {verb}")), "{verb}");
            assert!(all.contains(&format!("sparkoperator.k8s.io/scheduledsparkapplications {verb}")), "{verb}");
            assert!(all.contains(&format!("sparkoperator.k8s.io/sparkconnects {verb}")), "{verb}");
        }
        let status: Vec<&String> = all.iter().filter(|g| g.contains("/status")).collect();
        assert_eq!(
            status,
            [
                "sparkoperator.k8s.io/scheduledsparkapplications/status get",
                "sparkoperator.k8s.io/sparkapplications/status get",
                "sparkoperator.k8s.io/sparkconnects/status get"
            ]
        );
    }
}
