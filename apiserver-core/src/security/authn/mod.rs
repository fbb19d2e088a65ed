//! Authentication: [`AuthenticatorChain`], the union of authenticators the secure server runs, and the credentials it understands.
//!
//! - [`x509`]: client certificates verified against the cluster CA (`CN` = user, `O` = groups);
//! - [`token_file`]: static bearer tokens from a CSV file;
//! - [`service_account`]: ServiceAccount JWTs issued by TokenRequest;
//! - [`oidc`]: ID tokens of an external OpenID Connect issuer;
//! - [`in_process`]: the identity of in-process clients (a request extension the network
//!   cannot set).
//!
//! As Kubernetes' union authenticator: the first authenticator that recognises the
//! request wins; a credential that was presented but not accepted (a bad certificate, an
//! unknown or expired token) is `401 Unauthorized` — even on paths anonymous users may
//! reach. Without credentials the request is anonymous (`system:anonymous`, group
//! `system:unauthenticated`) where [`AnonymousPolicy`] allows it, else `401`. Every
//! authenticated user gets the group `system:authenticated`.

pub mod in_process;
pub mod oidc;
pub mod service_account;
pub mod token_file;
pub mod x509;

use std::sync::Arc;

use async_trait::async_trait;

use crate::server::auth::{Authenticator, UserInfo};
use crate::status::ApiError;

/// The group of every authenticated user.
pub const AUTHENTICATED_GROUP: &str = "system:authenticated";
/// The group of the anonymous user.
pub const UNAUTHENTICATED_GROUP: &str = "system:unauthenticated";
/// The anonymous user's name.
pub const ANONYMOUS_USER: &str = "system:anonymous";

/// Which requests without credentials are let through as `system:anonymous`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnonymousPolicy {
    /// None: every request needs a credential.
    Off,
    /// Health and version paths only (`/healthz`, `/livez`, `/readyz` and below, `/version`).
    #[default]
    HealthAndVersion,
    /// Every request (authorization decides what anonymous may do).
    All,
}

impl AnonymousPolicy {
    fn allows(self, path: &str) -> bool {
        match self {
            AnonymousPolicy::Off => false,
            AnonymousPolicy::All => true,
            AnonymousPolicy::HealthAndVersion => {
                let path = path.trim_end_matches('/');
                path == "/version"
                    || ["/healthz", "/livez", "/readyz"]
                        .iter()
                        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
            }
        }
    }
}

/// The bearer token of a request (`Authorization: Bearer <token>`), if any.
pub fn bearer_token(request: &http::request::Parts) -> Option<&str> {
    let value = request.headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A `401 Unauthorized` as kube-apiserver answers it.
pub fn unauthorized() -> ApiError {
    ApiError::unauthorized("Unauthorized")
}

/// Adds `system:authenticated` when missing.
pub fn with_authenticated_group(mut user: UserInfo) -> UserInfo {
    if user.name != ANONYMOUS_USER && !user.in_group(AUTHENTICATED_GROUP) {
        user.groups.push(AUTHENTICATED_GROUP.to_string());
    }
    user
}

/// The union of authenticators (see the [module documentation](self)).
pub struct AuthenticatorChain {
    authenticators: Vec<Arc<dyn Authenticator>>,
    anonymous: AnonymousPolicy,
}

impl std::fmt::Debug for AuthenticatorChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticatorChain")
            .field("authenticators", &self.authenticators.len())
            .field("anonymous", &self.anonymous)
            .finish()
    }
}

impl AuthenticatorChain {
    /// An empty chain with the default anonymous policy (health and version paths).
    pub fn new() -> Self {
        AuthenticatorChain { authenticators: Vec::new(), anonymous: AnonymousPolicy::default() }
    }

    /// Appends an authenticator (tried in order).
    pub fn with(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authenticators.push(authenticator);
        self
    }

    /// Sets the anonymous policy.
    pub fn anonymous(mut self, policy: AnonymousPolicy) -> Self {
        self.anonymous = policy;
        self
    }
}

impl Default for AuthenticatorChain {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Authenticator for AuthenticatorChain {
    async fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<UserInfo>, ApiError> {
        if let Some(user) = in_process::identity(request) {
            return Ok(Some(user.clone()));
        }
        let mut failed = false;
        for authenticator in &self.authenticators {
            match authenticator.authenticate(request).await {
                Ok(Some(user)) => return Ok(Some(with_authenticated_group(user))),
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(%error, "authentication failed");
                    failed = true;
                }
            }
        }
        let presented = bearer_token(request).is_some()
            || request.extensions.get::<super::tls::ClientCertificates>().is_some();
        if failed || presented || !self.anonymous.allows(request.uri.path()) {
            return Err(unauthorized());
        }
        Ok(Some(UserInfo::new(ANONYMOUS_USER, [UNAUTHENTICATED_GROUP])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_paths() {
        let p = AnonymousPolicy::HealthAndVersion;
        for ok in ["/healthz", "/livez", "/readyz/", "/readyz/ping", "/version"] {
            assert!(p.allows(ok), "{ok}");
        }
        for no in ["/api", "/healthzz", "/version/x", "/api/v1/pods"] {
            assert!(!p.allows(no), "{no}");
        }
        assert!(!AnonymousPolicy::Off.allows("/healthz"));
        assert!(AnonymousPolicy::All.allows("/api"));
    }

    #[test]
    fn bearer_tokens() {
        let head = |v: &str| {
            http::Request::builder().header("authorization", v).body(()).unwrap().into_parts().0
        };
        assert_eq!(bearer_token(&head("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&head("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&head("Basic abc")), None);
        assert_eq!(bearer_token(&head("Bearer ")), None);
    }
}
