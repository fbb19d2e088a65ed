//! The x509 authenticator: a client certificate chain verified against the cluster CA; `CN` is the user, each `O` a group.
//!
//! A verdict is remembered for a minute: with the connection (its [`ConnectionVerdict`](crate::security::tls::ConnectionVerdict),
//! so later requests on it neither verify nor hash the chain again), and keyed by the
//! SHA-256 of the chain (so a client's new connections skip path building and signature
//! checks).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use async_trait::async_trait;
use rustls::pki_types::UnixTime;
use rustls::server::danger::ClientCertVerifier;

use crate::security::der::certificate_subject;
use crate::security::tls::{ClientCertificates, TlsError, Verdict, client_chain_verifier};
use crate::server::auth::{Authenticator, UserInfo};
use crate::status::ApiError;

/// How long a verification result is reused.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// How many chains are remembered (the cache is emptied when it is full).
const CACHE_CAPACITY: usize = 4096;

type CacheKey = [u8; 32];
/// When a chain was verified, and the outcome.
type CacheEntry = (Instant, Result<UserInfo, String>);

/// Authenticates the [`ClientCertificates`] of a request.
pub struct X509Authenticator {
    verifier: Arc<dyn ClientCertVerifier>,
    cache: Mutex<HashMap<CacheKey, CacheEntry>>,
    /// Tells this authenticator's verdicts in a [`ConnectionVerdict`] from another's.
    id: u64,
}

/// The next [`X509Authenticator::id`].
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl std::fmt::Debug for X509Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X509Authenticator").finish_non_exhaustive()
    }
}

impl X509Authenticator {
    /// Trusts the certificates of a PEM CA bundle.
    pub fn new(ca_pem: &str) -> Result<Self, TlsError> {
        Ok(X509Authenticator {
            verifier: client_chain_verifier(ca_pem)?,
            cache: Mutex::default(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// Verifies a chain and reads its subject.
    fn verify(
        &self,
        chain: &[rustls::pki_types::CertificateDer<'static>],
    ) -> Result<UserInfo, String> {
        let Some((end_entity, intermediates)) = chain.split_first() else {
            return Err("empty certificate chain".into());
        };
        self.verifier
            .verify_client_cert(end_entity, intermediates, UnixTime::now())
            .map_err(|e| format!("verifying certificate: {e}"))?;
        let subject = certificate_subject(end_entity.as_ref())
            .ok_or_else(|| "unreadable certificate subject".to_string())?;
        if subject.common_name.is_empty() {
            return Err("certificate has no common name".into());
        }
        Ok(UserInfo::new(subject.common_name, subject.organizations))
    }
}

fn chain_key(chain: &[rustls::pki_types::CertificateDer<'static>]) -> CacheKey {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for cert in chain {
        ctx.update(&(cert.as_ref().len() as u64).to_be_bytes());
        ctx.update(cert.as_ref());
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(ctx.finish().as_ref());
    key
}

#[async_trait]
impl Authenticator for X509Authenticator {
    async fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<UserInfo>, ApiError> {
        let Some(ClientCertificates { chain, verdict }) =
            request.extensions.get::<ClientCertificates>()
        else {
            return Ok(None);
        };
        if chain.is_empty() {
            return Ok(None);
        }
        if let Some(outcome) = verdict.get(self.id, CACHE_TTL) {
            return outcome.map(Some).map_err(ApiError::unauthorized);
        }
        let key = chain_key(chain);
        let now = Instant::now();
        let cached = self
            .cache
            .lock()
            .get(&key)
            .filter(|(at, _)| now.duration_since(*at) < CACHE_TTL)
            .cloned();
        let (at, result) = match cached {
            Some(entry) => entry,
            None => {
                // Remembered as the chain will return it, so a request's copy of the
                // user needs no second allocation for the group.
                let result = self.verify(chain).map(super::with_authenticated_group);
                let mut cache = self.cache.lock();
                if cache.len() >= CACHE_CAPACITY {
                    cache.clear();
                }
                cache.insert(key, (now, result.clone()));
                (now, result)
            }
        };
        // As old as the verification, so a verdict never outlives the TTL.
        verdict.set(Verdict { authenticator: self.id, at, outcome: result.clone() });
        result.map(Some).map_err(ApiError::unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::pki::{ClusterCredentials, CredentialOptions, pem_certificates};
    use crate::security::tls::ConnectionVerdict;
    use rustls::pki_types::CertificateDer;

    fn credentials(dir: &tempfile::TempDir, name: &str) -> ClusterCredentials {
        ClusterCredentials::load_or_create(dir.path().join(name), &CredentialOptions::default())
            .expect("credentials")
    }

    fn chain(pem: &str) -> Vec<CertificateDer<'static>> {
        pem_certificates(pem).into_iter().map(CertificateDer::from).collect()
    }

    fn parts(
        chain: Vec<CertificateDer<'static>>,
        verdict: &ConnectionVerdict,
    ) -> http::request::Parts {
        let mut parts = http::Request::new(()).into_parts().0;
        parts
            .extensions
            .insert(ClientCertificates { chain: Arc::new(chain), verdict: verdict.clone() });
        parts
    }

    #[tokio::test]
    async fn a_connection_keeps_its_verdict() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let creds = credentials(&dir, "a");
        let alice = creds.issue_client("alice", Some("devs")).expect("client certificate");
        let authenticator = X509Authenticator::new(creds.ca_cert_pem()).expect("authenticator");
        let connection = ConnectionVerdict::default();
        let user = authenticator
            .authenticate(&parts(chain(&alice.cert_pem), &connection))
            .await
            .expect("verified")
            .expect("a user");
        // The certificate's organisation, and every authenticated user's group.
        let groups = ["devs".to_string(), "system:authenticated".to_string()];
        assert_eq!((user.name.as_str(), user.groups.as_slice()), ("alice", &groups[..]));

        // Later requests of the connection take the verdict without looking at the chain
        // again: even one no CA signed still reads as the connection's user.
        let other = credentials(&dir, "b");
        let stranger = other.issue_client("mallory", None).expect("client certificate");
        let again = authenticator
            .authenticate(&parts(chain(&stranger.cert_pem), &connection))
            .await
            .expect("remembered")
            .expect("a user");
        assert_eq!(again.name, "alice");

        // On a new connection the same chain is verified, and refused.
        let fresh = ConnectionVerdict::default();
        assert!(
            authenticator.authenticate(&parts(chain(&stranger.cert_pem), &fresh)).await.is_err()
        );
        // Another authenticator (another CA) does not take the first one's verdict.
        let second = X509Authenticator::new(other.ca_cert_pem()).expect("authenticator");
        assert!(second.authenticate(&parts(chain(&alice.cert_pem), &connection)).await.is_err());
    }
}
