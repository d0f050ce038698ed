//! The operator publishes drivers' UIs and ports (kubeflow's
//! `--enable-ui-service` with `--ingress-url-format`, and
//! `spec.driverIngressOptions`) as Ingresses, or as Gateway API HTTPRoutes
//! with `--gateway` — on the real control plane, with the Gateway API's own
//! CRDs (fetched from the Go module proxy by testcluster/fetch-gateway-api.sh)
//! so the API server validates every route the operator writes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{admin, cluster, kspark_path, namespace, operator};
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kspark_operator::exposure::http_route_resource;
use kspark_sparkapp::SparkApplication;
use kspark_testcluster::operator::install_crd_files;
use kspark_testcluster::{block_on, eventually};
use kube::Api;
use kube::api::{DeleteParams, DynamicObject, PostParams};
use serde_json::{Value, json};

const URL_FORMAT: &str = "spark.example.com/{{$appNamespace}}/{{ $appName }}";

/// An application whose driver the simulated node keeps running for a while.
fn create_app(ns: &str, name: &str, extra_spec: Value) -> SparkApplication {
    let mut value = json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "metadata": {"name": name},
        "spec": {
            "type": "Scala", "mode": "cluster", "image": "apache/spark:4.0.5", "sparkVersion": "4.0.5",
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark",
                "annotations": {"kspark.test/outcome": "succeed", "kspark.test/run-millis": "6000"}},
            "executor": {"instances": 1, "cores": 1, "memory": "512m"}
        }
    });
    if let (Some(spec), Some(extra)) = (value["spec"].as_object_mut(), extra_spec.as_object()) {
        spec.extend(extra.clone());
    }
    let app: SparkApplication = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    let api: Api<SparkApplication> = Api::namespaced(admin(), ns);
    block_on(api.create(&PostParams::default(), &app)).unwrap_or_else(|e| panic!("create {name}: {e}"))
}

