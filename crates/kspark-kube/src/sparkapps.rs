//! kubeflow spark-operator's SparkApplications (`sparkoperator.k8s.io/v1beta2`)
//! beside plain spark-submit applications: listing, reading, creating,
//! deleting and following them to a terminal state. Where the CRD is not
//! installed (404) or the user may not read SparkApplications (403), there
//! simply are none, so every command behaves as without an operator.

use kspark_sparkapp::{ApplicationStateType, SparkApplication};
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, Client};

use crate::api_status::{is_forbidden, is_not_found};
use crate::apps::glob_match;
use crate::error::ClusterError;
use crate::follow_object::{Followed, follow};

fn api(client: &Client, namespace: Option<&str>) -> Api<SparkApplication> {
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// No CRD (404) or no right to read them (403): no SparkApplications.
fn invisible(e: &kube::Error) -> bool {
    is_not_found(e) || is_forbidden(e)
}

/// Every SparkApplication in `namespace` (all namespaces with `None`).
pub async fn list(client: &Client, namespace: Option<&str>) -> Result<Vec<SparkApplication>, ClusterError> {
    match api(client, namespace).list(&ListParams::default()).await {
        Ok(list) => Ok(list.items),
        Err(e) if invisible(&e) => Ok(Vec::new()),
        Err(e) => {
            let where_ = namespace.map_or("all namespaces".to_string(), |n| format!("namespace {n}"));
            Err(ClusterError::from_kube(format!("list SparkApplications in {where_}"), e))
        }
    }
}

/// The SparkApplication `namespace/name`, if there is one (and one can be seen).
pub async fn get(client: &Client, namespace: &str, name: &str) -> Result<Option<SparkApplication>, ClusterError> {
    match api(client, Some(namespace)).get_opt(name).await {
        Ok(app) => Ok(app),
        Err(e) if invisible(&e) => Ok(None),
        Err(e) => Err(ClusterError::from_kube(format!("read SparkApplication {namespace}/{name}"), e)),
    }
}

/// SparkApplications in `namespace` whose name matches `pattern` (`*`, `?`).
pub async fn find(client: &Client, namespace: &str, pattern: &str) -> Result<Vec<SparkApplication>, ClusterError> {
    if !pattern.contains(['*', '?']) {
        return Ok(get(client, namespace, pattern).await?.into_iter().collect());
    }
    let mut apps = list(client, Some(namespace)).await?;
    apps.retain(|a| glob_match(pattern, a.metadata.name.as_deref().unwrap_or_default()));
    Ok(apps)
}

/// Creates `app` in its namespace; never replaces an existing one (409).
pub async fn create(client: &Client, app: &SparkApplication) -> Result<SparkApplication, ClusterError> {
    let namespace = app.metadata.namespace.clone().unwrap_or_else(|| "default".into());
    let name = app.metadata.name.clone().unwrap_or_default();
    api(client, Some(&namespace))
        .create(&PostParams::default(), app)
        .await
        .map_err(|e| ClusterError::from_kube(format!("create SparkApplication {namespace}/{name}"), e))
}

/// Deletes the SparkApplication; Kubernetes then removes the pods it owns.
pub async fn delete(client: &Client, namespace: &str, name: &str) -> Result<(), ClusterError> {
    api(client, Some(namespace))
        .delete(name, &DeleteParams::background())
        .await
        .map(|_| ())
        .map_err(|e| ClusterError::from_kube(format!("delete SparkApplication {namespace}/{name}"), e))
}

/// The application's state (kubeflow's new state "" reads `NEW`).
pub fn state(app: &SparkApplication) -> String {
    let state = app.status.as_ref().map(|s| s.app_state.state).unwrap_or_default();
    match serde_json::to_value(state).ok().and_then(|v| v.as_str().map(str::to_string)) {
        Some(text) if !text.is_empty() => text,
        _ => "NEW".to_string(),
    }
}

/// The current driver pod, once the operator has recorded one.
pub fn driver_pod(app: &SparkApplication) -> Option<&str> {
    app.status.as_ref().map(|s| s.driver_info.pod_name.as_str()).filter(|p| !p.is_empty())
}

/// Whether `kspark wait` is done: completed, failed, or submission failed
/// with no retry left under the restart policy.
pub fn is_final(app: &SparkApplication) -> bool {
    let state = app.status.as_ref().map(|s| s.app_state.state).unwrap_or_default();
    match state {
        ApplicationStateType::Completed | ApplicationStateType::Failed => true,
        ApplicationStateType::SubmissionFailed => !kspark_sparkapp::restart::should_retry(app),
        _ => false,
    }
}

/// How following a SparkApplication ended.
#[derive(Debug, Clone)]
pub enum AppOutcome {
    Finished(Box<SparkApplication>),
    Deleted,
}

/// Follows `name` until [`is_final`] or deleted, calling `on_change` with
/// every new version whose status differs. Survives watch time-outs and
/// dropped connections by reading it again.
pub async fn wait_for_app(
    apps: &Api<SparkApplication>,
    name: &str,
    mut on_change: impl FnMut(&SparkApplication),
) -> Result<AppOutcome, ClusterError> {
    let mut last_status = None;
    let observe = |app: &SparkApplication| {
        if last_status.as_ref() != Some(&app.status) {
            on_change(app);
            last_status = Some(app.status.clone());
        }
        is_final(app)
    };
    match follow(apps, name, &format!("SparkApplication {name}"), observe).await? {
        Followed::Done(app) => Ok(AppOutcome::Finished(Box::new(app))),
        Followed::Deleted => Ok(AppOutcome::Deleted),
    }
}
