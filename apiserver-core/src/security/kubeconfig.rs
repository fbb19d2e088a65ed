//! Kubeconfig files for a secure cluster: the CA and a user's client certificate or bearer token, embedded as data.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::pki::{CertifiedKeyPem, ClusterCredentials};

/// How a kubeconfig user authenticates.
#[derive(Debug, Clone)]
pub enum KubeconfigUser<'a> {
    /// A client certificate and key.
    Certificate(&'a CertifiedKeyPem),
    /// A bearer token.
    Token(&'a str),
}

/// The text of a kubeconfig (YAML) with one cluster, one user and one context, all
/// named `cluster_name`, talking to `server` (`https://127.0.0.1:6443`).
pub fn kubeconfig_text(
    cluster_name: &str,
    server: &str,
    ca_pem: &str,
    user: KubeconfigUser<'_>,
) -> String {
    let user_entry = match user {
        KubeconfigUser::Certificate(pair) => json!({
            "client-certificate-data": STANDARD.encode(&pair.cert_pem),
            "client-key-data": STANDARD.encode(&pair.key_pem),
        }),
        KubeconfigUser::Token(token) => json!({"token": token}),
    };
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {
            "server": server,
            "certificate-authority-data": STANDARD.encode(ca_pem),
        }}],
        "users": [{"name": cluster_name, "user": user_entry}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
    });
    serde_norway::to_string(&config).unwrap_or_else(|_| config.to_string())
}

/// Writes the admin kubeconfig (CA + admin client certificate) to `path` (mode `0600`).
pub fn write_admin_kubeconfig(
    path: impl AsRef<Path>,
    server: &str,
    credentials: &ClusterCredentials,
) -> std::io::Result<()> {
    let text = kubeconfig_text(
        "capstan",
        server,
        credentials.ca_cert_pem(),
        KubeconfigUser::Certificate(&credentials.admin),
    );
    let path = path.as_ref();
    std::fs::write(path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
