//! Which namespaces the operator watches (`--namespace`, repeatable; none:
//! all), and the APIs and watches of that scope that the controllers share.

use std::sync::Arc;

use futures::{Stream, TryStreamExt, future};
use kube::core::{ApiResource, DynamicObject};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;

/// Which namespaces are watched.
#[derive(Clone)]
pub(crate) enum Scope {
    All,
    One(String),
    Some(Arc<Vec<String>>),
}

impl Scope {
    pub(crate) fn of(namespaces: &[String]) -> Scope {
        match namespaces {
            [] => Scope::All,
            [one] => Scope::One(one.clone()),
            many => Scope::Some(Arc::new(many.to_vec())),
        }
    }

    pub(crate) fn api<K>(&self, client: &Client) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        match self {
            Scope::One(ns) => Api::namespaced(client.clone(), ns),
            _ => Api::all(client.clone()),
        }
    }

    /// [`Scope::api`] for an untyped resource.
    pub(crate) fn dynamic_api(&self, client: &Client, resource: &ApiResource) -> Api<DynamicObject> {
        match self {
            Scope::One(ns) => Api::namespaced_with(client.clone(), ns, resource),
            _ => Api::all_with(client.clone(), resource),
        }
    }

    fn admits(&self, namespace: Option<&str>) -> bool {
        match self {
            Scope::Some(list) => namespace.is_some_and(|ns| list.iter().any(|n| n == ns)),
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
                Event::Apply(o) | Event::Delete(o) | Event::InitApply(o) => scope.admits(o.meta().namespace.as_deref()),
                Event::Init | Event::InitDone => true,
            };
            future::ready(keep)
        })
    }
}
