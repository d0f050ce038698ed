//! Names no other test of this run uses, for namespaces and the like:
//! every test binary shares one cluster, and several binaries may run one
//! after another against caches of the same machine.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `PREFIX-PID-N`: unique within the process (N counts up) and, through
/// the process id, across test binaries.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}-{}", std::process::id() % 100_000, NEXT.fetch_add(1, Ordering::SeqCst))
}
