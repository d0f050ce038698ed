//! The chart as a release on the real test control plane: `helm install`,
//! `helm upgrade` to other values and `helm uninstall`.

use std::fmt::Debug;
use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use k8s_openapi::api::admissionregistration::v1::{ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Secret, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kspark_testcluster::{TestCluster, TestUser, block_on};
use kube::api::ListParams;
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;

use super::{chart_dir, helm, stdout_of, values_file};

/// The release's name, which is also the name of each of its objects.
const NAME: &str = "kspark-operator";

/// The chart's objects have fixed names and some are cluster-wide (the
/// ClusterRole, the admission policy: one release per cluster), so the
/// tests that make a release on the shared control plane take turns.
fn one_release_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `helm <verb> kspark-operator` in `namespace`, as the control plane's admin.
fn release(verb: &str, namespace: &str) -> Command {
    let mut command = helm();
    command
        .args([verb, NAME, "--namespace", namespace, "--kubeconfig"])
        .arg(TestCluster::shared().kubeconfig(TestUser::Admin));
    command
}

/// [`release`] for `install` or `upgrade`, with the chart.
fn release_of_chart(verb: &str, namespace: &str) -> Command {
    let mut command = release(verb, namespace);
    command.arg(chart_dir());
    command
}

fn admin() -> Client {
    block_on(TestCluster::shared().admin_client()).unwrap_or_else(|e| panic!("admin client: {e}"))
}

/// The release's object of kind `K` that `api` reaches, if the API server has it.
fn get<K>(api: Api<K>) -> Option<K>
where
    K: Clone + DeserializeOwned + Debug,
{
    block_on(api.get_opt(NAME)).unwrap_or_else(|e| panic!("get {NAME}: {e}"))
}

fn in_namespace<K>(client: &Client, namespace: &str) -> Option<K>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    get(Api::namespaced(client.clone(), namespace))
}

fn cluster_wide<K>(client: &Client) -> Option<K>
where
    K: Resource<Scope = ClusterResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    get(Api::all(client.clone()))
}

/// The operator container's arguments in the release's Deployment.
fn operator_args(client: &Client, namespace: &str) -> Vec<String> {
    let deployment: Deployment =
        in_namespace(client, namespace).unwrap_or_else(|| panic!("no Deployment {namespace}/{NAME}"));
    let pod = deployment.spec.and_then(|s| s.template.spec).unwrap_or_default();
    pod.containers.first().and_then(|c| c.args.clone()).unwrap_or_default()
}

fn replicas(client: &Client, namespace: &str) -> Option<i32> {
    let deployment: Option<Deployment> = in_namespace(client, namespace);
    deployment.and_then(|d| d.spec).and_then(|s| s.replicas)
}

fn cluster_role_exists(client: &Client) -> bool {
    cluster_wide::<ClusterRole>(client).is_some() || cluster_wide::<ClusterRoleBinding>(client).is_some()
}

fn admission_policy_exists(client: &Client) -> bool {
    cluster_wide::<ValidatingAdmissionPolicy>(client).is_some()
        || cluster_wide::<ValidatingAdmissionPolicyBinding>(client).is_some()
}

