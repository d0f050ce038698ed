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

/// Removes the kubelet's `kubepods` cgroups in every hierarchy (cgroup v1
/// mounts one per controller), leaves first; a cgroup that still has a
/// process stays and is named.
pub(crate) fn remove_cgroups() {
    let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") else {
        return;
    };
    for hierarchy in hierarchies.flatten() {
        let top = hierarchy.path().join("kubepods");
        if top.is_dir() {
            remove_cgroup_tree(&top);
        }
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
    fn mount_paths_are_unescaped() {
        assert_eq!(unescape_mount_path("/a\\040b"), PathBuf::from("/a b"));
    }
}
