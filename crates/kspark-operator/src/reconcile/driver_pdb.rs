//! kubeflow's driver PodDisruptionBudget (`--enable-driver-pdb` and
//! `spec.driverPodDisruptionBudget`): minAvailable 1 over the driver pod, so
//! that a voluntary eviction (`kubectl drain`, a node upgrade) cannot take
//! the driver of a running application.
//!
//! As kubeflow: converged to the spec on every SUBMITTED and RUNNING pass,
//! deleted with the run's resources (rerun, invalidation, suspension), at
//! termination and on deletion, and owned by the application (the garbage
//! collector removes whatever is left). With the gate off nothing is
//! created or deleted. The operator's PDB cache (a watch, as kubeflow's)
//! spares the API server a request per reconcile.
//!
//! A failure fails the reconcile, as kubeflow's, so that it is retried; but
//! the status is still written first: the budget protects the driver, it
//! must never hold the application's lifecycle back.

use std::collections::BTreeMap;

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kspark_kube::{is_conflict, is_not_found};
use kspark_sparkapp::SparkApplication;
use kspark_sparkapp::submit::driver_pod_name;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::runtime::reflector::ObjectRef;

use super::{ReconcileError, Work};
use crate::context::{Context, DriverPdbCache};
use kspark_manifests::labels::SPARK_ROLE;
use kspark_sparkapp::labels;

const FIELD_MANAGER: &str = "kspark-operator";

/// The PodDisruptionBudget kubeflow makes for `app`'s driver: named as the
/// driver pod, minAvailable 1 over the pods labelled as its driver.
pub fn driver_pdb(app: &SparkApplication) -> PodDisruptionBudget {
    let app_name = app.metadata.name.clone().unwrap_or_default();
    let labels = BTreeMap::from([
        (labels::LAUNCHED_BY_SPARK_OPERATOR.to_string(), "true".to_string()),
        (labels::APP_NAME.to_string(), app_name.clone()),
    ]);
    let selector = BTreeMap::from([
        (labels::APP_NAME.to_string(), app_name.clone()),
        (SPARK_ROLE.to_string(), "driver".to_string()),
    ]);
    PodDisruptionBudget {
        metadata: ObjectMeta {
            name: Some(driver_pod_name(app, &app_name)),
            namespace: app.metadata.namespace.clone(),
            labels: Some(labels),
            owner_references: Some(vec![controller_reference(app)]),
            ..Default::default()
        },
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector { match_labels: Some(selector), ..Default::default() }),
            ..Default::default()
        }),
        status: None,
    }
}

