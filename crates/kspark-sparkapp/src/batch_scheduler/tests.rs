//! kubeflow's own expectations (internal/scheduler/volcano/scheduler_test.go,
//! internal/scheduler/yunikorn/scheduler_test.go), case by case.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::volcano::{GROUP_NAME_ANNOTATION, PodGroup};
use super::yunikorn::{QUEUE_LABEL, TASK_GROUP_NAME_ANNOTATION, TASK_GROUPS_ANNOTATION};
use super::{PodGroup as AnyGroup, kube_scheduler};
use super::{Scheduled, schedule};
use crate::application::SparkApplication;

fn app(name: &str, spec: Value) -> SparkApplication {
    let mut spec = spec;
    for (key, value) in [("sparkVersion", json!("3.5.9")), ("mainApplicationFile", json!("local:///a.jar"))] {
        spec.as_object_mut().map(|s| s.entry(key).or_insert(value));
    }
    spec.as_object_mut().map(|s| s.entry("type").or_insert(json!("Scala")));
    serde_json::from_value(json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "metadata": {"name": name, "namespace": "default", "uid": "u-1"},
        "spec": spec
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn scheduled(app: &SparkApplication) -> Scheduled {
    schedule(app).unwrap_or_else(|e| panic!("{e}"))
}

fn group(scheduled: &Scheduled) -> &PodGroup {
    match scheduled.pod_group.as_ref() {
        Some(AnyGroup::Volcano(group)) => group,
        other => panic!("no Volcano PodGroup: {other:?}"),
    }
}

fn resources(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

fn annotated(scheduled: &Scheduled) -> (Option<&String>, Option<&String>) {
    let spec = &scheduled.app.spec;
    (spec.driver.pod.annotations.get(GROUP_NAME_ANNOTATION), spec.executor.pod.annotations.get(GROUP_NAME_ANNOTATION))
}

#[test]
fn volcano_client_mode_with_queue_and_priority() {
    let app = app(
        "test-app",
        json!({"mode": "client", "driver": {}, "executor": {"instances": 1},
               "batchScheduler": "volcano",
               "batchSchedulerOptions": {"queue": "high-priority", "priorityClassName": "high"}}),
    );
    let done = scheduled(&app);
    let group = group(&done);
    assert_eq!((group.spec.queue.as_str(), group.spec.priority_class_name.as_str()), ("high-priority", "high"));
    assert_eq!(group.metadata.name.as_deref(), Some("spark-test-app-pg"));
    assert_eq!(annotated(&done), (None, Some(&"spark-test-app-pg".to_string())));
    let owners = group.metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(owners.len(), 1);
    assert_eq!((owners[0].kind.as_str(), owners[0].name.as_str()), ("SparkApplication", "test-app"));
    assert_eq!(owners[0].controller, Some(true));
}

#[test]
fn volcano_cluster_mode_with_queue_annotates_both_roles() {
    let app = app(
        "test-app-cluster",
        json!({"mode": "cluster", "driver": {}, "executor": {"instances": 1},
               "batchScheduler": "volcano", "batchSchedulerOptions": {"queue": "batch-queue"}}),
    );
    let done = scheduled(&app);
    assert_eq!(group(&done).spec.queue, "batch-queue");
    assert_eq!(group(&done).spec.priority_class_name, "");
    let name = "spark-test-app-cluster-pg".to_string();
    assert_eq!(annotated(&done), (Some(&name), Some(&name)));
    assert_eq!(group(&done).spec.min_member, 1);
}

#[test]
fn volcano_takes_the_given_resources_as_go_writes_them() {
    for (mode, given, name) in [
        ("client", json!({"cpu": "4", "memory": "8Gi", "gpu": "2"}), "test-app-resources"),
        ("cluster", json!({"cpu": "6", "memory": "12288Mi", "gpu": "4"}), "test-app-cluster-resources"),
    ] {
        let app = app(
            name,
            json!({"mode": mode,
                   "driver": {"memory": "2g", "cores": 1},
                   "executor": {"instances": 3, "memory": "1g", "cores": 1},
                   "batchScheduler": "volcano", "batchSchedulerOptions": {"resources": given}}),
        );
        let expected = if mode == "client" {
            resources(&[("cpu", "4"), ("gpu", "2"), ("memory", "8Gi")])
        } else {
            resources(&[("cpu", "6"), ("gpu", "4"), ("memory", "12Gi")])
        };
        assert_eq!(group(&scheduled(&app)).spec.min_resources, expected, "{mode}");
    }
}

#[test]
fn volcano_sums_requests_as_kubeflow_reads_them() {
    // kubeflow reads memory as a Kubernetes quantity: "2g" and "1g" are
    // none, so only the cores count.
    let spec = |mode| {
        json!({"mode": mode,
               "driver": {"memory": "2g", "cores": 1},
               "executor": {"instances": 2, "memory": "1g", "cores": 1},
               "batchScheduler": "volcano"})
    };
    let cluster = scheduled(&app("test-app-cluster-nil-options", spec("cluster")));
    assert_eq!(group(&cluster).spec.min_resources, resources(&[("cpu", "3")]));
    let client = scheduled(&app("test-app-client-nil-options", spec("client")));
    assert_eq!(group(&client).spec.min_resources, resources(&[("cpu", "2")]));
}

#[test]
fn volcano_for_kubeflows_spark_pi_volcano_example() {
    // examples/spark-pi-volcano.yaml: "512m" is 0.512 as a quantity.
    let app = app(
        "spark-pi-volcano",
        json!({"mode": "cluster", "driver": {"cores": 1, "memory": "512m"},
               "executor": {"instances": 2, "cores": 1, "memory": "512m"}, "batchScheduler": "volcano"}),
    );
    let group = serde_json::to_value(group(&scheduled(&app))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        group,
        json!({
            "apiVersion": "scheduling.volcano.sh/v1beta1", "kind": "PodGroup",
            "metadata": {"name": "spark-spark-pi-volcano-pg", "namespace": "default", "ownerReferences": [{
                "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication", "name": "spark-pi-volcano",
                "uid": "u-1", "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"minMember": 1, "minResources": {"cpu": "3", "memory": "1536m"}},
            "status": {"phase": "Pending"}
        })
    );
}

#[test]
fn volcano_requests_follow_core_request_limit_overhead_and_dynamic_allocation() {
    let app = app(
        "da",
        json!({"mode": "cluster",
               "driver": {"coreLimit": "1200m", "memory": "1Gi", "memoryOverhead": "512Mi"},
               "executor": {"instances": 1, "coreRequest": "500m", "cores": 2, "memory": "1Gi"},
               "dynamicAllocation": {"enabled": true, "initialExecutors": 3, "minExecutors": 2},
               "batchScheduler": "volcano"}),
    );
    // driver 1200m + 3 × 500m; 1.5Gi + 3 × 1Gi.
    assert_eq!(group(&scheduled(&app)).spec.min_resources, resources(&[("cpu", "2700m"), ("memory", "4608Mi")]));
}

#[test]
fn volcano_leaves_pods_that_already_name_a_group() {
    let app = app(
        "mine",
        json!({"driver": {"annotations": {GROUP_NAME_ANNOTATION: "other"}}, "executor": {},
               "batchScheduler": "volcano"}),
    );
    let done = scheduled(&app);
    assert!(done.pod_group.is_none());
    assert_eq!(done.app.spec, app.spec);
}

#[test]
fn volcano_refuses_a_given_resource_that_is_no_quantity() {
    let mut app = app("bad", json!({"driver": {}, "executor": {}, "batchScheduler": "volcano"}));
    let options = app.spec.batch_scheduler_options.get_or_insert_default();
    options.resources.insert("memory".into(), k8s_openapi::apimachinery::pkg::api::resource::Quantity("8gb".into()));
    let error = schedule(&app).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.starts_with("spec.batchSchedulerOptions.resources.memory: `8gb`"), "{error}");
}

/// The YuniKorn task groups kubeflow writes on the driver, as JSON.
fn task_groups(app: &SparkApplication) -> Value {
    let done = scheduled(app);
    let spec = &done.app.spec;
    assert_eq!(spec.driver.pod.scheduler_name.as_deref(), Some("yunikorn"));
    assert_eq!(spec.executor.pod.scheduler_name.as_deref(), Some("yunikorn"));
    assert_eq!(spec.driver.pod.annotations.get(TASK_GROUP_NAME_ANNOTATION).map(String::as_str), Some("spark-driver"));
    assert_eq!(
        spec.executor.pod.annotations.get(TASK_GROUP_NAME_ANNOTATION).map(String::as_str),
        Some("spark-executor")
    );
    assert!(!spec.executor.pod.annotations.contains_key(TASK_GROUPS_ANNOTATION));
    if let Some(queue) = app.spec.batch_scheduler_options.as_ref().and_then(|o| o.queue.as_ref()) {
        assert_eq!(spec.driver.pod.labels.get(QUEUE_LABEL), Some(queue));
        assert_eq!(spec.executor.pod.labels.get(QUEUE_LABEL), Some(queue));
    }
    let text = spec.driver.pod.annotations.get(TASK_GROUPS_ANNOTATION).unwrap_or_else(|| panic!("no task groups"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn two_groups(driver: Value, executors: i32, executor: Value) -> Value {
    json!([
        {"name": "spark-driver", "minMember": 1, "minResource": driver},
        {"name": "spark-executor", "minMember": executors, "minResource": executor}
    ])
}

#[test]
fn yunikorn_spark_pi_yunikorn() {
    let app = app(
        "spark-pi-yunikorn",
        json!({"type": "Scala",
               "driver": {"cores": 1, "coreLimit": "1200m", "memory": "512m"},
               "executor": {"instances": 2, "cores": 1, "coreLimit": "1200m", "memory": "512m"},
               "batchScheduler": "yunikorn", "batchSchedulerOptions": {"queue": "root.default"}}),
    );
    let mi896 = json!({"cpu": "1", "memory": "896Mi"});
    assert_eq!(task_groups(&app), two_groups(mi896.clone(), 2, mi896));
    // The exact text kubeflow's json.Marshal writes.
    let done = scheduled(&app);
    assert_eq!(
        done.app.spec.driver.pod.annotations.get(TASK_GROUPS_ANNOTATION).map(String::as_str),
        Some(
            r#"[{"name":"spark-driver","minMember":1,"minResource":{"cpu":"1","memory":"896Mi"}},{"name":"spark-executor","minMember":2,"minResource":{"cpu":"1","memory":"896Mi"}}]"#
        )
    );
}

#[test]
fn yunikorn_dynamic_allocation_and_memory_overhead() {
    let app = app(
        "da",
        json!({"type": "Python", "memoryOverheadFactor": "0.3",
               "driver": {"coreRequest": "2000m", "cores": 4, "memory": "8g"},
               "executor": {"instances": 4, "memoryOverhead": "2g", "cores": 8, "memory": "64g"},
               "dynamicAllocation": {"enabled": true, "initialExecutors": 8, "minExecutors": 2},
               "batchScheduler": "yunikorn", "batchSchedulerOptions": {"queue": "root.default"}}),
    );
    assert_eq!(
        task_groups(&app),
        two_groups(json!({"cpu": "2000m", "memory": "10649Mi"}), 8, json!({"cpu": "8", "memory": "67584Mi"}))
    );
}

#[test]
fn yunikorn_node_selectors_tolerations_affinity_and_labels() {
    let toleration =
        json!({"key": "example-key", "operator": "Equal", "value": "example-value", "effect": "NoSchedule"});
    let affinity = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "another-key", "operator": "In", "values": ["value1", "value2"]}]}]}}});
    let app = app(
        "placed",
        json!({"type": "Python", "nodeSelector": {"key": "value"},
               "driver": {"cores": 1, "memory": "1g", "nodeSelector": {"key": "newvalue", "key2": "value2"},
                          "tolerations": [toleration]},
               "executor": {"instances": 1, "cores": 1, "memory": "1g", "affinity": affinity,
                            "labels": {"label": "value"}},
               "batchScheduler": "yunikorn"}),
    );
    let mi1433 = json!({"cpu": "1", "memory": "1433Mi"});
    assert_eq!(
        task_groups(&app),
        json!([
            {"name": "spark-driver", "minMember": 1, "minResource": mi1433,
             "nodeSelector": {"key": "newvalue", "key2": "value2"}, "tolerations": [toleration]},
            {"name": "spark-executor", "minMember": 1, "minResource": mi1433,
             "nodeSelector": {"key": "value"}, "affinity": affinity, "labels": {"label": "value"}}
        ])
    );
}

