//! Running async code from the synchronous API.
//!
//! [`crate::TestCluster::start`] is called from plain `#[test]`s and from
//! inside `#[tokio::test]`s alike. Blocking on a future inside a runtime
//! panics, so the future runs on a fresh thread with its own current-thread
//! runtime, and the caller only waits for that thread.

use std::future::Future;

use crate::error::{Error, Result};

/// Blocks on `future` on one multi-threaded runtime shared by the whole
/// test binary: kube clients keep a worker task on the runtime that built
/// them, so that runtime must outlive every test that uses them.
pub fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("kspark-testcluster: cannot start the shared tokio runtime: {e}"))
        })
        .block_on(future)
}

pub(crate) fn new_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("creating a tokio runtime", e))
}

/// Runs `future` to completion on its own thread and runtime.
pub(crate) fn run_isolated<F>(future: F) -> Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        let handle = scope.spawn(|| new_runtime().map(|rt| rt.block_on(future)));
        handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn works_outside_a_runtime() -> Result<()> {
        assert_eq!(run_isolated(async { 1 + 1 })?, 2);
        Ok(())
    }

    #[tokio::test]
    async fn works_inside_a_runtime() -> Result<()> {
        assert_eq!(run_isolated(async { 40 + 2 })?, 42);
        Ok(())
    }
}
