//! The address the simulated node serves stand-in Spark UIs on. kube-apiserver
//! proxies only to non-loopback pod IPs, so the harness makes one of its
//! own: an interface `ksui<pid>` holding `10.253.x.y/32` (derived from the
//! PID, so concurrent test processes do not collide). It is a bridge without
//! ports, not a `dummy` link: kernels built without the dummy driver (this
//! machine's) still have bridges, and either way the address is local, so
//! nothing sent to it leaves the machine.
//! Nothing else ever sends to it; it is removed when the process exits, and
//! a crashed process's interface is removed by the next one that needs one.

use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

const LINK_PREFIX: &str = "ksui";

static ADDRESS: OnceLock<Result<Ipv4Addr, String>> = OnceLock::new();

/// The address (created on first use), or why there is none (the harness
/// is not root, or `ip` is missing).
pub(crate) fn ui_ip() -> Result<Ipv4Addr, String> {
    ADDRESS
        .get_or_init(|| {
            remove_stale_links();
            let ip = create(std::process::id())?;
            crate::exit_hook::at_exit(remove_own_link);
            Ok(ip)
        })
        .clone()
}

fn link_name(pid: u32) -> String {
    format!("{LINK_PREFIX}{pid}")
}

/// 10.253.x.y with x.y from the PID's low 16 bits (y never 0 or 255).
fn address_for(pid: u32) -> Ipv4Addr {
    let [_, _, hi, lo] = pid.to_be_bytes();
    Ipv4Addr::new(10, 253, hi, lo.clamp(1, 254))
}

fn create(pid: u32) -> Result<Ipv4Addr, String> {
    let link = link_name(pid);
    let ip = address_for(pid);
    ip_command(&["link", "add", &link, "type", "bridge"])?;
    ip_command(&["addr", "add", &format!("{ip}/32"), "dev", &link])?;
    ip_command(&["link", "set", &link, "up"])?;
    Ok(ip)
}

extern "C" fn remove_own_link() {
    let _ = ip_command(&["link", "del", &link_name(std::process::id())]);
}

/// Removes `ksui<pid>` interfaces whose process is gone.
fn remove_stale_links() {
    let Ok(links) = std::fs::read_dir("/sys/class/net") else {
        return;
    };
    for link in links.flatten() {
        let name = link.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(LINK_PREFIX).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = ip_command(&["link", "del", &name]);
        }
    }
}

fn ip_command(args: &[&str]) -> Result<(), String> {
    let output = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running `ip {}`: {e} (install iproute2)", args.join(" ")))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "`ip {}` failed: {} (the simulated node's UI address needs root)",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr).trim()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_private_and_never_network_or_broadcast() {
        assert_eq!(address_for(0x1234), Ipv4Addr::new(10, 253, 0x12, 0x34));
        assert_eq!(address_for(0x1200).octets()[3], 1);
        assert_eq!(address_for(0x12ff).octets()[3], 254);
        assert!(link_name(4_194_304).len() <= 15, "interface names are at most 15 bytes");
    }
}
