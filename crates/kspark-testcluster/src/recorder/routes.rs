//! What the recorder answers to each request: just enough of the Kubernetes
//! API for a submission client to submit, wait and read a log.

use serde_json::{Value, json};

use super::request_log::RecordedRequest;
use super::store::{DriverEnd, Store, pod_in_phase};

/// A reply, before it becomes HTTP.
#[derive(Debug, PartialEq)]
pub(crate) enum Reply {
    Json {
        status: u16,
        body: Value,
    },
    Text {
        status: u16,
        body: String,
    },
    /// A watch stream: these events, a scripted step apart; then the stream
    /// idles briefly and ends, as a server-side watch time-out would.
    Watch {
        events: Vec<Value>,
    },
}

pub(crate) fn reply(store: &mut Store, end: DriverEnd, request: &RecordedRequest) -> Reply {
    let path = request.path.trim_end_matches('/');
    match request.method.as_str() {
        "GET" => get(store, end, request, path),
        "POST" | "PUT" | "PATCH" => write(store, request, path),
        "DELETE" => Reply::Json { status: 200, body: status_object(200, "Success", "") },
        _ => Reply::Json { status: 405, body: status_object(405, "MethodNotAllowed", "method not allowed") },
    }
}

fn get(store: &mut Store, end: DriverEnd, request: &RecordedRequest, path: &str) -> Reply {
    if matches!(request.query_value("watch"), Some("true" | "1")) {
        return Reply::Watch { events: watch_events(store, end, path) };
    }
    if path == "/version" {
        let body = json!({"major": "1", "minor": "34", "gitVersion": "v1.34.4", "platform": "linux/amd64"});
        return Reply::Json { status: 200, body };
    }
    if let Some(object) = store.get(path).cloned() {
        let body = if path.contains("/pods/") { final_pod(store, end, &object) } else { object };
        return Reply::Json { status: 200, body };
    }
    if path.ends_with("/log") {
        return Reply::Text { status: 200, body: "driver log line 1\ndriver log line 2\n".into() };
    }
    if let Some(account) = service_account(path) {
        return Reply::Json { status: 200, body: account };
    }
    if path.starts_with("/api") && matches!(path.split('/').count(), 4 | 6 | 7) {
        return Reply::Json { status: 200, body: list(store, end, path) };
    }
    Reply::Json { status: 404, body: status_object(404, "NotFound", "not found") }
}

fn write(store: &mut Store, request: &RecordedRequest, path: &str) -> Reply {
    let mut body = if request.body.is_object() { request.body.clone() } else { json!({}) };
    if path.ends_with("accessreviews") || path.ends_with("rulesreviews") {
        body["status"] = json!({"allowed": true});
        return Reply::Json { status: 201, body };
    }
    if path.ends_with("selfsubjectreviews") {
        body["status"] = json!({"userInfo": {"username": "recorder", "groups": ["system:authenticated"]}});
        return Reply::Json { status: 201, body };
    }
    let status = if request.method == "POST" { 201 } else { 200 };
    Reply::Json { status, body: store.put(&request.method, path, body) }
}

/// The driver's life on a watch of a namespace's pods: Pending, Running,
/// then its end. Other watches see no events.
fn watch_events(store: &mut Store, end: DriverEnd, path: &str) -> Vec<Value> {
    let Some(namespace_path) = path.strip_suffix("/pods") else { return Vec::new() };
    let Some(pod) = store.driver_pod(namespace_path).cloned() else { return Vec::new() };
    let phases = [("ADDED", "Pending", None), ("MODIFIED", "Running", None), ("MODIFIED", end.phase(), Some(end))];
    phases
        .into_iter()
        .map(|(kind, phase, end)| {
            let rv = store.next_resource_version();
            json!({"type": kind, "object": pod_in_phase(&pod, phase, end, rv)})
        })
        .collect()
}

fn final_pod(store: &mut Store, end: DriverEnd, pod: &Value) -> Value {
    let rv = store.next_resource_version();
    pod_in_phase(pod, end.phase(), Some(end), rv)
}

