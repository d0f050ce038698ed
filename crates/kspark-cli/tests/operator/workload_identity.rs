//! Azure workload identity against a real control plane: `kspark tenant
//! create --workload-identity` annotates the driver's account; `kspark
//! submit` (dry run and real), `kspark doctor` and `kspark operator run`
//! notice it, label the pods and hand Spark hadoop-azure's
//! WorkloadIdentityTokenProvider settings, the user's own settings win, and
//! Spark 3.5 is refused before anything is created.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::{admin, cluster, text};
use k8s_openapi::api::core::v1::{ConfigMap, Event, Pod, ServiceAccount};
use kspark_sparkapp::{ApplicationStateType, SparkApplication};
use kspark_testcluster::{TestUser, block_on};
use kube::Api;
use kube::api::{ListParams, PostParams};
use serde_json::{Value, json};

const CLIENT_ID: &str = "0d6c1f2e-aaaa-bbbb-cccc-123456789abc";
const TENANT_ID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const PROVIDER: &str = "org.apache.hadoop.fs.azurebfs.oauth2.WorkloadIdentityTokenProvider";
const USE_LABEL: &str = "azure.workload.identity/use";
/// The test control plane's `--service-account-issuer`.
const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

fn kspark_as(user: TestUser, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(args)
        .env("KUBECONFIG", cluster().kubeconfig(user))
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run kspark: {e}"))
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// `kspark tenant create` for alice, with workload identity `extra`.
fn tenant(prefix: &str, extra: &[&str]) -> String {
    let ns = kspark_testcluster::unique_name(prefix);
    let args = [&["tenant", "create", ns.as_str(), "--user", "alice"], extra].concat();
    let out = kspark_as(TestUser::Admin, &strings(&args));
    assert!(out.status.success(), "tenant create: {}", text(&out));
    ns
}

/// `command` (submit or doctor) for a tiny Java app in `ns` on `image`.
fn app(command: &str, ns: &str, image: &str, extra: &[&str]) -> Vec<String> {
    let master = format!("k8s://{}", cluster().server_url());
    let mut args = strings(&[command, "--master", &master, "--deploy-mode", "cluster", "--name", "wi"]);
    for conf in [
        format!("spark.kubernetes.container.image={image}"),
        format!("spark.kubernetes.namespace={ns}"),
        "spark.kubernetes.authenticate.driver.serviceAccountName=spark".into(),
        "spark.kubernetes.driver.annotation.kspark.test/outcome=succeed".into(),
        "spark.kubernetes.driver.annotation.kspark.test/run-millis=300".into(),
    ] {
        args.extend(["--conf".to_string(), conf]);
    }
    args.extend(strings(&["--class", "org.example.Main"]));
    args.extend(strings(extra));
    args.push("local:///opt/app/app.jar".into());
    args
}

fn annotations(ns: &str) -> Value {
    let api: Api<ServiceAccount> = Api::namespaced(admin(), ns);
    let account = block_on(api.get("spark")).unwrap_or_else(|e| panic!("get spark: {e}"));
    serde_json::to_value(account.metadata.annotations).unwrap_or_default()
}

/// The driver's `spark.properties` from a printed or created ConfigMap.
fn properties(config_map: &Value) -> String {
    config_map["data"]["spark.properties"].as_str().unwrap_or_default().to_string()
}

fn items(out: &Output) -> Vec<Value> {
    let list: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    list["items"].as_array().cloned().unwrap_or_default()
}

fn of_kind(items: &[Value], kind: &str) -> Value {
    items.iter().find(|i| i["kind"] == kind).cloned().unwrap_or_else(|| panic!("no {kind} in {items:?}"))
}

fn names<K>(ns: &str) -> Vec<String>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(admin(), ns);
    let list = block_on(api.list(&ListParams::default())).unwrap_or_else(|e| panic!("list in {ns}: {e}"));
    list.items.iter().filter_map(|o| o.meta().name.clone()).filter(|n| n != "kube-root-ca.crt").collect()
}

#[test]
fn tenant_create_annotates_the_drivers_account() {
    let ns = tenant("wi-tenant", &["--workload-identity", CLIENT_ID, "--tenant-id", TENANT_ID]);
    assert_eq!(
        annotations(&ns),
        json!({"azure.workload.identity/client-id": CLIENT_ID, "azure.workload.identity/tenant-id": TENANT_ID})
    );
    let show = kspark_as(TestUser::Admin, &strings(&["tenant", "show", &ns]));
    assert!(show.status.success(), "the tenant matches its spec: {}", text(&show));
    let bad =
        kspark_as(TestUser::Admin, &strings(&["tenant", "create", &ns, "--user", "a", "--workload-identity", "x"]));
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("--workload-identity: `x` is not an Entra ID"), "{}", text(&bad));
}

