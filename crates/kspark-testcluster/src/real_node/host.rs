//! What the machine must offer before a real node is started, each missing
//! piece named with what to install or fix; the one-node-at-a-time lock;
//! running the host tools the node needs.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};
use crate::fsutil;

use super::paths::NodePaths;

/// Debian packages the real node runs, by a file each installs.
const PACKAGES: [(&str, &str); 9] = [
    ("/usr/bin/containerd", "containerd"),
    ("/usr/bin/containerd-shim-runc-v2", "containerd"),
    ("/usr/sbin/runc", "runc"),
    ("/usr/lib/cni/bridge", "containernetworking-plugins"),
    ("/usr/lib/cni/host-local", "containernetworking-plugins"),
    ("/usr/lib/cni/portmap", "containernetworking-plugins"),
    ("/usr/lib/cni/loopback", "containernetworking-plugins"),
    ("/usr/sbin/iptables", "iptables"),
    ("/usr/sbin/conntrack", "conntrack"),
];

/// The install command for whatever is missing.
const INSTALL_HINT: &str = "apt-get install containerd runc containernetworking-plugins iptables conntrack iproute2 (scripts/test.sh does this)";

pub(crate) fn real_node_error(message: impl Into<String>) -> Error {
    Error::RealNode(message.into())
}

/// Free space the node needs where it keeps images and pods: the Spark
/// images unpack to about 1.2 GiB, and below 1 % free (its eviction
/// threshold) the kubelet evicts running pods, which looks like a driver
/// killed for no reason (exit 143).
const MIN_FREE_DISK_GIB: u64 = 5;

/// Root, the Debian packages, `ip`, cgroups mounted and free disk space.
pub(crate) fn check() -> Result<()> {
    check_free_disk(Path::new("/var/lib"))?;
    if !is_root() {
        return Err(real_node_error(
            "the real node needs root: containerd, the kubelet, kube-proxy's iptables rules and the pod bridge all do",
        ));
    }
    let missing: Vec<&str> =
        PACKAGES.iter().filter(|(file, _)| !Path::new(file).exists()).map(|(_, package)| *package).collect();
    if !missing.is_empty() {
        let mut names = missing;
        names.dedup();
        return Err(real_node_error(format!("missing Debian packages: {}; install: {INSTALL_HINT}", names.join(", "))));
    }
    if find_program("ip").is_none() {
        return Err(real_node_error(format!("`ip` is not on PATH; install: {INSTALL_HINT}")));
    }
    let v1 = Path::new("/sys/fs/cgroup/memory").is_dir();
    let v2 = Path::new("/sys/fs/cgroup/cgroup.controllers").is_file();
    if !v1 && !v2 {
        return Err(real_node_error(
            "no cgroup hierarchy is mounted at /sys/fs/cgroup (the kubelet needs the memory and cpu controllers)",
        ));
    }
    Ok(())
}

fn check_free_disk(dir: &Path) -> Result<()> {
    let shown = dir.display().to_string();
    let Ok(out) = run("df", &["--output=avail", "-B1G", &shown]) else {
        return Ok(()); // no df: the kubelet still says so in its events
    };
    let free = out.lines().nth(1).and_then(|l| l.trim().parse::<u64>().ok());
    match free {
        Some(gib) if gib < MIN_FREE_DISK_GIB => Err(real_node_error(format!(
            "only {gib} GiB free on the file system of {shown}; the real node needs {MIN_FREE_DISK_GIB} GiB (images, pods; \
             the kubelet evicts pods when it runs low): free some space (e.g. `cargo clean` in other work trees)"
        ))),
        _ => Ok(()),
    }
}

fn is_root() -> bool {
    // /proc/self/status's Uid line: real, effective, saved, filesystem.
    std::fs::read_to_string("/proc/self/status").ok().is_some_and(|status| {
        status.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(2)) == Some("0")
    })
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Held while this process runs a real node; a second one (another test
/// binary, a developer's `kspark-testcluster up --real-node`) waits.
#[derive(Debug)]
pub(crate) struct NodeLock {
    _file: File,
}

impl NodeLock {
    pub(crate) fn acquire(paths: &NodePaths) -> Result<Self> {
        fsutil::create_dir_all(paths.runtime_dir())?;
        let path = paths.lock_file();
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        if file.try_lock().is_err() {
            eprintln!("kspark-testcluster: another real node runs on this machine; waiting for {}", path.display());
            file.lock().map_err(|e| Error::io(format!("locking {}", path.display()), e))?;
        }
        Ok(Self { _file: file })
    }
}

/// Runs a host tool to completion; its stderr (or stdout) is the error.
pub(crate) fn run(program: &str, args: &[&str]) -> Result<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io(format!("running {program} {}", args.join(" ")), e))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        return Ok(stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said = if stderr.trim().is_empty() { stdout.trim().to_string() } else { stderr.trim().to_string() };
    Err(real_node_error(format!("`{program} {}` failed ({}): {said}", args.join(" "), output.status)))
}

/// [`run`] for cleanup: a failure is worth a line on stderr, not an error
/// (the thing may already be gone).
pub(crate) fn run_quietly(program: &str, args: &[&str]) {
    if let Err(e) = run(program, args) {
        let text = e.to_string();
        let gone = ["No such", "does not exist", "Cannot find", "not found", "Bad rule", "No chain"];
        if !gone.iter().any(|g| text.contains(g)) {
            eprintln!("kspark-testcluster: cleanup: {text}");
        }
    }
}

/// Writes `value` to a sysctl file, returning what it held before.
pub(crate) fn set_sysctl(path: &str, value: &str) -> Result<String> {
    let before = std::fs::read_to_string(path)
        .map_err(|e| real_node_error(format!("reading {path}: {e} (is the kernel module loaded?)")))?;
    std::fs::write(path, value).map_err(|e| real_node_error(format!("writing {value} to {path}: {e}")))?;
    Ok(before.trim().to_string())
}