#[test]
fn yunikorn_pyspark_and_off_heap_memory_count_for_executors() {
    let mi896 = json!({"cpu": "1", "memory": "896Mi"});
    for (conf, executor_memory) in [
        (json!({"spark.executor.pyspark.memory": "500m"}), "1396Mi"),
        (json!({"spark.memory.offHeap.enabled": "true", "spark.memory.offHeap.size": "400m"}), "1296Mi"),
        (
            json!({"spark.memory.offHeap.enabled": "true", "spark.memory.offHeap.size": "400m",
                   "spark.executor.pyspark.memory": "500m"}),
            "1796Mi",
        ),
        (json!({"spark.executor.pyspark.memory": "500"}), "1396Mi"),
        (json!({"spark.memory.offHeap.enabled": "false", "spark.memory.offHeap.size": "400m"}), "896Mi"),
    ] {
        let app = app(
            "py",
            json!({"type": "Python", "sparkConf": conf,
                   "driver": {"cores": 1, "memory": "512m"},
                   "executor": {"instances": 2, "cores": 1, "memory": "512m"},
                   "batchScheduler": "yunikorn"}),
        );
        let expected = two_groups(mi896.clone(), 2, json!({"cpu": "1", "memory": executor_memory}));
        assert_eq!(task_groups(&app), expected, "{conf}");
    }
}

