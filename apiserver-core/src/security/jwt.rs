//! Compact JSON Web Tokens signed with ES256 (ECDSA P-256, SHA-256): the format of ServiceAccount tokens.
//!
//! [`JwtSigner`] signs a claims object; [`JwtVerifier`] checks the header, the signature
//! and returns the claims. Time and audience checks belong to the caller
//! ([`super::authn::service_account`]), which knows what they mean.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey,
};
use serde_json::{Value, json};

use super::pki::pem_blocks;

/// Why a token could not be signed or verified.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    /// The signing key is not a PKCS#8 ECDSA P-256 key.
    #[error("the signing key is not a PKCS#8 ECDSA P-256 key")]
    BadKey,
    /// Signing failed.
    #[error("signing failed")]
    Sign,
    /// The token is not three base64url segments with JSON header and claims.
    #[error("malformed token")]
    Malformed,
    /// The header names another algorithm.
    #[error("unsupported signing algorithm {0:?}")]
    Algorithm(String),
    /// The signature does not verify with the key.
    #[error("invalid signature")]
    Signature,
    /// A JSON Web Key is not an EC P-256 or RSA public key.
    #[error("unsupported JSON Web Key: {0}")]
    Jwk(String),
}

/// Signs tokens with an ES256 key.
pub struct JwtSigner {
    key: EcdsaKeyPair,
    key_id: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSigner").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// The key id of a public key: base64url of its SHA-256 (what `kid` carries).
fn key_id(public_key: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, public_key))
}

impl JwtSigner {
    /// A signer from a PKCS#8 PEM private key (ECDSA P-256).
    pub fn from_pem(pem: &str) -> Result<Self, JwtError> {
        let der = pem_blocks(pem, "PRIVATE KEY").into_iter().next().ok_or(JwtError::BadKey)?;
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng)
            .map_err(|_| JwtError::BadKey)?;
        let key_id = key_id(key.public_key().as_ref());
        Ok(JwtSigner { key, key_id, rng })
    }

    /// The verifier of this signer's tokens.
    pub fn verifier(&self) -> JwtVerifier {
        JwtVerifier {
            key: VerifyKey::Es256(self.key.public_key().as_ref().to_vec()),
            key_id: Some(self.key_id.clone()),
        }
    }

    /// The public key as a JSON Web Key (`kty` EC, `crv` P-256, `alg` ES256, `kid`).
    pub fn public_jwk(&self) -> Value {
        let point = self.key.public_key().as_ref();
        json!({
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": self.key_id,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        })
    }

    /// The key id (`kid`) tokens carry.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Signs `claims` (a JSON object) into a compact JWT.
    pub fn sign(&self, claims: &Value) -> Result<String, JwtError> {
        let header = json!({"alg": "ES256", "kid": self.key_id});
        let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let signing_input = format!("{}.{}", encode(&header), encode(claims));
        let signature =
            self.key.sign(&self.rng, signing_input.as_bytes()).map_err(|_| JwtError::Sign)?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref())))
    }
}

/// A public key and the algorithm it verifies.
#[derive(Debug, Clone, PartialEq, Eq)]
enum VerifyKey {
    /// ECDSA P-256 with SHA-256: the uncompressed point.
    Es256(Vec<u8>),
    /// RSA PKCS#1 v1.5 with SHA-256: modulus and exponent (big-endian).
    Rs256 { n: Vec<u8>, e: Vec<u8> },
}

impl VerifyKey {
    fn algorithm(&self) -> &'static str {
        match self {
            VerifyKey::Es256(_) => "ES256",
            VerifyKey::Rs256 { .. } => "RS256",
        }
    }
}

/// Verifies tokens signed with one public key (ES256, or RS256 from a JSON Web Key).
#[derive(Debug, Clone)]
pub struct JwtVerifier {
    key: VerifyKey,
    key_id: Option<String>,
}

/// The header of a token whose signature was not checked (to pick a key by `kid`).
pub fn unverified_header(token: &str) -> Result<Value, JwtError> {
    decode_json(token.split('.').next().unwrap_or(""))
}

/// The claims of a token whose signature was not checked: for routing a token to the
/// authenticator of its issuer before verifying it.
pub fn unverified_claims(token: &str) -> Result<Value, JwtError> {
    let mut parts = token.split('.');
    let (Some(_), Some(claims), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    decode_json(claims)
}

fn decode_json(segment: &str) -> Result<Value, JwtError> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| JwtError::Malformed)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)?;
    if value.is_object() { Ok(value) } else { Err(JwtError::Malformed) }
}

