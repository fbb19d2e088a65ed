//! OpenID Connect ID tokens from an external issuer (kube-apiserver's `--oidc-*` flags), verified with the issuer's JSON Web Key Set given in the configuration (no discovery over the network).
//!
//! A token is this authenticator's when its `iss` is the configured issuer. It must be
//! signed by one of the keys (picked by `kid` when the token names one), name the client
//! id in `aud`, and be unexpired. The user is the username claim (`sub` by default),
//! prefixed with `<issuer>#` unless the claim is `email` or a prefix is given (`-` for
//! none); an `email` claim needs `email_verified` to be true when present. Groups come
//! from the groups claim (a string or a list), with the groups prefix.

use async_trait::async_trait;
use serde_json::Value;

use super::bearer_token;
use crate::security::jwt::{JwtError, JwtVerifier, unverified_claims, unverified_header};
use crate::server::auth::{Authenticator, UserInfo};
use crate::status::ApiError;

/// The OIDC issuer an [`OidcAuthenticator`] trusts.
#[derive(Debug, Clone, PartialEq)]
pub struct OidcConfig {
    /// The issuer URL (`iss`).
    pub issuer: String,
    /// The client id every token must carry in `aud`.
    pub client_id: String,
    /// The claim naming the user (default `sub`).
    pub username_claim: String,
    /// The user name prefix: `None` for Kubernetes' default (`<issuer>#` unless the
    /// claim is `email`), `Some("-")` for none.
    pub username_prefix: Option<String>,
    /// The claim listing groups, if any.
    pub groups_claim: Option<String>,
    /// Prepended to every group.
    pub groups_prefix: String,
    /// The issuer's JSON Web Key Set (`{"keys": [...]}`).
    pub jwks: Value,
}

impl OidcConfig {
    /// An issuer and client id with Kubernetes' defaults and the given key set.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>, jwks: Value) -> Self {
        OidcConfig {
            issuer: issuer.into(),
            client_id: client_id.into(),
            username_claim: "sub".into(),
            username_prefix: None,
            groups_claim: None,
            groups_prefix: String::new(),
            jwks,
        }
    }
}

/// Authenticates ID tokens of one OIDC issuer.
#[derive(Debug, Clone)]
pub struct OidcAuthenticator {
    config: OidcConfig,
    keys: Vec<JwtVerifier>,
    username_prefix: String,
}

impl OidcAuthenticator {
    /// An authenticator for `config`; fails when a key of the set is unusable or the set
    /// is empty.
    pub fn new(config: OidcConfig) -> Result<Self, JwtError> {
        let keys = config
            .jwks
            .get("keys")
            .and_then(Value::as_array)
            .map(|keys| keys.iter().map(JwtVerifier::from_jwk).collect::<Result<Vec<_>, _>>())
            .transpose()?
            .unwrap_or_default();
        if keys.is_empty() {
            return Err(JwtError::Jwk("the key set has no keys".into()));
        }
        let username_prefix = match config.username_prefix.as_deref() {
            Some("-") => String::new(),
            Some(prefix) => prefix.to_string(),
            None if config.username_claim == "email" => String::new(),
            None => format!("{}#", config.issuer),
        };
        Ok(OidcAuthenticator { config, keys, username_prefix })
    }

    fn verify(&self, token: &str) -> Result<Value, String> {
        let kid = unverified_header(token)
            .ok()
            .and_then(|h| h.get("kid").and_then(Value::as_str).map(str::to_string));
        let candidates = self
            .keys
            .iter()
            .filter(|k| kid.is_none() || k.key_id().is_none() || k.key_id() == kid.as_deref());
        let mut last = JwtError::Signature;
        for key in candidates {
            match key.verify(token) {
                Ok(claims) => return Ok(claims),
                Err(e) => last = e,
            }
        }
        Err(format!("oidc: verify token: {last}"))
    }

