//! Authentication and authorization stages: the [`Authenticator`] and [`Authorizer`] traits and their allow-all defaults.

use std::collections::BTreeMap;

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
    /// Extra attributes (`authentication.kubernetes.io/pod-name`, …).
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// A user with a name and groups, no uid and no extra attributes.
    pub fn new(
        name: impl Into<String>,
        groups: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        UserInfo {
            name: name.into(),
            uid: String::new(),
            groups: groups.into_iter().map(Into::into).collect(),
            extra: BTreeMap::new(),
        }
    }

    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
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
/// (what Kubernetes' loopback client is); [`crate::security`] has the real ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnonymousAdmin;

#[async_trait]
impl Authenticator for AnonymousAdmin {
    async fn authenticate(
        &self,
        _request: &http::request::Parts,
    ) -> Result<Option<UserInfo>, ApiError> {
        Ok(Some(UserInfo::new("system:admin", ["system:masters", "system:authenticated"])))
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

    /// The decision [`Authorizer::authorize`] would reach, when this authorizer can reach
    /// it without waiting (an in-memory index; no webhook, no catching up); `None`
    /// otherwise. Callers try this first and await `authorize` only on `None`, which
    /// saves a boxed future per authorizer per request. `None` by default; an authorizer
    /// that answers must answer exactly what `authorize` would.
    fn decide_now(&self, _user: &UserInfo, _info: &RequestInfo) -> Option<Decision> {
        None
    }

    /// What `user` may do in `namespace` (all namespaces' cluster-wide rules when empty),
    /// for `SelfSubjectRulesReview`; `None` when this authorizer cannot enumerate rules.
    fn rules_for(&self, _user: &UserInfo, _namespace: &str) -> Option<SubjectRules> {
        None
    }
}

/// A permission on API resources, as a rules review reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceRule {
    /// Verbs (`*` = all).
    pub verbs: Vec<String>,
    /// API groups (`*` = all).
    pub api_groups: Vec<String>,
    /// Resources, `resource/subresource` or `*` forms.
    pub resources: Vec<String>,
    /// Object names (empty = all).
    pub resource_names: Vec<String>,
}

/// A permission on non-resource URLs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NonResourceRule {
    /// Verbs (`get`, `post`, … or `*`).
    pub verbs: Vec<String>,
    /// URL paths; a trailing `*` matches any suffix.
    pub non_resource_urls: Vec<String>,
}

/// Everything a user may do somewhere ([`Authorizer::rules_for`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubjectRules {
    /// Resource permissions.
    pub resource_rules: Vec<ResourceRule>,
    /// Non-resource permissions.
    pub non_resource_rules: Vec<NonResourceRule>,
    /// Whether the list may be incomplete (an authorizer that cannot enumerate).
    pub incomplete: bool,
}

/// The default authorizer: allows everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysAllow;

#[async_trait]
impl Authorizer for AlwaysAllow {
    async fn authorize(&self, _user: &UserInfo, _info: &RequestInfo) -> Decision {
        Decision::Allow
    }

    fn decide_now(&self, _user: &UserInfo, _info: &RequestInfo) -> Option<Decision> {
        Some(Decision::Allow)
    }

    fn rules_for(&self, _user: &UserInfo, _namespace: &str) -> Option<SubjectRules> {
        let all = || vec!["*".to_string()];
        Some(SubjectRules {
            resource_rules: vec![ResourceRule {
                verbs: all(),
                api_groups: all(),
                resources: all(),
                resource_names: Vec::new(),
            }],
            non_resource_rules: vec![NonResourceRule { verbs: all(), non_resource_urls: all() }],
            incomplete: false,
        })
    }
}

/// Issues ServiceAccount tokens: what `POST serviceaccounts/<name>/token` (TokenRequest)
/// signs with.
pub trait TokenIssuer: Send + Sync {
    /// The token issuer (`iss`).
    fn issuer(&self) -> &str;
    /// The audiences of a token whose request names none (the API server's).
    fn default_audiences(&self) -> Vec<String>;
    /// The longest lifetime granted, in seconds (longer requests are shortened).
    fn max_expiration_seconds(&self) -> Option<i64> {
        None
    }
    /// Signs a token carrying `claims` (a JSON object).
    fn issue(&self, claims: &serde_json::Value) -> Result<String, ApiError>;
    /// The public keys tokens are verified with, as a JSON Web Key Set (served at
    /// `/openid/v1/jwks` for OIDC discovery); `None` when not published.
    fn jwks(&self) -> Option<serde_json::Value> {
        None
    }
}
