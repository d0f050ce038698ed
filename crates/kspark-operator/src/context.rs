//! What every reconcile shares: the client, the caches fed by watches, the
//! settings, the event recorder and the metrics.

use std::time::Duration;

use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kspark_sparkapp::batch_scheduler::BatchScheduler;
use kube::Client;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::Store;

use crate::build::SubmitterSettings;
use crate::events::Events;
use crate::executor_index::ExecutorIndex;
use crate::facts::NamespaceFacts;
use crate::metrics::Metrics;
use crate::pods::WatchedPod;

/// The driver PodDisruptionBudgets the operator made (their metadata).
pub type DriverPdbCache = Store<PartialObjectMeta<PodDisruptionBudget>>;

/// Lifecycle settings beyond the SparkApplication's own.
#[derive(Debug, Clone)]
pub struct LifecycleOptions {
    /// How long a SUBMITTED application may lack its driver pod before it
    /// counts as failed (kubeflow's driver-pod-creation-grace-period).
    pub driver_pod_creation_grace: Duration,
    /// A driver not Running this long after submission fails the
    /// application with the reason it is stuck (kspark; none by default).
    pub driver_start_deadline: Option<Duration>,
    /// A Running driver with no Running executor this long fails the
    /// application (kspark; none by default).
    pub executor_start_deadline: Option<Duration>,
    /// TTL for applications that set none (kubeflow's default-ttl; 0 = none).
    pub default_ttl_seconds: i64,
    /// Executors tracked in `status.executorState` per application.
    pub max_tracked_executors: usize,
    /// Whether the preflight checks (quota, LimitRange, service account) run
    /// before a driver is created.
    pub preflight: bool,
    /// Services and routes to each driver's UI (kubeflow's --enable-ui-service,
    /// --ingress-url-format) and ports.
    pub exposure: crate::exposure::ExposureOptions,
    /// A PodDisruptionBudget for the driver of each application that sets
    /// spec.driverPodDisruptionBudget (kubeflow's --enable-driver-pdb).
    pub enable_driver_pdb: bool,
    /// The batch scheduler of applications that name none (kubeflow's
    /// --default-batch-scheduler).
    pub default_batch_scheduler: Option<BatchScheduler>,
}

impl Default for LifecycleOptions {
    fn default() -> LifecycleOptions {
        LifecycleOptions {
            driver_pod_creation_grace: Duration::from_secs(10),
            driver_start_deadline: None,
            executor_start_deadline: None,
            default_ttl_seconds: 0,
            max_tracked_executors: 1000,
            preflight: true,
            exposure: Default::default(),
            enable_driver_pdb: false,
            default_batch_scheduler: None,
        }
    }
}

pub struct Context {
    pub client: Client,
    /// Driver and executor pods of operator-launched applications.
    pub pods: Store<WatchedPod>,
    /// Each application's executor pods, by name.
    pub executors: ExecutorIndex,
    pub facts: NamespaceFacts,
    pub settings: SubmitterSettings,
    pub options: LifecycleOptions,
    pub events: Events,
    pub metrics: Metrics,
    /// Where finished applications' logs go (`--archive-logs`).
    pub archive: Option<crate::archive::LogArchiving>,
    /// With `--enable-driver-pdb`: the driver PDBs, from a watch.
    pub driver_pdbs: Option<DriverPdbCache>,
    /// Failed reconciles in a row, per application.
    pub backoff: crate::backoff::Backoff,
}
