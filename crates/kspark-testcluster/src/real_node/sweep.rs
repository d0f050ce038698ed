//! Removing what pods leave on the machine: their sandboxes and containers
//! (through the CRI, so CNI releases addresses and network namespaces),
//! mounts under the node's directories, and the kubelet's cgroups. Run at
//! stop, and at start for whatever a crashed run left.

use std::path::{Path, PathBuf};

use super::host::{run, run_quietly};
use super::paths::NodePaths;

/// Stops and removes every pod sandbox (and so every container) containerd
/// knows in the CRI's namespace.
pub(crate) fn remove_sandboxes(crictl: &Path, paths: &NodePaths) {
    let endpoint = format!("unix://{}", paths.containerd_socket().display());
    let crictl = crictl.display().to_string();
    let base = ["--runtime-endpoint", endpoint.as_str(), "--timeout", "60s"];
    let with = |rest: &[&str]| -> Vec<String> { base.iter().chain(rest).map(|s| s.to_string()).collect() };
    for rest in [&["rmp", "--all", "--force"][..], &["rm", "--all", "--force"][..]] {
        let args = with(rest);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_quietly(&crictl, &args);
    }
}

/// Unmounts everything mounted below the node's directories, deepest
/// first (volumes of pods the kubelet did not get to tear down, overlay
/// root filesystems of killed containers, sandbox shm).
pub(crate) fn unmount_leftovers(paths: &NodePaths) {
    let roots = [paths.kubelet_root(), paths.containerd_root(), paths.containerd_state()];
    let mut mounts = mounts_below(&roots);
    mounts.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
    for mount in mounts {
        run_quietly("umount", &["-l", &mount.display().to_string()]);
    }
}

fn mounts_below(roots: &[PathBuf]) -> Vec<PathBuf> {
    let Ok(table) = std::fs::read_to_string("/proc/self/mounts") else {
        return Vec::new();
    };
    table
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(unescape_mount_path)
        .filter(|p| roots.iter().any(|r| p.starts_with(r)))
        .collect()
}

/// /proc/mounts writes spaces, tabs and newlines as octal escapes.
fn unescape_mount_path(field: &str) -> PathBuf {
    PathBuf::from(field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\"))
}

/// Kills, by PID, what outlives containerd: the processes still in the
/// kubelet's cgroups (a container caught between create and start keeps
/// `runc init` there), then the shims of this node's containerd (their
/// command line names its socket; they are daemons, and a shim whose
/// sandbox is gone but not its last container is known to nobody). Waits
/// up to a few seconds for them to go, so that their cgroups can be
/// removed.
pub(crate) fn kill_leftover_processes(paths: &NodePaths) {
    let mut pids = cgroup_processes();
    pids.extend(shims_of(&paths.containerd_socket()));
    if pids.is_empty() {
        return;
    }
    let mut args = vec!["-KILL".to_string()];
    args.extend(pids.iter().map(|pid| pid.to_string()));
    eprintln!("kspark-testcluster: cleanup: killing what outlived containerd: {}", args[1..].join(" "));
    run_quietly("kill", &args.iter().map(String::as_str).collect::<Vec<_>>());
    let deadline = std::time::Instant::now() + LEFTOVER_GRACE;
    while std::time::Instant::now() < deadline && pids.iter().any(|pid| Path::new(&format!("/proc/{pid}")).exists()) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// How long killed leftovers may take to be gone (reaped by init).
const LEFTOVER_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// The kubelet's `kubepods` cgroup in each hierarchy (cgroup v1 mounts one
/// per controller) that has one.
fn kubepods_cgroups() -> Vec<PathBuf> {
    let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") else {
        return Vec::new();
    };
    hierarchies.flatten().map(|h| h.path().join("kubepods")).filter(|top| top.is_dir()).collect()
}

/// The PIDs in every `kubepods` cgroup of every hierarchy.
fn cgroup_processes() -> Vec<i32> {
    let mut pids = Vec::new();
    for top in kubepods_cgroups() {
        collect_cgroup_processes(&top, &mut pids);
    }
    pids.sort_unstable();
    pids.dedup();
    pids
}

fn collect_cgroup_processes(dir: &Path, pids: &mut Vec<i32>) {
    let Ok(children) = std::fs::read_dir(dir) else { return };
    if let Ok(procs) = std::fs::read_to_string(dir.join("cgroup.procs")) {
        pids.extend(procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()).filter(|&p| p > 1));
    }
    for child in children.flatten() {
        if child.file_type().is_ok_and(|t| t.is_dir()) {
            collect_cgroup_processes(&child.path(), pids);
        }
    }
}

