//! One test's namespace on the shared control plane, and one reconcile in
//! it with the operator's [`Context`] built as `kspark operator run` builds
//! it, except that its caches are filled by listing the namespace just
//! before the call instead of by watches: what the watches hold once they
//! have caught up, without waiting for them.

use std::fmt::Debug;
use std::sync::{Arc, OnceLock};

use k8s_openapi::api::core::v1::{LimitRange, Pod, ResourceQuota, ServiceAccount};
use k8s_openapi::api::events::v1::Event;
use kspark_operator::application_object::ApplicationObject;
use kspark_operator::build::SubmitterSettings;
use kspark_operator::context::{Context, LifecycleOptions};
use kspark_operator::events::Events;
use kspark_operator::executor_index::ExecutorIndex;
use kspark_operator::facts::NamespaceFacts;
use kspark_operator::install::{self, InstallObject};
use kspark_operator::metrics::Metrics;
use kspark_operator::pods::WatchedPod;
use kspark_sparkapp::crd::{scheduled_spark_application_crd, spark_application_crd};
use kspark_sparkapp::{SparkApplication, SparkApplicationStatus, labels};
use kspark_testcluster::{TestCluster, block_on, unique_name};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher;
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A namespace of one test, with the driver service account `spark`.
pub struct Case {
    pub client: Client,
    pub namespace: String,
    options: LifecycleOptions,
}

impl Case {
    /// A fresh namespace; reconciles with kspark's default lifecycle options.
    pub fn new(prefix: &str) -> Case {
        Case::with_options(prefix, LifecycleOptions::default())
    }

    pub fn with_options(prefix: &str, options: LifecycleOptions) -> Case {
        let cluster = TestCluster::shared();
        let client = block_on(cluster.admin_client()).unwrap_or_else(|e| panic!("admin client: {e}"));
        install_crds(&client);
        let namespace = unique_name(prefix);
        block_on(cluster.create_tenant_like_seed(&namespace, "alice")).unwrap_or_else(|e| panic!("{namespace}: {e}"));
        Case { client, namespace, options }
    }

    fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// Creates the SparkApplication `app` (JSON), then gives it `status`
    /// through the status subresource, as the operator would have written it.
    pub fn create_app(&self, app: Value, status: Option<Value>) {
        let app: SparkApplication = serde_json::from_value(app).unwrap_or_else(|e| panic!("application: {e}"));
        let name = app.metadata.name.clone().unwrap_or_default();
        block_on(self.api::<SparkApplication>().create(&PostParams::default(), &app))
            .unwrap_or_else(|e| panic!("create SparkApplication {name}: {e}"));
        if let Some(status) = status {
            let patch = Patch::Merge(json!({ "status": status }));
            block_on(self.api::<SparkApplication>().patch_status(&name, &PatchParams::default(), &patch))
                .unwrap_or_else(|e| panic!("status of {name}: {e}"));
        }
    }

    /// Creates `pod` (JSON), then gives it `status` (merged) when asked.
    pub fn create_pod(&self, pod: Value, status: Option<Value>) -> Pod {
        let pod: Pod = serde_json::from_value(pod).unwrap_or_else(|e| panic!("pod: {e}"));
        let name = pod.metadata.name.clone().unwrap_or_default();
        let created = block_on(self.api::<Pod>().create(&PostParams::default(), &pod))
            .unwrap_or_else(|e| panic!("create pod {name}: {e}"));
        match status {
            Some(status) => self.patch_pod_status(&name, status),
            None => created,
        }
    }

    pub fn patch_pod_status(&self, name: &str, status: Value) -> Pod {
        let patch = Patch::Merge(json!({ "status": status }));
        block_on(self.api::<Pod>().patch_status(name, &PatchParams::default(), &patch))
            .unwrap_or_else(|e| panic!("status of pod {name}: {e}"))
    }

    pub fn patch_pod(&self, name: &str, patch: Value) {
        block_on(self.api::<Pod>().patch(name, &PatchParams::default(), &Patch::Merge(patch)))
            .unwrap_or_else(|e| panic!("patch pod {name}: {e}"));
    }

    /// One reconcile of application `name`, as the controller calls it.
    pub fn reconcile(&self, name: &str) -> Action {
        let object = block_on(self.api::<ApplicationObject>().get(name)).unwrap_or_else(|e| panic!("get {name}: {e}"));
        let ctx = Arc::new(block_on(self.context()));
        block_on(kspark_operator::reconcile::reconcile(Arc::new(object), ctx))
            .unwrap_or_else(|e| panic!("reconcile {name}: {e}"))
    }

