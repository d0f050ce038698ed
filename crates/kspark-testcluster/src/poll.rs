//! Waiting in tests for something the cluster does by itself.

use std::time::{Duration, Instant};

/// Polls `check` every 250 ms for up to `secs` seconds; panics naming
/// `what` when it never holds (a test helper: the panic is the failure).
pub fn eventually(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("timed out after {secs} s waiting for {what}");
}
