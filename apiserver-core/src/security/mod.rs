//! Security for the API server: HTTPS, authentication, authorization and RBAC, built on the pipeline's [`Authenticator`](crate::server::auth::Authenticator) and [`Authorizer`](crate::server::auth::Authorizer) traits.
//!
//! Where to start: [`Security`] (in `secure.rs`) composes everything for a cluster —
//!
//! ```text
//! let creds = ClusterCredentials::load_or_create(dir, &CredentialOptions { hosts, ..Default::default() })?;
//! let security = Security::new(&creds, store.clone(), SecurityConfig::default())?;
//! let api = security.configure(ApiServer::builder().store(store)).build().await?;
//! security.start(&api).await?;                       // RBAC index, bootstrap policy
//! serve(listener, api.clone(), security.acceptor(), shutdown).await?;
//! ```
//!
//! One concern per module:
//!
//! - [`pki`]: the cluster CA and certificates on disk; [`tls`]: the rustls acceptor;
//!   [`kubeconfig`]: kubeconfig files; [`der`]: certificate subjects; [`jwt`]: ES256 tokens;
//! - [`authn`]: the authenticator chain (x509, token file, ServiceAccount tokens,
//!   anonymous, in-process identities); [`impersonation`]: `Impersonate-*` headers;
//! - [`authz`]: union and privileged-group authorizers; [`rbac`]: RBAC with its index,
//!   escalation check, bootstrap policy and aggregation; [`node`]: the Node authorizer;
//! - [`lookup`]: single-object reads for token and node checks; `follow`: a watch cache
//!   followed into an in-memory index (RBAC index, node graph) with a position callers
//!   can wait for.

pub mod authn;
pub mod authz;
pub mod der;
pub(crate) mod follow;
pub mod impersonation;
pub mod jwt;
pub mod kubeconfig;
pub mod lookup;
pub mod node;
pub mod pki;
pub mod rbac;
mod secure;
pub mod tls;

pub use secure::{Security, SecurityConfig, SecurityError};

use crate::request::RequestInfo;

/// The attributes of a resource request made up for an authorization check (impersonation,
/// `escalate`/`bind`, access reviews).
pub fn resource_attributes(
    verb: &str,
    group: &str,
    resource: &str,
    subresource: &str,
    namespace: &str,
    name: &str,
) -> RequestInfo {
    RequestInfo {
        is_resource_request: true,
        verb: verb.to_string(),
        api_prefix: if group.is_empty() { "api".into() } else { "apis".into() },
        api_group: group.to_string(),
        namespace: namespace.to_string(),
        resource: resource.to_string(),
        subresource: subresource.to_string(),
        name: name.to_string(),
        ..RequestInfo::default()
    }
}

/// The attributes of a non-resource request made up for an authorization check.
pub fn non_resource_attributes(verb: &str, path: &str) -> RequestInfo {
    RequestInfo {
        is_resource_request: false,
        verb: verb.to_string(),
        path: path.to_string(),
        ..RequestInfo::default()
    }
}
