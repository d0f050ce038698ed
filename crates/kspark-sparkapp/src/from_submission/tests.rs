use kspark_config::{SubmitArgs, SubmitEnv};
use serde_json::json;

use super::*;

fn submission(args: &[&str]) -> Submission {
    let mut all = vec!["--master", "k8s://https://api.example.com:443", "--deploy-mode", "cluster"];
    all.extend(args);
    let parsed = SubmitArgs::parse(all.iter().copied()).unwrap_or_else(|e| panic!("{e}"));
    parsed.resolve(&SubmitEnv::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn convert(args: &[&str]) -> Result<Converted, ConversionError> {
    from_submission(&submission(args), &ResourceInputs::default())
}

fn spec_json(converted: &Converted) -> serde_json::Value {
    serde_json::to_value(&converted.app.spec).unwrap_or_default()
}

#[test]
fn every_setting_with_a_field_goes_into_it_and_the_rest_into_spark_conf() {
    let converted = convert(&[
        "--name",
        "Nightly ETL",
        "--class",
        "org.example.Etl",
        "--conf",
        "spark.kubernetes.namespace=team-a",
        "--conf",
        "spark.kubernetes.container.image=registry.example/spark:3.5.9-java17",
        "--conf",
        "spark.kubernetes.container.image.pullSecrets=a, b",
        "--conf",
        "spark.kubernetes.authenticate.driver.serviceAccountName=spark",
        "--conf",
        "spark.kubernetes.driver.label.team=a",
        "--conf",
        "spark.kubernetes.executor.annotation.cost=batch",
        "--conf",
        "spark.kubernetes.driverEnv.MODE=prod",
        "--conf",
        "spark.kubernetes.driver.secretKeyRef.PW=db:password",
        "--conf",
        "spark.kubernetes.node.selector.pool=spark",
        "--conf",
        "spark.hadoop.fs.s3a.endpoint=http://minio:9000",
        "--conf",
        "spark.sql.shuffle.partitions=64",
        "--driver-memory",
        "2g",
        "--executor-cores",
        "3",
        "--num-executors",
        "4",
        "--jars",
        "https://repo.example/lib.jar",
        "--packages",
        "org.example:lib:1.0",
        "local:///opt/app/etl.jar",
        "2026-01-01",
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(converted.app.metadata.name.as_deref(), Some("nightly-etl"));
    assert_eq!(converted.app.metadata.namespace.as_deref(), Some("team-a"));
    assert!(converted.notes.iter().any(|n| n.contains("`nightly-etl`")), "{:?}", converted.notes);
    let spec = spec_json(&converted);
    assert_eq!(spec["type"], "Java");
    assert_eq!(spec["sparkVersion"], "3.5.9");
    assert_eq!(spec["mainClass"], "org.example.Etl");
    assert_eq!(spec["mainApplicationFile"], "local:///opt/app/etl.jar");
    assert_eq!(spec["arguments"], json!(["2026-01-01"]));
    assert_eq!(spec["imagePullSecrets"], json!(["a", "b"]));
    assert_eq!(spec["driver"]["memory"], "2g");
    assert_eq!(spec["driver"]["serviceAccount"], "spark");
    assert_eq!(spec["driver"]["labels"], json!({"team": "a"}));
    assert_eq!(spec["driver"]["envVars"], json!({"MODE": "prod"}));
    assert_eq!(spec["driver"]["envSecretKeyRefs"], json!({"PW": {"name": "db", "key": "password"}}));
    assert_eq!(spec["executor"]["cores"], 3);
    assert_eq!(spec["executor"]["instances"], 4);
    assert_eq!(spec["executor"]["annotations"], json!({"cost": "batch"}));
    // The primary resource is the main application file, not a jar of its own.
    assert_eq!(spec["deps"], json!({"jars": ["https://repo.example/lib.jar"], "packages": ["org.example:lib:1.0"]}));
    assert_eq!(spec["nodeSelector"], json!({"pool": "spark"}));
    assert_eq!(spec["hadoopConf"], json!({"fs.s3a.endpoint": "http://minio:9000"}));
    assert_eq!(spec["sparkConf"], json!({"spark.sql.shuffle.partitions": "64"}));
}

#[test]
fn python_apps_have_no_main_class_and_spark_keeps_its_two_executors() {
    let converted = convert(&["--conf", "spark.kubernetes.container.image=spark:4.0.5", "local:///app/job.py"])
        .unwrap_or_else(|e| panic!("{e}"));
    let spec = spec_json(&converted);
    assert_eq!(spec["type"], "Python");
    assert_eq!(spec.get("mainClass"), None);
    assert_eq!(spec["executor"]["instances"], 2);
    assert_eq!(converted.app.metadata.namespace.as_deref(), Some("default"));
}

#[test]
fn dynamic_allocation_becomes_its_field_and_leaves_instances_unset() {
    let converted = convert(&[
        "--conf",
        "spark.kubernetes.container.image=spark:4.0.5",
        "--conf",
        "spark.dynamicAllocation.enabled=true",
        "--conf",
        "spark.dynamicAllocation.maxExecutors=10",
        "--conf",
        "spark.dynamicAllocation.shuffleTracking.timeout=30s",
        "local:///app/job.py",
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let spec = spec_json(&converted);
    assert_eq!(spec["dynamicAllocation"], json!({"enabled": true, "maxExecutors": 10}));
    assert_eq!(spec["executor"].get("instances"), None);
    // Not a number of milliseconds: Spark reads it as written.
    assert_eq!(spec["sparkConf"], json!({"spark.dynamicAllocation.shuffleTracking.timeout": "30s"}));
}

#[test]
fn the_submitting_clients_settings_are_left_out_and_never_printed() {
    let converted = convert(&[
        "--conf",
        "spark.kubernetes.container.image=spark:4.0.5",
        "--conf",
        "spark.kubernetes.authenticate.submission.oauthToken=FAKE-SECRET-TOKEN",
        "--conf",
        "spark.kubernetes.context=aks-team-a",
        "local:///app/job.py",
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let printed = serde_json::to_string(&converted.app).unwrap_or_default();
    assert!(!printed.contains("FAKE-SECRET-TOKEN") && !printed.contains("aks-team-a"), "{printed}");
    let notes = converted.notes.join("\n");
    assert!(notes.contains("spark.kubernetes.authenticate.submission.oauthToken is left out"), "{notes}");
    assert!(!notes.contains("FAKE-SECRET-TOKEN"), "{notes}");
}

#[test]
fn what_a_resource_cannot_carry_is_refused_by_name() {
    let image = "spark.kubernetes.container.image=spark:4.0.5";
    let refused = |args: &[&str]| convert(args).err().map(|e| e.to_string()).unwrap_or_default();
    let local = refused(&["--conf", image, "./job.py"]);
    assert!(
        local.contains("the primary resource `./job.py` is a file on this machine") && local.contains("hint:"),
        "{local}"
    );
    let jar = refused(&["--conf", image, "--jars", "local:///ok.jar,/home/me/lib.jar", "local:///app/job.py"]);
    assert!(jar.starts_with("spark.jars `/home/me/lib.jar`"), "{jar}");
    let template =
        refused(&["--conf", image, "--conf", "spark.kubernetes.executor.podTemplateFile=t.yaml", "local:///j.py"]);
    assert!(
        template.contains("spark.kubernetes.executor.podTemplateFile") && template.contains("spec.executor.template"),
        "{template}"
    );
    let token =
        refused(&["--conf", image, "--conf", "spark.kubernetes.authenticate.driver.oauthToken=T", "local:///j.py"]);
    assert!(token.contains("spark.kubernetes.authenticate.driver.oauthToken") && !token.contains("=T"), "{token}");
    let hadoop = ResourceInputs { hadoop_conf_dir: Some("/etc/hadoop".into()), ..ResourceInputs::default() };
    let dir = from_submission(&submission(&["--conf", image, "local:///j.py"]), &hadoop).err().map(|e| e.to_string());
    assert!(dir.unwrap_or_default().starts_with("HADOOP_CONF_DIR (/etc/hadoop)"));
}

#[test]
fn the_version_comes_from_the_image_else_the_flag() {
    let flagged = ResourceInputs { spark_version: Some("3.5.9".into()), ..ResourceInputs::default() };
    let app = from_submission(
        &submission(&["--conf", "spark.kubernetes.container.image=spark:latest", "local:///j.py"]),
        &flagged,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.app.spec.spark_version, "3.5.9");
    let conflict = from_submission(
        &submission(&["--conf", "spark.kubernetes.container.image=spark:4.0.5", "local:///j.py"]),
        &flagged,
    );
    assert!(matches!(conflict, Err(ConversionError::Version(_))));
}

#[test]
fn a_pod_template_file_becomes_the_roles_template_with_kubeflows_container_name() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"labels": {"team": "a"}, "ownerReferences": [{"kind": "Deployment", "name": "x", "uid": "1"}]},
        "spec": {"containers": [{"name": "sidecar", "image": "busybox"}, {"name": "main", "image": "ignored"}]}});
    let inputs = ResourceInputs { driver_template: Some(pod), ..ResourceInputs::default() };
    let args = [
        "--conf",
        "spark.kubernetes.container.image=spark:4.0.5",
        "--conf",
        "spark.kubernetes.driver.podTemplateFile=driver.yaml",
        "--conf",
        "spark.kubernetes.driver.podTemplateContainerName=main",
        "local:///j.py",
    ];
    let converted = from_submission(&submission(&args), &inputs).unwrap_or_else(|e| panic!("{e}"));
    let spec = spec_json(&converted);
    assert_eq!(
        spec["driver"]["template"],
        json!({"metadata": {"labels": {"team": "a"}},
               "spec": {"containers": [{"name": "sidecar", "image": "busybox"},
                                       {"name": "spark-kubernetes-driver", "image": "ignored"}]}})
    );
    assert_eq!(spec.get("sparkConf"), None, "the file and container name are not passed on: {spec:#}");
    let notes = converted.notes.join("\n");
    assert!(notes.contains("container `main`") && notes.contains("ownerReferences are left out"), "{notes}");
}
