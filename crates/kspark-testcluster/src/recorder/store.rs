//! What the recorder holds: created objects by path, in creation order, and
//! the scripted phases of a driver pod.

use serde_json::{Map, Value, json};

/// The terminal phase a driver pod ends in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DriverEnd {
    pub exit_code: i32,
}

impl DriverEnd {
    pub fn phase(self) -> &'static str {
        if self.exit_code == 0 { "Succeeded" } else { "Failed" }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    /// Object path → object; a re-written path keeps its first position.
    objects: Map<String, Value>,
    resource_version: u64,
}

impl Store {
    pub fn next_resource_version(&mut self) -> String {
        self.resource_version += 1;
        (1000 + self.resource_version).to_string()
    }

    pub fn get(&self, path: &str) -> Option<&Value> {
        self.objects.get(path)
    }

    /// Stores `object` as created by `method` on `path`, filling in what an
    /// API server would (uid, resourceVersion, creationTimestamp, namespace).
    pub fn put(&mut self, method: &str, path: &str, object: Value) -> Value {
        let mut object = match object {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if !matches!(object.get("metadata"), Some(Value::Object(_))) {
            object.insert("metadata".into(), Value::Object(Map::new()));
        }
        let resource_version = self.next_resource_version();
        let mut name = String::new();
        if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
            metadata.entry("uid").or_insert_with(|| Value::String(uuid_like(&resource_version)));
            metadata.insert("resourceVersion".into(), Value::String(resource_version));
            metadata.entry("creationTimestamp").or_insert_with(|| json!("2026-01-01T00:00:00Z"));
            if let Some(namespace) = namespace_of(path) {
                metadata.entry("namespace").or_insert_with(|| Value::String(namespace.to_string()));
            }
            name = metadata.get("name").and_then(Value::as_str).unwrap_or("").to_string();
        }
        let key = if method == "POST" { format!("{path}/{name}") } else { path.to_string() };
        let object = Value::Object(object);
        self.objects.insert(key, object.clone());
        object
    }

    /// Objects stored directly under `collection` (e.g. `/api/v1/namespaces/a/pods`).
    pub fn children<'a>(&'a self, collection: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects.iter().filter(move |(path, _)| is_child(path, collection)).map(|(_, object)| object)
    }

    /// The newest pod in `namespace_path`: the driver, for a submission.
    pub fn driver_pod(&self, namespace_path: &str) -> Option<&Value> {
        let prefix = format!("{namespace_path}/pods/");
        self.objects.iter().filter(|(path, _)| path.starts_with(&prefix)).map(|(_, o)| o).next_back()
    }
}

fn is_child(path: &str, collection: &str) -> bool {
    path.strip_prefix(collection).and_then(|rest| rest.strip_prefix('/')).is_some_and(|rest| !rest.is_empty())
}

/// The namespace segment of an API path, if any.
pub(crate) fn namespace_of(path: &str) -> Option<&str> {
    let mut parts = path.split('/');
    parts.find(|p| *p == "namespaces")?;
    parts.next().filter(|n| !n.is_empty())
}

/// A UUID-shaped uid, unique per object (the recorder needs no randomness).
fn uuid_like(resource_version: &str) -> String {
    format!("00000000-0000-4000-8000-{:0>12}", resource_version)
}

/// `pod` as it looks in `phase`, with a container status for the running and
/// terminated phases.
pub(crate) fn pod_in_phase(pod: &Value, phase: &str, end: Option<DriverEnd>, resource_version: String) -> Value {
    let mut pod = pod.clone();
    if let Some(metadata) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.insert("resourceVersion".into(), Value::String(resource_version));
    }
    let container = pod.pointer("/spec/containers/0/name").and_then(Value::as_str).unwrap_or("c").to_string();
    let mut status = json!({
        "phase": phase, "podIP": "10.244.0.10", "hostIP": "10.240.0.4", "startTime": "2026-01-01T00:00:01Z",
    });
    let container_status = match (phase, end) {
        ("Running", _) => Some(json!({
            "name": container, "ready": true, "restartCount": 0, "image": "img", "imageID": "", "started": true,
            "state": {"running": {"startedAt": "2026-01-01T00:00:02Z"}},
        })),
        (_, Some(end)) => Some(json!({
            "name": container, "ready": false, "restartCount": 0, "image": "img", "imageID": "", "started": false,
            "state": {"terminated": {
                "exitCode": end.exit_code,
                "reason": if end.exit_code == 0 { "Completed" } else { "Error" },
                "startedAt": "2026-01-01T00:00:02Z", "finishedAt": "2026-01-01T00:00:03Z",
            }},
        })),
        _ => None,
    };
    if let Some(cs) = container_status {
        status["containerStatuses"] = json!([cs]);
    }
    if let Some(map) = pod.as_object_mut() {
        map.insert("status".into(), status);
    }
    pod
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_stores_under_the_name_and_fills_metadata() {
        let mut store = Store::default();
        let echoed = store.put("POST", "/api/v1/namespaces/a/pods", json!({"metadata": {"name": "d"}}));
        assert_eq!(echoed["metadata"]["namespace"], "a");
        assert!(echoed["metadata"]["uid"].is_string());
        assert_eq!(store.get("/api/v1/namespaces/a/pods/d"), Some(&echoed));
        store.put("PATCH", "/api/v1/namespaces/a/configmaps/c", json!({"metadata": {"name": "c"}}));
        assert_eq!(store.children("/api/v1/namespaces/a/pods").count(), 1);
        assert_eq!(store.driver_pod("/api/v1/namespaces/a").map(|p| &p["metadata"]["name"]), Some(&json!("d")));
        assert!(store.driver_pod("/api/v1/namespaces/b").is_none());
    }

    #[test]
    fn terminated_pods_carry_the_exit_code() {
        let pod = json!({"metadata": {"name": "d"}, "spec": {"containers": [{"name": "spark-kubernetes-driver"}]}});
        let failed = pod_in_phase(&pod, "Failed", Some(DriverEnd { exit_code: 3 }), "7".into());
        assert_eq!(failed["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 3);
        assert_eq!(failed["status"]["containerStatuses"][0]["name"], "spark-kubernetes-driver");
        let pending = pod_in_phase(&pod, "Pending", None, "8".into());
        assert!(pending["status"].get("containerStatuses").is_none());
    }
}
