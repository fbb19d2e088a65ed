//! HTTPS: a rustls [`Acceptor`] for [`crate::serve`] that requests (never requires) client certificates and hands them to authentication as a request extension.
//!
//! Client certificates are not verified during the handshake (only the proof of
//! possession is): like kube-apiserver, a certificate from an unknown CA is accepted by
//! TLS and then refused by the x509 authenticator with `401`, so token users and
//! certificate users share one listener. [`ClientCertificates`] carries the chain the
//! client sent into every request of the connection.

use std::io;
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme,
};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use super::pki::{pem_blocks, pem_certificates};
use crate::serve::Acceptor;

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The PEM holds no certificate.
    #[error("no certificate in the PEM")]
    NoCertificate,
    /// The PEM holds no PKCS#8 private key.
    #[error("no PKCS#8 private key in the PEM")]
    NoKey,
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client verifier could not be built.
    #[error("client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

/// The certificate chain a client presented (end entity first) and its connection's
/// [`ConnectionVerdict`], in the extensions of every request on the connection (one
/// extension, cloned per request as two `Arc`s). Not verified yet: the x509
/// authenticator does that.
#[derive(Debug, Clone)]
pub struct ClientCertificates {
    /// The chain, end entity first.
    pub chain: Arc<Vec<CertificateDer<'static>>>,
    /// The connection's verdict slot (a connection's client certificate cannot change).
    pub verdict: ConnectionVerdict,
}

impl ClientCertificates {
    /// A chain on a new connection (no verdict yet).
    pub fn new(chain: Vec<CertificateDer<'static>>) -> Self {
        ClientCertificates { chain: Arc::new(chain), verdict: ConnectionVerdict::default() }
    }
}

/// What an authenticator concluded about a connection's [`ClientCertificates`]: one slot
/// per connection, shared by each of its requests (a connection's client certificate
/// cannot change), so the x509 authenticator verifies a connection's chain once instead
/// of hashing it on every request.
#[derive(Debug, Clone, Default)]
pub struct ConnectionVerdict(Arc<parking_lot::Mutex<Option<Verdict>>>);

/// One remembered verdict: which authenticator reached it, when, and the outcome.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    /// The authenticator's identity (verdicts of another CA do not count).
    pub(crate) authenticator: u64,
    /// When the chain was verified (verdicts expire).
    pub(crate) at: std::time::Instant,
    /// The user, or why the chain was refused.
    pub(crate) outcome: Result<crate::server::auth::UserInfo, String>,
}

impl ConnectionVerdict {
    /// The verdict of `authenticator` if it is younger than `ttl`.
    pub(crate) fn get(
        &self,
        authenticator: u64,
        ttl: std::time::Duration,
    ) -> Option<Result<crate::server::auth::UserInfo, String>> {
        let slot = self.0.lock();
        slot.as_ref()
            .filter(|v| v.authenticator == authenticator && v.at.elapsed() < ttl)
            .map(|v| v.outcome.clone())
    }

    /// Remembers a verdict for the rest of the connection.
    pub(crate) fn set(&self, verdict: Verdict) {
        *self.0.lock() = Some(verdict);
    }
}

/// The crypto provider every Capstan TLS configuration uses (ring), with AES-128-GCM
/// preferred over AES-256-GCM, as Go's TLS stack (and so kube-apiserver and kubectl)
/// prefers it on machines with AES instructions: each small record costs less.
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    use rustls::crypto::ring::cipher_suite as suite;
    let mut provider = rustls::crypto::ring::default_provider();
    let rank = |s: &rustls::SupportedCipherSuite| {
        let preferred =
            [suite::TLS13_AES_128_GCM_SHA256.suite(), suite::TLS13_AES_256_GCM_SHA384.suite()];
        preferred.iter().position(|p| *p == s.suite()).unwrap_or(preferred.len())
    };
    // Stable: the other suites keep ring's order after the two named ones.
    provider.cipher_suites.sort_by_key(rank);
    Arc::new(provider)
}