/// What controller-runtime's SetControllerReference writes.
fn controller_reference(app: &SparkApplication) -> OwnerReference {
    OwnerReference {
        api_version: "sparkoperator.k8s.io/v1beta2".into(),
        kind: "SparkApplication".into(),
        name: app.metadata.name.clone().unwrap_or_default(),
        uid: app.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Whether the application asks for a driver PDB (kubeflow: only `true`).
pub fn requested(app: &SparkApplication) -> bool {
    app.spec.driver_pod_disruption_budget == Some(true)
}

/// SUBMITTED / RUNNING: create the PDB if the spec asks for one, delete it
/// otherwise (kubeflow's ensureDriverPDB).
pub async fn converge(work: &mut Work, ctx: &Context) {
    let Some(cache) = gate(ctx) else { return };
    let outcome =
        if requested(&work.app) { create(&work.app, ctx, cache).await } else { delete(&work.app, ctx, cache).await };
    if let Err(error) = outcome {
        work.defer_error(error);
    }
}

/// With the run's resources, at termination: delete the PDB (kubeflow's
/// deleteDriverPDB); a failure is retried without holding the state back.
pub async fn remove(work: &mut Work, ctx: &Context) {
    let Some(cache) = gate(ctx) else { return };
    if let Err(error) = delete(&work.app, ctx, cache).await {
        work.defer_error(error);
    }
}

/// An application being deleted: its PDB goes first (kubeflow), so that a
/// drain in flight is not held by a budget whose driver is going away.
pub async fn remove_on_deletion(app: &SparkApplication, ctx: &Context) -> Result<(), ReconcileError> {
    match gate(ctx) {
        Some(cache) => delete(app, ctx, cache).await,
        None => Ok(()),
    }
}

/// The PDB cache when the operator runs with `--enable-driver-pdb`.
fn gate(ctx: &Context) -> Option<&DriverPdbCache> {
    ctx.driver_pdbs.as_ref().filter(|_| ctx.options.enable_driver_pdb)
}

fn cached(cache: &DriverPdbCache, namespace: &str, name: &str) -> bool {
    cache.get(&ObjectRef::new(name).within(namespace)).is_some()
}

async fn create(app: &SparkApplication, ctx: &Context, cache: &DriverPdbCache) -> Result<(), ReconcileError> {
    let pdb = driver_pdb(app);
    let (namespace, name) =
        (pdb.metadata.namespace.clone().unwrap_or_default(), pdb.metadata.name.clone().unwrap_or_default());
    if cached(cache, &namespace, &name) {
        return Ok(());
    }
    let api: Api<PodDisruptionBudget> = Api::namespaced(ctx.client.clone(), &namespace);
    // Not forced: a budget someone else manages at this name is left alone,
    // as kubeflow leaves one it did not create.
    match api.patch(&name, &PatchParams::apply(FIELD_MANAGER), &Patch::Apply(&pdb)).await {
        Ok(_) => {
            tracing::info!(
                app = app.metadata.name.as_deref(),
                namespace,
                pdb = name,
                "created the driver PodDisruptionBudget"
            );
            Ok(())
        }
        Err(e) if is_conflict(&e) => {
            tracing::info!(
                namespace,
                pdb = name,
                "a PodDisruptionBudget of another manager has the driver's name; leaving it"
            );
            Ok(())
        }
        Err(source) => Err(ReconcileError::DriverPdb { action: "create", name, source }),
    }
}

/// Deletes the PDB at the driver's name: the one the spec implies and, if
/// another, the one recorded for the run (the spec may have changed since).
async fn delete(app: &SparkApplication, ctx: &Context, cache: &DriverPdbCache) -> Result<(), ReconcileError> {
    let app_name = app.metadata.name.as_deref().unwrap_or_default();
    let namespace = app.metadata.namespace.as_deref().unwrap_or_default();
    let mut names = vec![driver_pod_name(app, app_name)];
    let recorded = app.status.as_ref().map(|s| s.driver_info.pod_name.clone()).unwrap_or_default();
    if !recorded.is_empty() && !names.contains(&recorded) {
        names.push(recorded);
    }
    let api: Api<PodDisruptionBudget> = Api::namespaced(ctx.client.clone(), namespace);
    for name in names.into_iter().filter(|n| cached(cache, namespace, n)) {
        tracing::info!(app = app_name, namespace, pdb = name, "deleting the driver PodDisruptionBudget");
        match api.delete(&name, &DeleteParams::background()).await {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => {}
            Err(source) => return Err(ReconcileError::DriverPdb { action: "delete", name, source }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn app(spec: serde_json::Value) -> SparkApplication {
        let mut value = json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": "pi", "namespace": "team-a", "uid": "0b1e2c3d-0000-4000-8000-000000000001"},
            "spec": {"type": "Scala", "mode": "cluster", "sparkVersion": "4.0.5",
                "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
                "driver": {}, "executor": {}}
        });
        if let (Some(base), Some(extra)) = (value["spec"].as_object_mut(), spec.as_object()) {
            base.extend(extra.clone());
        }
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_budget_is_kubeflows_named_after_the_driver_pod() {
        let pdb = serde_json::to_value(driver_pdb(&app(json!({})))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            pdb,
            json!({
                "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {
                    "name": "pi-driver", "namespace": "team-a",
                    "labels": {"sparkoperator.k8s.io/launched-by-spark-operator": "true",
                        "sparkoperator.k8s.io/app-name": "pi"},
                    "ownerReferences": [{"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
                        "name": "pi", "uid": "0b1e2c3d-0000-4000-8000-000000000001",
                        "controller": true, "blockOwnerDeletion": true}]
                },
                "spec": {"minAvailable": 1,
                    "selector": {"matchLabels": {"sparkoperator.k8s.io/app-name": "pi", SPARK_ROLE: "driver"}}}
            })
        );
    }

    #[test]
    fn a_chosen_driver_pod_name_names_the_budget() {
        let by_spec = driver_pdb(&app(json!({"driver": {"podName": "pi-main"}})));
        assert_eq!(by_spec.metadata.name.as_deref(), Some("pi-main"));
        let by_conf = driver_pdb(&app(json!({"sparkConf": {"spark.kubernetes.driver.pod.name": "pi-conf"}})));
        assert_eq!(by_conf.metadata.name.as_deref(), Some("pi-conf"));
    }

    #[test]
    fn only_true_requests_a_budget() {
        assert!(requested(&app(json!({"driverPodDisruptionBudget": true}))));
        assert!(!requested(&app(json!({"driverPodDisruptionBudget": false}))));
        assert!(!requested(&app(json!({}))));
    }
}
