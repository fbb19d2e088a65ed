//! Cluster credentials on disk: the cluster CA, the serving certificate, the admin client certificate and the ServiceAccount signing key — created once, reused afterwards.
//!
//! [`ClusterCredentials::load_or_create`] keeps everything in one directory, with the
//! names kubeadm uses:
//!
//! | file | what |
//! |---|---|
//! | `ca.crt`, `ca.key` | the cluster CA (`CN=kubernetes-ca`), 10 years |
//! | `apiserver.crt`, `apiserver.key` | the serving certificate (SANs: the given hosts, `localhost`, `127.0.0.1`, the `kubernetes.default.svc` names), 1 year; `apiserver.sans` records the SANs it was made for |
//! | `admin.crt`, `admin.key` | the admin client certificate (`CN=kubernetes-admin`, `O=system:masters`), 1 year |
//! | `sa.key` | the ServiceAccount token signing key (ECDSA P-256, PKCS#8) |
//!
//! Files already present are reused; a missing one is created (signed by the existing CA).
//! The serving certificate is re-issued when the requested hosts change. Keys are ECDSA
//! P-256; private key files are written with mode `0600`.

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

/// Why credentials could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Generating, parsing or signing a key or certificate failed.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// A PEM file holds no certificate.
    #[error("{0}: no PEM certificate found")]
    NoCertificate(PathBuf),
}

/// The CA's subject common name: certificates are signed by an issuer rebuilt with this
/// name and the stored key, so an existing CA signs new certificates without parsing it.
const CA_COMMON_NAME: &str = "kubernetes-ca";

/// A certificate and its private key, PEM-encoded.
#[derive(Clone, PartialEq, Eq)]
pub struct CertifiedKeyPem {
    /// The certificate (PEM).
    pub cert_pem: String,
    /// The private key (PKCS#8 PEM).
    pub key_pem: String,
}

impl std::fmt::Debug for CertifiedKeyPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertifiedKeyPem").field("cert_pem", &self.cert_pem).finish_non_exhaustive()
    }
}

/// A certificate authority: a self-signed CA certificate and its key.
pub struct CertificateAuthority {
    cert: CertifiedKeyPem,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority").field("cert", &self.cert).finish()
    }
}

/// The validity window of a new certificate: from a day ago (clock skew) for `days`.
fn validity(params: &mut CertificateParams, days: i64) {
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let ymd = |d: jiff::civil::Date| {
        rcgen::date_time_ymd(d.year().into(), d.month() as u8, d.day() as u8)
    };
    let before = now.checked_sub(jiff::Span::new().days(1)).unwrap_or(now);
    let after = now.checked_add(jiff::Span::new().days(days)).unwrap_or(now);
    params.not_before = ymd(before);
    params.not_after = ymd(after);
}

fn ca_params(common_name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

impl CertificateAuthority {
    /// A new CA named `common_name` (valid 10 years).
    pub fn generate(common_name: &str) -> Result<Self, PkiError> {
        let key = KeyPair::generate()?;
        let mut params = ca_params(common_name);
        validity(&mut params, 3650);
        let cert = params.self_signed(&key)?;
        let pem = CertifiedKeyPem { cert_pem: cert.pem(), key_pem: key.serialize_pem() };
        Ok(CertificateAuthority { cert: pem, issuer: Issuer::new(ca_params(common_name), key) })
    }

    /// An existing CA from its PEM certificate and key, created with `common_name`.
    pub fn from_pem(common_name: &str, cert_pem: &str, key_pem: &str) -> Result<Self, PkiError> {
        let key = KeyPair::from_pem(key_pem)?;
        Ok(CertificateAuthority {
            cert: CertifiedKeyPem { cert_pem: cert_pem.to_string(), key_pem: key_pem.to_string() },
            issuer: Issuer::new(ca_params(common_name), key),
        })
    }

    /// The CA certificate and key.
    pub fn certified(&self) -> &CertifiedKeyPem {
        &self.cert
    }

    /// The CA certificate (PEM).
    pub fn cert_pem(&self) -> &str {
        &self.cert.cert_pem
    }

    /// A client certificate for `user` in `organization` (`O=`, the user's group; `None`
    /// for none), valid `days` days: what the x509 authenticator reads as user and groups.
    pub fn issue_client(
        &self,
        user: &str,
        organization: Option<&str>,
        days: i64,
    ) -> Result<CertifiedKeyPem, PkiError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        if let Some(org) = organization {
            dn.push(DnType::OrganizationName, org);
        }
        dn.push(DnType::CommonName, user);
        params.distinguished_name = dn;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages =
            vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params, days);
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(CertifiedKeyPem { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
    }

    /// A serving certificate for `hosts` (DNS names or IP addresses), valid `days` days.
    pub fn issue_serving(&self, hosts: &[String], days: i64) -> Result<CertifiedKeyPem, PkiError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(hosts.to_vec())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "kube-apiserver");
        params.distinguished_name = dn;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages =
            vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params, days);
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(CertifiedKeyPem { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
    }
}

