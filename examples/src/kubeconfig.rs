//! The kubeconfig `capstan up` writes so that `kubectl` finds the cluster.

use std::fs;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

/// The name of the cluster, user and context in the kubeconfig.
pub const CONTEXT: &str = "capstan";

/// The URL clients use for a server listening on `addr`: a wildcard listen address
/// (`0.0.0.0`, `::`) is reached over loopback.
pub fn server_url(scheme: &str, addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("{scheme}://{}", SocketAddr::new(ip, addr.port()))
}

/// A kubeconfig with one cluster at `server`, a user without credentials, and the
/// `capstan` context selected.
pub fn render(server: &str) -> String {
    format!(
        "apiVersion: v1\n\
         kind: Config\n\
         clusters:\n\
         - name: {CONTEXT}\n  cluster:\n    server: \"{server}\"\n\
         users:\n\
         - name: {CONTEXT}\n  user: {{}}\n\
         contexts:\n\
         - name: {CONTEXT}\n  context:\n    cluster: {CONTEXT}\n    user: {CONTEXT}\n\
         current-context: {CONTEXT}\n\
         preferences: {{}}\n"
    )
}

/// Writes [`render`]`(server)` to `path`, readable by the owner only (it will hold
/// credentials once the API server requires them), replacing any earlier file.
pub fn write(path: &Path, server: &str) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(render(server).as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_addresses_are_reached_over_loopback() {
        assert_eq!(server_url("http", "0.0.0.0:6443".parse().unwrap()), "http://127.0.0.1:6443");
        assert_eq!(server_url("http", "[::]:6443".parse().unwrap()), "http://[::1]:6443");
        assert_eq!(server_url("https", "10.0.0.5:443".parse().unwrap()), "https://10.0.0.5:443");
    }

    #[test]
    fn the_kubeconfig_selects_the_capstan_context() {
        let text = render("http://127.0.0.1:6443");
        assert!(text.contains("    server: \"http://127.0.0.1:6443\"\n"), "{text}");
        assert!(text.contains("current-context: capstan\n"), "{text}");
        assert!(text.contains("  context:\n    cluster: capstan\n    user: capstan\n"), "{text}");
    }
}
