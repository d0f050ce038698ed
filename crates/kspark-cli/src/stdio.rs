//! Writing to standard output and error without panicking.
//!
//! `println!` panics when the reader has gone (`kspark list | head -n1`).
//! Like ripgrep, kspark treats a closed pipe as the reader saying "enough":
//! [`outln!`] returns the write's error, the command stops at the next `?`,
//! and [`is_broken_pipe`] lets `main` exit 0 without a message. Diagnostics
//! on standard error ([`errln!`]) are best effort: losing one is no reason
//! to fail a command.

/// `println!` that returns the write's `std::io::Result`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` that returns the write's `std::io::Result` (and flushes, since
/// what it prints is usually a prompt or a partial line).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        write!(stdout, $($arg)*).and_then(|()| stdout.flush())
    }};
}

/// `eprintln!` that never panics.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// `eprint!` that never panics.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// Standard output for a callback that cannot return an error (a log
/// stream): the first failed write stops the stream and is kept for the
/// command to return.
#[derive(Default)]
pub struct LineWriter {
    failed: Option<std::io::Error>,
}

impl LineWriter {
    pub fn line(&mut self, line: &str) -> std::ops::ControlFlow<()> {
        match outln!("{line}") {
            Ok(()) => std::ops::ControlFlow::Continue(()),
            Err(e) => {
                self.failed = Some(e);
                std::ops::ControlFlow::Break(())
            }
        }
    }

    /// The write that stopped the stream, if one did.
    pub fn finish(self) -> std::io::Result<()> {
        self.failed.map_or(Ok(()), Err)
    }
}

/// Whether the error, or one of its causes, is a write to a closed pipe.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

#[cfg(test)]
mod tests {
    use super::is_broken_pipe;

    #[test]
    fn a_closed_pipe_is_recognised_under_context() {
        let closed = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let error = anyhow::Error::new(closed).context("printing the objects");
        assert!(is_broken_pipe(&error));
        let other = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert!(!is_broken_pipe(&other));
    }
}
