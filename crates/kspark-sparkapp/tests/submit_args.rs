//! The spark-submit command line for a SparkApplication. Expectations come
//! from reading kubeflow's internal/controller/sparkapplication/submission.go
//! and its submission_test.go (cited per test); where kubeflow ranges over a
//! Go map (random order), kspark's order is the keys' order.

use kspark_sparkapp::SparkApplication;
use kspark_sparkapp::pod::RawPodTemplate;
use kspark_sparkapp::submit::{MappingError, Problem, SubmitInputs, master_url, submit_args};
use serde_json::json;

const INPUTS: SubmitInputs<'static> = SubmitInputs {
    submission_id: "sub-123",
    master_url: "k8s://https://127.0.0.1:6443",
    pod_template_dir: "/tmp/spark/sub-123",
};

fn app(spec: serde_json::Value) -> SparkApplication {
    let mut base = json!({
        "type": "Scala", "sparkVersion": "4.0.4", "mainApplicationFile": "local:///app.jar",
        "mainClass": "org.example.Main", "driver": {}, "executor": {}
    });
    if let (Some(base), Some(extra)) = (base.as_object_mut(), spec.as_object()) {
        base.extend(extra.clone());
    }
    serde_json::from_value(json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "metadata": {"name": "test-app", "namespace": "default", "uid": "uid-123"},
        "spec": base
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn args(app: &SparkApplication) -> Vec<String> {
    submit_args(app, &INPUTS).unwrap_or_else(|e| panic!("{e}")).args
}

fn error(app: &SparkApplication) -> MappingError {
    match submit_args(app, &INPUTS) {
        Ok(command) => panic!("expected an error, got {:?}", command.args),
        Err(e) => e,
    }
}

/// The `--conf` values whose key starts with `prefix`, in order.
fn confs(args: &[String], prefix: &str) -> Vec<String> {
    args.windows(2).filter(|w| w[0] == "--conf" && w[1].starts_with(prefix)).map(|w| w[1].clone()).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// The whole list for kubeflow's TestBuildSparkSubmitArgsSkipPodTemplates app,
// defaulted as kubeflow's webhook would (1 core, 1g, 1 executor).
#[test]
fn minimal_application_gives_kubeflows_full_command_line_in_order() {
    let expected = strings(&[
        "--master",
        "k8s://https://127.0.0.1:6443",
        "--deploy-mode",
        "cluster",
        "--class",
        "org.example.Main",
        "--name",
        "test-app",
        "--conf",
        "spark.kubernetes.namespace=default",
        "--conf",
        "spark.kubernetes.submission.waitAppCompletion=false",
        "--conf",
        "spark.kubernetes.driver.pod.name=test-app-driver",
        "--conf",
        "spark.kubernetes.driver.label.sparkoperator.k8s.io/app-name=test-app",
        "--conf",
        "spark.kubernetes.driver.label.sparkoperator.k8s.io/launched-by-spark-operator=true",
        "--conf",
        "spark.kubernetes.driver.label.sparkoperator.k8s.io/mutated-by-spark-operator=true",
        "--conf",
        "spark.kubernetes.driver.label.sparkoperator.k8s.io/submission-id=sub-123",
        "--conf",
        "spark.driver.cores=1",
        "--conf",
        "spark.driver.memory=1g",
        "--conf",
        "spark.kubernetes.executor.label.sparkoperator.k8s.io/app-name=test-app",
        "--conf",
        "spark.kubernetes.executor.label.sparkoperator.k8s.io/launched-by-spark-operator=true",
        "--conf",
        "spark.kubernetes.executor.label.sparkoperator.k8s.io/mutated-by-spark-operator=true",
        "--conf",
        "spark.kubernetes.executor.label.sparkoperator.k8s.io/submission-id=sub-123",
        "--conf",
        "spark.executor.instances=1",
        "--conf",
        "spark.executor.cores=1",
        "--conf",
        "spark.executor.memory=1g",
        "--conf",
        "spark.kubernetes.driver.podTemplateFile=/tmp/spark/sub-123/driver-pod-template.yaml",
        "--conf",
        "spark.kubernetes.driver.podTemplateContainerName=spark-kubernetes-driver",
        "--conf",
        "spark.kubernetes.executor.podTemplateFile=/tmp/spark/sub-123/executor-pod-template.yaml",
        "--conf",
        "spark.kubernetes.executor.podTemplateContainerName=spark-kubernetes-executor",
        "local:///app.jar",
    ]);
    assert_eq!(args(&app(json!({}))), expected);
}

// TestDriverConfOption "basic driver configuration" (labels from the application).
#[test]
fn driver_settings_follow_kubeflows_driver_conf_option() {
    let mut a = app(json!({"driver": {"cores": 2, "coreLimit": "2", "memory": "2g", "image": "spark-driver:latest",
        "configMaps": [{"name": "driver-config", "path": "/etc/config"}]}}));
    a.metadata.labels = Some([("environment", "test"), ("team", "spark")].map(|(k, v)| (k.into(), v.into())).into());
    let all = args(&a);
    assert_eq!(
        confs(&all, "spark.kubernetes.driver.container.image")
            .into_iter()
            .chain(confs(&all, "spark.driver."))
            .collect::<Vec<_>>(),
        strings(&[
            "spark.kubernetes.driver.container.image=spark-driver:latest",
            "spark.driver.cores=2",
            "spark.driver.memory=2g"
        ])
    );
    assert_eq!(confs(&all, "spark.kubernetes.driver.limit.cores"), strings(&["spark.kubernetes.driver.limit.cores=2"]));
    assert_eq!(
        confs(&all, "spark.kubernetes.driver.label.")[4..],
        strings(&["spark.kubernetes.driver.label.environment=test", "spark.kubernetes.driver.label.team=spark"])
    );
}

// TestDriverConfOption / TestExecutorConfOption "kueue labels ... should not be propagated".
#[test]
fn kueue_labels_stay_on_the_application() {
    let mut a = app(json!({}));
    a.metadata.labels = Some(
        [("environment", "production"), ("kueue.x-k8s.io/queue-name", "high-priority")]
            .map(|(k, v)| (k.into(), v.into()))
            .into(),
    );
    let all = args(&a);
    assert!(!all.iter().any(|a| a.contains("kueue")), "{all:?}");
    assert!(all.contains(&"spark.kubernetes.executor.label.environment=production".to_string()));
}

// TestDriverConfOption "driver with labels and annotations".
#[test]
fn driver_labels_annotations_and_service_metadata() {
    let a = app(json!({"driver": {
        "labels": {"custom-label": "label-value", "priority": "high"},
        "annotations": {"custom-annotation": "annotation-value", "sidecar.istio.io/inject": "false"},
        "serviceLabels": {"service-label": "service-value", "environment": "production"},
        "serviceAnnotations": {"service-annotation": "svc-annotation-value", "prometheus.io/scrape": "true"}}}));
    let all = args(&a);
    assert_eq!(
        confs(&all, "spark.kubernetes.driver.annotation."),
        strings(&[
            "spark.kubernetes.driver.annotation.custom-annotation=annotation-value",
            "spark.kubernetes.driver.annotation.sidecar.istio.io/inject=false"
        ])
    );
    assert_eq!(
        confs(&all, "spark.kubernetes.driver.service."),
        strings(&[
            "spark.kubernetes.driver.service.label.environment=production",
            "spark.kubernetes.driver.service.label.service-label=service-value",
            "spark.kubernetes.driver.service.annotation.prometheus.io/scrape=true",
            "spark.kubernetes.driver.service.annotation.service-annotation=svc-annotation-value",
        ])
    );
}

// TestExecutorConfOption "custom executor configs": kubeflow's order is
// labels, instances, image, cores, request, limit, memory, overhead, deleteOnTermination.
#[test]
fn executor_settings_follow_kubeflows_executor_conf_option() {
    let a = app(json!({"executor": {"coreRequest": "2", "image": "custom-executor:v1", "cores": 4, "coreLimit": "4",
        "memory": "4g", "memoryOverhead": "1g", "instances": 3, "deleteOnTermination": true}}));
    let all = args(&a);
    let executor: Vec<String> = all
        .windows(2)
        .filter(|w| {
            w[0] == "--conf" && (w[1].starts_with("spark.executor.") || w[1].starts_with("spark.kubernetes.executor."))
        })
        .map(|w| w[1].clone())
        .filter(|c| !c.contains(".label.") && !c.contains("podTemplate"))
        .collect();
    assert_eq!(
        executor,
        strings(&[
            "spark.executor.instances=3",
            "spark.kubernetes.executor.container.image=custom-executor:v1",
            "spark.executor.cores=4",
            "spark.kubernetes.executor.request.cores=2",
            "spark.kubernetes.executor.limit.cores=4",
            "spark.executor.memory=4g",
            "spark.executor.memoryOverhead=1g",
            "spark.kubernetes.executor.deleteOnTermination=true",
        ])
    );
}

// TestDriverVolumeMountsOption: hostPath read-only, emptyDir sizeLimit, emptyDir medium.
#[test]
fn local_dir_volumes_become_spark_volume_settings() {
    let a = app(json!({
        "volumes": [
            {"name": "spark-local-dir-test", "hostPath": {"path": "/tmp/test-path"}},
            {"name": "spark-local-dir-scratch", "emptyDir": {"sizeLimit": "10Gi", "medium": "Memory"}},
            {"name": "config", "configMap": {"name": "cm"}}
        ],
        "driver": {"volumeMounts": [
            {"name": "spark-local-dir-test", "mountPath": "/tmp/mount-path", "readOnly": true},
            {"name": "spark-local-dir-scratch", "mountPath": "/tmp/scratch", "subPath": "s"},
            {"name": "config", "mountPath": "/etc/config"}
        ]}
    }));
    assert_eq!(
        confs(&args(&a), "spark.kubernetes.driver.volumes."),
        strings(&[
            "spark.kubernetes.driver.volumes.hostPath.spark-local-dir-test.mount.path=/tmp/mount-path",
            "spark.kubernetes.driver.volumes.hostPath.spark-local-dir-test.mount.readOnly=true",
            "spark.kubernetes.driver.volumes.hostPath.spark-local-dir-test.options.path=/tmp/test-path",
            "spark.kubernetes.driver.volumes.emptyDir.spark-local-dir-scratch.mount.path=/tmp/scratch",
            "spark.kubernetes.driver.volumes.emptyDir.spark-local-dir-scratch.mount.subPath=s",
            "spark.kubernetes.driver.volumes.emptyDir.spark-local-dir-scratch.options.sizeLimit=10Gi",
            "spark.kubernetes.driver.volumes.emptyDir.spark-local-dir-scratch.options.medium=Memory",
        ])
    );
}

// submission.go executorVolumeMountsOption: nfs and persistentVolumeClaim.
#[test]
fn nfs_and_claim_local_dirs_for_executors() {
    let a = app(json!({
        "volumes": [
            {"name": "spark-local-dir-nfs", "nfs": {"server": "nfs.local", "path": "/export", "readOnly": true}},
            {"name": "spark-local-dir-pvc", "persistentVolumeClaim": {"claimName": "scratch"}}
        ],
        "executor": {"volumeMounts": [
            {"name": "spark-local-dir-nfs", "mountPath": "/a"},
            {"name": "spark-local-dir-pvc", "mountPath": "/b"}
        ]}
    }));
    assert_eq!(
        confs(&args(&a), "spark.kubernetes.executor.volumes."),
        strings(&[
            "spark.kubernetes.executor.volumes.nfs.spark-local-dir-nfs.mount.path=/a",
            "spark.kubernetes.executor.volumes.nfs.spark-local-dir-nfs.options.path=/export",
            "spark.kubernetes.executor.volumes.nfs.spark-local-dir-nfs.options.server=nfs.local",
            "spark.kubernetes.executor.volumes.nfs.spark-local-dir-nfs.options.readOnly=true",
            "spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-pvc.mount.path=/b",
            "spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-pvc.options.claimName=scratch",
        ])
    );
}

#[test]
fn a_local_dir_mount_without_its_volume_names_the_mount() {
    let a = app(json!({"executor": {"volumeMounts": [{"name": "spark-local-dir-x", "mountPath": "/x"}]}}));
    let e = error(&a);
    assert_eq!(e.field, "spec.executor.volumeMounts[0]");
    assert_eq!(e.problem, Problem::VolumeNotFound("spark-local-dir-x".into()));
}

#[test]
fn a_local_dir_of_an_unsupported_type_names_the_mount() {
    let a = app(json!({"volumes": [{"name": "spark-local-dir-1", "configMap": {"name": "cm"}}],
        "driver": {"volumeMounts": [{"name": "spark-local-dir-1", "mountPath": "/x"}]}}));
    let e = error(&a);
    assert_eq!(
        (e.field.as_str(), e.problem),
        ("spec.driver.volumeMounts[0]", Problem::UnsupportedLocalDirVolume("spark-local-dir-1".into()))
    );
}

// submission.go dynamicAllocationOption; defaults.go turns shuffle tracking on.
#[test]
fn dynamic_allocation_writes_shuffle_tracking_and_drops_the_default_instance_count() {
    let a = app(
        json!({"dynamicAllocation": {"enabled": true, "initialExecutors": 2, "minExecutors": 1, "maxExecutors": 5}}),
    );
    let all = args(&a);
    assert_eq!(
        confs(&all, "spark.dynamicAllocation."),
        strings(&[
            "spark.dynamicAllocation.enabled=true",
            "spark.dynamicAllocation.initialExecutors=2",
            "spark.dynamicAllocation.minExecutors=1",
            "spark.dynamicAllocation.maxExecutors=5",
            "spark.dynamicAllocation.shuffleTracking.enabled=true",
        ])
    );
    assert!(confs(&all, "spark.executor.instances").is_empty());
}

// submission.go dependenciesOption (order jars, packages, exclude, repositories, py-files, files, archives),
// then namespace and image options.
#[test]
fn dependencies_and_images_come_before_the_namespace_and_after_the_name() {
    let a =
        app(json!({"deps": {"jars": ["a.jar", "b.jar"], "files": ["f"], "pyFiles": ["p.py"], "packages": ["g:a:1"],
        "excludePackages": ["g:x"], "repositories": ["https://repo"], "archives": ["z.zip#z"]},
        "image": "spark:4", "imagePullPolicy": "Always", "imagePullSecrets": ["s1", "s2"],
        "pythonVersion": "3", "memoryOverheadFactor": "0.2", "proxyUser": "alice", "arguments": ["1", "two"]}));
    let all = args(&a);
    let name = all.iter().position(|a| a == "--name").unwrap_or(usize::MAX);
    assert_eq!(
        all[name + 2..name + 16],
        strings(&[
            "--jars",
            "a.jar,b.jar",
            "--packages",
            "g:a:1",
            "--exclude-packages",
            "g:x",
            "--repositories",
            "https://repo",
            "--py-files",
            "p.py",
            "--files",
            "f",
            "--archives",
            "z.zip#z"
        ])
    );
    assert_eq!(
        all[name + 16..name + 30],
        strings(&[
            "--conf",
            "spark.kubernetes.namespace=default",
            "--conf",
            "spark.kubernetes.container.image=spark:4",
            "--conf",
            "spark.kubernetes.container.image.pullPolicy=Always",
            "--conf",
            "spark.kubernetes.container.image.pullSecrets=s1,s2",
            "--conf",
            "spark.kubernetes.pyspark.pythonVersion=3",
            "--conf",
            "spark.kubernetes.memoryOverheadFactor=0.2",
            "--conf",
            "spark.kubernetes.submission.waitAppCompletion=false"
        ])
    );
    assert_eq!(all[all.len() - 5..], strings(&["--proxy-user", "alice", "local:///app.jar", "1", "two"]));
    // The application image is also each role's image.
    assert!(all.contains(&"spark.kubernetes.executor.container.image=spark:4".to_string()));
}

// submission.go sparkConfOption skips the pod name, driverPodNameOption / util.GetDriverPodName.
#[test]
fn spark_conf_hadoop_conf_and_the_driver_pod_name() {
    let a = app(json!({"sparkConf": {"spark.ui.port": "4041", "spark.kubernetes.driver.pod.name": "from-conf"},
        "hadoopConf": {"fs.s3a.endpoint": "http://minio"}}));
    let all = args(&a);
    assert_eq!(confs(&all, "spark.ui."), strings(&["spark.ui.port=4041"]));
    assert_eq!(confs(&all, "spark.hadoop."), strings(&["spark.hadoop.fs.s3a.endpoint=http://minio"]));
    assert_eq!(
        confs(&all, "spark.kubernetes.driver.pod.name"),
        strings(&["spark.kubernetes.driver.pod.name=from-conf"])
    );
    let named =
        app(json!({"driver": {"podName": "chosen"}, "sparkConf": {"spark.kubernetes.driver.pod.name": "from-conf"}}));
    assert_eq!(
        confs(&args(&named), "spark.kubernetes.driver.pod.name"),
        strings(&["spark.kubernetes.driver.pod.name=chosen"])
    );
}

// submission.go driverSecretOption / executorSecretOption and env options.
#[test]
fn secrets_and_environment() {
    let a = app(json!({
        "driver": {"secrets": [{"name": "gcp", "path": "/mnt/gcp/", "secretType": "GCPServiceAccount"}],
                   "envVars": {"A": "1"}, "envSecretKeyRefs": {"PASSWORD": {"name": "db", "key": "pw"}}},
        "executor": {"secrets": [{"name": "hadoop", "path": "/mnt/h", "secretType": "HadoopDelegationToken"},
                                 {"name": "plain", "path": "/mnt/p", "secretType": "Generic"}],
                     "envVars": {"B": "2"}}}));
    let all = args(&a);
    assert_eq!(
        confs(&all, "spark.kubernetes.driver.secret"),
        strings(&[
            "spark.kubernetes.driver.secretKeyRef.PASSWORD=db:pw",
            "spark.kubernetes.driver.secrets.gcp=/mnt/gcp/"
        ])
    );
    assert_eq!(
        confs(&all, "spark.kubernetes.driverEnv."),
        strings(&[
            "spark.kubernetes.driverEnv.A=1",
            "spark.kubernetes.driverEnv.GOOGLE_APPLICATION_CREDENTIALS=/mnt/gcp/key.json"
        ])
    );
    assert_eq!(
        confs(&all, "spark.executorEnv."),
        strings(&["spark.executorEnv.B=2", "spark.executorEnv.HADOOP_TOKEN_FILE_LOCATION=/mnt/h/hadoop.token"])
    );
}

// monitoring_config.go configPrometheusMonitoring, as it rewrites the spec before submission.
#[test]
fn prometheus_monitoring_adds_metrics_conf_annotations_and_the_java_agent() {
    let a = app(
        json!({"driver": {"javaOptions": "-Xss4m"}, "monitoring": {"exposeDriverMetrics": true, "exposeExecutorMetrics": false,
        "prometheus": {"jmxExporterJar": "/prometheus/jmx.jar", "port": 8090}}}),
    );
    let all = args(&a);
    assert_eq!(
        confs(&all, "spark.metrics."),
        strings(&[
            "spark.metrics.conf=/etc/metrics/conf/metrics.properties",
            "spark.metrics.namespace=default.test-app"
        ])
    );
    assert_eq!(
        confs(&all, "spark.driver.extraJavaOptions"),
        strings(&[
            "spark.driver.extraJavaOptions=-Xss4m -javaagent:/prometheus/jmx.jar=8090:/etc/metrics/conf/prometheus.yaml"
        ])
    );
    assert_eq!(confs(&all, "spark.kubernetes.driver.annotation.prometheus.io/").len(), 3);
    assert!(confs(&all, "spark.kubernetes.executor.annotation.").is_empty());
    assert!(confs(&all, "spark.executor.extraJavaOptions").is_empty());
}

// submission.go driverConfOption: with a template and Spark >= 3 the webhook is not needed.
#[test]
fn a_template_drops_the_mutated_by_label_for_that_role_only() {
    let a = app(json!({"driver": {"template": {"spec": {"containers": [{"name": "spark-kubernetes-driver"}]}}}}));
    let all = args(&a);
    assert!(confs(&all, "spark.kubernetes.driver.label.sparkoperator.k8s.io/mutated").is_empty());
    assert_eq!(confs(&all, "spark.kubernetes.executor.label.sparkoperator.k8s.io/mutated").len(), 1);
}

// TestDriverPodTemplateContents / TestExecutorPodTemplateContents.
#[test]
fn pod_templates_carry_the_owner_reference() {
    let a = app(json!({"executor": {"template": {"metadata": {"ownerReferences": [
        {"apiVersion": "v1", "kind": "X", "name": "owner-in-template", "uid": "u"}]}}}}));
    let command = submit_args(&a, &INPUTS).unwrap_or_else(|e| panic!("{e}"));
    let driver = serde_json::to_value(&command.driver_pod_template).unwrap_or_default();
    assert_eq!(
        driver,
        json!({"metadata": {"ownerReferences": [{"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "name": "test-app", "uid": "uid-123", "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"containers": [{"name": "spark-kubernetes-driver"}]}})
    );
    let executor = serde_json::to_value(&command.executor_pod_template).unwrap_or_default();
    // A template without containers gets the one Spark would create, where
    // kubeflow's pod mutations go (kspark_sparkapp::webhook).
    assert_eq!(
        executor,
        json!({"metadata": {"ownerReferences": [
            {"apiVersion": "v1", "kind": "X", "name": "owner-in-template", "uid": "u"},
            {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication", "name": "test-app", "uid": "uid-123"}]},
            "spec": {"containers": [{"name": "spark-kubernetes-executor"}]}})
    );
    // Already there: not added twice.
    let mut again = a.clone();
    again.spec.executor.pod.template = RawPodTemplate::from_spec(&command.executor_pod_template).ok();
    let twice = submit_args(&again, &INPUTS).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(twice.executor_pod_template, command.executor_pod_template);
}

// pkg/util/util.go GetMasterURL (and Test_getMasterURL).
#[test]
fn master_url_brackets_ipv6() {
    assert_eq!(master_url("10.0.0.1", "443"), "k8s://https://10.0.0.1:443");
    assert_eq!(master_url("fd00::1", "443"), "k8s://https://[fd00::1]:443");
    assert_eq!(master_url("[fd00::1]", "443"), "k8s://https://[fd00::1]:443");
}

// internal/webhook/sparkconf_validator.go and sparkapplication_validator.go.
#[test]
fn what_kubeflows_validating_webhook_rejects_names_the_field() {
    let cases = [
        (json!({"sparkConf": {"spark.master": "local"}}), "spec.sparkConf[\"spark.master\"]"),
        (
            json!({"sparkConf": {"spark.kubernetes.namespace": "other"}}),
            "spec.sparkConf[\"spark.kubernetes.namespace\"]",
        ),
        (json!({"nodeSelector": {"a": "b"}, "driver": {"nodeSelector": {"c": "d"}}}), "spec.nodeSelector"),
        (json!({"sparkVersion": "2.4.8", "executor": {"template": {}}}), "spec.executor.template"),
        (json!({"driver": {"cores": 0}}), "spec.driver.cores"),
        (json!({"executor": {"instances": 0}}), "spec.executor.instances"),
        (json!({"executor": {"memory": "1.5g"}}), "spec.executor.memory"),
        (json!({"driver": {"memoryOverhead": "512Mi"}}), "spec.driver.memoryOverhead"),
        (
            json!({"monitoring": {"exposeDriverMetrics": true, "exposeExecutorMetrics": true,
            "prometheus": {"jmxExporterJar": "j", "port": 80}}}),
            "spec.monitoring.prometheus.port",
        ),
    ];
    for (spec, field) in cases {
        let e = error(&app(spec.clone()));
        assert_eq!(e.field, field, "{spec}: {e}");
        assert!(e.to_string().starts_with(&format!("{field}: ")), "{e}");
    }
    let mut unnamed = app(json!({}));
    unnamed.metadata.name = Some("Bad_Name".into());
    assert_eq!(error(&unnamed).problem, Problem::InvalidName("Bad_Name".into()));
    unnamed.metadata.uid = None;
    unnamed.metadata.name = Some("ok".into());
    assert_eq!(error(&unnamed).field, "metadata.uid");
}

#[test]
fn the_namespace_in_spark_conf_may_repeat_the_applications() {
    let a = app(json!({"sparkConf": {"spark.kubernetes.namespace": "default"}}));
    assert_eq!(confs(&args(&a), "spark.kubernetes.namespace").len(), 2);
}

// kubeflow reads the template with its Go type: fields that type lacks are
// dropped (here container fields put into the pod securityContext, as in
// kubeflow's own spark-pi-pod-template example); a wrong type is an error.
#[test]
fn templates_are_read_as_pod_template_specs() {
    let a = app(
        json!({"driver": {"template": {"spec": {"securityContext": {"runAsUser": 185, "allowPrivilegeEscalation": false}}}}}),
    );
    let command = submit_args(&a, &INPUTS).unwrap_or_else(|e| panic!("{e}"));
    let pod_security =
        serde_json::to_value(&command.driver_pod_template).unwrap_or_default()["spec"]["securityContext"].clone();
    assert_eq!(pod_security, json!({"runAsUser": 185}));
    let bad = app(json!({"executor": {"template": {"spec": {"containers": "not a list"}}}}));
    let e = error(&bad);
    assert_eq!(e.field, "spec.executor.template");
    assert!(matches!(e.problem, Problem::InvalidTemplate(_)), "{e}");
}
