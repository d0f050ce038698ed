//! What differs between the batch schedulers' PodGroups: their CRD, what
//! to tell when it is missing, and which fields kubeflow sets back on a
//! group that exists already.

use std::fmt::Debug;

use k8s_openapi::NamespaceResourceScope;
use kspark_sparkapp::batch_scheduler::{kube_scheduler, volcano};
use kube::Resource;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub trait GroupKind:
    Resource<DynamicType = (), Scope = NamespaceResourceScope> + Clone + Debug + Serialize + DeserializeOwned
{
    /// `spec.batchScheduler` that makes this kind of group.
    const SCHEDULER: &'static str;
    /// The CRD's name, and the group/version it serves.
    const CRD: &'static str;
    const API_VERSION: &'static str;
    /// How to get the CRD.
    const INSTALL_HINT: &'static str;

    /// The merge patch that sets an existing group back to the wanted one
    /// (an earlier attempt's, made from another spec), `None` when it is.
    fn drift(existing: &Self, wanted: &Self) -> Option<Value>;
}

/// kubeflow's volcano `syncPodGroup` sets back `minMember` alone.
impl GroupKind for volcano::PodGroup {
    const SCHEDULER: &'static str = volcano::VOLCANO;
    const CRD: &'static str = volcano::POD_GROUP_CRD;
    const API_VERSION: &'static str = volcano::POD_GROUP_API_VERSION;
    const INSTALL_HINT: &'static str = "install Volcano, https://volcano.sh/en/docs/installation/";

    fn drift(existing: &Self, wanted: &Self) -> Option<Value> {
        (existing.spec.min_member != wanted.spec.min_member)
            .then(|| json!({"spec": {"minMember": wanted.spec.min_member}}))
    }
}

/// kubeflow's kube-scheduler `syncPodGroup` updates the whole spec it sets.
impl GroupKind for kube_scheduler::PodGroup {
    const SCHEDULER: &'static str = kube_scheduler::KUBE_SCHEDULER;
    const CRD: &'static str = kube_scheduler::POD_GROUP_CRD;
    const API_VERSION: &'static str = kube_scheduler::POD_GROUP_API_VERSION;
    const INSTALL_HINT: &'static str = "install scheduler-plugins (its CRDs, and a scheduler named kube-scheduler \
                                        with the Coscheduling plugin), https://scheduler-plugins.sigs.k8s.io/";

    fn drift(existing: &Self, wanted: &Self) -> Option<Value> {
        (existing.spec != wanted.spec)
            .then(|| json!({"spec": {"minMember": wanted.spec.min_member, "minResources": wanted.spec.min_resources}}))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn kube_group(min_member: i32, cpu: &str) -> kube_scheduler::PodGroup {
        let resources = BTreeMap::from([("cpu".to_string(), cpu.to_string())]);
        kube_scheduler::PodGroup::new(
            "a-pg",
            kube_scheduler::PodGroupSpec { min_member, min_resources: Some(resources) },
        )
    }

    #[test]
    fn a_kube_scheduler_group_is_set_back_to_the_whole_wanted_spec() {
        assert_eq!(GroupKind::drift(&kube_group(1, "3"), &kube_group(1, "3")), None);
        assert_eq!(
            GroupKind::drift(&kube_group(1, "2"), &kube_group(1, "3")),
            Some(json!({"spec": {"minMember": 1, "minResources": {"cpu": "3"}}}))
        );
    }

    #[test]
    fn a_volcano_group_is_set_back_to_its_min_member_alone() {
        let group = |min_member, queue: &str| {
            volcano::PodGroup::new(
                "spark-a-pg",
                volcano::PodGroupSpec { min_member, queue: queue.into(), ..Default::default() },
            )
        };
        assert_eq!(GroupKind::drift(&group(1, "default"), &group(1, "")), None);
        assert_eq!(GroupKind::drift(&group(2, ""), &group(1, "")), Some(json!({"spec": {"minMember": 1}})));
    }
}
