//! Spark applications as seen through their pods: drivers are found by
//! `spark-role=driver`, an application's pods share `spark-app-selector`.
//! Applications of kubeflow's operator (SparkApplications) are listed
//! beside them, one row each, with their pods folded in.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kspark_sparkapp::SparkApplication;
use kube::api::{DeleteParams, ListParams};
use kube::{Api, Client};

use crate::error::ClusterError;
use crate::sparkapps;
use crate::wait::DriverStatus;
use kspark_manifests::labels::{SPARK_APP_NAME, SPARK_APP_SELECTOR, SPARK_ROLE, SPARK_VERSION};
use kspark_sparkapp::labels;

/// The pods of Spark Connect servers (kubeflow's label on the server pod).
const CONNECT_SERVERS_SELECTOR: &str = "spark-role=connect-server";
/// Drivers, and Spark Connect servers (drivers of their own).
const DRIVERS_AND_SERVERS_SELECTOR: &str = "spark-role in (driver,connect-server)";

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
    /// Set for an application of kubeflow's operator (a SparkApplication).
    pub operator: Option<OperatorStatus>,
    /// The `sparkoperator.k8s.io/app-name` of an operator-launched driver.
    operator_app: Option<String>,
    /// A Spark Connect server (its pod is the driver; NAME is the SparkConnect's).
    pub connect: bool,
}

/// What kubeflow's operator says about its application.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OperatorStatus {
    /// kubeflow's state, `NEW` for its empty new state.
    pub state: String,
    pub error_message: String,
    pub submission_attempts: i32,
    pub execution_attempts: i32,
}

impl AppSummary {
    /// How the application was submitted: `submit` (spark-submit, kspark)
    /// or `operator` (a SparkApplication).
    pub fn via(&self) -> &'static str {
        match (self.connect, self.operator.is_some()) {
            (true, _) => "connect",
            (false, true) => "operator",
            (false, false) => "submit",
        }
    }

    /// The application's state in one word.
    pub fn state(&self) -> &str {
        if let Some(operator) = &self.operator {
            return &operator.state;
        }
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
        .list(&ListParams::default().labels(SPARK_APP_SELECTOR))
        .await
        .map_err(|e| ClusterError::from_kube(format!("list Spark pods in {where_}"), e))?;
    let servers = pods_api(client, namespace)
        .list(&ListParams::default().labels(CONNECT_SERVERS_SELECTOR))
        .await
        .map_err(|e| ClusterError::from_kube(format!("list Spark Connect servers in {where_}"), e))?;
    let mut apps: BTreeMap<(String, String), AppSummary> = BTreeMap::new();
    for pod in servers.items.iter().chain(&pods.items) {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        // A Spark Connect server's executors are listed with their server.
        let connect_name = label(pod, labels::CONNECT_NAME);
        let app_id = label(pod, SPARK_APP_SELECTOR).to_string();
        let key = if connect_name.is_empty() { app_id.clone() } else { format!("connect:{connect_name}") };
        let name = if connect_name.is_empty() { label(pod, SPARK_APP_NAME) } else { connect_name };
        let app = apps.entry((ns.clone(), key)).or_insert_with(|| AppSummary {
            namespace: ns,
            name: name.to_string(),
            app_id,
            driver_pod: None,
            driver: None,
            created: None,
            executors_running: 0,
            executors_pending: 0,
            executors_failed: 0,
            spark_version: label(pod, SPARK_VERSION).to_string(),
            operator: None,
            operator_app: None,
            connect: false,
        });
        add_pod(app, pod);
    }
    let operator_apps = sparkapps::list(client, namespace).await?;
    let mut list = with_operator_apps(apps.into_values().collect(), &operator_apps);
    list.sort_by(|a, b| b.created.cmp(&a.created).then(a.name.cmp(&b.name)));
    Ok(list)
}