/// Polls until the application's status satisfies `done`.
fn wait_app(ns: &str, name: &str, done: impl Fn(&SparkApplication) -> bool) -> SparkApplication {
    let api: Api<SparkApplication> = Api::namespaced(admin(), ns);
    let start = Instant::now();
    loop {
        let app = block_on(api.get(name)).unwrap_or_else(|e| panic!("get {name}: {e}"));
        if done(&app) {
            return app;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{name}: {:?}", app.status);
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn ingress(ns: &str, name: &str) -> Option<Ingress> {
    let api: Api<Ingress> = Api::namespaced(admin(), ns);
    block_on(api.get_opt(name)).unwrap_or_else(|e| panic!("get ingress {name}: {e}"))
}

/// The Spark properties the driver was given (its ConfigMap).
fn driver_properties(ns: &str) -> String {
    let api: Api<ConfigMap> = Api::namespaced(admin(), ns);
    let maps = block_on(api.list(&Default::default())).unwrap_or_else(|e| panic!("config maps: {e}"));
    maps.items
        .into_iter()
        .filter_map(|m| m.data.and_then(|d| d.get("spark.properties").cloned()))
        .next()
        .unwrap_or_else(|| panic!("no driver ConfigMap with spark.properties in {ns}"))
}

#[test]
fn the_ui_and_a_driver_port_are_published_through_ingresses_from_url_templates() {
    let ns = namespace("op-ingress");
    let _operator = operator(
        &ns,
        &[
            "--enable-ui-service",
            "--ingress-url-format",
            URL_FORMAT,
            "--ingress-class-name",
            "nginx",
            "--ingress-annotations",
            r#"{"cert-manager.io/cluster-issuer":"letsencrypt"}"#,
        ],
    );
    let port_option = json!({"driverIngressOptions": [{"servicePort": 4041, "servicePortName": "metrics",
        "ingressURLFormat": "{{$appName}}-metrics.example.com"}]});
    create_app(&ns, "web", port_option);
    let app =
        wait_app(&ns, "web", |a| a.status.as_ref().is_some_and(|s| !s.driver_info.web_ui_ingress_name.is_empty()));
    let info = app.status.unwrap_or_default().driver_info;
    assert_eq!(info.web_ui_ingress_name, "web-ui-ingress");
    assert_eq!(info.web_ui_ingress_address, format!("http://spark.example.com/{ns}/web"));

    let ui = ingress(&ns, "web-ui-ingress").unwrap_or_else(|| panic!("no web-ui-ingress"));
    let annotations = ui.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(annotations.get("nginx.ingress.kubernetes.io/rewrite-target").map(String::as_str), Some("/$2"));
    assert_eq!(annotations.get("cert-manager.io/cluster-issuer").map(String::as_str), Some("letsencrypt"));
    assert_eq!(ui.metadata.owner_references.unwrap_or_default().first().map(|o| o.name.clone()), Some("web".into()));
    let spec = ui.spec.unwrap_or_default();
    assert_eq!(spec.ingress_class_name.as_deref(), Some("nginx"));
    let rule = spec.rules.unwrap_or_default().into_iter().next().unwrap_or_else(|| panic!("no rule"));
    assert_eq!(rule.host.as_deref(), Some("spark.example.com"));
    let path = rule.http.map(|h| h.paths).unwrap_or_default().into_iter().next().unwrap_or_else(|| panic!("no path"));
    assert_eq!(path.path, Some(format!("/{ns}/web(/|$)(.*)")));
    let backend = path.backend.service.unwrap_or_else(|| panic!("no service backend"));
    assert_eq!((backend.name.as_str(), backend.port.and_then(|p| p.number)), ("web-ui-svc", Some(4040)));
    // Spark builds the UI's links under the prefix (kubeflow sets these).
    let properties = driver_properties(&ns);
    assert!(properties.contains(&format!("spark.ui.proxyBase=/{ns}/web")), "{properties}");
    assert!(properties.contains("spark.ui.proxyRedirectUri=/"), "{properties}");

    let services: Api<Service> = Api::namespaced(admin(), &ns);
    let port_service = block_on(services.get("web-driver-4041")).unwrap_or_else(|e| panic!("web-driver-4041: {e}"));
    let ports = port_service.spec.and_then(|s| s.ports).unwrap_or_default();
    assert_eq!(ports.first().map(|p| (p.name.clone(), p.port)), Some((Some("metrics".into()), 4041)));
    let metrics = ingress(&ns, "web-ing-4041").unwrap_or_else(|| panic!("no web-ing-4041"));
    let rule = metrics.spec.and_then(|s| s.rules).unwrap_or_default().into_iter().next();
    assert_eq!(rule.and_then(|r| r.host), Some("web-metrics.example.com".into()));

    // Owned by the application: the garbage collector removes them with it.
    let apps: Api<SparkApplication> = Api::namespaced(admin(), &ns);
    block_on(apps.delete("web", &DeleteParams::foreground())).unwrap_or_else(|e| panic!("delete: {e}"));
    eventually(60, "the Ingresses are deleted with the application", || {
        ingress(&ns, "web-ui-ingress").is_none() && ingress(&ns, "web-ing-4041").is_none()
    });
}

/// The Gateway API's CRDs: $KSPARK_GATEWAY_API_CRDS, else fetched (cached).
fn gateway_api_crds() -> PathBuf {
    if let Some(dir) = std::env::var_os("KSPARK_GATEWAY_API_CRDS") {
        return PathBuf::from(dir);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcluster/fetch-gateway-api.sh");
    let out = Command::new(&script).output().unwrap_or_else(|e| panic!("{}: {e}", script.display()));
    assert!(out.status.success(), "{}: {}", script.display(), String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

#[test]
fn with_a_gateway_the_ui_gets_an_http_route_the_api_server_accepts() {
    let crds = gateway_api_crds().join("gateway.networking.k8s.io_httproutes.yaml");
    install_crd_files(cluster(), &[crds]).unwrap_or_else(|e| panic!("{e}"));
    let ns = namespace("op-route");
    let _operator = operator(
        &ns,
        &[
            "--enable-ui-service",
            "--ingress-url-format",
            URL_FORMAT,
            "--gateway",
            "infra/public",
            "--gateway-listener",
            "http",
        ],
    );
    create_app(&ns, "web", json!({}));
    let app =
        wait_app(&ns, "web", |a| a.status.as_ref().is_some_and(|s| !s.driver_info.web_ui_ingress_name.is_empty()));
    let info = app.status.unwrap_or_default().driver_info;
    assert_eq!(info.web_ui_ingress_address, format!("http://spark.example.com/{ns}/web"));
    let routes: Api<DynamicObject> = Api::namespaced_with(admin(), &ns, &http_route_resource());
    let route = block_on(routes.get(&info.web_ui_ingress_name)).unwrap_or_else(|e| panic!("HTTPRoute: {e}"));
    let spec = &route.data["spec"];
    assert_eq!(spec["parentRefs"][0]["name"], "public");
    assert_eq!(spec["parentRefs"][0]["namespace"], "infra");
    assert_eq!(spec["parentRefs"][0]["sectionName"], "http");
    assert_eq!(spec["hostnames"], json!(["spark.example.com"]));
    let rule = &spec["rules"][0];
    assert_eq!(rule["matches"][0]["path"]["value"], format!("/{ns}/web"));
    assert_eq!(rule["filters"][0]["urlRewrite"]["path"]["replacePrefixMatch"], "/");
    assert_eq!(rule["backendRefs"][0]["name"], "web-ui-svc");
    assert_eq!(rule["backendRefs"][0]["port"], 4040);
    assert!(ingress(&ns, "web-ui-ingress").is_none(), "an Ingress was created beside the HTTPRoute");
}

/// Mistakes in the exposure flags stop the operator before it starts, each
/// naming its flag.
#[test]
fn bad_exposure_flags_are_refused_naming_the_flag() {
    let cases: [(&[&str], &str); 4] = [
        (&["--enable-ui-service", "--ingress-url-format", "spark.example.com/{{$app}}"], "--ingress-url-format"),
        (&["--enable-ui-service", "--ingress-url-format", "/{{$appName}}"], "no host"),
        (&["--ingress-tls", "[{\"hosts\": "], "--ingress-tls"),
        (&["--gateway", "Infra/Public"], "--gateway"),
    ];
    for (flags, named) in cases {
        let out = Command::new(kspark_path())
            .args(["operator", "run", "--kubeconfig", "/nonexistent/kubeconfig"])
            .args(flags)
            .output()
            .unwrap_or_else(|e| panic!("kspark: {e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(named), "{flags:?}: {stderr}");
        assert!(stderr.contains("hint"), "{flags:?}: {stderr}");
    }
}
