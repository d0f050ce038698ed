//! Work at process exit. The shared clusters are statics, which Rust never
//! drops; the control plane dies with the process (`PR_SET_PDEATHSIG`), but
//! a real node leaves pods, mounts, cgroups and a bridge on the machine
//! unless it is stopped. The test harness ends with `exit`, which runs
//! `atexit` handlers.

/// Registers `hook` to run when the process exits normally.
#[allow(unsafe_code)]
pub(crate) fn at_exit(hook: extern "C" fn()) {
    // SAFETY: atexit(3) only stores the function pointer; `hook` is a plain
    // `extern "C" fn` with no captured state. A failure (the table is full)
    // leaves the cleanup to the next start's sweep, so it is only reported.
    let status = unsafe { libc::atexit(hook) };
    if status != 0 {
        eprintln!("kspark-testcluster: could not register a cleanup at exit");
    }
}
