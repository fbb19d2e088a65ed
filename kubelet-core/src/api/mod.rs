//! The node agent connected to a Kubernetes API server through a `kube::Client`.
//!
//! - [`pods::ApiPodSource`] watches the pods bound to this node (`spec.nodeName=<node>`)
//!   and feeds the agent [`crate::source::PodEvent`]s;
//! - [`status::ApiStatusSink`] patches `pods/<p>/status` (skipping no-op writes), completes
//!   graceful deletion with a UID-guarded delete, and writes `nodes/<n>/status`;
//! - [`config::ApiConfigSource`] serves ConfigMaps and Secrets from informer caches or by
//!   GET; [`config::ApiTokenSource`] gets service-account tokens from TokenRequest;
//!   [`config::OpaqueTokenSource`] mints unsigned placeholder tokens for an API server
//!   without authentication;
//! - [`node::NodeRegistration`] creates the Node and renews its `kube-node-lease` Lease;
//! - [`logs::NodeLogProxy`] answers `pods/log` for the API server from the log files of
//!   nodes running in this process;
//! - [`cluster::SimCluster`] runs N simulated nodes on one client, or each on its own
//!   (`system:node:<name>`) client.

pub mod cluster;
pub mod config;
pub mod logs;
pub mod node;
pub mod pods;
pub mod status;

pub use cluster::NodeClients;
pub use cluster::{SimCluster, SimClusterBuilder};
pub use config::{ApiConfigSource, ApiTokenSource, OpaqueTokenSource};
pub use logs::{NodeLogProxy, NodeRegistry};
pub use node::{NodeRegistration, RegistrationConfig};
pub use pods::ApiPodSource;
pub use status::ApiStatusSink;

/// A failed call to the API server.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request failed.
    #[error("{what}: {source}")]
    Request {
        /// What was being done.
        what: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// A simulated node could not be built.
    #[error("building node {node}: {source}")]
    Build {
        /// The node.
        node: String,
        /// Why.
        #[source]
        source: crate::ipam::IpamError,
    },
}

impl ApiError {
    pub(crate) fn request(what: impl Into<String>, source: kube::Error) -> Self {
        ApiError::Request { what: what.into(), source }
    }
}

/// Whether a client error is an API status with this HTTP code.
pub(crate) fn is_code(e: &kube::Error, code: u16) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == code)
}
