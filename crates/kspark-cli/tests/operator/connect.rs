//! `kspark operator run` with SparkConnects against a real control plane
//! and the simulated node, which plays the server pod as running and ready
//! (no Spark runs here: tests/real_node/connect.rs runs a real server). What
//! is checked is the operator's part: the objects, the status, a deleted
//! pod made again, a changed spec restarting the server, a bad spec failing
//! alone, and a full quota waited on with the reason.

use std::ops::ControlFlow;
use std::time::Duration;

use crate::{admin, namespace, operator};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, ResourceQuota, Service};
use k8s_openapi::api::events::v1::Event;
use kspark_sparkapp::{ConnectState, SparkConnect};
use kspark_testcluster::{block_on, eventually, poll_until};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

/// A small SparkConnect whose server the simulated node keeps running.
fn connect(name: &str) -> Value {
    json!({
        "apiVersion": "sparkoperator.k8s.io/v1alpha1", "kind": "SparkConnect",
        "metadata": {"name": name},
        "spec": {
            "sparkVersion": "4.0.4", "image": "kspark/spark:4.0.4",
            "sparkConf": {"spark.sql.shuffle.partitions": "4"},
            "server": {"cores": 1, "memory": "512m",
                       "template": {"metadata": {"annotations": {"kspark.test/outcome": "run-forever"}},
                                    "spec": {"serviceAccountName": "spark"}}},
            "executor": {"instances": 2, "cores": 1, "memory": "512m"}
        }
    })
}

fn connects(ns: &str) -> Api<SparkConnect> {
    Api::namespaced(admin(), ns)
}

fn create(ns: &str, value: Value) {
    let object: SparkConnect = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    block_on(connects(ns).create(&PostParams::default(), &object)).unwrap_or_else(|e| panic!("create: {e}"));
}

fn wait_for(ns: &str, name: &str, what: &str, done: impl Fn(&SparkConnect) -> bool) -> SparkConnect {
    poll_until(Duration::from_secs(60), what, || {
        let current = block_on(connects(ns).get(name)).unwrap_or_else(|e| panic!("get {name}: {e}"));
        if done(&current) { ControlFlow::Break(current) } else { ControlFlow::Continue(current.status) }
    })
}

fn state(connect: &SparkConnect) -> ConnectState {
    connect.status.as_ref().map(|s| s.state).unwrap_or_default()
}

fn server_pod(ns: &str, name: &str) -> Option<Pod> {
    let pods: Api<Pod> = Api::namespaced(admin(), ns);
    block_on(pods.get_opt(name)).unwrap_or_else(|e| panic!("get pod {name}: {e}"))
}

fn uid(pod: &Pod) -> String {
    pod.metadata.uid.clone().unwrap_or_default()
}

fn server_args(pod: &Pod) -> String {
    pod.spec.as_ref().map(|s| s.containers[0].args.clone().unwrap_or_default().join(" ")).unwrap_or_default()
}

fn event_reasons(ns: &str, name: &str) -> Vec<String> {
    let events: Api<Event> = Api::namespaced(admin(), ns);
    let list = block_on(events.list(&ListParams::default())).unwrap_or_else(|e| panic!("events: {e}"));
    let about = |e: &&Event| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name);
    list.items.iter().filter(about).filter_map(|e| e.reason.clone()).collect()
}