/// What [`ClusterCredentials::load_or_create`] makes.
#[derive(Debug, Clone)]
pub struct CredentialOptions {
    /// Extra serving-certificate names: the listen address, host names (`localhost`,
    /// `127.0.0.1` and the in-cluster service names are always included).
    pub hosts: Vec<String>,
    /// The admin certificate's user (default `kubernetes-admin`).
    pub admin_user: String,
}

impl Default for CredentialOptions {
    fn default() -> Self {
        CredentialOptions { hosts: Vec::new(), admin_user: "kubernetes-admin".to_string() }
    }
}

/// The credentials of a cluster, loaded from (or created in) a directory.
#[derive(Debug)]
pub struct ClusterCredentials {
    dir: PathBuf,
    ca: CertificateAuthority,
    /// The serving certificate and key.
    pub serving: CertifiedKeyPem,
    /// The admin client certificate and key (`O=system:masters`).
    pub admin: CertifiedKeyPem,
    /// The ServiceAccount token signing key (PKCS#8 PEM, ECDSA P-256).
    pub service_account_key_pem: String,
}

fn read(path: &Path) -> Result<Option<String>, PkiError> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PkiError::Io { path: path.to_path_buf(), source }),
    }
}

fn write(path: &Path, contents: &str, private: bool) -> Result<(), PkiError> {
    let io = |source| PkiError::Io { path: path.to_path_buf(), source };
    fs::write(path, contents).map_err(io)?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    #[cfg(not(unix))]
    let _ = private;
    Ok(())
}

/// Reads a certificate/key pair, `None` when either file is missing.
fn read_pair(dir: &Path, base: &str) -> Result<Option<CertifiedKeyPem>, PkiError> {
    let cert = read(&dir.join(format!("{base}.crt")))?;
    let key = read(&dir.join(format!("{base}.key")))?;
    Ok(match (cert, key) {
        (Some(cert_pem), Some(key_pem)) => Some(CertifiedKeyPem { cert_pem, key_pem }),
        _ => None,
    })
}

fn write_pair(dir: &Path, base: &str, pair: &CertifiedKeyPem) -> Result<(), PkiError> {
    write(&dir.join(format!("{base}.crt")), &pair.cert_pem, false)?;
    write(&dir.join(format!("{base}.key")), &pair.key_pem, true)
}

