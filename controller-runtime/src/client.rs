//! `kube::Client` construction: in-process over an [`ApiServer`], or remote from a
//! kubeconfig or the in-cluster service account. Every constructor returns the same
//! `kube::Client`, so controllers run unchanged over either transport.
//!
//! Remote HTTPS needs this crate's `rustls-tls` feature.

use std::path::Path;

use capstan_apiserver_core::server::ApiServer;
use kube::config::{KubeConfigOptions, Kubeconfig};

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No usable kubeconfig or in-cluster configuration was found.
    #[error("inferring the client configuration: {0}")]
    Infer(#[source] kube::config::InferConfigError),
    /// The kubeconfig file could not be read or parsed.
    #[error("reading the kubeconfig: {0}")]
    Kubeconfig(#[source] kube::config::KubeconfigError),
    /// The in-cluster configuration (service account token, CA) is missing or invalid.
    #[error("in-cluster configuration: {0}")]
    InCluster(#[source] kube::config::InClusterError),
    /// The configuration was read but a client could not be built from it (for example
    /// HTTPS without the `rustls-tls` feature).
    #[error("building the client: {0}")]
    Build(#[source] kube::Error),
}

/// A client that calls `server` in-process: no socket, no serialization beyond the HTTP
/// body. `default_namespace` is what `Api::default_namespaced` uses.
pub fn in_process(server: ApiServer, default_namespace: &str) -> kube::Client {
    kube::Client::new(server, default_namespace)
}

/// A client from the environment, as `kubectl` finds it: `$KUBECONFIG` or
/// `~/.kube/config`, else the in-cluster service account.
pub async fn infer() -> Result<kube::Client, ClientError> {
    let config = kube::Config::infer().await.map_err(ClientError::Infer)?;
    kube::Client::try_from(config).map_err(ClientError::Build)
}

/// A client from a kubeconfig file (its current context).
pub async fn from_kubeconfig(path: &Path) -> Result<kube::Client, ClientError> {
    let kubeconfig = Kubeconfig::read_from(path).map_err(ClientError::Kubeconfig)?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(ClientError::Kubeconfig)?;
    kube::Client::try_from(config).map_err(ClientError::Build)
}

/// A client from the pod's service account (`KUBERNETES_SERVICE_HOST`, the mounted token
/// and CA).
pub fn in_cluster() -> Result<kube::Client, ClientError> {
    let config = kube::Config::incluster().map_err(ClientError::InCluster)?;
    kube::Client::try_from(config).map_err(ClientError::Build)
}
