//! The ValidatingAdmissionPolicy `kspark operator install` applies, on the
//! real test control plane: invalid SparkApplications and
//! ScheduledSparkApplications are refused at create (with kubeflow's
//! webhook wording for sparkConf keys), valid ones pass, and only in the
//! watched namespace. Its own test binary, so its own control plane: the
//! policy's fixed name makes installs elsewhere rebind it.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use kspark_testcluster::operator::operator_namespace;
use kspark_testcluster::operator::spark_pi_application;
use kspark_testcluster::{TestCluster, TestUser, block_on};
use kube::api::{DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Api, Client};
use serde_json::{Value, json};

fn cluster() -> &'static TestCluster {
    TestCluster::shared()
}

fn admin() -> Client {
    block_on(cluster().admin_client()).unwrap_or_else(|e| panic!("admin client: {e}"))
}

fn kspark_path() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_kspark"))
}

fn api(ns: &str, kind: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("sparkoperator.k8s.io", "v1beta2", kind);
    Api::namespaced_with(admin(), ns, &ApiResource::from_gvk(&gvk))
}

/// Creates `value` (dry run or not); the API server's message when refused.
fn create(ns: &str, value: &Value, dry_run: bool) -> Result<(), String> {
    let kind = value["kind"].as_str().unwrap_or_default();
    let object: DynamicObject = serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}"));
    let params = PostParams { dry_run, ..Default::default() };
    match block_on(api(ns, kind).create(&params, &object)) {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) => Err(status.message),
        Err(e) => panic!("create {kind}: {e}"),
    }
}

fn refused(ns: &str, value: &Value) -> String {
    match create(ns, value, false) {
        Ok(()) => panic!("accepted: {value}"),
        Err(message) => message,
    }
}

fn app(name: &str) -> Value {
    spark_pi_application(name)
}

fn with_conf(mut value: Value, key: &str, conf: &str) -> Value {
    value["spec"]["sparkConf"] = json!({ key: conf });
    value
}

/// The namespace the policy is bound to. The operator's objects are
/// installed once, watching it; the binding takes effect asynchronously
/// (the admission plugin reloads policies about every second), so this
/// returns once a denied key is refused there.
fn watched() -> &'static str {
    static WATCHED: OnceLock<String> = OnceLock::new();
    WATCHED.get_or_init(|| {
        let ns = operator_namespace(cluster(), kspark_path(), "vap").unwrap_or_else(|e| panic!("{e}"));
        let operator_ns = kspark_testcluster::unique_name("vap-system");
        let install = Command::new(kspark_path())
            .args(["operator", "install", "--namespace", &operator_ns, "--watch-namespace", &ns, "--kubeconfig"])
            .arg(cluster().kubeconfig(TestUser::Admin))
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&install.stderr);
        assert!(install.status.success(), "{stderr}");
        assert!(stderr.contains("ValidatingAdmissionPolicyBinding kspark-operator"), "{stderr}");
        let probe = with_conf(app("probe"), "spark.master", "local");
        kspark_testcluster::eventually(30, "the admission policy to refuse spark.master", || {
            create(&ns, &probe, true).is_err()
        });
        ns
    })
}

#[test]
fn a_denied_spark_conf_key_is_refused_with_kubeflows_message() {
    let ns = watched();
    let message = refused(ns, &with_conf(app("with-master"), "spark.master", "local[*]"));
    assert!(
        message.contains(r#"sparkConf key "spark.master" is not allowed: this value is managed by the operator"#),
        "{message}"
    );
    let message = refused(ns, &with_conf(app("with-token"), "spark.kubernetes.authenticate.oauthToken", "t"));
    assert!(
        message.contains(r#"sparkConf key "spark.kubernetes.authenticate.oauthToken" is not allowed: authentication credentials are managed by the operator"#),
        "{message}"
    );
}

#[test]
fn a_scheduled_application_is_checked_in_its_template() {
    let ns = watched();
    let template = with_conf(app("unused"), "spark.kubernetes.container.image", "other:1")["spec"].clone();
    let schedule = json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "ScheduledSparkApplication",
        "metadata": {"name": "nightly"}, "spec": {"schedule": "@daily", "template": template}
    });
    let message = refused(ns, &schedule);
    assert!(
        message.contains(
            r#"sparkConf key "spark.kubernetes.container.image" is not allowed: use the image field on the CRD instead"#
        ),
        "{message}"
    );
}

#[test]
fn another_namespace_in_spark_conf_is_refused() {
    let ns = watched();
    let message = refused(ns, &with_conf(app("elsewhere"), "spark.kubernetes.namespace", "default"));
    let expected = format!(
        r#"sparkConf key "spark.kubernetes.namespace" is not allowed: must equal the application namespace "{ns}", got "default""#
    );
    assert!(message.contains(&expected), "{message}");
    // Its own namespace is fine.
    create(ns, &with_conf(app("here"), "spark.kubernetes.namespace", ns), true).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn out_of_range_fields_are_refused_naming_the_field() {
    let ns = watched();
    let mut none = app("no-executors");
    none["spec"]["executor"]["instances"] = json!(0);
    let message = refused(ns, &none);
    assert!(message.contains("spec.executor.instances"), "{message}");
    let mut both = app("both-selectors");
    both["spec"]["nodeSelector"] = json!({"disk": "ssd"});
    both["spec"]["driver"]["nodeSelector"] = json!({"zone": "a"});
    let message = refused(ns, &both);
    assert!(message.contains("spec.nodeSelector cannot be set together with spec.driver.nodeSelector"), "{message}");
    // A valid DNS subdomain the API server takes, but no DNS-1035 label.
    let message = refused(ns, &app("spark.pi"));
    assert!(message.contains(r#"invalid SparkApplication name "spark.pi""#), "{message}");
    assert!(message.contains("metadata.name"), "{message}");
}

#[test]
fn an_update_adding_a_denied_key_is_refused() {
    let ns = watched();
    create(ns, &app("updated"), false).unwrap_or_else(|e| panic!("create: {e}"));
    let patch = Patch::Merge(json!({"spec": {"sparkConf": {"spark.master": "local"}}}));
    let result = block_on(api(ns, "SparkApplication").patch("updated", &PatchParams::default(), &patch));
    let message = match result {
        Ok(_) => panic!("the update was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(message.contains(r#"sparkConf key "spark.master" is not allowed"#), "{message}");
    // An update leaving the spec alone is not checked (the policy's match condition).
    let labels = Patch::Merge(json!({"metadata": {"labels": {"team": "a"}}}));
    block_on(api(ns, "SparkApplication").patch("updated", &PatchParams::default(), &labels))
        .unwrap_or_else(|e| panic!("label update: {e}"));
}

#[test]
fn the_spark_pi_example_passes_a_server_side_dry_run() {
    let ns = watched();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/spark-pi.yaml");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut example: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    example["metadata"]["namespace"] = json!(ns);
    create(ns, &example, true).unwrap_or_else(|e| panic!("examples/spark-pi.yaml refused: {e}"));
}

#[test]
fn outside_the_watched_namespaces_the_policy_does_not_apply() {
    watched();
    let other = operator_namespace(cluster(), kspark_path(), "vap-other").unwrap_or_else(|e| panic!("{e}"));
    create(&other, &with_conf(app("with-master"), "spark.master", "local"), true)
        .unwrap_or_else(|e| panic!("refused outside the watched namespace: {e}"));
}