impl ClusterCredentials {
    /// Loads the credentials in `dir`, creating the directory and whatever is missing.
    pub fn load_or_create(
        dir: impl AsRef<Path>,
        options: &CredentialOptions,
    ) -> Result<Self, PkiError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|source| PkiError::Io { path: dir.clone(), source })?;
        // A new CA invalidates everything it did not sign.
        let (ca, new_ca) = match read_pair(&dir, "ca")? {
            Some(pair) => (
                CertificateAuthority::from_pem(CA_COMMON_NAME, &pair.cert_pem, &pair.key_pem)?,
                false,
            ),
            None => {
                let ca = CertificateAuthority::generate(CA_COMMON_NAME)?;
                write_pair(&dir, "ca", ca.certified())?;
                (ca, true)
            }
        };
        let hosts = serving_hosts(&options.hosts);
        let sans_path = dir.join("apiserver.sans");
        let recorded = read(&sans_path)?.unwrap_or_default();
        let serving = match read_pair(&dir, "apiserver")? {
            Some(pair) if !new_ca && recorded.trim() == hosts.join(",") => pair,
            _ => {
                let pair = ca.issue_serving(&hosts, 365)?;
                write_pair(&dir, "apiserver", &pair)?;
                write(&sans_path, &hosts.join(","), false)?;
                pair
            }
        };
        let admin = match read_pair(&dir, "admin")? {
            Some(pair) if !new_ca => pair,
            _ => {
                let pair = ca.issue_client(&options.admin_user, Some("system:masters"), 365)?;
                write_pair(&dir, "admin", &pair)?;
                pair
            }
        };
        let sa_path = dir.join("sa.key");
        let service_account_key_pem = match read(&sa_path)? {
            Some(pem) => pem,
            None => {
                let pem = KeyPair::generate()?.serialize_pem();
                write(&sa_path, &pem, true)?;
                pem
            }
        };
        Ok(ClusterCredentials { dir, ca, serving, admin, service_account_key_pem })
    }

    /// The directory the credentials live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cluster CA.
    pub fn ca(&self) -> &CertificateAuthority {
        &self.ca
    }

    /// The CA certificate (PEM): what clients trust, and the `kube-root-ca.crt` bundle.
    pub fn ca_cert_pem(&self) -> &str {
        self.ca.cert_pem()
    }

    /// A new client certificate signed by the cluster CA (for kubelets, controllers, tests).
    pub fn issue_client(
        &self,
        user: &str,
        group: Option<&str>,
    ) -> Result<CertifiedKeyPem, PkiError> {
        self.ca.issue_client(user, group, 365)
    }
}

/// The serving certificate's names: the requested hosts, then the always-present ones.
fn serving_hosts(extra: &[String]) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    let always = [
        "localhost",
        "127.0.0.1",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    ];
    for h in extra.iter().map(String::as_str).chain(always) {
        let h = h.trim().trim_start_matches('[').trim_end_matches(']');
        if !h.is_empty() && !hosts.iter().any(|x| x == h) {
            hosts.push(h.to_string());
        }
    }
    hosts
}

/// The DER bytes of every certificate in a PEM string.
pub fn pem_certificates(pem: &str) -> Vec<Vec<u8>> {
    pem_blocks(pem, "CERTIFICATE")
}

/// The DER bytes of every PEM block labelled `label`.
pub fn pem_blocks(pem: &str, label: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(&begin) {
        let body_start = start + begin.len();
        let Some(stop) = rest[body_start..].find(&end) else { break };
        let body: String =
            rest[body_start..body_start + stop].chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body) {
            out.push(der);
        }
        rest = &rest[body_start + stop + end.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_then_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let options = CredentialOptions { hosts: vec!["10.0.0.1".into()], ..Default::default() };
        let first = ClusterCredentials::load_or_create(dir.path(), &options).unwrap();
        let second = ClusterCredentials::load_or_create(dir.path(), &options).unwrap();
        assert_eq!(first.ca_cert_pem(), second.ca_cert_pem());
        assert_eq!(first.serving, second.serving);
        assert_eq!(first.admin, second.admin);
        assert_eq!(first.service_account_key_pem, second.service_account_key_pem);
        // Other hosts: a new serving certificate from the same CA.
        let moved = CredentialOptions { hosts: vec!["10.0.0.2".into()], ..Default::default() };
        let third = ClusterCredentials::load_or_create(dir.path(), &moved).unwrap();
        assert_eq!(third.ca_cert_pem(), first.ca_cert_pem());
        assert_ne!(third.serving, first.serving);
        assert_eq!(pem_certificates(&third.serving.cert_pem).len(), 1);
    }

    #[test]
    fn hosts_are_deduplicated() {
        let hosts = serving_hosts(&["127.0.0.1".into(), "[::1]".into(), "example".into()]);
        assert_eq!(hosts[0], "127.0.0.1");
        assert_eq!(hosts[1], "::1");
        assert_eq!(hosts.iter().filter(|h| *h == "127.0.0.1").count(), 1);
        assert!(hosts.contains(&"localhost".to_string()));
    }
}
