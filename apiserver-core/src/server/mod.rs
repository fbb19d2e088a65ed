//! The API server: [`ApiServer`], a cloneable `tower::Service` over `http::Request`, built by [`ApiServerBuilder`].
//!
//! Where to start:
//!
//! - [`pipeline`]: the request pipeline in one place — request info, authentication,
//!   authorization, body limit, then the handler (which runs admission);
//! - [`auth`]: the [`auth::Authenticator`] and [`auth::Authorizer`] traits and their
//!   allow-all defaults; [`admission`]: the admission traits and chain;
//! - [`strategy`]: per-kind registry strategies; [`registry`]: the generic registry over
//!   the store (keys from [`keys`]); `handlers`: the verbs;
//! - [`proxy`]: the [`proxy::NodeProxy`] trait behind `pods/log` and `nodes/proxy`.

pub mod admission;
pub mod auth;
mod bootstrap;
mod handlers;
pub mod ids;
pub mod keys;
mod nonresource;
pub mod pipeline;
pub mod protobuf;
mod protobuf_tables;
pub mod proxy;
mod recent_namespaces;
pub mod registry;
mod response;
pub mod strategy;
pub mod typed;

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use capstan_api_types::GroupVersionResource;
use capstan_store::{LeaseId, Storage, StoreError};
use parking_lot::Mutex;

use crate::status::ApiError;
use admission::{AdmissionChain, MutatingAdmission, ValidatingAdmission};
use auth::{AlwaysAllow, AnonymousAdmin, Authenticator, Authorizer, TokenIssuer};
use proxy::{NoNodeConnection, NodeProxy};
use registry::Resource;

/// The response body of every request.
pub type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// The largest request body accepted (Kubernetes' 3 MiB); larger is `413`.
pub const MAX_REQUEST_BODY_BYTES: usize = 3 * 1024 * 1024;

/// Why an [`ApiServer`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// No store was given to the builder.
    #[error("the API server needs a store: call ApiServerBuilder::store")]
    NoStore,
    /// The store failed while bootstrapping.
    #[error("store error while starting the API server: {0}")]
    Store(#[from] StoreError),
    /// Starting a resource (its watch cache or an initial object) failed.
    #[error("starting the API server: {0}")]
    Api(#[from] ApiError),
}

/// Shared state of every clone of an [`ApiServer`].
pub(crate) struct Inner {
    pub(crate) store: Arc<dyn Storage>,
    pub(crate) resources: HashMap<GroupVersionResource, Arc<Resource>>,
    pub(crate) authenticator: Arc<dyn Authenticator>,
    pub(crate) authorizer: Arc<dyn Authorizer>,
    pub(crate) admission: AdmissionChain,
    pub(crate) node_proxy: Arc<dyn NodeProxy>,
    pub(crate) shutdown: tokio::sync::watch::Sender<bool>,
    /// The lease TTL'd objects (events) share, and when it was granted.
    pub(crate) ttl_lease: Mutex<Option<(LeaseId, std::time::Instant)>>,
    /// Namespaces whose deletion just started (creates in them read the store).
    pub(crate) recent_namespace_deletes: recent_namespaces::RecentNamespaceDeletes,
    pub(crate) request_timeout: Duration,
    /// Signs the tokens of `serviceaccounts/<name>/token` (none: the subresource is `404`).
    pub(crate) token_issuer: Option<Arc<dyn TokenIssuer>>,
}

/// The Kubernetes API as a `tower::Service`. Cheap to clone; every clone serves the
/// same state.
#[derive(Clone)]
pub struct ApiServer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ApiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiServer")
            .field("store", &self.inner.store.backend_name())
            .field("resources", &self.inner.resources.len())
            .finish()
    }
}

impl ApiServer {
    /// A builder with the allow-all defaults.
    pub fn builder() -> ApiServerBuilder {
        ApiServerBuilder::default()
    }

    /// The store the server writes to.
    pub fn store(&self) -> &Arc<dyn Storage> {
        &self.inner.store
    }

    /// The watch cache of a served resource (what the security stages index RBAC and
    /// pods from).
    pub fn watch_cache(
        &self,
        gvr: &GroupVersionResource,
    ) -> Option<Arc<crate::watch_cache::WatchCache>> {
        self.inner.resources.get(gvr).map(|r| r.cache.clone())
    }

