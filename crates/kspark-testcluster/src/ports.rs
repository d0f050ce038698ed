//! Free TCP ports on 127.0.0.1 (never any other address: the machine and CI
//! only allow loopback).

use std::net::{Ipv4Addr, TcpListener};

use crate::error::{Error, Result};

/// The ports of one cluster.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ports {
    pub etcd_client: u16,
    pub etcd_peer: u16,
    pub apiserver: u16,
}

impl Ports {
    /// Asks the kernel for distinct free ports. All listeners are held until
    /// every port is known, so the kernel cannot hand out one port twice;
    /// another program could still take one before our process binds it,
    /// which a fresh start of the cluster then reports.
    pub(crate) fn pick() -> Result<Self> {
        let listeners = (0..3)
            .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| Error::io("reserving free ports on 127.0.0.1", e))?;
        let ports = listeners
            .iter()
            .map(|l| l.local_addr().map(|a| a.port()))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| Error::io("reading reserved ports", e))?;
        Ok(Self { etcd_client: ports[0], etcd_peer: ports[1], apiserver: ports[2] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_and_nonzero() -> Result<()> {
        let p = Ports::pick()?;
        assert!(p.etcd_client != 0 && p.etcd_peer != 0 && p.apiserver != 0);
        assert!(p.etcd_client != p.etcd_peer && p.etcd_peer != p.apiserver);
        assert!(p.etcd_client != p.apiserver);
        Ok(())
    }
}
