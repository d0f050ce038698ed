//! What a controller's run stream yields besides finished reconciles. A
//! failed reconcile is logged and counted by `on_error` already; a watch
//! that keeps failing (a right missing, a CRD gone) surfaces only here, and
//! dropping it would leave an operator that silently ignores its objects.

use std::fmt::Display;

use kube::runtime::controller::Error;

/// Logs what the controller of `kind` yielded, if it is worth a line (a
/// ready future, for the run stream's `for_each`).
pub(crate) fn log_result<T, ReconcileErr, QueueErr>(
    kind: &'static str,
    result: Result<T, Error<ReconcileErr, QueueErr>>,
) -> std::future::Ready<()>
where
    ReconcileErr: std::error::Error + 'static,
    QueueErr: std::error::Error + 'static,
{
    match result {
        Ok(_) | Err(Error::ReconcilerFailed(..)) => {}
        Err(Error::ObjectNotFound(object)) => tracing::debug!(kind, %object, "the object left the cache first"),
        Err(Error::QueueError(error)) => warn(kind, "a watch failed; it retries with backoff", &error),
        Err(Error::RunnerError(error)) => warn(kind, "the controller's runner failed", &error),
    }
    std::future::ready(())
}

fn warn(kind: &'static str, message: &'static str, error: &dyn Display) {
    tracing::warn!(kind, %error, "{message}");
}