    /// Checks a token and returns its user.
    pub fn validate(&self, token: &str) -> Result<UserInfo, String> {
        let claims = self.verify(token)?;
        let now = jiff::Timestamp::now().as_second();
        match claims.get("exp").and_then(Value::as_i64) {
            Some(exp) if now < exp => {}
            Some(_) => return Err("oidc: token is expired".into()),
            None => return Err("oidc: token has no expiry".into()),
        }
        if claims.get("nbf").and_then(Value::as_i64).is_some_and(|nbf| nbf > now + 60) {
            return Err("oidc: token is not valid yet".into());
        }
        let audience_ok = match claims.get("aud") {
            Some(Value::String(a)) => *a == self.config.client_id,
            Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(&self.config.client_id)),
            _ => false,
        };
        if !audience_ok {
            return Err(format!("oidc: expected audience {:?}", self.config.client_id));
        }
        let claim = &self.config.username_claim;
        let name = claims.get(claim).and_then(Value::as_str).filter(|s| !s.is_empty());
        let Some(name) = name else { return Err(format!("oidc: claim {claim:?} not present")) };
        if claim == "email" && claims.get("email_verified").is_some_and(|v| v != &Value::Bool(true))
        {
            return Err("oidc: email not verified".into());
        }
        let mut groups = Vec::new();
        if let Some(group_claim) = &self.config.groups_claim {
            match claims.get(group_claim) {
                Some(Value::String(g)) => groups.push(g.clone()),
                Some(Value::Array(a)) => {
                    groups.extend(a.iter().filter_map(Value::as_str).map(str::to_string))
                }
                _ => {}
            }
        }
        let groups: Vec<String> =
            groups.into_iter().map(|g| format!("{}{g}", self.config.groups_prefix)).collect();
        Ok(UserInfo::new(format!("{}{name}", self.username_prefix), groups))
    }
}

#[async_trait]
impl Authenticator for OidcAuthenticator {
    async fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<UserInfo>, ApiError> {
        let Some(token) = bearer_token(request) else { return Ok(None) };
        let Ok(claims) = unverified_claims(token) else { return Ok(None) };
        if claims.get("iss").and_then(Value::as_str) != Some(self.config.issuer.as_str()) {
            return Ok(None);
        }
        self.validate(token).map(Some).map_err(ApiError::unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::jwt::JwtSigner;
    use serde_json::json;

    fn signer() -> JwtSigner {
        JwtSigner::from_pem(&rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap()
    }

    #[test]
    fn validates_claims() {
        let idp = signer();
        let mut config =
            OidcConfig::new("https://idp.example", "capstan", json!({"keys": [idp.public_jwk()]}));
        config.groups_claim = Some("groups".into());
        config.groups_prefix = "oidc:".into();
        let auth = OidcAuthenticator::new(config.clone()).unwrap();
        let now = jiff::Timestamp::now().as_second();
        let token = |claims: Value| idp.sign(&claims).unwrap();
        let good = json!({"iss": "https://idp.example", "aud": "capstan", "sub": "u1", "exp": now + 60, "groups": ["a", "b"]});
        let user = auth.validate(&token(good.clone())).unwrap();
        assert_eq!(user.name, "https://idp.example#u1");
        assert_eq!(user.groups, vec!["oidc:a", "oidc:b"]);
        let mut expired = good.clone();
        expired["exp"] = json!(now - 1);
        assert!(auth.validate(&token(expired)).unwrap_err().contains("expired"));
        let mut other_aud = good.clone();
        other_aud["aud"] = json!(["someone"]);
        assert!(auth.validate(&token(other_aud)).unwrap_err().contains("audience"));
        assert!(auth.validate(&signer().sign(&good).unwrap()).is_err());
        // The email claim: no prefix, and it must be verified.
        config.username_claim = "email".into();
        let auth = OidcAuthenticator::new(config).unwrap();
        let mut email = good.clone();
        email["email"] = json!("jane@example.com");
        email["email_verified"] = json!(true);
        assert_eq!(auth.validate(&token(email.clone())).unwrap().name, "jane@example.com");
        email["email_verified"] = json!(false);
        assert!(auth.validate(&token(email)).is_err());
        assert!(OidcAuthenticator::new(OidcConfig::new("i", "c", json!({"keys": []}))).is_err());
    }
}
