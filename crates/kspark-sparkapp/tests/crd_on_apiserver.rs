//! A real kube-apiserver (kspark-testcluster) accepts the generated CRDs as
//! structural schemas and keeps every field of every kubeflow example: a
//! field the schema lacked would be pruned from what the server returns.

use std::time::{Duration, Instant};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kspark_sparkapp::crd::{scheduled_spark_application_crd, spark_application_crd};
use kspark_testcluster::TestCluster;
use kube::api::{DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Api, Client};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Applies the CRD and waits until the server has accepted its names and
/// established it; a non-structural schema shows as a condition.
async fn install(client: &Client, crd: &CustomResourceDefinition) -> Result<(), String> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let name = crd.metadata.name.clone().unwrap_or_default();
    api.patch(&name, &PatchParams::apply("kspark-sparkapp-test").force(), &Patch::Apply(crd))
        .await
        .map_err(|e| format!("{name}: the API server rejected the CRD: {e}"))?;
    let start = Instant::now();
    loop {
        let current = api.get(&name).await.map_err(|e| e.to_string())?;
        let conditions = current.status.and_then(|s| s.conditions).unwrap_or_default();
        let is = |kind: &str| conditions.iter().any(|c| c.type_ == kind && c.status == "True");
        if is("NonStructuralSchema") {
            return Err(format!("{name}: not a structural schema: {conditions:?}"));
        }
        if is("Established") && is("NamesAccepted") {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(30) {
            return Err(format!("{name}: not established after 30 s: {conditions:?}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn example_documents() -> Vec<(String, Value)> {
    kspark_testcluster::kubeflow_example_documents()
        .into_iter()
        .filter(|(_, doc)| matches!(doc["kind"].as_str(), Some("SparkApplication" | "ScheduledSparkApplication")))
        .collect()
}

/// Every leaf of `sent` came back unchanged (the server may add, e.g. metadata).
fn kept(sent: &Value, returned: &Value, path: &str) -> Result<(), String> {
    match (sent, returned) {
        (Value::Object(s), Value::Object(r)) => s.iter().try_for_each(|(k, v)| {
            let child = format!("{path}.{k}");
            r.get(k).ok_or_else(|| format!("{child} was pruned")).and_then(|rv| kept(v, rv, &child))
        }),
        (Value::Array(s), Value::Array(r)) if s.len() == r.len() => {
            s.iter().zip(r).enumerate().try_for_each(|(i, (a, b))| kept(a, b, &format!("{path}[{i}]")))
        }
        // Quantities written as YAML numbers come back as the same number.
        _ if sent == returned => Ok(()),
        _ => Err(format!("{path}: sent {sent}, got {returned}")),
    }
}

#[tokio::test]
async fn the_api_server_takes_the_crds_and_keeps_every_example_field() -> TestResult {
    let client = TestCluster::shared().admin_client().await?;
    install(&client, &spark_application_crd()).await?;
    install(&client, &scheduled_spark_application_crd()).await?;
    let docs = example_documents();
    assert_eq!(docs.len(), 14, "13 SparkApplications and 1 ScheduledSparkApplication");
    let mut problems = Vec::new();
    for (file, doc) in docs {
        let kind = doc["kind"].as_str().unwrap_or_default();
        let gvk = GroupVersionKind::gvk("sparkoperator.k8s.io", "v1beta2", kind);
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &ApiResource::from_gvk(&gvk));
        let object: DynamicObject = serde_json::from_value(doc.clone())?;
        let dry_run = PostParams { dry_run: true, ..Default::default() };
        match api.create(&dry_run, &object).await {
            Ok(created) => {
                if let Err(e) = kept(&doc["spec"], &serde_json::to_value(&created)?["spec"], "spec") {
                    problems.push(format!("{file}: {e}"));
                }
            }
            Err(e) => problems.push(format!("{file}: rejected: {e}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The check has teeth: the server does prune what the schema lacks.
    let (_, mut doc) = example_documents().swap_remove(0);
    doc["spec"]["driver"]["notAField"] = Value::from(1);
    let gvk = GroupVersionKind::gvk("sparkoperator.k8s.io", "v1beta2", "SparkApplication");
    let api: Api<DynamicObject> = Api::namespaced_with(client, "default", &ApiResource::from_gvk(&gvk));
    let created =
        api.create(&PostParams { dry_run: true, ..Default::default() }, &serde_json::from_value(doc.clone())?).await?;
    let pruned = kept(&doc["spec"], &serde_json::to_value(&created)?["spec"], "spec");
    assert_eq!(pruned, Err("spec.driver.notAField was pruned".to_string()));
    Ok(())
}