#[test]
fn a_spark_connect_gets_its_objects_and_kubeflows_status_and_is_kept_so() {
    let ns = namespace("connect");
    let _operator = operator(&ns, &[]);
    create(&ns, connect("nb"));
    let ready = wait_for(&ns, "nb", "nb Ready", |c| state(c) == ConnectState::Ready);
    let status = ready.status.unwrap_or_default();
    assert_eq!(status.server.pod_name, "nb-server");
    assert_eq!(status.server.service_name, "nb-server");
    assert!(!status.server.pod_ip.is_empty(), "{status:?}");
    assert_eq!(status.conditions[0].type_, "ServerPodReady");
    assert_eq!(status.conditions[0].status, "True");
    assert!(status.start_time.is_some() && status.last_update_time.is_some());
    let config_maps: Api<ConfigMap> = Api::namespaced(admin(), &ns);
    let config_map = block_on(config_maps.get("nb-conf")).unwrap_or_else(|e| panic!("nb-conf: {e}"));
    let owner = &config_map.metadata.owner_references.unwrap_or_default()[0];
    assert_eq!((owner.kind.as_str(), owner.name.as_str(), owner.controller), ("SparkConnect", "nb", Some(true)));
    let services: Api<Service> = Api::namespaced(admin(), &ns);
    let service = block_on(services.get("nb-server")).unwrap_or_else(|e| panic!("nb-server Service: {e}"));
    let ports: Vec<i32> = service.spec.and_then(|s| s.ports).unwrap_or_default().iter().map(|p| p.port).collect();
    assert!(ports.contains(&15002), "{ports:?}");
    assert!(event_reasons(&ns, "nb").contains(&"SparkConnectReady".to_string()));

    // A deleted server pod is made again.
    let first = server_pod(&ns, "nb-server").unwrap_or_else(|| panic!("no server pod"));
    let pods: Api<Pod> = Api::namespaced(admin(), &ns);
    block_on(pods.delete("nb-server", &DeleteParams::default().grace_period(0))).unwrap_or_else(|e| panic!("{e}"));
    eventually(60, "a new server pod", || server_pod(&ns, "nb-server").is_some_and(|p| uid(&p) != uid(&first)));
    wait_for(&ns, "nb", "nb Ready again", |c| state(c) == ConnectState::Ready);

    // A deleted ConfigMap is made again.
    block_on(config_maps.delete("nb-conf", &DeleteParams::default())).unwrap_or_else(|e| panic!("{e}"));
    eventually(60, "nb-conf again", || block_on(config_maps.get_opt("nb-conf")).ok().flatten().is_some());

    // A changed spec restarts the server with the new settings.
    let second = server_pod(&ns, "nb-server").unwrap_or_else(|| panic!("no server pod"));
    assert!(server_args(&second).contains("spark.sql.shuffle.partitions=4"), "{}", server_args(&second));
    let change = json!({"spec": {"sparkConf": {"spark.sql.shuffle.partitions": "8"}}});
    block_on(connects(&ns).patch("nb", &PatchParams::default(), &Patch::Merge(&change)))
        .unwrap_or_else(|e| panic!("{e}"));
    let third = poll_until(Duration::from_secs(90), "the server restarted with the new spec", || {
        match server_pod(&ns, "nb-server") {
            Some(p) if uid(&p) != uid(&second) && p.metadata.deletion_timestamp.is_none() => ControlFlow::Break(p),
            other => ControlFlow::Continue(other.map(|p| uid(&p))),
        }
    });
    assert!(server_args(&third).contains("spark.sql.shuffle.partitions=8"), "{}", server_args(&third));
    wait_for(&ns, "nb", "nb Ready after the change", |c| state(c) == ConnectState::Ready);
}

#[test]
fn a_bad_spec_fails_alone_naming_the_field() {
    let ns = namespace("connect-bad");
    let _operator = operator(&ns, &[]);
    let mut bad = connect("no-image");
    bad["spec"].as_object_mut().map(|s| s.remove("image"));
    create(&ns, bad);
    create(&ns, connect("good"));
    let failed = wait_for(&ns, "no-image", "no-image Failed", |c| state(c) == ConnectState::Failed);
    let message = failed.status.unwrap_or_default().conditions[0].message.clone();
    assert!(message.starts_with("spec.image: image is not specified"), "{message}");
    assert!(server_pod(&ns, "no-image-server").is_none(), "nothing is half-made");
    eventually(30, "a SparkConnectFailed event", || {
        event_reasons(&ns, "no-image").contains(&"SparkConnectFailed".into())
    });
    wait_for(&ns, "good", "good Ready beside it", |c| state(c) == ConnectState::Ready);
}

#[test]
fn a_full_quota_is_waited_on_with_the_reason() {
    let ns = namespace("connect-quota");
    let quotas: Api<ResourceQuota> = Api::namespaced(admin(), &ns);
    let quota = |pods: &str| -> ResourceQuota {
        serde_json::from_value(json!({"metadata": {"name": "pods"}, "spec": {"hard": {"pods": pods}}}))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    block_on(quotas.create(&PostParams::default(), &quota("0"))).unwrap_or_else(|e| panic!("{e}"));
    // The quota's usage must be known before it refuses anything.
    eventually(30, "the quota's usage", || {
        block_on(quotas.get("pods")).ok().and_then(|q| q.status).and_then(|s| s.used).is_some()
    });
    let _operator = operator(&ns, &[]);
    create(&ns, connect("waits"));
    let waiting = wait_for(&ns, "waits", "waits Provisioning", |c| state(c) == ConnectState::Provisioning);
    let condition = waiting.status.unwrap_or_default().conditions[0].clone();
    assert_eq!(condition.reason, "QuotaExceeded");
    assert!(condition.message.contains("exceeded quota"), "{}", condition.message);
    let raise = json!({"spec": {"hard": {"pods": "5"}}});
    block_on(quotas.patch("pods", &PatchParams::default(), &Patch::Merge(&raise))).unwrap_or_else(|e| panic!("{e}"));
    wait_for(&ns, "waits", "waits Ready once the quota has room", |c| state(c) == ConnectState::Ready);
}
