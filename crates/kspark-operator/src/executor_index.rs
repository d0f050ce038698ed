//! Which executor pods each application has, kept from the pod watch, so
//! that a reconcile looks up its own executors instead of scanning every
//! pod in the cache (which made following a thousand running applications
//! quadratic).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::Event;

use crate::pods::WatchedPod;
use kspark_manifests::labels::SPARK_ROLE;
use kspark_sparkapp::labels;

/// (namespace, application) → executor pod names.
type ByApplication = HashMap<(String, String), BTreeSet<String>>;

#[derive(Clone, Default)]
pub struct ExecutorIndex {
    inner: Arc<Mutex<Index>>,
}

#[derive(Default)]
struct Index {
    current: ByApplication,
    /// Filled during a relist, then swapped in (as the reflector's store).
    relisting: Option<ByApplication>,
}

impl ExecutorIndex {
    /// Follows one event of the pod watch.
    pub fn apply(&self, event: &Event<WatchedPod>) {
        let mut index = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match event {
            Event::Apply(pod) => {
                if let Some((key, name)) = executor_key(pod) {
                    index.current.entry(key).or_default().insert(name);
                }
            }
            Event::Delete(pod) => {
                if let Some((key, name)) = executor_key(pod) {
                    remove(&mut index.current, key, &name);
                }
            }
            Event::Init => index.relisting = Some(HashMap::new()),
            Event::InitApply(pod) => {
                if let (Some((key, name)), Some(relisting)) = (executor_key(pod), index.relisting.as_mut()) {
                    relisting.entry(key).or_default().insert(name);
                }
            }
            Event::InitDone => {
                if let Some(relisted) = index.relisting.take() {
                    index.current = relisted;
                }
            }
        }
    }

    /// The names of the application's executor pods.
    pub fn executors_of(&self, namespace: &str, application: &str) -> Vec<String> {
        let index = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (namespace.to_string(), application.to_string());
        index.current.get(&key).map(|names| names.iter().cloned().collect()).unwrap_or_default()
    }
}

fn executor_key(pod: &Pod) -> Option<((String, String), String)> {
    let labels = pod.metadata.labels.as_ref()?;
    if labels.get(SPARK_ROLE).map(String::as_str) != Some("executor") {
        return None;
    }
    let application = labels.get(labels::APP_NAME)?.clone();
    let key = (pod.metadata.namespace.clone()?, application);
    Some((key, pod.metadata.name.clone()?))
}

fn remove(index: &mut ByApplication, key: (String, String), name: &str) {
    if let Some(names) = index.get_mut(&key) {
        names.remove(name);
        if names.is_empty() {
            index.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn pod(name: &str, app: &str, role: &str) -> WatchedPod {
        let labels =
            BTreeMap::from([(labels::APP_NAME.to_string(), app.to_string()), (SPARK_ROLE.into(), role.into())]);
        let mut pod = Pod::default();
        pod.metadata.name = Some(name.into());
        pod.metadata.namespace = Some("ns".into());
        pod.metadata.labels = Some(labels);
        WatchedPod(pod)
    }

    #[test]
    fn executors_are_indexed_by_application_and_drivers_are_not() {
        let index = ExecutorIndex::default();
        index.apply(&Event::Apply(pod("a-exec-1", "a", "executor")));
        index.apply(&Event::Apply(pod("a-exec-2", "a", "executor")));
        index.apply(&Event::Apply(pod("a-driver", "a", "driver")));
        index.apply(&Event::Apply(pod("b-exec-1", "b", "executor")));
        assert_eq!(index.executors_of("ns", "a"), ["a-exec-1", "a-exec-2"]);
        index.apply(&Event::Delete(pod("a-exec-1", "a", "executor")));
        assert_eq!(index.executors_of("ns", "a"), ["a-exec-2"]);
        assert!(index.executors_of("other", "b").is_empty());
    }

    #[test]
    fn a_relist_replaces_what_was_known() {
        let index = ExecutorIndex::default();
        index.apply(&Event::Apply(pod("gone-exec-1", "gone", "executor")));
        index.apply(&Event::Init);
        index.apply(&Event::InitApply(pod("a-exec-1", "a", "executor")));
        // Until the relist is done the old view stays, as the reflector's.
        assert_eq!(index.executors_of("ns", "gone"), ["gone-exec-1"]);
        index.apply(&Event::InitDone);
        assert!(index.executors_of("ns", "gone").is_empty());
        assert_eq!(index.executors_of("ns", "a"), ["a-exec-1"]);
    }
}
