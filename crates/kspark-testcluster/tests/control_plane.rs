//! The control plane really enforces what kspark's tests rely on: RBAC,
//! ResourceQuota, garbage collection, scheduling, TLS; and the fake node
//! plays pods as their annotations say.
//!
//! All tests share one cluster (`TestCluster::shared`) and isolate
//! themselves by namespace. Without binaries they fail with the reason.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{
    ConfigMap, ContainerStateTerminated, ContainerStateWaiting, Namespace, Pod, ResourceQuota,
};
use kspark_testcluster::annotations::{OUTCOME, RUN_MILLIS};
use kspark_testcluster::{ExecPlugin, TestCluster, TestUser};
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const WAIT: Duration = Duration::from_secs(60);

/// Polls `probe` until it yields `Some`, failing after `WAIT` with `what`
/// and the last thing seen.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> Result<T, Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, String>>,
{
    let start = Instant::now();
    let mut last = String::from("nothing yet");
    while start.elapsed() < WAIT {
        match probe().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(seen) => last = seen,
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("timed out after {WAIT:?} waiting for {what}; last seen: {last}").into())
}

fn pod(name: &str, annotations: &[(&str, &str)], cpu: &str) -> Result<Pod, serde_json::Error> {
    let annotations: BTreeMap<&str, &str> = annotations.iter().copied().collect();
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "annotations": annotations },
        "spec": {
            "restartPolicy": "Never",
            "containers": [{
                "name": "main",
                "image": "registry.invalid/spark:test",
                "resources": { "requests": { "cpu": cpu, "memory": "64Mi" } },
            }],
        },
    }))
}

async fn create_pod(
    api: &Api<Pod>,
    name: &str,
    annotations: &[(&str, &str)],
) -> Result<Pod, Box<dyn std::error::Error>> {
    Ok(api.create(&PostParams::default(), &pod(name, annotations, "100m")?).await?)
}

/// Waits until the pod satisfies `done`, showing its status on timeout.
async fn wait_pod(
    api: &Api<Pod>,
    name: &str,
    what: &str,
    done: impl Fn(&Pod) -> bool,
) -> Result<Pod, Box<dyn std::error::Error>> {
    eventually(&format!("pod {name}: {what}"), || async {
        let pod = api.get(name).await.map_err(|e| e.to_string())?;
        if done(&pod) { Ok(Some(pod)) } else { Err(serde_json::to_string(&pod.status).unwrap_or_default()) }
    })
    .await
}

fn phase(pod: &Pod) -> Option<&str> {
    pod.status.as_ref()?.phase.as_deref()
}

fn terminated(pod: &Pod) -> Option<&ContainerStateTerminated> {
    pod.status.as_ref()?.container_statuses.as_ref()?.first()?.state.as_ref()?.terminated.as_ref()
}

fn waiting(pod: &Pod) -> Option<&ContainerStateWaiting> {
    pod.status.as_ref()?.container_statuses.as_ref()?.first()?.state.as_ref()?.waiting.as_ref()
}

fn api_status(err: &kube::Error) -> Option<(u16, String)> {
    match err {
        kube::Error::Api(status) => Some((status.code, status.message.clone())),
        _ => None,
    }
}

#[tokio::test]
async fn admin_can_create_a_namespace() -> TestResult {
    let cluster = TestCluster::shared();
    let namespaces: Api<Namespace> = Api::all(cluster.admin_client().await?);
    let ns: Namespace = serde_json::from_value(json!({ "metadata": { "name": "cp-admin" } }))?;
    namespaces.create(&PostParams::default(), &ns).await?;
    assert!(namespaces.get_opt("cp-admin").await?.is_some());
    // The certificate-based admin is the same user.
    let by_cert: Api<Namespace> = Api::all(cluster.client(TestUser::AdminCert).await?);
    assert!(by_cert.get_opt("cp-admin").await?.is_some());
    Ok(())
}

async fn list_pods(client: Client, namespace: &str) -> Result<usize, kube::Error> {
    let api: Api<Pod> = Api::namespaced(client, namespace);
    Ok(api.list(&ListParams::default()).await?.items.len())
}

#[tokio::test]
async fn alice_needs_the_tenant_seed() -> TestResult {
    let cluster = TestCluster::shared();
    let ns = "cp-alice";
    cluster.create_namespace(ns).await?;
    let alice = cluster.client(TestUser::Alice).await?;
    let denied = list_pods(alice.clone(), ns).await.err().and_then(|e| api_status(&e));
    assert_eq!(denied.map(|(code, _)| code), Some(403), "alice must be forbidden before the seed");

    cluster.create_tenant_like_seed(ns, "alice").await?;
    // The RBAC authorizer reads bindings from an informer: allow it a moment.
    eventually("alice may list pods after the seed", || async {
        list_pods(alice.clone(), ns).await.map(Some).map_err(|e| e.to_string())
    })
    .await?;
    let pods: Api<Pod> = Api::namespaced(alice, ns);
    create_pod(&pods, "alice-pod", &[(OUTCOME, "run-forever")]).await?;

    // The binding names alice only: bob and carol (same group) stay out.
    for user in [TestUser::Bob, TestUser::Carol] {
        let err = list_pods(cluster.client(user).await?, ns).await.err();
        assert_eq!(err.and_then(|e| api_status(&e)).map(|(c, _)| c), Some(403), "{user}");
    }
    Ok(())
}

