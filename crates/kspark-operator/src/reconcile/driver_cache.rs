//! The driver pod as the watch cache has it, for the current submission
//! only.
//!
//! A driver keeps its name from one run to the next (kubeflow's
//! `<app>-driver`), and a rerun is submitted once the API server says the
//! previous driver is gone, which the watch feeding the cache may not have
//! delivered yet. A cached pod labelled with another submission is that
//! previous driver: read as the new run's, its end would end the new run
//! and its spec digest would invalidate the new run again.

use std::sync::Arc;

use kube::runtime::reflector::ObjectRef;

use super::Work;
use super::cleanup::driver_pod_name;
use crate::context::Context;
use crate::pods::WatchedPod;
use kspark_sparkapp::labels;

/// The cached driver pod, unless it belongs to another submission than the
/// one the status records (a pod without the label, or a status without a
/// submission, is taken as before).
pub fn cached_driver(work: &Work, ctx: &Context) -> Option<Arc<WatchedPod>> {
    let pod = ctx.pods.get(&ObjectRef::<WatchedPod>::new(&driver_pod_name(work)).within(work.namespace()))?;
    let current = work.status().submission_id.as_str();
    let labelled = pod.metadata.labels.as_ref().and_then(|l| l.get(labels::SUBMISSION_ID));
    match labelled {
        Some(submission) if !current.is_empty() && submission != current => None,
        _ => Some(pod),
    }
}
