//! `kspark tenant create | show | delete` against a real control plane
//! (see kspark-testcluster): idempotent, repairing, and exactly
//! least-privilege: a user kspark binds can submit, list, log and kill in
//! the tenant and nothing else, and the driver's account can do exactly
//! what its Role says. One control plane serves the whole test binary;
//! every test works in namespaces of its own.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use crate::{admin, cluster, text};
use k8s_openapi::api::authorization::v1::{ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec};
use k8s_openapi::api::core::v1::{ConfigMap, LimitRange, Namespace, Pod, ResourceQuota, ServiceAccount};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding};
use kspark_manifests::tenant::{driver_rules, submitter_rules};
use kspark_testcluster::{TestUser, block_on, eventually};
use kube::api::{ListParams, ObjectMeta, PostParams};
use kube::{Api, Client, Resource};

/// A fresh namespace name for one test.
fn unique(prefix: &str) -> String {
    kspark_testcluster::unique_name(prefix)
}

/// `kspark ARGS` with `user`'s kubeconfig (none: no cluster at all).
fn kspark_as(user: Option<TestUser>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kspark"));
    cmd.args(args).env_remove("KUBECONFIG").env("HOME", std::env::temp_dir());
    if let Some(user) = user {
        cmd.env("KUBECONFIG", cluster().kubeconfig(user));
    }
    cmd.output().unwrap_or_else(|e| panic!("cannot run kspark: {e}"))
}

fn tenant(args: &[&str]) -> Output {
    kspark_as(Some(TestUser::Admin), &[&["tenant"], args].concat())
}

/// `kspark tenant create NS EXTRA…` as admin, which must succeed.
fn create(ns: &str, extra: &[&str]) -> Output {
    let out = tenant(&[&["create", ns], extra].concat());
    assert!(out.status.success(), "tenant create {ns} {extra:?}: {}", text(&out));
    out
}

fn master() -> String {
    format!("k8s://{}", cluster().server_url())
}