    /// The operator's Context as `kspark operator run` builds it, its
    /// caches filled from the namespace as it is now.
    async fn context(&self) -> Context {
        let (pods, executors) = self.cached_pods().await;
        Context {
            client: self.client.clone(),
            pods,
            executors,
            facts: self.cached_facts().await,
            settings: SubmitterSettings {
                master_url: format!("k8s://{}", TestCluster::shared().server_url()),
                user: "spark".into(),
                pod_template_dir: None,
            },
            options: self.options.clone(),
            events: Events::new(self.client.clone(), None, true),
            metrics: Metrics::new(),
            archive: None,
            driver_pdbs: None,
            backoff: Default::default(),
        }
    }

    /// The operator's pods (the watch's label selector) and its executor
    /// index, as after a relist.
    async fn cached_pods(&self) -> (Store<WatchedPod>, ExecutorIndex) {
        let params = ListParams::default().labels(labels::LAUNCHED_BY_SPARK_OPERATOR_SELECTOR);
        let pods = self.api::<WatchedPod>().list(&params).await.unwrap_or_else(|e| panic!("list pods: {e}")).items;
        let executors = ExecutorIndex::default();
        for event in relist(pods.clone()) {
            executors.apply(&event);
        }
        (store_of(pods), executors)
    }

    async fn cached_facts(&self) -> NamespaceFacts {
        let all = ListParams::default();
        let quotas = self.api::<ResourceQuota>().list(&all).await.unwrap_or_else(|e| panic!("quotas: {e}"));
        let ranges = self.api::<LimitRange>().list(&all).await.unwrap_or_else(|e| panic!("LimitRanges: {e}"));
        let accounts = self.api::<ServiceAccount>().list_metadata(&all).await;
        let accounts = accounts.unwrap_or_else(|e| panic!("service accounts: {e}"));
        NamespaceFacts {
            quotas: store_of(quotas.items),
            ranges: store_of(ranges.items),
            accounts: store_of(accounts.items),
        }
    }

    pub fn app(&self, name: &str) -> Option<SparkApplication> {
        block_on(self.api::<SparkApplication>().get_opt(name)).unwrap_or_else(|e| panic!("get {name}: {e}"))
    }

    pub fn status(&self, name: &str) -> SparkApplicationStatus {
        let app = self.app(name).unwrap_or_else(|| panic!("SparkApplication {name} is gone"));
        app.status.unwrap_or_else(|| panic!("SparkApplication {name} has no status"))
    }

    pub fn pod(&self, name: &str) -> Option<Pod> {
        block_on(self.api::<Pod>().get_opt(name)).unwrap_or_else(|e| panic!("get pod {name}: {e}"))
    }

    /// The reasons of the Events about application `name`, oldest first.
    pub fn events(&self, name: &str) -> Vec<String> {
        let events = block_on(self.api::<Event>().list(&ListParams::default()));
        let mut events: Vec<Event> = events
            .unwrap_or_else(|e| panic!("list events: {e}"))
            .items
            .into_iter()
            .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
            .collect();
        events.sort_by_key(|e| e.event_time.as_ref().map(|t| t.0));
        events.into_iter().map(|e| e.reason.unwrap_or_default()).collect()
    }
}

/// What a watch delivers when it (re)lists `objects`.
fn relist<K: Clone>(objects: Vec<K>) -> Vec<watcher::Event<K>> {
    let mut events = vec![watcher::Event::Init];
    events.extend(objects.into_iter().map(watcher::Event::InitApply));
    events.push(watcher::Event::InitDone);
    events
}

/// A reflector's store holding `objects`, ready as after its first list.
fn store_of<K>(objects: Vec<K>) -> Store<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (store, mut writer) = reflector::store();
    for event in relist(objects) {
        writer.apply_watcher_event(&event);
    }
    store
}

/// kubeflow's CRDs, installed once per test binary as `kspark operator
/// install --crds-only` installs them.
fn install_crds(client: &Client) {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let done = DONE.get_or_init(|| {
        let crds = [spark_application_crd(), scheduled_spark_application_crd()];
        let objects: Vec<InstallObject> = crds.into_iter().map(|c| InstallObject::Crd(Box::new(c))).collect();
        block_on(install::apply(client, &objects)).map(drop).map_err(|e| e.to_string())
    });
    if let Err(e) = done {
        panic!("installing the CRDs: {e}");
    }
}