    /// Ends every open watch cleanly (their streams finish); requests keep being served.
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// Serves one request (what `tower::Service::call` does, without `&mut self`).
    pub async fn handle<B>(&self, request: http::Request<B>) -> http::Response<Body>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        pipeline::handle(&self.inner, request).await
    }
}

impl<B> tower::Service<http::Request<B>> for ApiServer
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move { Ok(pipeline::handle(&inner, request).await) })
    }
}

/// Builds an [`ApiServer`].
pub struct ApiServerBuilder {
    store: Option<Arc<dyn Storage>>,
    authenticator: Arc<dyn Authenticator>,
    authorizer: Arc<dyn Authorizer>,
    admission: AdmissionChain,
    node_proxy: Arc<dyn NodeProxy>,
    bootstrap: bool,
    request_timeout: Duration,
    token_issuer: Option<Arc<dyn TokenIssuer>>,
}

impl Default for ApiServerBuilder {
    fn default() -> Self {
        ApiServerBuilder {
            store: None,
            authenticator: Arc::new(AnonymousAdmin),
            authorizer: Arc::new(AlwaysAllow),
            admission: AdmissionChain::new(),
            node_proxy: Arc::new(NoNodeConnection),
            bootstrap: true,
            request_timeout: Duration::from_secs(60),
            token_issuer: None,
        }
    }
}

impl std::fmt::Debug for ApiServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiServerBuilder")
            .field("store", &self.store.as_ref().map(|s| s.backend_name()))
            .field("admission", &self.admission)
            .field("bootstrap", &self.bootstrap)
            .finish()
    }
}

impl ApiServerBuilder {
    /// The store objects live in (required).
    pub fn store(mut self, store: Arc<dyn Storage>) -> Self {
        self.store = Some(store);
        self
    }

    /// Replaces the authenticator (default [`AnonymousAdmin`]).
    pub fn authenticator(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authenticator = authenticator;
        self
    }

    /// Replaces the authorizer (default [`AlwaysAllow`]).
    pub fn authorizer(mut self, authorizer: Arc<dyn Authorizer>) -> Self {
        self.authorizer = authorizer;
        self
    }

    /// Replaces the admission chain (default empty).
    pub fn admission(mut self, chain: AdmissionChain) -> Self {
        self.admission = chain;
        self
    }

    /// Appends a mutating admission plugin.
    pub fn mutating_admission(mut self, plugin: Arc<dyn MutatingAdmission>) -> Self {
        self.admission = self.admission.with_mutating(plugin);
        self
    }

    /// Appends a validating admission plugin.
    pub fn validating_admission(mut self, plugin: Arc<dyn ValidatingAdmission>) -> Self {
        self.admission = self.admission.with_validating(plugin);
        self
    }

    /// Replaces the node connection (default [`NoNodeConnection`]).
    pub fn node_proxy(mut self, proxy: Arc<dyn NodeProxy>) -> Self {
        self.node_proxy = proxy;
        self
    }

    /// Whether to create the initial namespaces (`default`, `kube-system`,
    /// `kube-public`, `kube-node-lease`) when absent; on by default.
    pub fn bootstrap(mut self, bootstrap: bool) -> Self {
        self.bootstrap = bootstrap;
        self
    }

    /// The longest a non-watch request may take before `504 Timeout` (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Issues ServiceAccount tokens for `serviceaccounts/<name>/token` (default none).
    pub fn token_issuer(mut self, issuer: Arc<dyn TokenIssuer>) -> Self {
        self.token_issuer = Some(issuer);
        self
    }

    /// Builds the server: one registry (and watch cache) per served resource, then the
    /// initial objects.
    pub async fn build(self) -> Result<ApiServer, ServerError> {
        let store = self.store.ok_or(ServerError::NoStore)?;
        let resources = registry::build_resources(&store).await?;
        let (shutdown, _) = tokio::sync::watch::channel(false);
        let inner = Arc::new(Inner {
            store,
            resources,
            authenticator: self.authenticator,
            authorizer: self.authorizer,
            admission: self.admission,
            node_proxy: self.node_proxy,
            shutdown,
            ttl_lease: Mutex::new(None),
            recent_namespace_deletes: Default::default(),
            request_timeout: self.request_timeout,
            token_issuer: self.token_issuer,
        });
        if self.bootstrap {
            bootstrap::initial_objects(&inner).await?;
        }
        Ok(ApiServer { inner })
    }
}
