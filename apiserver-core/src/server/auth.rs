//! Authentication and authorization stages: the [`Authenticator`] and [`Authorizer`] traits and their allow-all defaults.

use async_trait::async_trait;

use crate::request::RequestInfo;
use crate::status::ApiError;

/// Who made a request (Kubernetes' `user.Info`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    /// The user name (`system:admin`, `system:serviceaccount:ns:sa`, …).
    pub name: String,
    /// A unique id, if the authenticator knows one.
    pub uid: String,
    /// The groups the user belongs to.
    pub groups: Vec<String>,
}

/// Identifies the user of a request from its head (certificates, bearer tokens, …).
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// `Ok(Some(user))` when the request is authenticated, `Ok(None)` when no credential
    /// matched (answered `401 Unauthorized`), `Err` for a failed check.
    async fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<UserInfo>, ApiError>;
}

/// The default authenticator: every request is `system:admin` in `system:masters`
/// (what Kubernetes' loopback client is). Real authenticators (x509, tokens) replace it when HTTPS lands.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnonymousAdmin;

#[async_trait]
impl Authenticator for AnonymousAdmin {
    async fn authenticate(
        &self,
        _request: &http::request::Parts,
    ) -> Result<Option<UserInfo>, ApiError> {
        Ok(Some(UserInfo {
            name: "system:admin".to_string(),
            uid: String::new(),
            groups: vec!["system:masters".to_string(), "system:authenticated".to_string()],
        }))
    }
}

/// What an authorizer decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The request may proceed.
    Allow,
    /// The request is refused (`403 Forbidden`), with a reason.
    Deny(String),
    /// This authorizer has no opinion (treated as a denial at the end of a chain).
    NoOpinion,
}

/// Decides whether a user may do what a request asks.
#[async_trait]
pub trait Authorizer: Send + Sync {
    /// Authorizes `info` for `user`.
    async fn authorize(&self, user: &UserInfo, info: &RequestInfo) -> Decision;
}

/// The default authorizer: allows everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysAllow;

#[async_trait]
impl Authorizer for AlwaysAllow {
    async fn authorize(&self, _user: &UserInfo, _info: &RequestInfo) -> Decision {
        Decision::Allow
    }
}
