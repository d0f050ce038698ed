//! Has the spec changed since the application was submitted? kubeflow
//! compares old and new objects of a watch event, which an operator that
//! was down during the change never sees. kspark compares the spec with
//! what the running submission was built from: the digest on the driver
//! pod, or the one folded into kspark's own submission IDs.

use kspark_sparkapp::ApplicationStateType as S;

use super::Work;
use super::driver_cache::cached_driver;
use crate::context::Context;
use crate::identity::{SPEC_DIGEST_ANNOTATION, attempt_identity, made_by_kspark};

pub fn spec_changed(work: &Work, ctx: &Context) -> bool {
    if matches!(work.state(), S::New | S::Invalidating | S::PendingRerun | S::Suspending | S::Suspended | S::Resuming) {
        return false;
    }
    let digest = &work.spec_digest;
    let pod = cached_driver(work, ctx);
    if let Some(built_from) =
        pod.as_ref().and_then(|p| p.metadata.annotations.as_ref()).and_then(|a| a.get(SPEC_DIGEST_ANNOTATION))
    {
        return built_from != digest;
    }
    let status = work.status();
    if !made_by_kspark(&status.submission_id) {
        return false;
    }
    let uid = work.app.metadata.uid.as_deref().unwrap_or_default();
    attempt_identity(uid, digest, status.submission_attempts).submission_id != status.submission_id
}