/// The PIDs of containerd shims started for the containerd listening on
/// `socket` (`-address SOCKET` in their arguments).
fn shims_of(socket: &Path) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let args = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            is_shim_of(&args, socket)
        })
        .collect()
}

/// Whether a NUL-separated command line is a shim's with `-address SOCKET`.
fn is_shim_of(cmdline: &[u8], socket: &Path) -> bool {
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let socket = socket.as_os_str().as_encoded_bytes();
    args.windows(2).any(|pair| pair[0] == b"-address" && pair[1] == socket)
}

/// Removes the kubelet's `kubepods` cgroups in every hierarchy (cgroup v1
/// mounts one per controller), leaves first; a cgroup that still has a
/// process stays and is named.
pub(crate) fn remove_cgroups() {
    for top in kubepods_cgroups() {
        remove_cgroup_tree(&top);
    }
}

fn remove_cgroup_tree(dir: &Path) {
    if let Ok(children) = std::fs::read_dir(dir) {
        for child in children.flatten() {
            if child.file_type().is_ok_and(|t| t.is_dir()) {
                remove_cgroup_tree(&child.path());
            }
        }
    }
    if let Err(e) = std::fs::remove_dir(dir) {
        eprintln!("kspark-testcluster: cleanup: cgroup {} stays: {e}", dir.display());
    }
}

/// kube-proxy's own cleanup of its iptables chains.
pub(crate) fn remove_proxy_rules(kube_proxy: &Path) {
    let program = kube_proxy.display().to_string();
    if let Err(e) = run(&program, &["--cleanup", "--v=0"]) {
        eprintln!("kspark-testcluster: cleanup: {e}");
    }
}

/// The kubelet's own chains, which nothing removes when it stops: the
/// localnet guard `KUBE-FIREWALL` (jumped to from INPUT and OUTPUT) and the
/// `KUBE-KUBELET-CANARY` chains it uses to notice a flushed table, and the
/// `KUBE-IPTABLES-HINT` telling other tools which iptables it used.
const KUBELET_CHAINS: [(&str, &[&str], &str); 5] = [
    ("filter", &["INPUT", "OUTPUT"], "KUBE-FIREWALL"),
    ("filter", &[], "KUBE-KUBELET-CANARY"),
    ("nat", &[], "KUBE-KUBELET-CANARY"),
    ("mangle", &[], "KUBE-KUBELET-CANARY"),
    ("mangle", &[], "KUBE-IPTABLES-HINT"),
];

/// Removes the kubelet's iptables chains (IPv4 and IPv6) after it stopped.
pub(crate) fn remove_kubelet_rules() {
    for program in ["iptables", "ip6tables"] {
        for (table, hooks, chain) in KUBELET_CHAINS {
            for hook in hooks {
                while run(program, &["-w", "-t", table, "-D", hook, "-j", chain]).is_ok() {}
            }
            run_quietly(program, &["-w", "-t", table, "-F", chain]);
            run_quietly(program, &["-w", "-t", table, "-X", chain]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shims_are_known_by_their_containerd_s_socket() {
        let socket = Path::new("/run/kspark-testcluster/containerd.sock");
        let ours = b"/usr/bin/containerd-shim-runc-v2\0-namespace\0k8s.io\0-id\0a5e9\0-address\0/run/kspark-testcluster/containerd.sock\0";
        let other = b"/usr/bin/containerd-shim-runc-v2\0-namespace\0moby\0-id\0a5e9\0-address\0/run/containerd/containerd.sock\0";
        let named = b"/usr/bin/vim\0/run/kspark-testcluster/containerd.sock\0";
        assert!(is_shim_of(ours, socket));
        assert!(!is_shim_of(other, socket));
        assert!(!is_shim_of(named, socket));
    }

    #[test]
    fn mount_paths_are_unescaped() {
        assert_eq!(unescape_mount_path("/a\\040b"), PathBuf::from("/a b"));
    }
}
