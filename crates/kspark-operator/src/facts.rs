//! What the preflight needs to know about a namespace (ResourceQuotas,
//! LimitRanges, which service accounts exist and their Azure workload
//! identity annotations), kept current by watches so
//! that checking an application costs no request.

use std::time::Duration;

use k8s_openapi::api::core::v1::{LimitRange, ResourceQuota, ServiceAccount};
use kspark_manifests::WorkloadIdentity;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::Store;

#[derive(Clone)]
pub struct NamespaceFacts {
    pub quotas: Store<ResourceQuota>,
    pub ranges: Store<LimitRange>,
    pub accounts: Store<PartialObjectMeta<ServiceAccount>>,
}

/// How long a submission waits for the first lists before it is postponed.
const FIRST_LIST_WAIT: Duration = Duration::from_secs(10);

impl NamespaceFacts {
    /// Whether every fact has been listed once. Until then the caches are
    /// empty, and a preflight on them would let any application through a
    /// quota that cannot take it (right after the operator starts).
    pub async fn listed(&self) -> bool {
        let all = futures::future::join3(
            self.quotas.wait_until_ready(),
            self.ranges.wait_until_ready(),
            self.accounts.wait_until_ready(),
        );
        matches!(tokio::time::timeout(FIRST_LIST_WAIT, all).await, Ok((Ok(()), Ok(()), Ok(()))))
    }

    pub fn quotas_in(&self, namespace: &str) -> Vec<ResourceQuota> {
        in_namespace(&self.quotas, namespace)
    }

    pub fn ranges_in(&self, namespace: &str) -> Vec<LimitRange> {
        in_namespace(&self.ranges, namespace)
    }

    /// `None` while the service accounts have not been listed yet.
    pub fn account_exists(&self, namespace: &str, name: &str) -> Option<bool> {
        let listed = self.accounts.state().iter().any(|a| a.metadata.namespace.as_deref() == Some(namespace));
        let found =
            self.accounts.state().iter().any(|a| {
                a.metadata.namespace.as_deref() == Some(namespace) && a.metadata.name.as_deref() == Some(name)
            });
        (listed || found).then_some(found)
    }

    /// The Azure workload identity `namespace/name` is annotated with.
    pub fn workload_identity(&self, namespace: &str, name: &str) -> Option<WorkloadIdentity> {
        let state = self.accounts.state();
        let account = state
            .iter()
            .find(|a| a.metadata.namespace.as_deref() == Some(namespace) && a.metadata.name.as_deref() == Some(name))?;
        WorkloadIdentity::from_annotations(namespace, name, account.metadata.annotations.as_ref())
    }
}

fn in_namespace<K>(store: &Store<K>, namespace: &str) -> Vec<K>
where
    K: kube::Resource<DynamicType = ()> + Clone + 'static,
{
    store.state().iter().filter(|o| o.meta().namespace.as_deref() == Some(namespace)).map(|o| (**o).clone()).collect()
}