#[test]
fn dry_run_shows_the_labels_and_settings_and_user_settings_win() {
    let ns = tenant("wi-dry", &["--workload-identity", CLIENT_ID]);
    let mine = "spark.hadoop.fs.azure.account.oauth2.token.file=/mine/token";
    let out = kspark_as(
        TestUser::Alice,
        &app("submit", &ns, "apache/spark:4.0.5", &["--dry-run", "-o", "json", "--conf", mine]),
    );
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        stderr.contains(&format!("Azure workload identity from service account {ns}/spark (client id {CLIENT_ID}"))
            && stderr.contains("1 of its settings were yours and are kept"),
        "{stderr}"
    );
    let items = items(&out);
    assert_eq!(of_kind(&items, "Pod")["metadata"]["labels"][USE_LABEL], "true");
    let props = properties(&of_kind(&items, "ConfigMap"));
    for line in [
        format!("spark.hadoop.fs.azure.account.oauth.provider.type={PROVIDER}"),
        format!("spark.hadoop.fs.azure.account.oauth2.client.id={CLIENT_ID}"),
        "spark.hadoop.fs.azure.account.auth.type=OAuth".into(),
        "spark.hadoop.fs.azure.account.oauth2.msi.tenant=${env.AZURE_TENANT_ID}".into(),
        format!("spark.kubernetes.executor.label.{USE_LABEL}=true"),
        "spark.hadoop.fs.azure.account.oauth2.token.file=/mine/token".into(),
    ] {
        assert!(props.lines().any(|l| l == line), "{line} missing from:\n{props}");
    }
    assert!(names::<Pod>(&ns).is_empty(), "a dry run creates nothing");
}

