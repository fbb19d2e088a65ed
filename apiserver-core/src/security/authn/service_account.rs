//! ServiceAccount tokens: [`ServiceAccountTokens`] signs the JWTs TokenRequest issues and authenticates them — signature, issuer, audience, expiry, and the ServiceAccount (and bound pod, secret or node) still existing with the uid the token names.
//!
//! A user from a token is `system:serviceaccount:<namespace>:<name>` with the uid of the
//! ServiceAccount and the groups `system:serviceaccounts` and
//! `system:serviceaccounts:<namespace>`; bound tokens add the extra attributes
//! `authentication.kubernetes.io/pod-name`, `pod-uid`, `node-name`, `node-uid` and
//! `credential-id` as Kubernetes does.

use async_trait::async_trait;
use serde_json::Value;

use super::bearer_token;
use crate::security::jwt::{JwtError, JwtSigner, JwtVerifier, unverified_claims};
use crate::security::lookup::ObjectLookup;
use crate::server::auth::{Authenticator, TokenIssuer, UserInfo};
use crate::status::ApiError;

/// The audiences a request authenticates for, when not the API server's own (a
/// TokenReview naming `spec.audiences`): a request extension only the server sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAudiences(pub Vec<String>);

/// The issuer (and default audience) of Kubernetes' in-cluster tokens.
pub const DEFAULT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// The user name of a ServiceAccount.
pub fn service_account_username(namespace: &str, name: &str) -> String {
    format!("system:serviceaccount:{namespace}:{name}")
}

/// The namespace and name of a ServiceAccount user name, if it is one.
pub fn split_service_account_username(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix("system:serviceaccount:")?;
    let (ns, name) = rest.split_once(':')?;
    (!ns.is_empty() && !name.is_empty() && !name.contains(':')).then_some((ns, name))
}

/// The groups of a ServiceAccount user.
pub fn service_account_groups(namespace: &str) -> Vec<String> {
    vec!["system:serviceaccounts".to_string(), format!("system:serviceaccounts:{namespace}")]
}

/// Signs and authenticates ServiceAccount tokens with the cluster's key.
pub struct ServiceAccountTokens {
    signer: JwtSigner,
    verifier: JwtVerifier,
    issuer: String,
    audiences: Vec<String>,
    max_expiration_seconds: Option<i64>,
    lookup: ObjectLookup,
}

impl std::fmt::Debug for ServiceAccountTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountTokens")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .finish_non_exhaustive()
    }
}

impl ServiceAccountTokens {
    /// Tokens signed with `key_pem` (PKCS#8 ECDSA P-256), issued as `issuer`, accepted
    /// for `audiences` (the issuer when empty); objects checked through `lookup`.
    pub fn new(
        key_pem: &str,
        issuer: impl Into<String>,
        audiences: Vec<String>,
        lookup: ObjectLookup,
    ) -> Result<Self, JwtError> {
        let signer = JwtSigner::from_pem(key_pem)?;
        let issuer = issuer.into();
        let audiences = if audiences.is_empty() { vec![issuer.clone()] } else { audiences };
        Ok(ServiceAccountTokens {
            verifier: signer.verifier(),
            signer,
            issuer,
            audiences,
            max_expiration_seconds: None,
            lookup,
        })
    }

    /// Caps token lifetimes (`--service-account-max-token-expiration`).
    pub fn with_max_expiration(mut self, seconds: i64) -> Self {
        self.max_expiration_seconds = Some(seconds);
        self
    }

    /// Checks a token (for the API server's audiences) and returns its user.
    pub async fn validate(&self, token: &str) -> Result<UserInfo, String> {
        self.validate_for(token, &self.audiences).await
    }

