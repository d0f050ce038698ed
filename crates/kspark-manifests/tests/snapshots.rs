//! Snapshots of the objects built for fixed inputs (IDs, clock, user), one
//! per Spark line for a plain app and one with most features at once. The
//! golden test (kspark-cli) proves parity with Spark; these make every
//! change to the output visible in review.

use kspark_config::{SparkVersion, SubmitArgs, SubmitEnv};
use kspark_manifests::{BuildContext, SubmissionIds, SubmitterInputs, build_driver};

fn ids() -> SubmissionIds {
    SubmissionIds {
        app_id: "spark-0123456789abcdef0123456789abcdef".into(),
        prefix_id: "aaaaaa0000000001".into(),
        conf_map_id: "bbbbbb0000000002".into(),
        service_fallback_id: "cccccc0000000003".into(),
        local_dir_uuid: "11111111-2222-3333-4444-555555555555".into(),
    }
}

fn render(args: &[&str], version: &str, inputs: SubmitterInputs) -> String {
    let parsed = SubmitArgs::parse(args.iter().copied()).unwrap_or_else(|e| panic!("{e}"));
    let submission = parsed.resolve(&SubmitEnv::default()).unwrap_or_else(|e| panic!("{e}"));
    let ctx = BuildContext {
        submission: &submission,
        version: SparkVersion::parse(version).unwrap_or_else(|e| panic!("{e}")),
        ids: ids(),
        inputs: SubmitterInputs { user: "ada".into(), ..inputs },
        now_millis: 1_795_000_000_000,
    };
    let objects = build_driver(&ctx).unwrap_or_else(|e| panic!("{e}"));
    objects.to_json().iter().map(|o| serde_saphyr::to_string(o).unwrap_or_default()).collect::<Vec<_>>().join("---\n")
}

const PI: [&str; 9] = [
    "--master",
    "k8s://https://aks.example.com:443",
    "--deploy-mode",
    "cluster",
    "--name",
    "spark-pi",
    "--class",
    "org.apache.spark.examples.SparkPi",
    "local:///opt/spark/examples/jars/spark-examples.jar",
];

#[test]
fn plain_java_app_per_spark_line() {
    for version in ["3.5.9", "4.0.5", "4.1.4", "4.2.1", "4.3.0"] {
        let image = format!("spark.kubernetes.container.image=apache/spark:{version}");
        let mut args = vec!["--conf", &image];
        args.extend(PI);
        insta::assert_snapshot!(format!("pi-{version}"), render(&args, version, SubmitterInputs::default()));
    }
}

#[test]
fn python_app_with_most_features() {
    let args = [
        "--master",
        "k8s://https://aks.example.com:443",
        "--deploy-mode",
        "cluster",
        "--name",
        "ETL job #7",
        "--driver-memory",
        "2g",
        "--num-executors",
        "4",
        "--conf",
        "spark.kubernetes.container.image=myacr.azurecr.io/spark:4.0.5-python3",
        "--conf",
        "spark.kubernetes.namespace=tenant-a",
        "--conf",
        "spark.kubernetes.authenticate.driver.serviceAccountName=spark",
        "--conf",
        "spark.kubernetes.authenticate.submission.oauthToken=NOT-IN-THE-CLUSTER",
        "--conf",
        "spark.kubernetes.container.image.pullSecrets=acr-pull",
        "--conf",
        "spark.kubernetes.driver.label.team=data",
        "--conf",
        "spark.kubernetes.node.selector.agentpool=spark",
        "--conf",
        "spark.kubernetes.driver.secretKeyRef.DB_PASSWORD=db:password",
        "--conf",
        "spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.mount.path=/scratch",
        "--conf",
        "spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.options.claimName=OnDemand",
        "--conf",
        "spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.options.storageClass=managed-csi",
        "--conf",
        "spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.options.sizeLimit=10Gi",
        "local:///app/etl.py",
        "--date",
        "2026-11-24",
    ];
    let rendered = render(&args, "4.0.5", SubmitterInputs::default());
    assert!(!rendered.contains("NOT-IN-THE-CLUSTER"), "the submission token must be redacted");
    insta::assert_snapshot!("python-most-features", rendered);
}
