//! The resources kubeflow's controller reckons an application asks for
//! (pkg/util `GetDriverRequestResource`, `GetExecutorRequestResource`,
//! `GetInitialExecutorNumber`, `SumResourceList`), for Volcano's PodGroup.
//!
//! kubeflow reads `memory` and `memoryOverhead` as Kubernetes quantities,
//! not as Spark sizes: `512m` is 0.512 (milli), and `1g`, which is no
//! quantity at all, is left out. kspark reproduces this, so that its
//! PodGroups are the ones kubeflow creates.

use std::collections::BTreeMap;

use crate::application::SparkApplication;
use crate::pod::SparkPodSpec;
use crate::webhook::quantity;

/// Resource name → the quantities (as written) that add up to it, in the
/// order kubeflow adds them (the first one decides how the sum is written).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Terms(BTreeMap<String, Vec<String>>);

impl Terms {
    /// `text` as one more term of `name`, when it is a quantity at all
    /// (kubeflow skips what `resource.ParseQuantity` refuses).
    fn add(&mut self, name: &str, text: &str) {
        if quantity::canonical(text).is_ok() {
            self.0.entry(name.to_string()).or_default().push(text.to_string());
        }
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// kubeflow's `SumResourceList` of these lists, in their order.
    pub fn sum_of(lists: &[Terms]) -> Terms {
        let mut total = Terms::default();
        for list in lists {
            for (name, terms) in &list.0 {
                total.0.entry(name.clone()).or_default().extend(terms.iter().cloned());
            }
        }
        total
    }

    /// `times` copies of these terms (the executors' total).
    fn times(&self, times: i32) -> Terms {
        let copies = vec![self.clone(); usize::try_from(times).unwrap_or(0)];
        Terms::sum_of(&copies)
    }

    /// Each resource's sum as kubeflow's quantities write it (`3`, `1536m`).
    pub fn totals(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .filter_map(|(name, terms)| {
                // Every term parsed when it was added, so the sum can only
                // fail beyond 10^38; such a resource is left out.
                quantity::sum(terms.iter().map(String::as_str)).ok().map(|total| (name.clone(), total))
            })
            .collect()
    }
}

/// kubeflow's `GetDriverRequestResource`: `cores`, else `coreLimit`;
/// `memory` plus `memoryOverhead`.
pub fn driver_requests(app: &SparkApplication) -> Terms {
    let pod = &app.spec.driver.pod;
    let mut terms = Terms::default();
    if let Some(cores) = pod.cores {
        terms.add("cpu", &cores.to_string());
    }
    add_core_limit_and_memory(&mut terms, pod);
    terms
}

/// kubeflow's `GetExecutorRequestResource`: one executor's `coreRequest`,
/// else `cores`, else `coreLimit`, and `memory` plus `memoryOverhead`,
/// times the initial number of executors.
pub fn executor_requests(app: &SparkApplication) -> Terms {
    let executor = &app.spec.executor;
    let mut one = Terms::default();
    if let Some(request) = &executor.core_request {
        one.add("cpu", request);
    }
    if let Some(cores) = executor.pod.cores.filter(|_| !one.has("cpu")) {
        one.add("cpu", &cores.to_string());
    }
    add_core_limit_and_memory(&mut one, &executor.pod);
    one.times(initial_executors(app))
}

fn add_core_limit_and_memory(terms: &mut Terms, pod: &SparkPodSpec) {
    if let Some(limit) = pod.core_limit.as_deref().filter(|_| !terms.has("cpu")) {
        terms.add("cpu", limit);
    }
    if let Some(memory) = &pod.memory {
        terms.add("memory", memory);
    }
    if let Some(overhead) = pod.memory_overhead.as_deref().filter(|_| terms.has("memory")) {
        terms.add("memory", overhead);
    }
}

/// kubeflow's `GetInitialExecutorNumber`: with `spec.dynamicAllocation`
/// enabled the largest of `instances`, `initialExecutors` and
/// `minExecutors` (0 when none is set); otherwise `instances`, or 2.
pub fn initial_executors(app: &SparkApplication) -> i32 {
    let instances = app.spec.executor.instances;
    match app.spec.dynamic_allocation.as_ref().filter(|a| a.enabled) {
        Some(allocation) => {
            [instances, allocation.initial_executors, allocation.min_executors].into_iter().flatten().fold(0, i32::max)
        }
        None => instances.unwrap_or(2),
    }
}