/// `kspark submit` arguments for a tiny Java app in `ns` whose driver the
/// fake node plays as `outcome` says.
fn app(ns: &str, outcome: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec!["submit".into(), "--master".into(), master()];
    for conf in [
        "spark.kubernetes.container.image=apache/spark:4.0.5".to_string(),
        format!("spark.kubernetes.namespace={ns}"),
        "spark.kubernetes.authenticate.driver.serviceAccountName=spark".into(),
        format!("spark.kubernetes.driver.annotation.kspark.test/outcome={outcome}"),
        "spark.kubernetes.driver.annotation.kspark.test/run-millis=300".into(),
    ] {
        args.extend(["--conf".to_string(), conf]);
    }
    args.extend(["--deploy-mode", "cluster", "--name", "itest", "--class", "org.example.Main"].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("local:///opt/app/app.jar".into());
    args
}

fn submit(user: TestUser, ns: &str, outcome: &str, extra: &[&str]) -> Output {
    let args = app(ns, outcome, extra);
    kspark_as(Some(user), &args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `kspark doctor` with the arguments `submit` would get.
fn doctor(user: TestUser, ns: &str, extra: &[&str]) -> Output {
    let mut args = app(ns, "succeed", extra);
    args[0] = "doctor".into();
    kspark_as(Some(user), &args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn namespaced<K>(ns: &str) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    Api::namespaced(admin(), ns)
}

fn get<K>(api: &Api<K>, name: &str) -> Option<K>
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    block_on(api.get_opt(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

fn namespace(ns: &str) -> Option<Namespace> {
    get(&Api::<Namespace>::all(admin()), ns)
}

/// `Kind/name` → resourceVersion of the namespace and every object in it
/// that kspark manages.
fn resource_versions(ns: &str) -> BTreeMap<String, String> {
    fn collect<K>(out: &mut BTreeMap<String, String>, api: Api<K>)
    where
        K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        let list = block_on(api.list(&ListParams::default().labels("app.kubernetes.io/managed-by=kspark")));
        for item in list.unwrap_or_else(|e| panic!("list: {e}")).items {
            let meta = item.meta();
            let key = format!("{}/{}", K::kind(&()), meta.name.clone().unwrap_or_default());
            out.insert(key, meta.resource_version.clone().unwrap_or_default());
        }
    }
    let mut out = BTreeMap::new();
    let ns_rv = namespace(ns).and_then(|n| n.metadata.resource_version).unwrap_or_default();
    out.insert(format!("Namespace/{ns}"), ns_rv);
    collect(&mut out, namespaced::<ServiceAccount>(ns));
    collect(&mut out, namespaced::<Role>(ns));
    collect(&mut out, namespaced::<RoleBinding>(ns));
    collect(&mut out, namespaced::<ResourceQuota>(ns));
    collect(&mut out, namespaced::<LimitRange>(ns));
    out
}

/// The quota controller writes status once; wait for it, so that it does
/// not count as a change.
fn wait_for_quota_status(ns: &str) {
    let api = namespaced::<ResourceQuota>(ns);
    eventually(30, "the quota controller", || {
        get(&api, "kspark-quota").and_then(|q| q.status).and_then(|s| s.hard).is_some()
    });
}

#[test]
fn create_is_idempotent_and_show_reports_what_drifted_until_create_repairs_it() {
    let ns = unique("tn-idem");
    let flags = ["--user", "alice", "--quota", "pods=10,requests.memory=32Gi"];
    let first = create(&ns, &flags);
    assert_eq!(text(&first).matches("kspark: created").count(), 8, "{}", text(&first));
    let show = tenant(&["show", &ns]);
    assert!(show.status.success(), "{}", text(&show));
    assert_eq!(text(&show).lines().filter(|l| l.starts_with("ok ")).count(), 8, "{}", text(&show));

    wait_for_quota_status(&ns);
    let before = resource_versions(&ns);
    assert_eq!(before.len(), 8, "{before:?}");
    let again = create(&ns, &flags);
    assert_eq!(text(&again).matches("kspark: unchanged").count(), 8, "{}", text(&again));
    assert_eq!(resource_versions(&ns), before, "a second create must change nothing");

    // An admin widens the submitter Role by hand and deletes the defaults.
    let roles = namespaced::<Role>(&ns);
    let mut role = get(&roles, "kspark-spark-submitter").unwrap_or_else(|| panic!("no submitter Role"));
    role.rules.get_or_insert_with(Vec::new)[0].verbs.push("update".into());
    block_on(roles.replace("kspark-spark-submitter", &PostParams::default(), &role)).unwrap_or_else(|e| panic!("{e}"));
    block_on(namespaced::<LimitRange>(&ns).delete("kspark-defaults", &Default::default()))
        .unwrap_or_else(|e| panic!("{e}"));
    let drift = tenant(&["show", &ns]);
    assert_eq!(drift.status.code(), Some(1), "{}", text(&drift));
    let report = text(&drift);
    assert!(report.contains("differs  Role kspark-spark-submitter: rules[0].verbs"), "{report}");
    assert!(report.contains("missing  LimitRange kspark-defaults"), "{report}");
    assert!(report.contains("hint: `kspark tenant create"), "{report}");
    let json = tenant(&["show", &ns, "-o", "json"]);
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_default();
    assert_eq!(parsed["ok"], false, "{parsed}");
    let states: Vec<String> = parsed["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| format!("{} {} {}", o["state"].as_str().unwrap_or(""), o["kind"], o["name"]))
        .collect();
    assert!(states.contains(&"differs \"Role\" \"kspark-spark-submitter\"".to_string()), "{states:?}");

    let repair = create(&ns, &flags);
    assert!(text(&repair).contains("configured Role kspark-spark-submitter"), "{}", text(&repair));
    assert!(text(&repair).contains("created    LimitRange kspark-defaults"), "{}", text(&repair));
    assert!(tenant(&["show", &ns]).status.success(), "create repairs the drift");
    let repaired = get(&roles, "kspark-spark-submitter").and_then(|r| r.rules);
    assert_eq!(repaired, Some(submitter_rules()));
}

#[test]
fn dropping_the_quota_from_the_flags_removes_it() {
    let ns = unique("tn-prune");
    create(&ns, &["--user", "alice", "--quota", "pods=5"]);
    let out = create(&ns, &["--user", "alice"]);
    assert!(text(&out).contains("deleted    ResourceQuota kspark-quota"), "{}", text(&out));
    assert!(get(&namespaced::<ResourceQuota>(&ns), "kspark-quota").is_none());
    let show = tenant(&["show", &ns]);
    assert!(show.status.success(), "{}", text(&show));
    assert!(!text(&show).contains("ResourceQuota"), "{}", text(&show));
}

#[test]
fn a_user_bound_by_kspark_can_submit_list_status_and_kill_and_no_more() {
    let ns = unique("tn-alice");
    let other = unique("tn-bob");
    create(&ns, &["--user", "alice"]);
    create(&other, &["--user", "bob"]);
    let out = submit(TestUser::Alice, &ns, "succeed", &[]);
    assert!(out.status.success(), "{}", text(&out));
    let out = submit(TestUser::Alice, &ns, "run-forever", &["--no-wait"]);
    assert!(out.status.success(), "{}", text(&out));
    eventually(30, "the driver to run", || {
        text(&kspark_as(Some(TestUser::Alice), &["list", "-n", &ns])).contains("Running")
    });
    let id = format!("{ns}:itest*");
    let status = kspark_as(Some(TestUser::Alice), &["status", &id]);
    assert!(status.status.success(), "{}", text(&status));
    let kill = kspark_as(Some(TestUser::Alice), &["kill", "--yes", &id]);
    assert!(kill.status.success(), "{}", text(&kill));
    let pods = namespaced::<Pod>(&ns);
    eventually(30, "the killed driver to go", || {
        block_on(pods.list(&ListParams::default())).is_ok_and(|l| {
            l.items.iter().all(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Succeeded"))
        })
    });
    // The fake node serves no logs for this app; ask the API server instead.
    assert!(self_review(TestUser::Alice, "get", "", "pods", "log", &ns), "alice may read driver logs");
    assert!(self_review(TestUser::Alice, "list", "", "events", "", &ns), "alice may list events");
    for verb in ["get", "list", "watch"] {
        assert!(!self_review(TestUser::Alice, verb, "", "secrets", "", &ns), "alice must not {verb} secrets");
    }
    assert!(!self_review(TestUser::Alice, "create", "", "pods", "", &other), "other namespaces are off limits");
    let out = submit(TestUser::Alice, &other, "succeed", &[]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&other), "{}", text(&out));
}

#[test]
fn a_group_bound_by_kspark_lets_its_members_submit() {
    let ns = unique("tn-group");
    create(&ns, &["--group", "spark-users"]);
    let out = submit(TestUser::Carol, &ns, "succeed", &[]);
    assert!(out.status.success(), "carol is in spark-users: {}", text(&out));
    let out = submit(TestUser::Bob, &ns, "succeed", &["--skip-preflight"]);
    assert!(!out.status.success() && text(&out).contains("User \"bob\""), "bob is not: {}", text(&out));
}

/// Whether `user` may `verb` `group`/`resource`[/`subresource`] in `ns`, as
/// that user sees it (a SelfSubjectAccessReview).
fn self_review(user: TestUser, verb: &str, group: &str, resource: &str, subresource: &str, ns: &str) -> bool {
    use k8s_openapi::api::authorization::v1::{SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
    let client = block_on(cluster().client(user)).unwrap_or_else(|e| panic!("{e}"));
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(attributes(verb, group, resource, subresource, ns)),
            ..Default::default()
        },
        ..Default::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client);
    let answer = block_on(api.create(&PostParams::default(), &review)).unwrap_or_else(|e| panic!("{e}"));
    answer.status.is_some_and(|s| s.allowed)
}

fn attributes(verb: &str, group: &str, resource: &str, subresource: &str, ns: &str) -> ResourceAttributes {
    ResourceAttributes {
        namespace: Some(ns.into()),
        verb: Some(verb.into()),
        group: Some(group.into()),
        resource: Some(resource.into()),
        subresource: (!subresource.is_empty()).then(|| subresource.to_string()),
        ..Default::default()
    }
}

/// Namespaced (group, resource, subresource) worth asking about: all that
/// Spark and kspark touch, and the dangerous neighbours.
const RESOURCES: [(&str, &str, &str); 23] = [
    ("", "pods", ""),
    ("", "pods", "log"),
    ("", "pods", "proxy"),
    ("", "pods", "exec"),
    ("", "pods", "status"),
    ("", "services", ""),
    ("", "configmaps", ""),
    ("", "secrets", ""),
    ("", "persistentvolumeclaims", ""),
    ("", "events", ""),
    ("", "serviceaccounts", ""),
    ("", "serviceaccounts", "token"),
    ("", "resourcequotas", ""),
    ("", "limitranges", ""),
    ("networking.k8s.io", "networkpolicies", ""),
    ("rbac.authorization.k8s.io", "roles", ""),
    ("rbac.authorization.k8s.io", "rolebindings", ""),
    ("apps", "statefulsets", ""),
    ("batch", "jobs", ""),
    ("authorization.k8s.io", "localsubjectaccessreviews", ""),
    ("sparkoperator.k8s.io", "sparkapplications", ""),
    ("sparkoperator.k8s.io", "sparkapplications", "status"),
    ("sparkoperator.k8s.io", "scheduledsparkapplications", ""),
];
const VERBS: [&str; 8] = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];

/// What `rules` grant for one request.
fn granted(rules: &[PolicyRule], verb: &str, group: &str, resource: &str, subresource: &str) -> bool {
    let full = if subresource.is_empty() { resource.to_string() } else { format!("{resource}/{subresource}") };
    rules.iter().any(|r| {
        r.api_groups.iter().flatten().any(|g| g == group)
            && r.resources.iter().flatten().any(|x| *x == full)
            && r.verbs.iter().any(|v| v == verb)
    })
}

/// Every (verb, resource) where the API server's answer for `user` in
/// `groups` differs from what `rules` grant (empty `rules`: nothing).
fn mismatches(user: &str, groups: &[&str], ns: &str, rules: &[PolicyRule]) -> Vec<String> {
    let client = admin();
    let asks: Vec<(&str, (&str, &str, &str))> =
        VERBS.iter().flat_map(|v| RESOURCES.iter().map(move |r| (*v, *r))).collect();
    let answers = block_on(futures::future::join_all(asks.iter().map(|(verb, (group, resource, sub))| {
        let review = SubjectAccessReview {
            spec: SubjectAccessReviewSpec {
                user: Some(user.into()),
                groups: Some(groups.iter().map(|g| g.to_string()).collect()),
                resource_attributes: Some(attributes(verb, group, resource, sub, ns)),
                ..Default::default()
            },
            ..Default::default()
        };
        let api: Api<SubjectAccessReview> = Api::all(client.clone());
        async move { api.create(&PostParams::default(), &review).await }
    })));
    let mut wrong = Vec::new();
    for ((verb, (group, resource, sub)), answer) in asks.iter().zip(answers) {
        let allowed = answer.unwrap_or_else(|e| panic!("review: {e}")).status.is_some_and(|s| s.allowed);
        if allowed != granted(rules, verb, group, resource, sub) {
            wrong.push(format!("{verb} {group}/{resource}/{sub}: cluster says {allowed}"));
        }
    }
    wrong
}

#[test]
fn the_driver_account_and_submitters_have_exactly_their_roles() {
    let ns = unique("tn-exact");
    let other = unique("tn-exact-other");
    create(&ns, &["--user", "alice", "--group", "spark-users"]);
    create(&other, &["--user", "bob"]);
    let driver = format!("system:serviceaccount:{ns}:spark");
    let driver_groups = ["system:serviceaccounts", &format!("system:serviceaccounts:{ns}"), "system:authenticated"];
    assert_eq!(mismatches(&driver, &driver_groups, &ns, &driver_rules()), Vec::<String>::new());
    assert_eq!(mismatches(&driver, &driver_groups, &other, &[]), Vec::<String>::new(), "nothing elsewhere");
    let alice_groups = ["spark-users", "system:authenticated"];
    assert_eq!(mismatches("alice", &alice_groups, &ns, &submitter_rules()), Vec::<String>::new());
    assert_eq!(mismatches("alice", &alice_groups, &other, &[]), Vec::<String>::new(), "nothing elsewhere");
    // The same, spelled out for the rules that matter most.
    assert!(granted(&driver_rules(), "create", "", "pods", "") && !granted(&driver_rules(), "get", "", "secrets", ""));
    assert!(!granted(&driver_rules(), "create", "", "services", ""));
    assert!(!granted(&submitter_rules(), "get", "", "secrets", ""));
    assert!(granted(&submitter_rules(), "get", "", "pods", "log"));
    // The operator path: apply and follow SparkApplications, never write their status.
    assert!(granted(&submitter_rules(), "create", "sparkoperator.k8s.io", "sparkapplications", ""));
    assert!(!granted(&submitter_rules(), "update", "sparkoperator.k8s.io", "sparkapplications", "status"));
    // `kspark ui`: GET through the pod proxy only.
    assert!(granted(&submitter_rules(), "get", "", "pods", "proxy"));
    assert!(!granted(&submitter_rules(), "create", "", "pods", "proxy"));
}

#[test]
fn a_quota_given_is_created_and_enforced_with_container_defaults() {
    let ns = unique("tn-quota");
    create(&ns, &["--user", "alice", "--quota", "pods=1"]);
    wait_for_quota_status(&ns);
    let out = submit(TestUser::Alice, &ns, "run-forever", &["--no-wait", "--skip-preflight"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = submit(TestUser::Alice, &ns, "run-forever", &["--no-wait", "--skip-preflight"]);
    assert!(!out.status.success() && text(&out).contains("exceeded quota"), "the second driver: {}", text(&out));
    // Spark set no CPU limit, and kspark's defaults add none.
    let pods = block_on(namespaced::<Pod>(&ns).list(&ListParams::default())).unwrap_or_else(|e| panic!("{e}"));
    let limits = pods.items[0].spec.as_ref().and_then(|s| s.containers[0].resources.clone()).and_then(|r| r.limits);
    let limits = limits.unwrap_or_default();
    assert!(!limits.contains_key("cpu") && limits.contains_key("memory"), "{limits:?}");
}

#[test]
fn dry_run_prints_every_object_and_needs_no_cluster() {
    let ns = unique("tn-dry");
    let args = ["tenant", "create", &ns, "--user", "alice", "--quota", "pods=1", "--dry-run"];
    let yaml = kspark_as(None, &[&args[..], &["-o", "yaml"]].concat());
    assert!(yaml.status.success(), "{}", text(&yaml));
    let printed = String::from_utf8_lossy(&yaml.stdout);
    for kind in ["Namespace", "ServiceAccount", "Role", "RoleBinding", "ResourceQuota", "LimitRange"] {
        assert!(printed.contains(&format!("kind: {kind}\n")), "{kind}: {printed}");
    }
    assert_eq!(printed.matches(&format!("kspark.io/tenant: {ns}")).count(), 8, "{printed}");
    let json = kspark_as(None, &[&args[..], &["-o", "json"]].concat());
    let list: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_default();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(8), "{}", text(&json));
    assert!(namespace(&ns).is_none(), "--dry-run must create nothing");
}

#[test]
fn bad_quotas_are_refused_naming_the_key_and_nothing_is_created() {
    let ns = unique("tn-bad");
    for (quota, named) in [("foo=1", "`foo`"), ("pods=abc", "pods=abc"), ("pods=1,requests.cpu=4x", "requests.cpu=4x")]
    {
        let out = tenant(&["create", &ns, "--user", "alice", "--quota", quota]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("--quota") && text(&out).contains(named), "{}", text(&out));
    }
    assert!(namespace(&ns).is_none(), "a bad flag must create nothing");
}

#[test]
fn delete_asks_then_removes_the_namespace_kspark_created() {
    let ns = unique("tn-del");
    create(&ns, &["--user", "alice"]);
    let out = submit(TestUser::Alice, &ns, "run-forever", &["--no-wait"]);
    assert!(out.status.success(), "{}", text(&out));
    let refused = tenant(&["delete", &ns]);
    assert_eq!(refused.status.code(), Some(2), "no terminal, no --yes: {}", text(&refused));
    assert!(text(&refused).contains("--yes"), "{}", text(&refused));
    assert!(namespace(&ns).is_some_and(|n| n.metadata.deletion_timestamp.is_none()));
    let out = tenant(&["delete", &ns, "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("deleted Namespace {ns}")), "{}", text(&out));
    eventually(90, "the namespace to go", || namespace(&ns).is_none());
    let again = tenant(&["delete", &ns, "--yes"]);
    assert!(again.status.success() && text(&again).contains("does not exist"), "{}", text(&again));
}

#[test]
fn an_existing_namespace_is_adopted_and_survives_delete() {
    let ns = unique("tn-adopt");
    block_on(cluster().create_namespace(&ns)).unwrap_or_else(|e| panic!("{e}"));
    let account = ServiceAccount {
        metadata: ObjectMeta { name: Some("spark".into()), ..Default::default() },
        ..Default::default()
    };
    block_on(namespaced::<ServiceAccount>(&ns).create(&PostParams::default(), &account))
        .unwrap_or_else(|e| panic!("{e}"));
    let keep =
        ConfigMap { metadata: ObjectMeta { name: Some("keep".into()), ..Default::default() }, ..Default::default() };
    block_on(namespaced::<ConfigMap>(&ns).create(&PostParams::default(), &keep)).unwrap_or_else(|e| panic!("{e}"));

    create(&ns, &["--user", "alice"]);
    let labels = |o: Option<ObjectMeta>| o.and_then(|m| m.labels).unwrap_or_default();
    let ns_labels = labels(namespace(&ns).map(|n| n.metadata));
    assert!(!ns_labels.contains_key("app.kubernetes.io/managed-by"), "not kspark's: {ns_labels:?}");
    assert_eq!(ns_labels.get("kspark.io/tenant"), Some(&ns));
    let sa_labels = labels(get(&namespaced::<ServiceAccount>(&ns), "spark").map(|s| s.metadata));
    assert!(!sa_labels.contains_key("app.kubernetes.io/managed-by"), "{sa_labels:?}");
    let show = tenant(&["show", &ns]);
    assert!(show.status.success(), "{}", text(&show));

    let out = tenant(&["delete", &ns, "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("released Namespace"), "{}", text(&out));
    let left = namespace(&ns).unwrap_or_else(|| panic!("the namespace must stay"));
    assert!(left.metadata.deletion_timestamp.is_none());
    assert!(!labels(Some(left.metadata.clone())).contains_key("kspark.io/tenant"));
    assert!(!left.metadata.annotations.unwrap_or_default().contains_key("kspark.io/tenant-spec"));
    assert!(get(&namespaced::<ConfigMap>(&ns), "keep").is_some());
    let sa = get(&namespaced::<ServiceAccount>(&ns), "spark").unwrap_or_else(|| panic!("the account must stay"));
    assert!(!labels(Some(sa.metadata)).contains_key("kspark.io/tenant"));
    assert!(get(&namespaced::<Role>(&ns), "kspark-spark-submitter").is_none());
    assert!(get(&namespaced::<RoleBinding>(&ns), "kspark-spark-submitter").is_none());
    assert!(get(&namespaced::<LimitRange>(&ns), "kspark-defaults").is_none());
    let show = tenant(&["show", &ns]);
    assert_eq!(show.status.code(), Some(1), "{}", text(&show));
    assert!(text(&show).contains("not set up by `kspark tenant create`"), "{}", text(&show));
}

#[test]
fn an_upgrade_from_the_old_names_and_defaults_leaves_no_stale_binding_or_cpu_limit() {
    let ns = unique("tn-rename");
    // What kspark created before: a default CPU limit of 1, and a binding
    // named unlike its Role.
    let out = create(&ns, &["--user", "alice", "--default-limits", "cpu=1,memory=2Gi"]);
    assert!(text(&out).contains("note: containers without a CPU limit get 1"), "{}", text(&out));
    let old: RoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "kspark-spark-submitters",
                     "labels": {"app.kubernetes.io/managed-by": "kspark", "kspark.io/tenant": ns}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "kspark-spark-submitter"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob"}]
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let bindings = namespaced::<RoleBinding>(&ns);
    block_on(bindings.create(&PostParams::default(), &old)).unwrap_or_else(|e| panic!("{e}"));
    assert!(self_review(TestUser::Bob, "create", "", "pods", "", &ns), "the old binding grants bob");
    let show = tenant(&["show", &ns]);
    assert_eq!(show.status.code(), Some(1), "{}", text(&show));
    assert!(text(&show).contains("extra    RoleBinding kspark-spark-submitters"), "{}", text(&show));

    let out = create(&ns, &["--user", "alice"]);
    assert!(text(&out).contains("deleted    RoleBinding kspark-spark-submitters"), "{}", text(&out));
    assert!(get(&bindings, "kspark-spark-submitters").is_none());
    assert!(!self_review(TestUser::Bob, "create", "", "pods", "", &ns), "no stale grant is left");
    let binding = get(&bindings, "kspark-spark-submitter").unwrap_or_else(|| panic!("no submitter binding"));
    assert_eq!(binding.role_ref.name, "kspark-spark-submitter");
    assert!(self_review(TestUser::Alice, "create", "", "pods", "", &ns));
    assert!(tenant(&["show", &ns]).status.success());
    let range = get(&namespaced::<LimitRange>(&ns), "kspark-defaults").and_then(|r| r.spec);
    let defaults = range.and_then(|s| s.limits.into_iter().next()).and_then(|i| i.default).unwrap_or_default();
    assert!(!defaults.contains_key("cpu") && defaults.contains_key("memory"), "{defaults:?}");
}

/// A client that acts as `ns`'s driver service account (the admin
/// impersonating it), for server-side dry runs of what the driver does.
fn as_driver(ns: &str) -> Client {
    let mut config = block_on(kspark_testcluster::config_from_kubeconfig(&cluster().kubeconfig(TestUser::Admin)))
        .unwrap_or_else(|e| panic!("{e}"));
    config.auth_info.impersonate = Some(format!("system:serviceaccount:{ns}:spark"));
    config.auth_info.impersonate_groups = Some(vec![
        "system:serviceaccounts".into(),
        format!("system:serviceaccounts:{ns}"),
        "system:authenticated".into(),
    ]);
    // The client's worker task needs the shared runtime.
    block_on(async { Client::try_from(config) }).unwrap_or_else(|e| panic!("{e}"))
}

/// The driver pod of the one application in `ns`.
fn driver_pod(ns: &str) -> Pod {
    let pods = block_on(namespaced::<Pod>(ns).list(&ListParams::default().labels("spark-role=driver")));
    let mut pods = pods.unwrap_or_else(|e| panic!("{e}")).items;
    assert_eq!(pods.len(), 1, "one driver in {ns}");
    pods.remove(0)
}

/// What Spark's driver would create for one executor with `cores` cores
/// and the default 1g of memory (+ 384Mi overhead), owned by `driver`, as
/// a server-side dry run by the driver's service account.
fn dry_run_executor(ns: &str, driver: &Pod, cores: u32) -> Result<Pod, kube::Error> {
    let name = driver.metadata.name.clone().unwrap_or_default();
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {
            "name": format!("{name}-exec-1"),
            "labels": {"spark-role": "executor", "spark-exec-id": "1"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": name,
                                 "uid": driver.metadata.uid.clone().unwrap_or_default(), "controller": true}]
        },
        "spec": {
            "restartPolicy": "Never",
            "containers": [{
                "name": "spark-kubernetes-executor",
                "image": "apache/spark:4.0.5",
                "resources": {"requests": {"cpu": cores.to_string(), "memory": "1408Mi"}, "limits": {"memory": "1408Mi"}}
            }]
        }
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let api: Api<Pod> = Api::namespaced(as_driver(ns), ns);
    block_on(api.create(&PostParams { dry_run: true, ..Default::default() }, &pod))
}

fn cpu_limit(pod: &Pod) -> Option<String> {
    let resources = pod.spec.as_ref().and_then(|s| s.containers.last()).and_then(|c| c.resources.clone());
    resources.and_then(|r| r.limits).and_then(|l| l.get("cpu").map(|q| q.0.clone()))
}

#[test]
fn a_default_tenant_admits_a_two_core_driver_and_four_core_executors() {
    let ns = unique("tn-cores");
    create(&ns, &["--user", "alice"]);
    let cores = ["--driver-cores", "2", "--executor-cores", "4"];
    let checked = doctor(TestUser::Alice, &ns, &cores);
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(text(&checked).contains("ok   limit ranges"), "{}", text(&checked));
    let out = submit(TestUser::Alice, &ns, "run-forever", &[&cores[..], &["--no-wait"]].concat());
    assert!(out.status.success(), "{}", text(&out));
    let driver = driver_pod(&ns);
    assert_eq!(cpu_limit(&driver), None, "no CPU limit from kspark's defaults");
    let executor = dry_run_executor(&ns, &driver, 4).unwrap_or_else(|e| panic!("a 4-core executor is refused: {e}"));
    assert_eq!(cpu_limit(&executor), None);
    // An executor pod template's CPU limit stays on Spark's container.
    let template = format!(
        "spark.kubernetes.executor.podTemplateFile={}/tests/fixtures/executor-cpu-limit-template.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let refused = doctor(TestUser::Alice, &ns, &[&cores[..], &["--conf", &template]].concat());
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("the executor container executor would get the cpu limit 1, below its cpu request 4"),
        "{}",
        text(&refused)
    );
}

#[test]
fn an_admins_stricter_limit_range_fails_doctor_and_submit_naming_it() {
    let ns = unique("tn-strict");
    create(&ns, &["--user", "alice"]);
    // What kspark's defaults used to be: containers without a CPU limit get 1.
    let range: LimitRange = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "admin-cpu"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "1"}}]}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    block_on(namespaced::<LimitRange>(&ns).create(&PostParams::default(), &range)).unwrap_or_else(|e| panic!("{e}"));
    let four = ["--executor-cores", "4"];
    let refused = doctor(TestUser::Alice, &ns, &four);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let report = text(&refused);
    assert!(
        report.contains("FAIL limit ranges")
            && report.contains("LimitRange admin-cpu: the executor container spark-kubernetes-executor would get the default cpu limit 1, below its cpu request 4")
            && report.contains("hint: set spark.kubernetes.executor.limit.cores=4 (or more)"),
        "{report}"
    );
    assert!(!report.contains("driver container"), "the 1-core driver fits: {report}");
    let out = submit(TestUser::Alice, &ns, "succeed", &four);
    assert!(!out.status.success() && text(&out).contains("nothing was created"), "{}", text(&out));
    assert!(text(&out).contains("LimitRange admin-cpu"), "{}", text(&out));
    assert!(block_on(namespaced::<Pod>(&ns).list(&ListParams::default())).is_ok_and(|l| l.items.is_empty()));

    // What doctor foresaw is what the API server does with such an executor.
    let out = submit(TestUser::Alice, &ns, "run-forever", &["--no-wait"]);
    assert!(out.status.success(), "a 1-core app fits: {}", text(&out));
    let refused = dry_run_executor(&ns, &driver_pod(&ns), 4).map(drop).map_err(|e| e.to_string());
    assert!(refused.as_ref().is_err_and(|e| e.contains("less than or equal to cpu limit")), "{refused:?}");
    // The setting the hint names makes it pass.
    let fixed = [&four[..], &["--conf", "spark.kubernetes.executor.limit.cores=4"]].concat();
    let passes = doctor(TestUser::Alice, &ns, &fixed);
    assert!(passes.status.success(), "{}", text(&passes));
}

#[test]
fn a_limits_cpu_quota_gets_spark_pods_cpu_limits_equal_to_their_cores() {
    let ns = unique("tn-lcpu");
    let out = create(&ns, &["--user", "alice", "--quota", "pods=4,limits.cpu=12"]);
    assert!(text(&out).contains("note: the quota caps limits.cpu"), "{}", text(&out));
    wait_for_quota_status(&ns);
    let cores = ["--driver-cores", "2", "--executor-cores", "3", "--num-executors", "3"];
    let out = submit(TestUser::Alice, &ns, "run-forever", &[&cores[..], &["--no-wait"]].concat());
    assert!(out.status.success(), "{}", text(&out));
    let log = text(&out);
    assert!(
        log.contains("spark.kubernetes.driver.limit.cores=2")
            && log.contains("spark.kubernetes.executor.limit.cores=3"),
        "{log}"
    );
    let driver = driver_pod(&ns);
    assert_eq!(cpu_limit(&driver).as_deref(), Some("2"));
    // The executors get theirs through the driver's spark.properties.
    let maps = block_on(namespaced::<ConfigMap>(&ns).list(&ListParams::default())).unwrap_or_else(|e| panic!("{e}"));
    let properties: String =
        maps.items.iter().filter_map(|m| m.data.as_ref()?.get("spark.properties").cloned()).collect();
    assert!(properties.contains("spark.kubernetes.executor.limit.cores=3"), "{properties}");
    // Without a CPU limit the quota refuses an executor; with it, 2 + 3×3 fit in 12.
    let refused = dry_run_executor(&ns, &driver, 3).map(drop).map_err(|e| e.to_string());
    assert!(refused.as_ref().is_err_and(|e| e.contains("must specify limits.cpu")), "{refused:?}");
}