/// A root store holding the certificates of a PEM bundle.
pub fn root_store(ca_pem: &str) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    let certs = pem_certificates(ca_pem);
    if certs.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    for der in certs {
        roots.add(CertificateDer::from(der)).map_err(TlsError::Rustls)?;
    }
    Ok(roots)
}

/// A verifier of client certificate chains against a CA bundle (what the x509
/// authenticator checks a chain with).
pub fn client_chain_verifier(ca_pem: &str) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    let roots = Arc::new(root_store(ca_pem)?);
    Ok(WebPkiClientVerifier::builder_with_provider(roots, crypto_provider())
        .allow_unauthenticated()
        .build()?)
}

/// Requests a client certificate, accepts any chain (checked later by authentication)
/// but still checks the handshake signature, so the client must hold the key.
#[derive(Debug)]
struct RequestClientCertificate {
    inner: Arc<dyn ClientCertVerifier>,
}

impl ClientCertVerifier for RequestClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hints: clients send the certificate they are configured with, whoever signed it.
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The private key of a PEM (PKCS#8).
pub fn private_key(key_pem: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    let der = pem_blocks(key_pem, "PRIVATE KEY").into_iter().next().ok_or(TlsError::NoKey)?;
    Ok(PrivateKeyDer::Pkcs8(der.into()))
}

/// The server configuration of the API server: the serving chain and key, client
/// certificates requested (verified against `client_ca_pem` later, by authentication),
/// ALPN `h2` and `http/1.1`.
pub fn server_config(
    cert_pem: &str,
    key_pem: &str,
    client_ca_pem: &str,
) -> Result<Arc<ServerConfig>, TlsError> {
    let chain: Vec<CertificateDer<'static>> =
        pem_certificates(cert_pem).into_iter().map(CertificateDer::from).collect();
    if chain.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    let verifier =
        Arc::new(RequestClientCertificate { inner: client_chain_verifier(client_ca_pem)? });
    let mut config = ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, private_key(key_pem)?)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// How long a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The HTTPS [`Acceptor`]: a TLS handshake on each connection; the client's
/// certificates, if any, become a [`ClientCertificates`] extension (with the
/// connection's [`ConnectionVerdict`] slot).
#[derive(Clone)]
pub struct TlsAcceptor {
    acceptor: tokio_rustls::TlsAcceptor,
}

impl std::fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsAcceptor").finish_non_exhaustive()
    }
}

impl TlsAcceptor {
    /// An acceptor over a server configuration (see [`server_config`]).
    pub fn new(config: Arc<ServerConfig>) -> Self {
        TlsAcceptor { acceptor: tokio_rustls::TlsAcceptor::from(config) }
    }
}

impl Acceptor for TlsAcceptor {
    type Stream = TlsStream<TcpStream>;
    type Connection = ClientCertificates;

    async fn accept(&self, stream: TcpStream) -> io::Result<Self::Stream> {
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor.accept(stream)).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out")),
        }
    }

    fn connection(&self, stream: &Self::Stream) -> Option<ClientCertificates> {
        let certs = stream.get_ref().1.peer_certificates().filter(|c| !c.is_empty())?;
        Some(ClientCertificates::new(certs.iter().map(|c| c.clone().into_owned()).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_128_gcm_is_preferred_and_no_suite_is_lost() {
        let ours = crypto_provider();
        let ring = rustls::crypto::ring::default_provider();
        assert_eq!(ours.cipher_suites[0].suite(), rustls::CipherSuite::TLS13_AES_128_GCM_SHA256);
        assert_eq!(ours.cipher_suites[1].suite(), rustls::CipherSuite::TLS13_AES_256_GCM_SHA384);
        let names = |suites: &[rustls::SupportedCipherSuite]| {
            let mut v: Vec<_> = suites.iter().map(|s| format!("{:?}", s.suite())).collect();
            v.sort();
            v
        };
        assert_eq!(names(&ours.cipher_suites), names(&ring.cipher_suites));
    }
}
