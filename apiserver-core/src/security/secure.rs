//! [`Security`]: everything a secure API server needs, composed from the public parts — TLS, the authenticator chain, the Node + RBAC authorizer union, ServiceAccount tokens, the escalation check — and started against a built server.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use capstan_api_types::GroupVersionResource;
use capstan_store::Storage;

use super::authn::oidc::{OidcAuthenticator, OidcConfig};
use super::authn::service_account::{DEFAULT_ISSUER, ServiceAccountTokens};
use super::authn::token_file::{TokenFileAuthenticator, TokenFileError};
use super::authn::x509::X509Authenticator;
use super::authn::{AnonymousPolicy, AuthenticatorChain};
use super::authz::{PrivilegedGroups, UnionAuthorizer};
use super::jwt::JwtError;
use super::lookup::ObjectLookup;
use super::node::NodeAuthorizer;
use super::pki::{ClusterCredentials, PkiError};
use super::rbac::escalation::EscalationCheck;
use super::rbac::index::RBAC_GROUP;
use super::rbac::{RbacAuthorizer, RbacIndex, RbacKind, aggregation, bootstrap};
use super::tls::{TlsAcceptor, TlsError, server_config};
use crate::server::auth::{Authenticator, Authorizer};
use crate::server::{ApiServer, ApiServerBuilder};
use crate::status::ApiError;

/// Why security could not be set up or started.
#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    /// Credentials could not be loaded or created.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// The TLS configuration was refused.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The token file could not be read.
    #[error(transparent)]
    TokenFile(#[from] TokenFileError),
    /// The ServiceAccount signing key or an OIDC key is unusable.
    #[error("token keys: {0}")]
    Jwt(#[from] JwtError),
    /// A resource the security stages follow is not served.
    #[error("{0} is not served by this API server")]
    NotServed(String),
    /// The RBAC index did not load in time.
    #[error("the RBAC index did not sync within {0:?}")]
    NotSynced(Duration),
    /// Creating the bootstrap policy failed.
    #[error("bootstrap policy: {0}")]
    Bootstrap(#[from] ApiError),
}

/// What [`Security::new`] sets up.
#[derive(Debug, Clone)]
pub struct SecurityConfig {
    /// Which requests without credentials are anonymous (default: health and version).
    pub anonymous: AnonymousPolicy,
    /// A static token file (`token,user,uid,"groups"` lines).
    pub token_file: Option<PathBuf>,
    /// An external OpenID Connect issuer whose ID tokens are accepted.
    pub oidc: Option<OidcConfig>,
    /// The ServiceAccount token issuer (`iss`).
    pub service_account_issuer: String,
    /// The audiences the API server accepts (default: the issuer).
    pub api_audiences: Vec<String>,
    /// The longest ServiceAccount token lifetime granted, in seconds.
    pub max_token_expiration_seconds: Option<i64>,
    /// Whether the Node authorizer runs before RBAC (default on).
    pub node_authorizer: bool,
    /// Whether the bootstrap ClusterRoles and bindings are created on start (default on).
    pub bootstrap_policy: bool,
    /// How long [`Security::start`] waits for the RBAC index to load.
    pub sync_timeout: Duration,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            anonymous: AnonymousPolicy::default(),
            token_file: None,
            oidc: None,
            service_account_issuer: DEFAULT_ISSUER.to_string(),
            api_audiences: Vec::new(),
            max_token_expiration_seconds: None,
            node_authorizer: true,
            bootstrap_policy: true,
            sync_timeout: Duration::from_secs(30),
        }
    }
}