/// The release's objects exist on the real control plane, the CRDs are
/// Established and the API server accepted the Deployment. The simulated
/// node does not run the operator's image, so no operator pod starts here;
/// that the installed RBAC is enough for the operator is checked in
/// operator.rs on the same objects (`kspark operator install` makes them).
#[test]
fn helm_install_creates_the_objects_on_the_test_control_plane() {
    let _turn = one_release_at_a_time();
    let namespace = kspark_testcluster::unique_name("helm-op");
    let mut command = release_of_chart("install", &namespace);
    command.args(["--create-namespace", "--set", "watchNamespaces={team-a,team-b}"]);
    let installed = stdout_of(command);
    assert!(installed.contains("STATUS: deployed"), "{installed}");
    let client = admin();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in ["sparkapplications.sparkoperator.k8s.io", "scheduledsparkapplications.sparkoperator.k8s.io"] {
        wait_established(&crds, crd);
    }
    let args = operator_args(&client, &namespace).join(" ");
    assert!(args.contains("--leader-elect") && args.contains("--namespace team-a"), "{args}");
    assert!(in_namespace::<ServiceAccount>(&client, &namespace).is_some(), "no ServiceAccount");
    assert!(in_namespace::<Service>(&client, &namespace).is_some(), "no Service");
    assert!(in_namespace::<Role>(&client, &namespace).is_some(), "no Role");
    assert!(in_namespace::<RoleBinding>(&client, &namespace).is_some(), "no RoleBinding");
    assert!(cluster_wide::<ClusterRole>(&client).is_some(), "no ClusterRole");
    let binding: ClusterRoleBinding = cluster_wide(&client).unwrap_or_else(|| panic!("no ClusterRoleBinding"));
    let subject = binding.subjects.unwrap_or_default().into_iter().next().and_then(|s| s.namespace);
    assert_eq!(subject.as_deref(), Some(namespace.as_str()));
    assert!(cluster_wide::<ValidatingAdmissionPolicy>(&client).is_some(), "no ValidatingAdmissionPolicy");
    assert!(cluster_wide::<ValidatingAdmissionPolicyBinding>(&client).is_some(), "no ValidatingAdmissionPolicyBinding");

    stdout_of(release("uninstall", &namespace));
    assert!(in_namespace::<Deployment>(&client, &namespace).is_none(), "the Deployment outlived helm uninstall");
    assert!(!admission_policy_exists(&client), "the admission policy outlived helm uninstall");
    let kept = block_on(crds.get_opt("sparkapplications.sparkoperator.k8s.io"));
    assert!(kept.ok().flatten().is_some(), "helm uninstall must keep the CRDs (and every SparkApplication)");
}

/// What `helm upgrade` changes to: one watched namespace instead of two (so
/// a Role there instead of the ClusterRole), no admission policy, and other
/// replicas and operator flags.
fn upgraded_values(watched: &str) -> String {
    format!(
        "replicas: 2\nwatchNamespaces: [{watched}]\nconcurrency: 8\nevents: warnings\nlogFormat: json\n\
         labelSelector: team=a\nadmissionPolicy:\n  enabled: false\n"
    )
}

/// `helm upgrade` with other values changes the release's objects on the
/// API server as the new values say and deletes those they no longer ask
/// for; `helm uninstall` then leaves nothing of either revision but the CRDs.
#[test]
fn helm_upgrade_applies_the_new_values_and_removes_what_they_drop() {
    let _turn = one_release_at_a_time();
    let namespace = kspark_testcluster::unique_name("helm-up");
    let watched = kspark_testcluster::unique_name("helm-team");
    block_on(TestCluster::shared().create_namespace(&watched)).unwrap_or_else(|e| panic!("namespace {watched}: {e}"));
    let client = admin();
    let mut install = release_of_chart("install", &namespace);
    install.args(["--create-namespace", "--set", "watchNamespaces={team-a,team-b}"]);
    stdout_of(install);
    assert_eq!(replicas(&client, &namespace), Some(1));
    assert!(cluster_role_exists(&client) && admission_policy_exists(&client), "revision 1 is incomplete");

    let mut upgrade = release_of_chart("upgrade", &namespace);
    upgrade.arg("--values").arg(values_file(&upgraded_values(&watched)));
    let upgraded = stdout_of(upgrade);
    assert!(upgraded.contains("STATUS: deployed") && upgraded.contains("REVISION: 2"), "{upgraded}");
    assert_upgraded(&client, &namespace, &watched);
    assert_eq!(release_records(&client, &namespace), 2, "Helm recorded other revisions than install and upgrade");

    stdout_of(release("uninstall", &namespace));
    assert_nothing_left(&client, &namespace, &watched);
}

