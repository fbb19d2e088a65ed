//! The x509 authenticator: a client certificate chain verified against the cluster CA; `CN` is the user, each `O` a group.
//!
//! A verified chain is remembered for a minute (keyed by the SHA-256 of the chain), so
//! the requests of one client do not each pay for path building and signature checks.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use async_trait::async_trait;
use rustls::pki_types::UnixTime;
use rustls::server::danger::ClientCertVerifier;

use crate::security::der::certificate_subject;
use crate::security::tls::{ClientCertificates, TlsError, client_chain_verifier};
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
}

impl std::fmt::Debug for X509Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X509Authenticator").finish_non_exhaustive()
    }
}

impl X509Authenticator {
    /// Trusts the certificates of a PEM CA bundle.
    pub fn new(ca_pem: &str) -> Result<Self, TlsError> {
        Ok(X509Authenticator { verifier: client_chain_verifier(ca_pem)?, cache: Mutex::default() })
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
        let Some(ClientCertificates(chain)) = request.extensions.get::<ClientCertificates>() else {
            return Ok(None);
        };
        if chain.is_empty() {
            return Ok(None);
        }
        let key = chain_key(chain);
        let now = Instant::now();
        let cached = self
            .cache
            .lock()
            .get(&key)
            .filter(|(at, _)| now.duration_since(*at) < CACHE_TTL)
            .cloned();
        let result = match cached {
            Some((_, result)) => result,
            None => {
                let result = self.verify(chain);
                let mut cache = self.cache.lock();
                if cache.len() >= CACHE_CAPACITY {
                    cache.clear();
                }
                cache.insert(key, (now, result.clone()));
                result
            }
        };
        result.map(Some).map_err(ApiError::unauthorized)
    }
}
