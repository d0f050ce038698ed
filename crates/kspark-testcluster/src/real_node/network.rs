//! The pod network's host side: the harness's bridge with the node address,
//! bridged traffic through iptables (kube-proxy's Service rules apply to
//! pod-to-pod traffic), and a guard that keeps pods on the bridge: nothing
//! from a pod is forwarded off it or delivered to any host address but the
//! node's own.

use super::host::{run, run_quietly, set_sysctl};
use super::paths::{BRIDGE, NODE_IP, POD_PREFIX_LEN, POD_SUBNET};
use crate::error::Result;

/// The harness's iptables chains, jumped to first from FORWARD and INPUT.
const GUARD_CHAINS: [(&str, &str); 2] = [("FORWARD", "KSPARK-NODE-FORWARD"), ("INPUT", "KSPARK-NODE-INPUT")];
const BRIDGE_NF: &str = "/proc/sys/net/bridge/bridge-nf-call-iptables";

/// The bridge and guard while they exist; [`Network::remove`] undoes both.
#[derive(Debug)]
pub(crate) struct Network {
    bridge_nf_before: Option<String>,
}

impl Network {
    /// Removes a crashed run's bridge and guard, then makes them anew.
    pub(crate) fn create() -> Result<Self> {
        remove_bridge_and_guard();
        check_no_overlap()?;
        run("ip", &["link", "add", BRIDGE, "type", "bridge"])?;
        let address = format!("{NODE_IP}/{POD_PREFIX_LEN}");
        run("ip", &["addr", "add", &address, "dev", BRIDGE])?;
        run("ip", &["link", "set", BRIDGE, "up"])?;
        let bridge_nf_before = Some(set_sysctl(BRIDGE_NF, "1")?);
        install_guard()?;
        Ok(Self { bridge_nf_before })
    }

    pub(crate) fn remove(&mut self) {
        remove_bridge_and_guard();
        if let Some(before) = self.bridge_nf_before.take() {
            let _ = set_sysctl(BRIDGE_NF, &before);
        }
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        self.remove();
    }
}

/// The pod subnet must be nobody else's: a route into it that is not our
/// bridge's would send pods' traffic elsewhere.
fn check_no_overlap() -> Result<()> {
    let routes = run("ip", &["-4", "route", "show", "to", "match", &NODE_IP.to_string()])?;
    match routes.lines().find(|l| !l.starts_with("default")) {
        Some(route) => Err(super::host::real_node_error(format!(
            "the pod subnet {POD_SUBNET} is already routed on this machine ({route}); the real node needs it for its bridge {BRIDGE}"
        ))),
        None => Ok(()),
    }
}

fn install_guard() -> Result<()> {
    let node = NODE_IP.to_string();
    let [(forward_hook, forward), (input_hook, input)] = GUARD_CHAINS;
    // Forwarded: only bridge to bridge. Delivered here: only to the node address.
    run("iptables", &["-w", "-N", forward])?;
    run("iptables", &["-w", "-A", forward, "-i", BRIDGE, "!", "-o", BRIDGE, "-j", "DROP"])?;
    run("iptables", &["-w", "-N", input])?;
    run("iptables", &["-w", "-A", input, "-i", BRIDGE, "!", "-d", &node, "-j", "DROP"])?;
    run("iptables", &["-w", "-I", forward_hook, "1", "-j", forward])?;
    run("iptables", &["-w", "-I", input_hook, "1", "-j", input])?;
    Ok(())
}

fn remove_bridge_and_guard() {
    for (hook, chain) in GUARD_CHAINS {
        // Removed while present: a crashed run may have left more than one jump.
        while run("iptables", &["-w", "-D", hook, "-j", chain]).is_ok() {}
        let _ = run("iptables", &["-w", "-F", chain]);
        let _ = run("iptables", &["-w", "-X", chain]);
    }
    if run("ip", &["link", "show", BRIDGE]).is_ok() {
        run_quietly("ip", &["link", "del", BRIDGE]);
    }
}