#[test]
fn yunikorn_leaves_out_the_executor_group_without_initial_executors() {
    let app = app(
        "none",
        json!({"driver": {"cores": 1, "memory": "1g"}, "executor": {},
               "dynamicAllocation": {"enabled": true, "maxExecutors": 4}, "batchScheduler": "yunikorn"}),
    );
    let groups = task_groups(&app);
    assert_eq!(
        groups,
        json!([{"name": "spark-driver", "minMember": 1, "minResource": {"cpu": "1", "memory": "1408Mi"}}])
    );
}

#[test]
fn yunikorn_refuses_a_memory_spark_cannot_read() {
    let app = app("bad", json!({"driver": {"memory": "1.5g"}, "executor": {}, "batchScheduler": "yunikorn"}));
    let error = schedule(&app).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.starts_with("spec.driver.memory: `1.5g` is not a size with a unit"), "{error}");
}

#[test]
fn other_schedulers_change_nothing() {
    for scheduler in [None, Some("default-scheduler"), Some("")] {
        let mut app = app("plain", json!({"driver": {}, "executor": {}}));
        app.spec.batch_scheduler = scheduler.map(str::to_string);
        let done = scheduled(&app);
        assert!(done.pod_group.is_none());
        assert_eq!(done.app.spec, app.spec);
    }
}