#[test]
fn a_submission_labels_the_driver_and_carries_the_settings() {
    let ns = tenant("wi-submit", &["--workload-identity", CLIENT_ID, "--tenant-id", TENANT_ID]);
    let out = kspark_as(TestUser::Alice, &app("submit", &ns, "apache/spark:4.1.4", &[]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Azure workload identity from service account"), "{}", text(&out));
    let pods: Api<Pod> = Api::namespaced(admin(), &ns);
    let pod = block_on(pods.get(&names::<Pod>(&ns)[0])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pod.metadata.labels.unwrap_or_default().get(USE_LABEL).map(String::as_str), Some("true"));
    let maps: Api<ConfigMap> = Api::namespaced(admin(), &ns);
    let map = block_on(maps.get(&names::<ConfigMap>(&ns)[0])).unwrap_or_else(|e| panic!("{e}"));
    let props = properties(&serde_json::to_value(map).unwrap_or_default());
    assert!(props.contains(&format!("spark.hadoop.fs.azure.account.oauth2.msi.tenant={TENANT_ID}")), "{props}");
    assert!(props.contains(&format!("spark.kubernetes.driver.label.{USE_LABEL}=true")), "{props}");
}

#[test]
fn spark_3_5_is_refused_before_anything_is_created() {
    let ns = tenant("wi-35", &["--workload-identity", CLIENT_ID]);
    for extra in [&[][..], &["--dry-run"][..], &["--skip-preflight"][..]] {
        let out = kspark_as(TestUser::Alice, &app("submit", &ns, "apache/spark:3.5.9", extra));
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {}", text(&out));
        let log = text(&out);
        assert!(log.contains("Spark 3.5 is built on Hadoop 3.3.4") && log.contains("nothing was created"), "{log}");
        assert!(log.contains("use a Spark 4.0+ image"), "{log}");
    }
    assert!(names::<Pod>(&ns).is_empty() && names::<ConfigMap>(&ns).is_empty());
    let doctor = kspark_as(TestUser::Alice, &app("doctor", &ns, "apache/spark:3.5.9", &[]));
    assert_eq!(doctor.status.code(), Some(1), "{}", text(&doctor));
    assert!(text(&doctor).contains("FAIL azure token provider"), "{}", text(&doctor));
    // Choosing the token provider yourself is a way out.
    let own = "spark.hadoop.fs.azure.account.oauth.provider.type=org.example.MyProvider";
    let out = kspark_as(TestUser::Alice, &app("submit", &ns, "apache/spark:3.5.9", &["--dry-run", "--conf", own]));
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn doctor_prints_the_federated_credential_command_with_the_clusters_issuer() {
    let ns = tenant("wi-doc", &["--workload-identity", CLIENT_ID]);
    let out = kspark_as(TestUser::Admin, &app("doctor", &ns, "apache/spark:4.0.5", &[]));
    assert!(out.status.success(), "{}", text(&out));
    let log = text(&out);
    for line in ["ok   azure identity", "ok   azure pod labels", "ok   azure token provider", "ok   azure federation"] {
        assert!(log.contains(line), "{line} missing from:\n{log}");
    }
    let command = format!(
        "az identity federated-credential create --name kspark-{ns}-spark --identity-name IDENTITY_NAME \
         --resource-group RESOURCE_GROUP --issuer {ISSUER} --subject system:serviceaccount:{ns}:spark \
         --audiences api://AzureADTokenExchange"
    );
    assert!(log.contains(&command), "{command} missing from:\n{log}");
    // alice may not read the issuer (only service accounts may, by default):
    // the command with a placeholder and how to find the issuer on AKS; not
    // a warning, which `submit` would repeat on every submission.
    let out = kspark_as(TestUser::Alice, &app("doctor", &ns, "apache/spark:4.0.5", &[]));
    let log = text(&out);
    assert!(out.status.success() && !log.contains("warn"), "{log}");
    assert!(log.contains("ok   azure federation") && log.contains("--issuer ISSUER"), "{log}");
    assert!(log.contains("oidcIssuerProfile.issuerUrl"), "{log}");
}

/// An operator process scoped to `ns`; killed when dropped.
struct Operator(Child);

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn operator(ns: &str) -> Operator {
    let install = kspark_as(TestUser::Admin, &strings(&["operator", "install", "--crds-only"]));
    assert!(install.status.success(), "install: {}", text(&install));
    let child = Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(["operator", "run", "--namespace", ns])
        .env("KUBECONFIG", cluster().kubeconfig(TestUser::Admin))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("kspark operator run: {e}"));
    Operator(child)
}

fn spark_app(name: &str, version: &str) -> SparkApplication {
    serde_json::from_value(json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": "SparkApplication",
        "metadata": {"name": name},
        "spec": {
            "type": "Scala", "mode": "cluster", "image": format!("apache/spark:{version}"),
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "sparkVersion": version,
            "hadoopConf": {"fs.azure.account.oauth2.client.id": "users-own-client"},
            "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark",
                       "annotations": {"kspark.test/outcome": "succeed", "kspark.test/run-millis": "300"}},
            "executor": {"instances": 1, "cores": 1, "memory": "512m"},
            "restartPolicy": {"type": "Never"}
        }
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn wait_for(ns: &str, name: &str, what: &str, done: impl Fn(&SparkApplication) -> bool) -> SparkApplication {
    let api: Api<SparkApplication> = Api::namespaced(admin(), ns);
    let start = Instant::now();
    loop {
        let app = block_on(api.get(name)).unwrap_or_else(|e| panic!("get {name}: {e}"));
        if done(&app) {
            return app;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{name}: not {what}: {:?}", app.status);
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_operator_applies_workload_identity_and_refuses_spark_3_5() {
    let ns = tenant("wi-op", &["--workload-identity", CLIENT_ID]);
    let _operator = operator(&ns);
    let apps: Api<SparkApplication> = Api::namespaced(admin(), &ns);
    block_on(apps.create(&PostParams::default(), &spark_app("new", "4.0.5"))).unwrap_or_else(|e| panic!("{e}"));
    block_on(apps.create(&PostParams::default(), &spark_app("old", "3.5.9"))).unwrap_or_else(|e| panic!("{e}"));
    let state = |a: &SparkApplication| a.status.as_ref().map(|s| s.app_state.state).unwrap_or_default();
    wait_for(&ns, "new", "COMPLETED", |a| state(a) == ApplicationStateType::Completed);
    let pods: Api<Pod> = Api::namespaced(admin(), &ns);
    let driver = block_on(pods.get("new-driver")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(driver.metadata.labels.unwrap_or_default().get(USE_LABEL).map(String::as_str), Some("true"));
    let maps = block_on(Api::<ConfigMap>::namespaced(admin(), &ns).list(&ListParams::default()))
        .unwrap_or_else(|e| panic!("{e}"));
    let props: String = maps.items.iter().map(|m| properties(&serde_json::to_value(m).unwrap_or_default())).collect();
    assert!(props.contains(&format!("spark.hadoop.fs.azure.account.oauth.provider.type={PROVIDER}")), "{props}");
    assert!(
        props.contains("spark.hadoop.fs.azure.account.oauth2.client.id=users-own-client"),
        "the user's wins: {props}"
    );
    assert!(!props.contains(CLIENT_ID), "{props}");
    let failed = wait_for(&ns, "old", "refused", |a| {
        matches!(state(a), ApplicationStateType::SubmissionFailed | ApplicationStateType::Failed)
    });
    let message = failed.status.unwrap_or_default().app_state.error_message;
    assert!(message.contains("Spark 3.5 is built on Hadoop 3.3.4") && message.contains("hint:"), "{message}");
    assert!(block_on(pods.get_opt("old-driver")).ok().flatten().is_none(), "no driver for the refused app");
    let events =
        block_on(Api::<Event>::namespaced(admin(), &ns).list(&ListParams::default())).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        events.items.iter().any(|e| e.reason.as_deref() == Some("SparkApplicationSubmissionFailed")
            && e.message.as_deref().is_some_and(|m| m.contains("Spark 3.5"))),
        "no event for the refusal"
    );
}
