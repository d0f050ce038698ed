//! The chart as a release on the real test control plane: `helm install`
//! and `helm uninstall`.

use std::time::{Duration, Instant};

use k8s_openapi::api::admissionregistration::v1::{ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kspark_testcluster::{TestCluster, TestUser, block_on};
use kube::Api;

use super::{chart_dir, helm, stdout_of};

/// The release's objects exist on the real control plane, the CRDs are
/// Established and the API server accepted the Deployment. The simulated
/// node does not run the operator's image, so no operator pod starts here;
/// that the installed RBAC is enough for the operator is checked in
/// operator.rs on the same objects (`kspark operator install` makes them).
#[test]
fn helm_install_creates_the_objects_on_the_test_control_plane() {
    let cluster = TestCluster::shared();
    let namespace = kspark_testcluster::unique_name("helm-op");
    let kubeconfig = cluster.kubeconfig(TestUser::Admin);
    let mut command = helm();
    command
        .args(["install", "kspark-operator"])
        .arg(chart_dir())
        .args(["--namespace", &namespace, "--create-namespace", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(["--set", "watchNamespaces={team-a,team-b}"]);
    let installed = stdout_of(command);
    assert!(installed.contains("STATUS: deployed"), "{installed}");
    let client = block_on(cluster.admin_client()).unwrap_or_else(|e| panic!("admin client: {e}"));
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in ["sparkapplications.sparkoperator.k8s.io", "scheduledsparkapplications.sparkoperator.k8s.io"] {
        wait_established(&crds, crd);
    }
    let name = "kspark-operator";
    let deployment = block_on(Api::<Deployment>::namespaced(client.clone(), &namespace).get(name))
        .unwrap_or_else(|e| panic!("Deployment {name}: {e}"));
    let args = deployment.spec.and_then(|s| s.template.spec).map(|p| p.containers[0].args.clone().unwrap_or_default());
    let args = args.unwrap_or_default().join(" ");
    assert!(args.contains("--leader-elect") && args.contains("--namespace team-a"), "{args}");
    block_on(Api::<ServiceAccount>::namespaced(client.clone(), &namespace).get(name)).unwrap_or_else(|e| panic!("{e}"));
    block_on(Api::<Service>::namespaced(client.clone(), &namespace).get(name)).unwrap_or_else(|e| panic!("{e}"));
    block_on(Api::<Role>::namespaced(client.clone(), &namespace).get(name)).unwrap_or_else(|e| panic!("{e}"));
    block_on(Api::<RoleBinding>::namespaced(client.clone(), &namespace).get(name)).unwrap_or_else(|e| panic!("{e}"));
    block_on(Api::<ClusterRole>::all(client.clone()).get(name)).unwrap_or_else(|e| panic!("{e}"));
    let binding = block_on(Api::<ClusterRoleBinding>::all(client.clone()).get(name)).unwrap_or_else(|e| panic!("{e}"));
    let subject = binding.subjects.unwrap_or_default().into_iter().next().and_then(|s| s.namespace);
    assert_eq!(subject.as_deref(), Some(namespace.as_str()));
    let policies: Api<ValidatingAdmissionPolicy> = Api::all(client.clone());
    let bindings: Api<ValidatingAdmissionPolicyBinding> = Api::all(client.clone());
    block_on(policies.get(name)).unwrap_or_else(|e| panic!("{e}"));
    block_on(bindings.get(name)).unwrap_or_else(|e| panic!("{e}"));

    let mut command = helm();
    command.args(["uninstall", "kspark-operator", "--namespace", &namespace, "--kubeconfig"]).arg(&kubeconfig);
    stdout_of(command);
    let gone = block_on(Api::<Deployment>::namespaced(client.clone(), &namespace).get_opt(name));
    assert!(gone.ok().flatten().is_none(), "the Deployment outlived helm uninstall");
    let policy = block_on(policies.get_opt(name));
    assert!(policy.ok().flatten().is_none(), "the ValidatingAdmissionPolicy outlived helm uninstall");
    let binding = block_on(bindings.get_opt(name));
    assert!(binding.ok().flatten().is_none(), "the ValidatingAdmissionPolicyBinding outlived helm uninstall");
    let kept = block_on(crds.get_opt("sparkapplications.sparkoperator.k8s.io"));
    assert!(kept.ok().flatten().is_some(), "helm uninstall must keep the CRDs (and every SparkApplication)");
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