fn add_pod(app: &mut AppSummary, pod: &Pod) {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
    if app.app_id.is_empty() {
        app.app_id = label(pod, SPARK_APP_SELECTOR).to_string();
    }
    match label(pod, SPARK_ROLE) {
        labels::CONNECT_SERVER_ROLE => {
            app.driver_pod = pod.metadata.name.clone();
            app.driver = Some(DriverStatus::of(pod));
            app.created = pod.metadata.creation_timestamp.as_ref().map(|t| t.0);
            app.connect = true;
        }
        "driver" => {
            app.driver_pod = pod.metadata.name.clone();
            app.driver = Some(DriverStatus::of(pod));
            app.created = pod.metadata.creation_timestamp.as_ref().map(|t| t.0);
            if label(pod, labels::LAUNCHED_BY_SPARK_OPERATOR) == "true" {
                app.operator_app = Some(label(pod, labels::APP_NAME).to_string());
            }
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

/// One row per SparkApplication, with the pods of its current driver (the
/// one in its status) folded in; pods of its earlier attempts are left out.
fn with_operator_apps(pod_apps: Vec<AppSummary>, operator_apps: &[SparkApplication]) -> Vec<AppSummary> {
    let key = |a: &SparkApplication| {
        (a.metadata.namespace.clone().unwrap_or_default(), a.metadata.name.clone().unwrap_or_default())
    };
    let owned: BTreeMap<(String, String), &SparkApplication> = operator_apps.iter().map(|a| (key(a), a)).collect();
    let mut rows: BTreeMap<(String, String), AppSummary> = BTreeMap::new();
    let mut plain = Vec::new();
    for summary in pod_apps {
        let owner = summary.operator_app.clone().map(|n| (summary.namespace.clone(), n));
        match owner.as_ref().and_then(|o| owned.get(o)) {
            Some(app) if sparkapps::driver_pod(app).is_none_or(|p| summary.driver_pod.as_deref() == Some(p)) => {
                rows.insert(key(app), summary);
            }
            Some(_) => {}
            None => plain.push(summary),
        }
    }
    for app in operator_apps {
        let (namespace, name) = key(app);
        let mut row = rows.remove(&(namespace.clone(), name.clone())).unwrap_or_else(|| AppSummary {
            namespace,
            name: String::new(),
            app_id: String::new(),
            driver_pod: None,
            driver: None,
            created: None,
            executors_running: 0,
            executors_pending: 0,
            executors_failed: 0,
            spark_version: String::new(),
            operator: None,
            operator_app: None,
            connect: false,
        });
        let status = app.status.clone().unwrap_or_default();
        row.name = app.metadata.name.clone().unwrap_or_default();
        row.app_id =
            if status.spark_application_id.is_empty() { row.app_id } else { status.spark_application_id.clone() };
        row.driver_pod = sparkapps::driver_pod(app).map(str::to_string).or(row.driver_pod);
        row.created = app.metadata.creation_timestamp.as_ref().map(|t| t.0);
        row.spark_version = app.spec.spark_version.clone();
        row.operator = Some(OperatorStatus {
            state: sparkapps::state(app),
            error_message: status.app_state.error_message.clone(),
            submission_attempts: status.submission_attempts,
            execution_attempts: status.execution_attempts,
        });
        plain.push(row);
    }
    plain
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
/// An exact name is a pod's name first; when no pod has it, the drivers
/// whose app name (`spark-app-name`, what `--name` became) it is.
pub async fn find_drivers(client: &Client, namespace: &str, pattern: &str) -> Result<Vec<Pod>, ClusterError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let exact = !pattern.contains(['*', '?']);
    if exact {
        match api.get_opt(pattern).await {
            Ok(Some(pod)) => return Ok(vec![pod]),
            Ok(None) => {}
            Err(e) => return Err(ClusterError::from_kube(format!("read pod {namespace}:{pattern}"), e)),
        }
    }
    let pods = api
        .list(&ListParams::default().labels(DRIVERS_AND_SERVERS_SELECTOR))
        .await
        .map_err(|e| ClusterError::from_kube(format!("list driver pods in namespace {namespace}"), e))?;
    Ok(pods
        .items
        .into_iter()
        .filter(|p| {
            let name = p.metadata.name.as_deref().unwrap_or_default();
            let app_name = match label(p, labels::CONNECT_NAME) {
                "" => label(p, SPARK_APP_NAME),
                connect => connect,
            };
            if exact { app_name == pattern } else { glob_match(pattern, name) || glob_match(pattern, app_name) }
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
    use super::*;

    fn pod_app(name: &str, driver: &str, operator_app: Option<&str>) -> AppSummary {
        AppSummary {
            namespace: "ns".into(),
            name: name.into(),
            app_id: format!("spark-{driver}"),
            driver_pod: Some(driver.into()),
            driver: None,
            created: None,
            executors_running: 2,
            executors_pending: 0,
            executors_failed: 0,
            spark_version: "4.0.5".into(),
            operator: None,
            operator_app: operator_app.map(str::to_string),
            connect: false,
        }
    }

    fn operator_app(name: &str, state: &str, driver: &str) -> SparkApplication {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": name, "namespace": "ns"},
            "spec": {"type": "Scala", "sparkVersion": "4.0.5", "mainApplicationFile": "local:///a.jar", "driver": {}, "executor": {}},
            "status": {"applicationState": {"state": state}, "driverInfo": {"podName": driver}, "executionAttempts": 2}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn operator_apps_are_one_row_each_with_their_current_drivers_pods() {
        let pods = vec![
            pod_app("plain", "plain-driver", None),
            pod_app("etl", "etl-driver-2", Some("etl")),
            pod_app("etl", "etl-driver-1", Some("etl")),
            pod_app("orphan", "orphan-driver", Some("deleted-app")),
        ];
        let apps = [operator_app("etl", "RUNNING", "etl-driver-2"), operator_app("fresh", "", "")];
        let rows = with_operator_apps(pods, &apps);
        let names: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r.name.as_str(), r.via(), r.state())).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        assert!(names.contains(&("plain", "submit", "NoDriver")) && names.contains(&("orphan", "submit", "NoDriver")));
        assert!(names.contains(&("etl", "operator", "RUNNING")) && names.contains(&("fresh", "operator", "NEW")));
        let etl = rows.iter().find(|r| r.name == "etl").unwrap_or_else(|| panic!("{names:?}"));
        assert_eq!(etl.driver_pod.as_deref(), Some("etl-driver-2"));
        assert_eq!((etl.executors_running, etl.operator.as_ref().map(|o| o.execution_attempts)), (2, Some(2)));
    }

    #[test]
    fn globs() {
        assert!(glob_match("spark-pi*", "spark-pi-0123-driver"));
        assert!(glob_match("*driver", "x-driver"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("spark-pi*", "other"));
        assert!(glob_match("exact", "exact"));
    }
}
