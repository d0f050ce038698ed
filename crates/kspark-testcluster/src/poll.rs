//! Waiting in tests for something the cluster does by itself.

use std::fmt::Debug;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// How long the helpers wait between two looks: short against a test's
/// seconds, long enough not to load the API server.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Looks with `probe` until it gives `Break(value)`, and returns the value.
/// After `timeout` it panics naming `what` and the last `Continue` the
/// probe gave, which says what the cluster showed instead (a test helper:
/// the panic is the failure).
pub fn poll_until<T, S: Debug>(timeout: Duration, what: &str, mut probe: impl FnMut() -> ControlFlow<T, S>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match probe() {
            ControlFlow::Break(value) => return value,
            ControlFlow::Continue(seen) if Instant::now() >= deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last seen: {seen:?}")
            }
            ControlFlow::Continue(_) => std::thread::sleep(POLL_INTERVAL),
        }
    }
}

/// Looks with `probe` until it gives `Some(value)`, and returns the value;
/// panics naming `what` after `timeout`.
pub fn poll_some<T>(timeout: Duration, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    poll_until(timeout, what, || match probe() {
        Some(value) => ControlFlow::Break(value),
        None => ControlFlow::Continue("not yet"),
    })
}

/// Polls `check` for up to `secs` seconds until it holds; panics naming
/// `what` when it never does.
pub fn eventually(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    poll_until(Duration::from_secs(secs), what, || {
        if check() { ControlFlow::Break(()) } else { ControlFlow::Continue("not yet") }
    })
}
