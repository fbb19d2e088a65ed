//! Host-local IPAM over a node's IPv4 pod CIDR: allocate and release addresses.

use std::collections::HashSet;
use std::net::Ipv4Addr;

/// An invalid CIDR.
#[derive(Debug, thiserror::Error)]
pub enum IpamError {
    /// The text is not `a.b.c.d/len` with `len` in 0..=30.
    #[error("invalid IPv4 CIDR {0:?}")]
    InvalidCidr(String),
}

/// Addresses of one IPv4 CIDR handed out one at a time. The network address, the gateway
/// (first host address) and the broadcast address are never handed out. Released
/// addresses are reused after the never-used ones run out, oldest release first.
#[derive(Debug)]
pub struct Ipam {
    cidr: String,
    prefix_len: u32,
    base: u32,
    size: u32,
    next: u32,
    released: std::collections::VecDeque<u32>,
    in_use: HashSet<u32>,
}

impl Ipam {
    /// An allocator over `cidr` (e.g. `10.244.3.0/24`).
    pub fn new(cidr: &str) -> Result<Self, IpamError> {
        let err = || IpamError::InvalidCidr(cidr.to_owned());
        let (addr, len) = cidr.split_once('/').ok_or_else(err)?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| err())?;
        let len: u32 = len.parse().map_err(|_| err())?;
        if len > 30 {
            return Err(err());
        }
        let size = if len == 0 { u32::MAX } else { 1u32 << (32 - len) };
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        Ok(Self {
            cidr: cidr.to_owned(),
            prefix_len: len,
            base: u32::from(addr) & mask,
            size,
            next: 2,
            released: Default::default(),
            in_use: HashSet::new(),
        })
    }

    /// The CIDR this allocator serves.
    pub fn cidr(&self) -> &str {
        &self.cidr
    }

    /// Prefix length of the CIDR.
    pub fn prefix_len(&self) -> u32 {
        self.prefix_len
    }

    /// The gateway address (first host address).
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.base + 1)
    }

    /// Number of addresses currently handed out.
    pub fn allocated(&self) -> usize {
        self.in_use.len()
    }

    /// Hands out a free address, or `None` when the range is exhausted.
    pub fn allocate(&mut self) -> Option<Ipv4Addr> {
        let offset = if self.next < self.size - 1 {
            self.next += 1;
            self.next - 1
        } else {
            self.released.pop_front()?
        };
        self.in_use.insert(offset);
        Some(Ipv4Addr::from(self.base + offset))
    }

    /// Returns an address to the pool; `false` when it was not handed out.
    pub fn release(&mut self, ip: Ipv4Addr) -> bool {
        let offset = u32::from(ip).wrapping_sub(self.base);
        if self.in_use.remove(&offset) {
            self.released.push_back(offset);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_hosts_skipping_network_gateway_broadcast() {
        let mut ipam = Ipam::new("10.0.0.0/29").unwrap();
        let got: Vec<_> = std::iter::from_fn(|| ipam.allocate()).collect();
        let want: Vec<Ipv4Addr> = (2..7).map(|i| Ipv4Addr::new(10, 0, 0, i)).collect();
        assert_eq!(got, want);
        assert_eq!(ipam.gateway(), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(ipam.prefix_len(), 29);
    }

    #[test]
    fn release_twice_is_refused_and_rejects_bad_cidrs() {
        let mut ipam = Ipam::new("10.1.2.77/24").unwrap();
        let ip = ipam.allocate().unwrap();
        assert_eq!(ip, Ipv4Addr::new(10, 1, 2, 2));
        assert!(ipam.release(ip));
        assert!(!ipam.release(ip));
        for bad in ["10.0.0.0", "10.0.0.0/31", "x/24", "10.0.0.0/a"] {
            assert!(Ipam::new(bad).is_err(), "{bad}");
        }
    }
}
