//! Running a command whose reader has already gone, as in `kspark list |
//! head -n1` once `head` has its line: every write to standard output
//! fails with EPIPE. The read end is closed before the command writes
//! anything, so the case is exercised whatever the output's size (a pipe
//! buffers 64 KiB, which a short output would never fill).

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `command` with its standard output's read end closed, and its
/// standard error captured. Gives up (killing the command by its PID)
/// after `limit`, since a command that ignores the closed pipe may follow
/// forever.
pub fn run_with_closed_stdout(mut command: Command, limit: Duration) -> std::io::Result<Output> {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    drop(child.stdout.take());
    let started = Instant::now();
    while child.try_wait()?.is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writer_that_ignores_the_closed_pipe_fails() {
        let mut command = Command::new("sh");
        command.args(["-c", "trap '' PIPE; echo one || echo write failed >&2"]);
        let out = run_with_closed_stdout(command, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
        assert!(String::from_utf8_lossy(&out.stderr).contains("write failed"), "{out:?}");
    }
}
