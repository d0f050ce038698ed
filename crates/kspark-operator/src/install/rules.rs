//! What the operator may do, and why each rule is there.

use k8s_openapi::api::rbac::v1::PolicyRule;

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    PolicyRule {
        api_groups: Some(strings(groups)),
        resources: Some(strings(resources)),
        verbs: strings(verbs),
        ..Default::default()
    }
}

/// In a ClusterRole when the operator watches all or several namespaces
/// (the watches of several namespaces are one cluster watch, filtered by the
/// operator); in a Role of the watched namespace when it watches one.
pub fn operator_rules() -> Vec<PolicyRule> {
    vec![
        // Follow applications, delete expired ones (TTL), write their status.
        rule(
            &["sparkoperator.k8s.io"],
            &["sparkapplications", "scheduledsparkapplications"],
            &["get", "list", "watch", "delete"],
        ),
        rule(
            &["sparkoperator.k8s.io"],
            &["sparkapplications/status", "scheduledsparkapplications/status"],
            &["get", "update", "patch"],
        ),
        // ScheduledSparkApplications start their runs as SparkApplications.
        rule(&["sparkoperator.k8s.io"], &["sparkapplications"], &["create"]),
        // Driver pods carry an owner reference with blockOwnerDeletion to
        // their application, and runs to their schedule, which needs this
        // where OwnerReferencesPermissionEnforcement is on.
        rule(
            &["sparkoperator.k8s.io"],
            &["sparkapplications/finalizers", "scheduledsparkapplications/finalizers"],
            &["update"],
        ),
        // Create drivers, follow drivers and executors, delete drivers on rerun/suspend.
        rule(&[""], &["pods"], &["get", "list", "watch", "create", "delete"]),
        // --archive-logs: the logs of finished drivers (and executors).
        rule(&[""], &["pods/log"], &["get"]),
        // Spark's objects beside the driver, server-side applied as Spark
        // does, and the Prometheus ConfigMap of monitored applications.
        rule(&[""], &["services", "configmaps", "persistentvolumeclaims"], &["get", "create", "patch"]),
        // SparkConnect: follow them and write their status; their server's
        // ConfigMap (kept up to date) and Service, watched by label so that
        // one deleted by hand is made again.
        rule(&["sparkoperator.k8s.io"], &["sparkconnects"], &["get", "list", "watch"]),
        rule(&["sparkoperator.k8s.io"], &["sparkconnects/status"], &["get", "update", "patch"]),
        rule(&["sparkoperator.k8s.io"], &["sparkconnects/finalizers"], &["update"]),
        rule(&[""], &["services", "configmaps"], &["list", "watch", "update"]),
        // Spark 4.2+ fences its executors with a NetworkPolicy; the UI's
        // Ingress (--ingress-url-format, spec.driverIngressOptions).
        rule(&["networking.k8s.io"], &["networkpolicies", "ingresses"], &["get", "create", "patch"]),
        // The UI's HTTPRoute instead of an Ingress (--gateway).
        rule(&["gateway.networking.k8s.io"], &["httproutes"], &["get", "create", "patch"]),
        // The preflight's facts, kept from watches.
        rule(&[""], &["resourcequotas", "limitranges", "serviceaccounts"], &["list", "watch"]),
        rule(&["events.k8s.io"], &["events"], &["create", "patch"]),
        // spec.batchScheduler volcano: the application's PodGroup, created
        // before the driver, its minMember set back, deleted when it ends.
        rule(&["scheduling.volcano.sh"], &["podgroups"], &["get", "create", "patch", "delete"]),
        // spec.batchScheduler kube-scheduler: scheduler-plugins' PodGroup, the same way.
        rule(&["scheduling.x-k8s.io"], &["podgroups"], &["get", "create", "patch", "delete"]),
        // --enable-driver-pdb: the drivers' PodDisruptionBudgets, kept in a
        // watch cache, server-side applied (creating one by an apply needs
        // create besides patch), deleted when their runs end.
        rule(&["policy"], &["poddisruptionbudgets"], &["create", "list", "watch", "patch", "delete"]),
    ]
}

/// With --namespace-selector, in the ClusterRole: the namespaces' labels,
/// from a watch of all namespaces (and asked for one not seen yet).
pub fn namespace_rules() -> Vec<PolicyRule> {
    vec![rule(&[""], &["namespaces"], &["get", "list", "watch"])]
}

/// In the operator's namespace only: its leader lease.
pub fn lease_rules() -> Vec<PolicyRule> {
    vec![rule(&["coordination.k8s.io"], &["leases"], &["get", "create", "update", "patch"])]
}