/// Helm's records of the release's revisions (Secrets in the release
/// namespace, with both Helm 3 and Helm 4).
fn release_records(client: &Client, namespace: &str) -> usize {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let params = ListParams::default().labels(&format!("owner=helm,name={NAME}"));
    let records = block_on(secrets.list_metadata(&params)).unwrap_or_else(|e| panic!("list Helm's records: {e}"));
    records.items.len()
}

/// Revision 2 on the API server: the Deployment runs the new flags, the
/// operator's rules moved from the ClusterRole to a Role in the one watched
/// namespace, and the admission policy is gone.
fn assert_upgraded(client: &Client, namespace: &str, watched: &str) {
    assert_eq!(replicas(client, namespace), Some(2));
    let expected = [
        "operator",
        "run",
        "--leader-elect",
        "--lease-namespace",
        namespace,
        "--metrics-addr",
        "0.0.0.0:8080",
        "--concurrency",
        "8",
        "--events",
        "warnings",
        "--log-json",
        "--label-selector",
        "team=a",
        "--namespace",
        watched,
    ];
    assert_eq!(operator_args(client, namespace), expected);
    let role: Role = in_namespace(client, watched).unwrap_or_else(|| panic!("no Role in {watched}"));
    let rules = serde_json::to_string(&role.rules).unwrap_or_default();
    assert!(rules.contains("sparkapplications") && rules.contains("pods"), "{rules}");
    let binding: RoleBinding = in_namespace(client, watched).unwrap_or_else(|| panic!("no RoleBinding in {watched}"));
    let subject = binding.subjects.unwrap_or_default().into_iter().next().and_then(|s| s.namespace);
    assert_eq!(subject.as_deref(), Some(namespace), "the Role in {watched} is not bound to the operator's account");
    assert!(!cluster_role_exists(client), "the ClusterRole of revision 1 outlived the upgrade");
    assert!(!admission_policy_exists(client), "the admission policy outlived an upgrade that disabled it");
}

/// Nothing of the release is left in either namespace or cluster-wide, nor
/// Helm's own record of it; the CRDs stay.
fn assert_nothing_left(client: &Client, namespace: &str, watched: &str) {
    assert!(in_namespace::<Deployment>(client, namespace).is_none(), "the Deployment outlived helm uninstall");
    assert!(in_namespace::<ServiceAccount>(client, namespace).is_none(), "the ServiceAccount outlived helm uninstall");
    assert!(in_namespace::<Service>(client, namespace).is_none(), "the Service outlived helm uninstall");
    for ns in [namespace, watched] {
        assert!(in_namespace::<Role>(client, ns).is_none(), "the Role in {ns} outlived helm uninstall");
        assert!(in_namespace::<RoleBinding>(client, ns).is_none(), "the RoleBinding in {ns} outlived helm uninstall");
    }
    assert!(!cluster_role_exists(client), "a ClusterRole outlived helm uninstall");
    assert!(!admission_policy_exists(client), "an admission policy outlived helm uninstall");
    assert_eq!(release_records(client, namespace), 0, "helm uninstall kept its records of the release");
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let kept = block_on(crds.get_opt("sparkapplications.sparkoperator.k8s.io")).unwrap_or_else(|e| panic!("{e}"));
    assert!(kept.is_some(), "helm uninstall must keep the CRDs (and every SparkApplication)");
}

fn wait_established(crds: &Api<CustomResourceDefinition>, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let crd = block_on(crds.get(name)).unwrap_or_else(|e| panic!("CRD {name}: {e}"));
        let conditions = crd.status.and_then(|s| s.conditions).unwrap_or_default();
        if conditions.iter().any(|c| c.type_ == "Established" && c.status == "True") {
            return;
        }
        assert!(Instant::now() < deadline, "CRD {name} not Established after 30 s: {conditions:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}
