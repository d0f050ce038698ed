//! Finding the control-plane binaries: a ready directory named by
//! `KSPARK_CONTROL_PLANE_BIN`, or whatever `testcluster/build-control-plane.sh`
//! builds (and caches) and prints.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// Environment variable naming a directory with ready binaries.
pub const BIN_DIR_ENV: &str = "KSPARK_CONTROL_PLANE_BIN";

/// The binaries a control plane needs, by file name.
pub const BINARIES: [&str; 4] = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

/// Lines of the build's output kept for the error message.
const TAIL_LINES: usize = 40;

/// The build script of this workspace. The crate is only used from inside
/// the workspace (as a path dependency), so its manifest dir locates it.
pub fn default_build_script() -> PathBuf {
    testcluster_script("build-control-plane.sh")
}

/// A script of the workspace's `testcluster/` directory.
pub fn testcluster_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcluster").join(name)
}

/// The bin directory to use: `explicit`, else `$KSPARK_CONTROL_PLANE_BIN`,
/// else the build script's answer (building first if needed).
pub fn locate(explicit: Option<&Path>, build_script: &Path) -> Result<PathBuf> {
    let dir = match explicit {
        Some(dir) => dir.to_path_buf(),
        None => match std::env::var_os(BIN_DIR_ENV).filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => run_build_script(build_script)?,
        },
    };
    check_bin_dir(&dir)?;
    Ok(dir)
}

/// Errors unless every binary is an executable file in `dir`.
pub fn check_bin_dir(dir: &Path) -> Result<()> {
    for name in BINARIES {
        let path = dir.join(name);
        let executable = path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false);
        if !executable {
            return Err(Error::BinaryMissing { path });
        }
    }
    Ok(())
}

/// Runs the build script. Its progress (stderr) goes straight to this
/// process's stderr, not through `eprintln!`, so a cold build of 10-20
/// minutes shows progress even under the test harness's output capture.
pub fn run_build_script(script: &Path) -> Result<PathBuf> {
    if !script.is_file() {
        return Err(Error::BuildScriptMissing { script: script.to_path_buf() });
    }
    let mut child = Command::new("bash")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io(format!("running {}", script.display()), e))?;
    let tail = child.stderr.take().map(echo_and_keep_tail);
    let stdout = child.stdout.take().map(read_all).unwrap_or_default();
    let status = child.wait().map_err(|e| Error::io(format!("waiting for {}", script.display()), e))?;
    let tail = tail.and_then(|t| t.join().ok()).unwrap_or_default();
    let bin_dir = stdout.lines().map(str::trim).rfind(|l| !l.is_empty());
    match bin_dir {
        Some(dir) if status.success() => Ok(PathBuf::from(dir)),
        _ => Err(Error::BuildFailed { script: script.to_path_buf(), status, tail }),
    }
}

fn echo_and_keep_tail(stderr: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut tail = VecDeque::with_capacity(TAIL_LINES);
        let mut out = std::io::stderr();
        for line in BufReader::new(stderr).lines().map_while(std::io::Result::ok) {
            // Progress output only: a failed write to our stderr is no reason to stop.
            let _ = writeln!(out, "{line}");
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
        Vec::from(tail).join("\n")
    })
}

fn read_all(mut stdout: impl std::io::Read) -> String {
    let mut text = String::new();
    // A read error leaves the text short, which the caller reports as a failed build.
    let _ = stdout.read_to_string(&mut text);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_script_is_reported_with_its_path() {
        let err = run_build_script(Path::new("/nonexistent/build.sh"));
        assert!(matches!(err, Err(Error::BuildScriptMissing { .. })));
    }

    #[test]
    fn a_directory_without_binaries_is_refused() {
        let err = check_bin_dir(Path::new("/"));
        assert!(matches!(err, Err(Error::BinaryMissing { .. })));
    }

    #[test]
    fn the_workspace_build_script_is_found() {
        assert!(default_build_script().is_file());
    }
}
