//! Which namespaces the operator watches, and which of the watched
//! objects' events reach its controllers.
//!
//! Without `--namespace-selector`: one namespace is watched there; several
//! or all are one cluster watch, filtered here before the caches. With a
//! selector (kubeflow's semantics), every namespace is watched and cached,
//! since a namespace may match later, and the events are filtered after
//! the caches by the [`NamespaceGate`]: the `--namespace`s, or a matching
//! namespace.

use std::sync::Arc;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt, future};
use kube::core::{ApiResource, DynamicObject};
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;

use crate::namespace_gate::NamespaceGate;
use crate::selector::Selector;

#[derive(Clone)]
pub(crate) struct Scope {
    watched: Watched,
    gate: Option<NamespaceGate>,
}

#[derive(Clone)]
enum Watched {
    All,
    One(String),
    Some(Arc<Vec<String>>),
}

impl Scope {
    /// Starts the namespace watch when there is a selector.
    pub(crate) fn new(client: &Client, namespaces: &[String], selector: Option<&Selector>) -> Scope {
        match selector {
            None => {
                let watched = match namespaces {
                    [] => Watched::All,
                    [one] => Watched::One(one.clone()),
                    many => Watched::Some(Arc::new(many.to_vec())),
                };
                Scope { watched, gate: None }
            }
            Some(selector) => {
                Scope { watched: Watched::All, gate: Some(NamespaceGate::start(client, namespaces, selector.clone())) }
            }
        }
    }

    pub(crate) fn api<K>(&self, client: &Client) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        match &self.watched {
            Watched::One(ns) => Api::namespaced(client.clone(), ns),
            _ => Api::all(client.clone()),
        }
    }

    /// [`Scope::api`] for an untyped resource.
    pub(crate) fn dynamic_api(&self, client: &Client, resource: &ApiResource) -> Api<DynamicObject> {
        match &self.watched {
            Watched::One(ns) => Api::namespaced_with(client.clone(), ns, resource),
            _ => Api::all_with(client.clone(), resource),
        }
    }

    fn watches(&self, namespace: Option<&str>) -> bool {
        match &self.watched {
            Watched::Some(list) => namespace.is_some_and(|ns| list.iter().any(|n| n == ns)),
            _ => true,
        }
    }

    /// Watches `K` in this scope (several namespaces: all, filtered here).
    pub(crate) fn watch<K>(
        &self,
        api: Api<K>,
        config: watcher::Config,
    ) -> impl Stream<Item = Result<Event<K>, watcher::Error>> + Send + use<K>
    where
        K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
    {
        let scope = self.clone();
        watcher::watcher(api, config).default_backoff().try_filter(move |event| {
            let keep = match event {
                Event::Apply(o) | Event::Delete(o) | Event::InitApply(o) => {
                    scope.watches(o.meta().namespace.as_deref())
                }
                Event::Init | Event::InitDone => true,
            };
            future::ready(keep)
        })
    }

    /// Watches an untyped resource in this scope into a cache (without the
    /// managed fields, which no controller reads): the cache, and the
    /// stream of applied objects that keeps it filled.
    pub(crate) fn cached_dynamic(
        &self,
        client: &Client,
        resource: &ApiResource,
        config: watcher::Config,
    ) -> (Store<DynamicObject>, impl Stream<Item = Result<DynamicObject, watcher::Error>> + Send + use<>) {
        let writer = reflector::store::Writer::new(resource.clone());
        let store = writer.as_reader();
        let events = self
            .watch(self.dynamic_api(client, resource), config)
            .modify(|o| o.metadata.managed_fields = None)
            .reflect(writer)
            .applied_objects();
        (store, events)
    }

    /// The objects of `triggers` (after the cache) whose namespace is the
    /// operator's: all of them without a selector.
    pub(crate) fn admitted<K>(
        &self,
        triggers: impl Stream<Item = Result<K, watcher::Error>> + Send + 'static,
    ) -> BoxStream<'static, Result<K, watcher::Error>>
    where
        K: Resource + Send + 'static,
    {
        let Some(gate) = self.gate.clone() else { return triggers.boxed() };
        triggers
            .try_filter(move |object| {
                let (gate, namespace) = (gate.clone(), object.meta().namespace.clone());
                async move { gate.admits(namespace.as_deref()).await }
            })
            .boxed()
    }

    /// Once the namespaces' labels are listed (at once without a selector).
    pub(crate) async fn listed(&self) -> bool {
        match &self.gate {
            Some(gate) => gate.listed().await,
            None => true,
        }
    }
}
