//! kubeflow's `--namespace-selector`: an event of an object in namespace N
//! reaches the controllers when N is one of the `--namespace`s, or when
//! N's labels match the selector at the time of the event (kubeflow's
//! `NamespaceMatcher` in its event filters). Being asked per event, it
//! does what kubeflow does when a namespace gets the label later: its
//! applications are reconciled at their next change, not at once.
//!
//! The namespaces' labels come from a watch of all namespaces (metadata
//! only). A namespace not in that cache yet (created a moment ago, its
//! event still on the way) is asked for once, where kubeflow drops the
//! event.

use std::collections::BTreeSet;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};

use crate::selector::Selector;

#[derive(Clone)]
pub(crate) struct NamespaceGate(Arc<Inner>);

struct Inner {
    explicit: BTreeSet<String>,
    selector: Selector,
    labels: Store<PartialObjectMeta<Namespace>>,
    api: Api<Namespace>,
}

impl NamespaceGate {
    /// Starts the namespace watch (in the background, for the life of the process).
    pub(crate) fn start(client: &Client, explicit: &[String], selector: Selector) -> NamespaceGate {
        let api: Api<Namespace> = Api::all(client.clone());
        let (labels, writer) = reflector::store();
        // Metadata only: the labels are all the selector reads.
        let metadata: Api<PartialObjectMeta<Namespace>> = Api::all(client.clone());
        let watch = watcher::watcher(metadata, watcher::Config::default()).default_backoff().reflect(writer);
        tokio::spawn(watch.for_each(|event| {
            if let Err(e) = event {
                tracing::warn!(error = %e, "namespace watch failed; retrying");
            }
            futures::future::ready(())
        }));
        NamespaceGate(Arc::new(Inner { explicit: explicit.iter().cloned().collect(), selector, labels, api }))
    }

    /// Whether an object of `namespace` is the operator's.
    pub(crate) async fn admits(&self, namespace: Option<&str>) -> bool {
        let Some(namespace) = namespace else { return false };
        let inner = &self.0;
        // kubeflow's `--namespaces` with an empty name means every namespace.
        if inner.explicit.contains(namespace) || inner.explicit.contains("") {
            return true;
        }
        let cached = match inner.labels.wait_until_ready().await {
            Ok(()) => inner.labels.get(&ObjectRef::new(namespace)),
            Err(_) => None,
        };
        match cached {
            Some(cached) => inner.selector.matches(cached.metadata.labels.as_ref().unwrap_or(&Default::default())),
            None => self.ask(namespace).await,
        }
    }

    /// The namespace from the API server, for one the cache does not have.
    async fn ask(&self, namespace: &str) -> bool {
        match self.0.api.get_metadata_opt(namespace).await {
            Ok(Some(found)) => self.0.selector.matches(found.metadata.labels.as_ref().unwrap_or(&Default::default())),
            Ok(None) => false,
            Err(e) => {
                // kubeflow drops the event too when it cannot tell.
                tracing::warn!(namespace, error = %e, "cannot read the namespace's labels; event dropped");
                false
            }
        }
    }

    /// Once the namespaces have been listed.
    pub(crate) async fn listed(&self) -> bool {
        self.0.labels.wait_until_ready().await.is_ok()
    }
}