impl JwtVerifier {
    /// A verifier from a JSON Web Key: `kty` EC with `crv` P-256 (ES256) or `kty` RSA
    /// (RS256).
    pub fn from_jwk(jwk: &Value) -> Result<Self, JwtError> {
        let field = |k: &str| -> Result<Vec<u8>, JwtError> {
            let text = jwk
                .get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| JwtError::Jwk(format!("missing {k}")))?;
            URL_SAFE_NO_PAD
                .decode(text.trim_end_matches('='))
                .map_err(|_| JwtError::Jwk(format!("bad {k}")))
        };
        let key = match (
            jwk.get("kty").and_then(Value::as_str),
            jwk.get("crv").and_then(Value::as_str),
        ) {
            (Some("EC"), Some("P-256")) => {
                let (x, y) = (field("x")?, field("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(JwtError::Jwk("P-256 coordinates must be 32 bytes".into()));
                }
                VerifyKey::Es256([&[4u8][..], &x, &y].concat())
            }
            (Some("RSA"), _) => VerifyKey::Rs256 { n: field("n")?, e: field("e")? },
            (kty, crv) => return Err(JwtError::Jwk(format!("kty {kty:?} crv {crv:?}"))),
        };
        let key_id = jwk.get("kid").and_then(Value::as_str).map(str::to_string);
        Ok(JwtVerifier { key, key_id })
    }

    /// The key id, when known.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    /// Checks the token's algorithm and signature; returns its claims.
    pub fn verify(&self, token: &str) -> Result<Value, JwtError> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };
        let head = decode_json(header)?;
        let alg = head.get("alg").and_then(Value::as_str).unwrap_or("");
        if alg != self.key.algorithm() {
            return Err(JwtError::Algorithm(alg.to_string()));
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| JwtError::Malformed)?;
        let signing_input = &token.as_bytes()[..header.len() + 1 + claims.len()];
        let verified = match &self.key {
            VerifyKey::Es256(point) => UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(signing_input, &signature),
            VerifyKey::Rs256 { n, e } => RsaPublicKeyComponents { n, e }.verify(
                &RSA_PKCS1_2048_8192_SHA256,
                signing_input,
                &signature,
            ),
        };
        verified.map_err(|_| JwtError::Signature)?;
        decode_json(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> JwtSigner {
        JwtSigner::from_pem(&rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap()
    }

    #[test]
    fn signs_and_verifies() {
        let s = signer();
        let claims = json!({"sub": "system:serviceaccount:default:x", "exp": 1});
        let token = s.sign(&claims).unwrap();
        assert_eq!(s.verifier().verify(&token).unwrap(), claims);
        assert_eq!(unverified_claims(&token).unwrap(), claims);
    }

    #[test]
    fn rejects_tampering_and_other_keys() {
        let s = signer();
        let token = s.sign(&json!({"sub": "a"})).unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(json!({"sub": "admin"}).to_string());
        parts[1] = &forged;
        assert_eq!(s.verifier().verify(&parts.join(".")), Err(JwtError::Signature));
        assert_eq!(signer().verifier().verify(&token), Err(JwtError::Signature));
        assert_eq!(s.verifier().verify("a.b"), Err(JwtError::Malformed));
        let none_alg = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"a"}"#)
        );
        assert_eq!(s.verifier().verify(&none_alg), Err(JwtError::Algorithm("none".into())));
    }

    #[test]
    fn verifies_with_a_json_web_key() {
        let s = signer();
        let token = s.sign(&json!({"sub": "a"})).unwrap();
        let verifier = JwtVerifier::from_jwk(&s.public_jwk()).unwrap();
        assert_eq!(verifier.key_id(), Some(s.key_id()));
        assert_eq!(verifier.verify(&token).unwrap(), json!({"sub": "a"}));
        assert_eq!(unverified_header(&token).unwrap()["kid"], s.key_id());
        let other = JwtVerifier::from_jwk(&signer().public_jwk()).unwrap();
        assert_eq!(other.verify(&token), Err(JwtError::Signature));
        // An RSA key refuses an ES256 token before looking at the signature.
        let rsa = JwtVerifier::from_jwk(&json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"})).unwrap();
        assert_eq!(rsa.verify(&token), Err(JwtError::Algorithm("ES256".into())));
        assert!(JwtVerifier::from_jwk(&json!({"kty": "OKP"})).is_err());
    }
}