/// The security stages of one API server (see the [module documentation](super)).
#[derive(Clone)]
pub struct Security {
    config: SecurityConfig,
    tls: Arc<rustls::ServerConfig>,
    lookup: ObjectLookup,
    tokens: Arc<ServiceAccountTokens>,
    authenticator: Arc<AuthenticatorChain>,
    rbac: RbacAuthorizer,
    node: Option<NodeAuthorizer>,
    authorizer: Arc<UnionAuthorizer>,
    /// The aggregation writer, awaited by [`Security::shutdown`].
    writer: Arc<parking_lot::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Security").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Security {
    /// Sets up TLS from `credentials` (serving certificate; client certificates checked
    /// against the CA), the authenticator chain (x509, token file, ServiceAccount tokens
    /// signed with the cluster key) and the authorizer union (`system:masters`, Node, RBAC).
    pub fn new(
        credentials: &ClusterCredentials,
        store: Arc<dyn Storage>,
        config: SecurityConfig,
    ) -> Result<Self, SecurityError> {
        let ca = credentials.ca_cert_pem();
        let tls = server_config(&credentials.serving.cert_pem, &credentials.serving.key_pem, ca)?;
        let lookup = ObjectLookup::new(store);
        let mut tokens = ServiceAccountTokens::new(
            &credentials.service_account_key_pem,
            config.service_account_issuer.clone(),
            config.api_audiences.clone(),
            lookup.clone(),
        )?;
        if let Some(max) = config.max_token_expiration_seconds {
            tokens = tokens.with_max_expiration(max);
        }
        let tokens = Arc::new(tokens);
        let mut chain = AuthenticatorChain::new()
            .anonymous(config.anonymous)
            .with(Arc::new(X509Authenticator::new(ca)?));
        if let Some(path) = &config.token_file {
            chain = chain.with(Arc::new(TokenFileAuthenticator::from_path(path)?));
        }
        chain = chain.with(tokens.clone());
        if let Some(oidc) = &config.oidc {
            chain = chain.with(Arc::new(OidcAuthenticator::new(oidc.clone())?));
        }
        let rbac = RbacAuthorizer::new(RbacIndex::new());
        let node = config.node_authorizer.then(|| NodeAuthorizer::new(lookup.clone()));
        let mut union = UnionAuthorizer::new().with(Arc::new(PrivilegedGroups::masters()));
        if let Some(node) = &node {
            union = union.with(Arc::new(node.clone()));
        }
        union = union.with(Arc::new(rbac.clone()));
        Ok(Security {
            config,
            tls,
            lookup,
            tokens,
            authenticator: Arc::new(chain),
            rbac,
            node,
            authorizer: Arc::new(union),
            writer: Arc::default(),
        })
    }

    /// Gives `builder` the authenticator, the authorizer, the token issuer and the RBAC
    /// escalation check.
    pub fn configure(&self, builder: ApiServerBuilder) -> ApiServerBuilder {
        let escalation = EscalationCheck::new(self.rbac.index().clone(), self.authorizer.clone());
        builder
            .authenticator(self.authenticator.clone())
            .authorizer(self.authorizer.clone())
            .token_issuer(self.tokens.clone())
            .validating_admission(Arc::new(escalation))
    }

    /// Starts following `server`'s caches (RBAC index, node graph), creates the
    /// bootstrap policy when configured, and returns once the index has it.
    pub async fn start(&self, server: &ApiServer) -> Result<(), SecurityError> {
        self.lookup.attach(server);
        let mut caches = Vec::new();
        for kind in RbacKind::ALL {
            let gvr = GroupVersionResource::new(RBAC_GROUP, "v1", kind.plural());
            let cache = server
                .watch_cache(&gvr)
                .ok_or_else(|| SecurityError::NotServed(kind.plural().into()))?;
            caches.push((kind, cache));
        }
        let index = self.rbac.index().clone();
        index.start(caches);
        if let Some(node) = &self.node {
            let pods = server
                .watch_cache(&GroupVersionResource::new("", "v1", "pods"))
                .ok_or_else(|| SecurityError::NotServed("pods".into()))?;
            node.start(pods);
        }
        let timeout = self.config.sync_timeout;
        if !index.wait_synced(timeout).await {
            return Err(SecurityError::NotSynced(timeout));
        }
        let written =
            if self.config.bootstrap_policy { bootstrap::ensure(server).await? } else { 0 };
        *self.writer.lock() = Some(tokio::spawn(aggregation::run(index.clone(), server.clone())));
        // Requests after this see the bootstrap policy.
        if !index.wait_for(written, timeout).await {
            return Err(SecurityError::NotSynced(timeout));
        }
        Ok(())
    }

    /// Stops the index, graph and aggregation tasks (a write in flight still finishes;
    /// [`Security::shutdown`] waits for it).
    pub fn stop(&self) {
        self.rbac.index().stop();
        if let Some(node) = &self.node {
            node.stop();
        }
    }

    /// [`Security::stop`], then waits until the aggregation writer has ended, so nothing
    /// writes to the store afterwards.
    pub async fn shutdown(&self) {
        self.stop();
        let writer = self.writer.lock().take();
        if let Some(writer) = writer {
            let _ = writer.await;
        }
    }

    /// The HTTPS acceptor for [`crate::serve::serve`].
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::new(self.tls.clone())
    }

    /// The rustls server configuration.
    pub fn tls_config(&self) -> Arc<rustls::ServerConfig> {
        self.tls.clone()
    }

    /// The authenticator chain.
    pub fn authenticator(&self) -> Arc<dyn Authenticator> {
        self.authenticator.clone()
    }

    /// The authorizer union (`system:masters`, Node, RBAC).
    pub fn authorizer(&self) -> Arc<dyn Authorizer> {
        self.authorizer.clone()
    }

    /// The RBAC authorizer (its index has `wait_for` to wait for a write to apply).
    pub fn rbac(&self) -> &RbacAuthorizer {
        &self.rbac
    }

    /// The ServiceAccount token issuer and authenticator.
    pub fn service_account_tokens(&self) -> &Arc<ServiceAccountTokens> {
        &self.tokens
    }
}
