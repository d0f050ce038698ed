//! Spark applications as seen through their pods: drivers are found by
//! `spark-role=driver`, an application's pods share `spark-app-selector`.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams};
use kube::{Api, Client};

use crate::error::ClusterError;
use crate::wait::DriverStatus;

/// One application, summarised from its pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSummary {
    pub namespace: String,
    pub name: String,
    pub app_id: String,
    pub driver_pod: Option<String>,
    pub driver: Option<DriverStatus>,
    pub created: Option<Timestamp>,
    pub executors_running: usize,
    pub executors_pending: usize,
    pub executors_failed: usize,
    pub spark_version: String,
}

impl AppSummary {
    /// The application's state in one word.
    pub fn state(&self) -> &str {
        match &self.driver {
            None => "NoDriver",
            Some(d) => match d.phase.as_str() {
                "Pending"
                    if d.reason.as_deref().is_some_and(|r| r.contains("ImagePull") || r == "ErrImageNeverPull") =>
                {
                    "ImagePullError"
                }
                phase => phase,
            },
        }
    }
}

fn label<'a>(pod: &'a Pod, key: &str) -> &'a str {
    pod.metadata.labels.as_ref().and_then(|l| l.get(key)).map(String::as_str).unwrap_or_default()
}

fn pods_api(client: &Client, namespace: Option<&str>) -> Api<Pod> {
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Every Spark application in `namespace` (all namespaces with `None`).
pub async fn list_apps(client: &Client, namespace: Option<&str>) -> Result<Vec<AppSummary>, ClusterError> {
    let where_ = namespace.map_or("all namespaces".to_string(), |n| format!("namespace {n}"));
    let pods = pods_api(client, namespace)
        .list(&ListParams::default().labels("spark-app-selector"))
        .await
        .map_err(|e| ClusterError::from_kube(format!("list Spark pods in {where_}"), e))?;
    let mut apps: BTreeMap<(String, String), AppSummary> = BTreeMap::new();
    for pod in &pods.items {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let app_id = label(pod, "spark-app-selector").to_string();
        let app = apps.entry((ns.clone(), app_id.clone())).or_insert_with(|| AppSummary {
            namespace: ns,
            name: label(pod, "spark-app-name").to_string(),
            app_id,
            driver_pod: None,
            driver: None,
            created: None,
            executors_running: 0,
            executors_pending: 0,
            executors_failed: 0,
            spark_version: label(pod, "spark-version").to_string(),
        });
        add_pod(app, pod);
    }
    let mut list: Vec<AppSummary> = apps.into_values().collect();
    list.sort_by(|a, b| b.created.cmp(&a.created).then(a.name.cmp(&b.name)));
    Ok(list)
}

fn add_pod(app: &mut AppSummary, pod: &Pod) {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
    match label(pod, "spark-role") {
        "driver" => {
            app.driver_pod = pod.metadata.name.clone();
            app.driver = Some(DriverStatus::of(pod));
            app.created = pod.metadata.creation_timestamp.as_ref().map(|t| t.0);
        }
        "executor" => match phase {
            "Running" => app.executors_running += 1,
            "Pending" => app.executors_pending += 1,
            "Failed" => app.executors_failed += 1,
            _ => {}
        },
        _ => {}
    }
}

/// `*` and `?` wildcards, as in shell globs.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// Driver pods in `namespace` whose name (or app name) matches `pattern`.
pub async fn find_drivers(client: &Client, namespace: &str, pattern: &str) -> Result<Vec<Pod>, ClusterError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    if !pattern.contains(['*', '?']) {
        return match api.get_opt(pattern).await {
            Ok(Some(pod)) => Ok(vec![pod]),
            Ok(None) => Ok(Vec::new()),
            Err(e) => Err(ClusterError::from_kube(format!("read pod {namespace}:{pattern}"), e)),
        };
    }
    let pods = api
        .list(&ListParams::default().labels("spark-role=driver"))
        .await
        .map_err(|e| ClusterError::from_kube(format!("list driver pods in namespace {namespace}"), e))?;
    Ok(pods
        .items
        .into_iter()
        .filter(|p| {
            let name = p.metadata.name.as_deref().unwrap_or_default();
            glob_match(pattern, name) || glob_match(pattern, label(p, "spark-app-name"))
        })
        .collect())
}

/// Deletes a driver pod; Kubernetes garbage-collects everything it owns
/// (executors, Service, ConfigMaps).
pub async fn kill(client: &Client, namespace: &str, pod: &str, grace_seconds: Option<u32>) -> Result<(), ClusterError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let params = DeleteParams { grace_period_seconds: grace_seconds, ..DeleteParams::background() };
    api.delete(pod, &params)
        .await
        .map(|_| ())
        .map_err(|e| ClusterError::from_kube(format!("delete driver pod {namespace}:{pod}"), e))
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("spark-pi*", "spark-pi-0123-driver"));
        assert!(glob_match("*driver", "x-driver"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("spark-pi*", "other"));
        assert!(glob_match("exact", "exact"));
    }
}
