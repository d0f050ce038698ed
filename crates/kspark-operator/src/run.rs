//! The operator process: caches fed by watches, the controller, the HTTP
//! endpoints, leader election and a graceful stop.

use std::future::Future;
use std::sync::Arc;

use futures::stream::{self, BoxStream};
use futures::{FutureExt, Stream, StreamExt, TryStreamExt, future};
use k8s_openapi::api::core::v1::{LimitRange, ResourceQuota, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::watcher;
use kube::runtime::{Controller, WatchStreamExt, controller};
use kube::{Api, Client};

use crate::application_object::ApplicationObject;
use crate::archive::LogArchiving;
use crate::build::SubmitterSettings;
use crate::connect::{self, ConnectSettings};
use crate::context::{Context, DriverPdbCache};
use crate::events::Events;
use crate::executor_index::ExecutorIndex;
use crate::facts::NamespaceFacts;
use crate::http::{self, Readiness};
use crate::leader;
use crate::metrics::Metrics;
use crate::options::OperatorOptions;
use crate::pods::WatchedPod;
use crate::reconcile::{self, on_error};
use crate::scheduled::{self, ScheduledSettings};
use crate::scope::Scope;
use kspark_sparkapp::labels;

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Leader(#[from] leader::LeaderError),
    #[error("lost the leader lease; stopping so that only one replica submits")]
    LostLease,
    #[error("--archive-logs: {0}")]
    Archive(#[from] kspark_storage::StorageError),
}

pub async fn run(
    client: Client,
    api_url: &str,
    options: OperatorOptions,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) -> Result<(), OperatorError> {
    let archive = options.archive_logs.as_ref().map(LogArchiving::open).transpose()?;
    let metrics = Metrics::new();
    let ready = Readiness::default();
    if let Some(addr) = options.metrics_addr {
        let bound = http::serve(addr, metrics.clone(), ready.clone())
            .await
            .map_err(|source| OperatorError::Listen { addr, source })?;
        tracing::info!(%bound, "serving /healthz, /readyz and /metrics");
    }
    let leading = match &options.lease {
        Some(lease) => {
            ready.set(true);
            Some(leader::acquire(client.clone(), lease).await?)
        }
        None => None,
    };
    let scope = Scope::new(&client, &options.namespaces, options.namespace_selector.as_ref());
    let executors = ExecutorIndex::default();
    let (pods, pod_events) = watch_pods(&client, &scope, executors.clone());
    let facts = watch_facts(&client, &scope);
    let (driver_pdbs, pdb_events) = watch_driver_pdbs(&client, &scope, options.lifecycle.enable_driver_pdb);
    let master_url = options.master_url.clone().unwrap_or_else(|| format!("k8s://{}", api_url.trim_end_matches('/')));
    let connects_settings = ConnectSettings {
        master_url: master_url.clone(),
        concurrency: options.concurrency,
        events: Events::new(client.clone(), std::env::var("POD_NAME").ok(), options.normal_events),
        metrics: metrics.clone(),
    };
    let settings = SubmitterSettings { master_url, user: options.spark_user.clone(), pod_template_dir: None };
    let ctx = Arc::new(Context {
        client: client.clone(),
        pods: pods.clone(),
        executors,
        facts: facts.clone(),
        settings,
        options: options.lifecycle.clone(),
        events: Events::new(client.clone(), std::env::var("POD_NAME").ok(), options.normal_events),
        metrics,
        archive,
        driver_pdbs,
        backoff: Default::default(),
    });
    // One stop for both controllers.
    let shutdown = shutdown.shared();
    let schedules = scheduled::controller(
        &client,
        &scope,
        ScheduledSettings {
            clock: options.clock.clone(),
            precision: options.run_name_precision,
            concurrency: options.concurrency,
            events: ctx.events.clone(),
            metrics: ctx.metrics.clone(),
        },
        shutdown.clone(),
    );
    let connects = connect::controller(&client, &scope, connects_settings, shutdown.clone());
    let mut app_config = watcher::Config::default();
    if let Some(selector) = &options.label_selector {
        app_config = app_config.labels(selector);
    }
    // Watched untyped: one application the Rust type cannot read must not
    // break the list of all of them; reconcile reads each on its own.
    let (apps, apps_writer) = reflector::store::<ApplicationObject>();
    let apps_api: Api<ApplicationObject> = scope.api(&client);
    let app_events = scope
        .watch(apps_api, app_config)
        .modify(crate::pods::keep_application_small)
        .reflect(apps_writer)
        .applied_objects();
    let controller = Controller::for_stream(scope.admitted(app_events), apps.clone())
        .with_config(controller::Config::default().concurrency(options.concurrency))
        .watches_stream(scope.admitted(pod_events), owning_application)
        .watches_stream(scope.admitted(pdb_events), controlling_application)
        .graceful_shutdown_on(shutdown)
        .run(reconcile::reconcile, on_error, ctx)
        .for_each(|result| crate::controller_output::log_result("SparkApplication", result));
    let controller = future::join3(controller, schedules, connects);
    let readiness = mark_ready_when_synced(apps, pods, facts, scope.clone(), ready);
    let selector = options.namespace_selector.as_ref().map(|s| s.as_str());
    tracing::info!(
        namespaces = ?options.namespaces,
        namespace_selector = selector,
        concurrency = options.concurrency,
        "kspark operator started"
    );
    match leading {
        Some(mut leading) => {
            let lost = async move {
                while *leading.borrow_and_update() {
                    if leading.changed().await.is_err() {
                        break;
                    }
                }
            };
            tokio::select! {
                _ = future::join(controller, readiness) => Ok(()),
                _ = lost => Err(OperatorError::LostLease),
            }
        }
        None => {
            future::join(controller, readiness).await;
            Ok(())
        }
    }
}

/// Driver and executor pods of operator applications, kept small in memory.
fn watch_pods(
    client: &Client,
    scope: &Scope,
    executors: ExecutorIndex,
) -> (Store<WatchedPod>, impl Stream<Item = Result<WatchedPod, watcher::Error>> + Send + use<>) {
    let (reader, writer) = reflector::store();
    let config = watcher::Config::default().labels(labels::LAUNCHED_BY_SPARK_OPERATOR_SELECTOR);
    let events = scope
        .watch(scope.api::<WatchedPod>(client), config)
        .inspect_ok(move |event| executors.apply(event))
        .reflect(writer)
        .touched_objects();
    (reader, events)
}

/// A pod's application, from kubeflow's app-name label.
fn owning_application(pod: WatchedPod) -> Option<ObjectRef<ApplicationObject>> {
    let name = pod.metadata.labels.as_ref()?.get(labels::APP_NAME)?;
    Some(ObjectRef::new(name).within(pod.metadata.namespace.as_deref()?))
}

/// With `--enable-driver-pdb`, the driver PDBs (metadata): the cache that
/// spares a request per reconcile, and (kubeflow watches the PDBs it owns)
/// a PDB deleted or changed by someone else brings its application back.
fn watch_driver_pdbs(
    client: &Client,
    scope: &Scope,
    enabled: bool,
) -> (Option<DriverPdbCache>, BoxStream<'static, Result<PartialObjectMeta<PodDisruptionBudget>, watcher::Error>>) {
    if !enabled {
        return (None, stream::empty().boxed());
    }
    let (reader, writer) = reflector::store();
    let config = watcher::Config::default().labels(labels::LAUNCHED_BY_SPARK_OPERATOR_SELECTOR);
    let api: Api<PartialObjectMeta<PodDisruptionBudget>> = scope.api(client);
    let events = scope.watch(api, config).reflect(writer).touched_objects().boxed();
    (Some(reader), events)
}

/// The SparkApplication that controls a PDB (its controller reference).
fn controlling_application(pdb: PartialObjectMeta<PodDisruptionBudget>) -> Option<ObjectRef<ApplicationObject>> {
    let owner = pdb.metadata.owner_references.as_ref()?.iter().find(|o| {
        o.controller == Some(true) && o.kind == "SparkApplication" && o.api_version.starts_with("sparkoperator.k8s.io/")
    })?;
    Some(ObjectRef::new(&owner.name).within(pdb.metadata.namespace.as_deref()?))
}

fn watch_facts(client: &Client, scope: &Scope) -> NamespaceFacts {
    let (quotas, quota_writer) = reflector::store::<ResourceQuota>();
    let (ranges, range_writer) = reflector::store::<LimitRange>();
    let (accounts, account_writer) = reflector::store();
    let config = watcher::Config::default;
    let quota_events = scope.watch(scope.api::<ResourceQuota>(client), config()).reflect(quota_writer);
    let range_events = scope.watch(scope.api::<LimitRange>(client), config()).reflect(range_writer);
    // Metadata only: whether an account exists is all the preflight asks.
    let accounts_api: Api<PartialObjectMeta<ServiceAccount>> = scope.api(client);
    let account_events = scope.watch(accounts_api, config()).reflect(account_writer);
    tokio::spawn(drain(quota_events));
    tokio::spawn(drain(range_events));
    tokio::spawn(drain(account_events));
    NamespaceFacts { quotas, ranges, accounts }
}

async fn drain<T, E: std::fmt::Display>(stream: impl Stream<Item = Result<T, E>>) {
    stream
        .for_each(|item| {
            if let Err(e) = item {
                tracing::warn!(error = %e, "watch failed; retrying");
            }
            future::ready(())
        })
        .await;
}

async fn mark_ready_when_synced(
    apps: Store<ApplicationObject>,
    pods: Store<WatchedPod>,
    facts: NamespaceFacts,
    scope: Scope,
    ready: Readiness,
) {
    let synced = future::join5(
        apps.wait_until_ready(),
        pods.wait_until_ready(),
        facts.quotas.wait_until_ready(),
        facts.ranges.wait_until_ready(),
        scope.listed(),
    )
    .await;
    if synced.0.is_ok() && synced.1.is_ok() && synced.4 {
        tracing::info!(applications = apps.state().len(), "caches filled; ready");
        ready.set(true);
    }
}