fn list(store: &mut Store, end: DriverEnd, path: &str) -> Value {
    let items: Vec<Value> = if path.ends_with("/pods") {
        let pods: Vec<Value> = store.children(path).cloned().collect();
        pods.iter().map(|pod| final_pod(store, end, pod)).collect()
    } else {
        Vec::new()
    };
    let kind = list_kind(path);
    json!({"kind": kind, "apiVersion": "v1", "metadata": {"resourceVersion": store.next_resource_version()}, "items": items})
}

fn list_kind(path: &str) -> &'static str {
    match path.rsplit('/').next().unwrap_or("") {
        "pods" => "PodList",
        "services" => "ServiceList",
        "configmaps" => "ConfigMapList",
        "resourcequotas" => "ResourceQuotaList",
        "limitranges" => "LimitRangeList",
        "events" => "EventList",
        "secrets" => "SecretList",
        "serviceaccounts" => "ServiceAccountList",
        "persistentvolumeclaims" => "PersistentVolumeClaimList",
        "nodes" => "NodeList",
        _ => "List",
    }
}

/// Every service account exists here, so that the preflight's check of the
/// driver's account passes against the stand-in.
fn service_account(path: &str) -> Option<Value> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["", "api", "v1", "namespaces", namespace, "serviceaccounts", name] => Some(json!({
            "kind": "ServiceAccount", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": namespace, "uid": "00000000-0000-4000-8000-00000000000a"},
        })),
        _ => None,
    }
}

fn status_object(code: u16, reason: &str, message: &str) -> Value {
    let status = if code < 300 { "Success" } else { "Failure" };
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": status, "reason": reason, "code": code, "message": message})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, uri: &str, body: Value) -> RecordedRequest {
        let bytes = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
        RecordedRequest::new(method, &uri.parse().unwrap_or_default(), &http::HeaderMap::new(), &bytes)
    }

    const OK: DriverEnd = DriverEnd { exit_code: 0 };

    #[test]
    fn a_submission_plays_out() {
        let mut store = Store::default();
        let pod = json!({"kind": "Pod", "metadata": {"name": "d"}, "spec": {"containers": [{"name": "driver"}]}});
        let created = reply(&mut store, OK, &request("POST", "/api/v1/namespaces/a/pods", pod));
        assert!(matches!(created, Reply::Json { status: 201, .. }));
        let Reply::Watch { events } =
            reply(&mut store, OK, &request("GET", "/api/v1/namespaces/a/pods?watch=true", Value::Null))
        else {
            panic!("not a watch")
        };
        let phases: Vec<&str> = events.iter().filter_map(|e| e["object"]["status"]["phase"].as_str()).collect();
        assert_eq!(phases, ["Pending", "Running", "Succeeded"]);
        let Reply::Json { body, .. } =
            reply(&mut store, DriverEnd { exit_code: 3 }, &request("GET", "/api/v1/namespaces/a/pods/d", Value::Null))
        else {
            panic!("not json")
        };
        assert_eq!(body["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 3);
    }

    #[test]
    fn reviews_are_allowed_and_accounts_exist() {
        let mut store = Store::default();
        let review = request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", json!({"spec": {}}));
        assert!(
            matches!(reply(&mut store, OK, &review), Reply::Json { status: 201, body } if body["status"]["allowed"] == true)
        );
        let account = request("GET", "/api/v1/namespaces/a/serviceaccounts/spark", Value::Null);
        assert!(
            matches!(reply(&mut store, OK, &account), Reply::Json { status: 200, body } if body["metadata"]["name"] == "spark")
        );
        let unknown = request("GET", "/apis/x/v1/namespaces/a/things/b/c", Value::Null);
        assert!(matches!(reply(&mut store, OK, &unknown), Reply::Json { status: 404, .. }));
        let quotas = request("GET", "/api/v1/namespaces/a/resourcequotas", Value::Null);
        assert!(
            matches!(reply(&mut store, OK, &quotas), Reply::Json { status: 200, body } if body["kind"] == "ResourceQuotaList")
        );
    }
}
