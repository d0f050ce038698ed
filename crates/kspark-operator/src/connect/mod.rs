//! SparkConnect: kubeflow's Spark Connect servers (`v1alpha1`). Each is a
//! ConfigMap (the executors' pod template), a server pod (a Spark driver
//! serving gRPC on 15002) and a Service, all owned by the SparkConnect, and
//! a status that follows the server pod and its executors.
//!
//! Layout: this file (the watches and the controller), [`reconcile`] (one
//! reconcile: make what is missing, write the status). The objects
//! themselves come from `kspark_sparkapp::connect` (pure builders checked
//! against kubeflow's own controller) and are written by
//! `kspark_kube::connect_server`, which `kspark connect --no-operator` uses too.

pub mod reconcile;

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Service};
use kspark_sparkapp::SparkConnect;
use kspark_sparkapp::labels::CONNECT_NAME;
use kube::Client;
use kube::core::{ApiResource, DynamicObject, PartialObjectMeta};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{Controller, WatchStreamExt, controller, watcher};
use kube::{Api, Resource};

use crate::events::Events;
use crate::metrics::Metrics;
use crate::scope::Scope;

/// What every SparkConnect's reconcile shares.
pub struct ConnectContext {
    pub client: Client,
    /// The API server as the server pod reaches it (the same URL drivers get).
    pub master_url: String,
    pub events: Events,
    pub metrics: Metrics,
    /// Failed reconciles in a row, per SparkConnect.
    pub backoff: crate::backoff::Backoff,
}

/// The SparkConnect resource, for untyped access: one object the Rust type
/// cannot read fails on its own.
pub fn connect_resource() -> ApiResource {
    ApiResource::erase::<SparkConnect>(&())
}

pub(crate) struct ConnectSettings {
    pub master_url: String,
    pub concurrency: u16,
    pub events: Events,
    pub metrics: Metrics,
}

/// The SparkConnects' controller: runs until `shutdown`.
pub(crate) fn controller(
    client: &Client,
    scope: &Scope,
    settings: ConnectSettings,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) -> impl Future<Output = ()> + Send {
    let resource = connect_resource();
    let (connects, connect_events) = scope.cached_dynamic(client, &resource, watcher::Config::default());
    // Everything a SparkConnect's server is made of carries its name: the
    // server pod and its executors (a change of readiness, a deletion),
    // the ConfigMap and the Service (deleted by someone: made again).
    let labelled = || watcher::Config::default().labels(CONNECT_NAME);
    let pods: Api<PartialObjectMeta<Pod>> = scope.api(client);
    let config_maps: Api<PartialObjectMeta<ConfigMap>> = scope.api(client);
    let services: Api<PartialObjectMeta<Service>> = scope.api(client);
    let pod_events = scope.watch(pods, labelled()).touched_objects();
    let config_map_events = scope.watch(config_maps, labelled()).touched_objects();
    let service_events = scope.watch(services, labelled()).touched_objects();
    let ctx = Arc::new(ConnectContext {
        client: client.clone(),
        master_url: settings.master_url,
        events: settings.events,
        metrics: settings.metrics,
        backoff: Default::default(),
    });
    let (r1, r2, r3) = (resource.clone(), resource.clone(), resource.clone());
    Controller::for_stream_with(scope.admitted(connect_events), connects, resource)
        .with_config(controller::Config::default().concurrency(settings.concurrency))
        .watches_stream_with(scope.admitted(pod_events), move |o| named_connect(&o, &r1), ())
        .watches_stream_with(scope.admitted(config_map_events), move |o| named_connect(&o, &r2), ())
        .watches_stream_with(scope.admitted(service_events), move |o| named_connect(&o, &r3), ())
        .graceful_shutdown_on(shutdown)
        .run(reconcile::reconcile, on_error, ctx)
        .for_each(|result| crate::controller_output::log_result("SparkConnect", result))
}

/// The SparkConnect an object belongs to, from kubeflow's connect-name label.
fn named_connect<K: Resource>(object: &K, resource: &ApiResource) -> Option<ObjectRef<DynamicObject>> {
    let meta = object.meta();
    let name = meta.labels.as_ref()?.get(CONNECT_NAME)?;
    Some(ObjectRef::new_with(name, resource.clone()).within(meta.namespace.as_deref()?))
}

fn on_error(
    connect: Arc<DynamicObject>,
    error: &reconcile::ConnectError,
    ctx: Arc<ConnectContext>,
) -> controller::Action {
    crate::backoff::retry_after_failure(
        &ctx.backoff,
        &ctx.metrics,
        &connect.metadata,
        "SparkConnect",
        error.kind(),
        error,
    )
}