#[tokio::test]
async fn resource_quota_rejects_the_second_pod() -> TestResult {
    let cluster = TestCluster::shared();
    let ns = "cp-quota";
    cluster.create_namespace(ns).await?;
    let client = cluster.admin_client().await?;
    let quotas: Api<ResourceQuota> = Api::namespaced(client.clone(), ns);
    let quota: ResourceQuota = serde_json::from_value(json!({
        "metadata": { "name": "one-pod" }, "spec": { "hard": { "pods": "1" } },
    }))?;
    quotas.create(&PostParams::default(), &quota).await?;
    // Admission ignores a quota until the controller has filled status.hard.
    eventually("quota status.hard", || async {
        let q = quotas.get("one-pod").await.map_err(|e| e.to_string())?;
        Ok(q.status.and_then(|s| s.hard).filter(|h| h.contains_key("pods")).map(drop))
    })
    .await?;

    let pods: Api<Pod> = Api::namespaced(client, ns);
    create_pod(&pods, "first", &[(OUTCOME, "run-forever")]).await?;
    let second = create_pod(&pods, "second", &[]).await;
    let status = second.err().and_then(|e| e.downcast_ref::<kube::Error>().and_then(api_status));
    match status {
        Some((403, message)) => assert!(message.contains("exceeded quota"), "{message}"),
        other => panic!("expected 403 exceeded quota, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn deleting_the_owner_collects_its_configmap() -> TestResult {
    let cluster = TestCluster::shared();
    let ns = "cp-gc";
    cluster.create_namespace(ns).await?;
    let client = cluster.admin_client().await?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let owner = create_pod(&pods, "owner", &[(OUTCOME, "run-forever")]).await?;
    let configmaps: Api<ConfigMap> = Api::namespaced(client, ns);
    let cm: ConfigMap = serde_json::from_value(json!({
        "metadata": {
            "name": "owned",
            "ownerReferences": [{
                "apiVersion": "v1", "kind": "Pod", "name": "owner", "uid": owner.uid(),
            }],
        },
        "data": { "k": "v" },
    }))?;
    configmaps.create(&PostParams::default(), &cm).await?;
    pods.delete("owner", &DeleteParams::default()).await?;
    eventually("the owned ConfigMap to be garbage-collected", || async {
        match configmaps.get_opt("owned").await {
            Ok(None) => Ok(Some(())),
            Ok(Some(_)) => Err("still there".to_string()),
            Err(e) => Err(e.to_string()),
        }
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn fake_node_plays_scripted_outcomes() -> TestResult {
    let cluster = TestCluster::shared();
    let ns = "cp-node";
    cluster.create_namespace(ns).await?;
    let pods: Api<Pod> = Api::namespaced(cluster.admin_client().await?, ns);
    let fast = (RUN_MILLIS, "300");
    create_pod(&pods, "ok", &[(OUTCOME, "succeed"), fast]).await?;
    create_pod(&pods, "boom", &[(OUTCOME, "fail:3:boom"), fast]).await?;
    create_pod(&pods, "oom", &[(OUTCOME, "oom"), fast]).await?;
    create_pod(&pods, "pull", &[(OUTCOME, "image-pull-error:manifest unknown")]).await?;
    create_pod(&pods, "forever", &[(OUTCOME, "run-forever")]).await?;

    let ok = wait_pod(&pods, "ok", "Succeeded", |p| phase(p) == Some("Succeeded")).await?;
    assert_eq!(terminated(&ok).map(|t| t.exit_code), Some(0));

    let boom = wait_pod(&pods, "boom", "Failed", |p| phase(p) == Some("Failed")).await?;
    let t = terminated(&boom).ok_or("boom: no terminated state")?;
    assert_eq!((t.exit_code, t.message.as_deref()), (3, Some("boom")));

    let oom = wait_pod(&pods, "oom", "Failed", |p| phase(p) == Some("Failed")).await?;
    let t = terminated(&oom).ok_or("oom: no terminated state")?;
    assert_eq!((t.exit_code, t.reason.as_deref()), (137, Some("OOMKilled")));

    let pull = wait_pod(&pods, "pull", "an image-pull error", |p| waiting(p).is_some()).await?;
    let w = waiting(&pull).ok_or("pull: no waiting state")?;
    assert!(matches!(w.reason.as_deref(), Some("ErrImagePull" | "ImagePullBackOff")), "{w:?}");
    assert!(w.message.as_deref().unwrap_or_default().contains("manifest unknown"), "{w:?}");
    assert_eq!(phase(&pull), Some("Pending"));

    let running = wait_pod(&pods, "forever", "Running", |p| phase(p) == Some("Running")).await?;
    let status = running.status.as_ref().ok_or("no status")?;
    assert!(status.pod_ip.is_some() && status.start_time.is_some());
    assert_eq!(status.container_statuses.as_ref().map(|c| c[0].name.as_str()), Some("main"));

    // A running pod is deleted for real (the node answers with grace 0).
    pods.delete("forever", &DeleteParams::default()).await?;
    eventually("pod forever to disappear", || async {
        match pods.get_opt("forever").await {
            Ok(None) => Ok(Some(())),
            Ok(Some(p)) => Err(format!("deletionTimestamp {:?}", p.metadata.deletion_timestamp)),
            Err(e) => Err(e.to_string()),
        }
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn the_scheduler_refuses_a_pod_too_big_for_the_node() -> TestResult {
    let cluster = TestCluster::shared();
    let ns = "cp-sched";
    cluster.create_namespace(ns).await?;
    let pods: Api<Pod> = Api::namespaced(cluster.admin_client().await?, ns);
    pods.create(&PostParams::default(), &pod("huge", &[], "100")?).await?;
    let huge = wait_pod(&pods, "huge", "an Unschedulable condition", |p| {
        let conditions = p.status.as_ref().and_then(|s| s.conditions.as_ref());
        conditions.is_some_and(|cs| {
            cs.iter().any(|c| {
                c.type_ == "PodScheduled" && c.status == "False" && c.reason.as_deref() == Some("Unschedulable")
            })
        })
    })
    .await?;
    let message = huge
        .status
        .and_then(|s| s.conditions)
        .and_then(|cs| cs.into_iter().find(|c| c.type_ == "PodScheduled"))
        .and_then(|c| c.message)
        .unwrap_or_default();
    assert!(message.contains("Insufficient cpu"), "{message}");
    Ok(())
}

#[tokio::test]
async fn tls_with_the_wrong_ca_is_refused() -> TestResult {
    let cluster = TestCluster::shared();
    let path = cluster.write_wrong_ca_kubeconfig(TestUser::Admin)?;
    let client = kspark_testcluster::client_from_kubeconfig(&path).await?;
    let err = client.apiserver_version().await.err().ok_or("TLS with a foreign CA succeeded")?;
    assert!(api_status(&err).is_none(), "refused by TLS, not by the API: {err}");
    // The right CA works, so the refusal is the CA's doing.
    cluster.admin_client().await?.apiserver_version().await?;
    Ok(())
}

#[tokio::test]
async fn exec_plugin_kubeconfig_authenticates() -> TestResult {
    let cluster = TestCluster::shared();
    let token = cluster.token(TestUser::Bob).ok_or("bob has no token")?;
    let credential = json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": { "token": token },
    });
    let plugin = ExecPlugin {
        command: "/bin/sh".into(),
        args: vec!["-c".into(), format!("echo '{credential}'")],
        ..Default::default()
    };
    let path = cluster.write_exec_kubeconfig("bob-exec", &plugin)?;
    let client = kspark_testcluster::client_from_kubeconfig(&path).await?;
    // Authenticated as bob: a real 403 naming him, not a 401.
    let err = list_pods(client, "default").await.err().ok_or("bob may list pods?")?;
    let (code, message) = api_status(&err).ok_or(format!("not an API error: {err}"))?;
    assert_eq!(code, 403, "{message}");
    assert!(message.contains("\"bob\""), "{message}");
    Ok(())
}

#[tokio::test]
async fn reports_processes_and_startup_time() -> TestResult {
    let cluster = TestCluster::shared();
    cluster.check_alive()?;
    for (phase, took) in cluster.startup_phases() {
        eprintln!("startup phase {phase}: {took:.2?}");
    }
    for p in cluster.processes() {
        eprintln!("{} pid {} rss {:?} KiB", p.name, p.pid, p.rss_kib);
        assert!(p.rss_kib.is_some(), "{} is not running", p.name);
    }
    assert_eq!(cluster.processes().len(), 4);
    assert!(cluster.kubeconfig(TestUser::Carol).is_file());
    assert!(cluster.client_cert_paths(TestUser::Carol).is_some_and(|c| c.cert.is_file() && c.key.is_file()));
    assert!(cluster.client_cert_paths(TestUser::Alice).is_none());
    assert!(cluster.ca_cert_path().is_file());
    Ok(())
}