    /// Checks a token for `targets` (one of its audiences must be among them) and returns
    /// its user.
    pub async fn validate_for(&self, token: &str, targets: &[String]) -> Result<UserInfo, String> {
        let claims = self.verifier.verify(token).map_err(|e| e.to_string())?;
        let now = jiff::Timestamp::now().as_second();
        let exp = claims.get("exp").and_then(Value::as_i64).ok_or("token has no expiry")?;
        if now >= exp {
            return Err("service account token has expired".into());
        }
        if claims.get("nbf").and_then(Value::as_i64).is_some_and(|nbf| nbf > now + 60) {
            return Err("service account token is not valid yet".into());
        }
        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !audiences.iter().any(|a| targets.iter().any(|b| b == a)) {
            return Err(format!(
                "token audiences {audiences:?} is invalid for the target audiences {targets:?}"
            ));
        }
        let k8s = claims.get("kubernetes.io").ok_or("token has no kubernetes.io claims")?;
        let s = |p: &str| k8s.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
        let namespace = s("/namespace");
        let (sa_name, sa_uid) = (s("/serviceaccount/name"), s("/serviceaccount/uid"));
        if namespace.is_empty() || sa_name.is_empty() {
            return Err("token names no service account".into());
        }
        match self.lookup.uid("", "serviceaccounts", &namespace, &sa_name).await {
            Some(uid) if uid == sa_uid => {}
            Some(uid) => {
                return Err(format!("service account UID ({uid}) does not match claim ({sa_uid})"));
            }
            None => return Err(format!("service account {namespace}/{sa_name} has been deleted")),
        }
        let mut user = UserInfo::new(
            service_account_username(&namespace, &sa_name),
            service_account_groups(&namespace),
        );
        user.uid = sa_uid;
        for (kind, plural, ns) in [
            ("pod", "pods", namespace.as_str()),
            ("secret", "secrets", namespace.as_str()),
            ("node", "nodes", ""),
        ] {
            let name = s(&format!("/{kind}/name"));
            if name.is_empty() {
                continue;
            }
            let uid = s(&format!("/{kind}/uid"));
            match self.lookup.uid("", plural, ns, &name).await {
                Some(found) if found == uid => {}
                _ => return Err(format!("the {kind} {name} the token is bound to is gone")),
            }
            if kind != "secret" {
                user.extra.insert(format!("authentication.kubernetes.io/{kind}-name"), vec![name]);
                user.extra.insert(format!("authentication.kubernetes.io/{kind}-uid"), vec![uid]);
            }
        }
        if let Some(jti) = claims.get("jti").and_then(Value::as_str) {
            user.extra.insert(
                "authentication.kubernetes.io/credential-id".into(),
                vec![format!("JTI={jti}")],
            );
        }
        Ok(user)
    }
}

impl TokenIssuer for ServiceAccountTokens {
    fn issuer(&self) -> &str {
        &self.issuer
    }

    fn default_audiences(&self) -> Vec<String> {
        self.audiences.clone()
    }

    fn max_expiration_seconds(&self) -> Option<i64> {
        self.max_expiration_seconds
    }

    fn issue(&self, claims: &Value) -> Result<String, ApiError> {
        self.signer.sign(claims).map_err(ApiError::internal)
    }

    fn jwks(&self) -> Option<Value> {
        Some(serde_json::json!({"keys": [self.signer.public_jwk()]}))
    }
}

#[async_trait]
impl Authenticator for ServiceAccountTokens {
    async fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<UserInfo>, ApiError> {
        let Some(token) = bearer_token(request) else { return Ok(None) };
        // Not a JWT of ours: let the other authenticators look at it.
        let Ok(claims) = unverified_claims(token) else { return Ok(None) };
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Ok(None);
        }
        let targets =
            request.extensions.get::<RequestAudiences>().map_or(&self.audiences, |a| &a.0);
        self.validate_for(token, targets).await.map(Some).map_err(ApiError::unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(service_account_username("ns", "sa"), "system:serviceaccount:ns:sa");
        assert_eq!(
            split_service_account_username("system:serviceaccount:ns:sa"),
            Some(("ns", "sa"))
        );
        assert_eq!(split_service_account_username("system:serviceaccount:ns"), None);
        assert_eq!(split_service_account_username("alice"), None);
    }
}
