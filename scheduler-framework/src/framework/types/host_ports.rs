//! Host ports: which `(ip, protocol, port)` triples pods claim on a node, and conflicts between them.

use capstan_api_types::core::v1::Pod;

/// The wildcard host IP.
pub const DEFAULT_BIND_ALL_HOST_IP: &str = "0.0.0.0";

/// One host port claimed by a container.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// Host IP (`0.0.0.0` when unset).
    pub ip: String,
    /// Protocol (`TCP` when unset).
    pub protocol: String,
    /// Port number.
    pub port: i32,
}

impl HostPort {
    /// The host ports of `pod`'s containers (ports with `hostPort` > 0).
    pub fn of_pod(pod: &Pod) -> Vec<HostPort> {
        let Some(spec) = pod.spec.as_ref() else {
            return Vec::new();
        };
        let restartable_init = spec
            .init_containers
            .iter()
            .flatten()
            .filter(|c| c.restart_policy.as_deref() == Some("Always"));
        spec.containers
            .iter()
            .chain(restartable_init)
            .flat_map(|c| c.ports.iter().flatten())
            .filter_map(|p| {
                let port = p.host_port.filter(|hp| *hp > 0)?;
                Some(HostPort {
                    ip: p
                        .host_ip
                        .clone()
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| DEFAULT_BIND_ALL_HOST_IP.to_string()),
                    protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_string()),
                    port,
                })
            })
            .collect()
    }

    /// Whether the two claims collide: same protocol and port, and the same IP or
    /// either one is the wildcard.
    pub fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port
            && self.protocol == other.protocol
            && (self.ip == other.ip
                || self.ip == DEFAULT_BIND_ALL_HOST_IP
                || other.ip == DEFAULT_BIND_ALL_HOST_IP)
    }
}

/// The host ports in use on a node (a multiset: two pods may claim the same port on
/// different IPs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostPortInfo {
    ports: Vec<HostPort>,
}

impl HostPortInfo {
    /// Records a claim.
    pub fn add(&mut self, port: &HostPort) {
        self.ports.push(port.clone());
    }

    /// Releases one claim equal to `port`.
    pub fn remove(&mut self, port: &HostPort) {
        if let Some(i) = self.ports.iter().position(|p| p == port) {
            self.ports.swap_remove(i);
        }
    }

    /// Whether `port` collides with a claim in use.
    pub fn conflicts(&self, port: &HostPort) -> bool {
        self.ports.iter().any(|p| p.conflicts(port))
    }

    /// Number of claims.
    pub fn len(&self) -> usize {
        self.ports.len()
    }

    /// `true` when no port is claimed.
    pub fn is_empty(&self) -> bool {
        self.ports.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hp(ip: &str, proto: &str, port: i32) -> HostPort {
        HostPort { ip: ip.into(), protocol: proto.into(), port }
    }

    #[test]
    fn conflicts_table() {
        let cases = [
            (hp("0.0.0.0", "TCP", 80), hp("127.0.0.1", "TCP", 80), true),
            (hp("10.0.0.1", "TCP", 80), hp("10.0.0.2", "TCP", 80), false),
            (hp("10.0.0.1", "TCP", 80), hp("10.0.0.1", "UDP", 80), false),
            (hp("10.0.0.1", "TCP", 80), hp("10.0.0.1", "TCP", 81), false),
            (hp("10.0.0.1", "TCP", 80), hp("10.0.0.1", "TCP", 80), true),
        ];
        for (a, b, want) in cases {
            assert_eq!(a.conflicts(&b), want, "{a:?} vs {b:?}");
            let mut info = HostPortInfo::default();
            info.add(&a);
            assert_eq!(info.conflicts(&b), want);
            info.remove(&a);
            assert!(!info.conflicts(&b));
        }
    }
}