#[test]
fn kube_scheduler_for_kubeflows_spark_pi_kube_scheduler_example() {
    // examples/spark-pi-kube-scheduler.yaml; kubeflow's kubescheduler
    // Schedule: a PodGroup named <app>-pg, minMember 1, the driver's and
    // executors' requests summed, and the group label on the application.
    let app = app(
        "spark-pi-kube-scheduler",
        json!({"mode": "cluster", "driver": {"cores": 1, "memory": "512m"},
               "executor": {"instances": 2, "cores": 1, "memory": "512m"}, "batchScheduler": "kube-scheduler"}),
    );
    let done = scheduled(&app);
    let Some(AnyGroup::KubeScheduler(group)) = done.pod_group.as_ref() else {
        panic!("no kube-scheduler PodGroup: {:?}", done.pod_group)
    };
    assert_eq!(
        serde_json::to_value(group).unwrap_or_else(|e| panic!("{e}")),
        json!({
            "apiVersion": "scheduling.x-k8s.io/v1alpha1", "kind": "PodGroup",
            "metadata": {"name": "spark-pi-kube-scheduler-pg", "namespace": "default", "ownerReferences": [{
                "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
                "name": "spark-pi-kube-scheduler", "uid": "u-1", "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"minMember": 1, "minResources": {"cpu": "3", "memory": "1536m"}}
        })
    );
    let labels = done.app.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get(kube_scheduler::POD_GROUP_LABEL).map(String::as_str), Some("spark-pi-kube-scheduler-pg"));
    // kubeflow's kube-scheduler sets no scheduler name of its own (the
    // webhook gives the pods spec.batchScheduler) and no annotation.
    assert_eq!(done.app.spec.driver.pod.scheduler_name, None);
    assert_eq!(annotated(&done), (None, None));
}

#[test]
fn kube_scheduler_sums_both_roles_in_client_mode_too() {
    let app = app(
        "client",
        json!({"mode": "client", "driver": {"cores": 1}, "executor": {"instances": 2, "cores": 1},
               "batchScheduler": "kube-scheduler"}),
    );
    let Some(AnyGroup::KubeScheduler(group)) = scheduled(&app).pod_group else { panic!("no PodGroup") };
    assert_eq!(group.spec.min_resources, resources(&[("cpu", "3")]));
}
