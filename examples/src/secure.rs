//! The secure side of `capstan up`: cluster credentials in the data directory, authentication, RBAC and the admission chain on the API server, the admin kubeconfig, and each in-process component's own identity.
//!
//! Every component of the cluster talks to the API server as its own user, so RBAC and
//! the Node authorizer apply to it like to any client: the controller manager as
//! `system:kube-controller-manager` (its shared informers and Lease) with each controller's
//! writes as the ServiceAccount `kube-system/<controller>`, the scheduler as
//! `system:kube-scheduler`, and node `N` as `system:node:N` in `system:nodes`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use capstan_apiserver_core::admission::{Admission, AdmissionConfig};
use capstan_apiserver_core::audit::{AuditLog, Policy};
use capstan_apiserver_core::security::authn::in_process::{
    AsUser, loopback_user, node_user, scheduler_user,
};
use capstan_apiserver_core::security::kubeconfig::write_admin_kubeconfig;
use capstan_apiserver_core::security::pki::{ClusterCredentials, CredentialOptions, PkiError};
use capstan_apiserver_core::security::tls::TlsAcceptor;
use capstan_apiserver_core::security::{Security, SecurityConfig, SecurityError};
use capstan_apiserver_core::server::auth::UserInfo;
use capstan_apiserver_core::server::{ApiServer, ApiServerBuilder};
use capstan_store::Storage;

/// Why the cluster's security could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SecureError {
    /// The credentials in the data directory cannot be read or created.
    #[error("cluster credentials in {dir}: {source}")]
    Credentials {
        /// The credentials directory.
        dir: PathBuf,
        /// Why.
        source: PkiError,
    },
    /// Authentication or authorization could not be set up or started.
    #[error("API server security: {0}")]
    Security(#[from] SecurityError),
    /// The audit policy file cannot be read or parsed, or the log cannot be opened.
    #[error("audit: {path}: {reason}")]
    Audit {
        /// The policy file or the log file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The audit log `capstan up` writes in its data directory when given a policy.
pub const AUDIT_LOG: &str = "audit.log";

/// What makes `capstan up` secure: the credentials (`DATA_DIR/pki`), the authenticator
/// chain and authorizers ([`Security`]) and the admission plugins in Kubernetes' default
/// order ([`Admission`]).
pub(crate) struct ClusterSecurity {
    credentials: ClusterCredentials,
    security: Security,
    admission: Admission,
    audit: Option<AuditLog>,
}

impl ClusterSecurity {
    /// Loads the credentials in `data_dir/pki` (creating what is missing: the CA, a
    /// serving certificate for `hosts` and loopback, the admin certificate, the
    /// ServiceAccount key) and prepares authentication, authorization and admission; with
    /// an `audit_policy` file (kube-apiserver's `--audit-policy-file`), every request is
    /// audited to `data_dir/audit.log` at the level the policy gives.
    pub(crate) fn open(
        data_dir: &Path,
        hosts: Vec<String>,
        store: Arc<dyn Storage>,
        audit_policy: Option<&Path>,
    ) -> Result<Self, SecureError> {
        let audit = match audit_policy {
            Some(path) => Some(open_audit(path, &data_dir.join(AUDIT_LOG))?),
            None => None,
        };
        let dir = data_dir.join("pki");
        let options = CredentialOptions { hosts, ..CredentialOptions::default() };
        let credentials = ClusterCredentials::load_or_create(&dir, &options)
            .map_err(|source| SecureError::Credentials { dir, source })?;
        let security = Security::new(&credentials, store, SecurityConfig::default())?;
        let admission = Admission::new(AdmissionConfig::default());
        Ok(ClusterSecurity { credentials, security, admission, audit })
    }

    /// Puts authentication, authorization and admission on the server's builder (the
    /// authenticator wrapped by the audit log, when there is one).
    pub(crate) fn configure(&self, builder: ApiServerBuilder) -> ApiServerBuilder {
        let builder = self.admission.configure(self.security.configure(builder));
        match &self.audit {
            Some(audit) => {
                builder.authenticator(audit.authenticator(self.security.authenticator()))
            }
            None => builder,
        }
    }

    /// The audit log, when a policy was given (wrap the served service with it).
    pub(crate) fn audit(&self) -> Option<&AuditLog> {
        self.audit.as_ref()
    }

    /// Starts following the server's caches (RBAC, node graph, admission lookups) and
    /// writes the bootstrap policy; requests after this see it.
    pub(crate) async fn start(&self, api: &ApiServer) -> Result<(), SecureError> {
        self.security.start(api).await?;
        self.admission.start(api);
        Ok(())
    }

    /// Writes the admin kubeconfig (the CA and the admin client certificate).
    pub(crate) fn write_kubeconfig(&self, path: &Path, server_url: &str) -> std::io::Result<()> {
        write_admin_kubeconfig(path, server_url, &self.credentials)
    }

    /// The HTTPS acceptor (client certificates requested, not required).
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        self.security.acceptor()
    }

    /// The cluster CA bundle (what `kube-root-ca.crt` publishes).
    pub(crate) fn ca_pem(&self) -> &str {
        self.credentials.ca_cert_pem()
    }

    /// Stops the RBAC index and node graph, waiting for a write in flight.
    pub(crate) async fn shutdown(&self) {
        self.security.shutdown().await;
    }
}

/// Reads the audit policy at `policy` and opens (appends to) the log at `log`.
fn open_audit(policy: &Path, log: &Path) -> Result<AuditLog, SecureError> {
    let failed = |path: &Path, reason: String| SecureError::Audit { path: path.into(), reason };
    let text = std::fs::read_to_string(policy).map_err(|e| failed(policy, e.to_string()))?;
    let policy_rules = Policy::from_yaml(&text).map_err(|e| failed(policy, e.to_string()))?;
    AuditLog::open(log, policy_rules).map_err(|e| failed(log, e.to_string()))
}

/// Who an in-process component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity<'a> {
    /// The cluster administrator (`system:masters`): what [`crate::Cluster::client`]
    /// gives, and the process hosting the simulated nodes when it checks their Lease
    /// namespace.
    Admin,
    /// The controller manager's own identity (shared informers, leader election).
    ControllerManager,
    /// One built-in controller, by its ServiceAccount name in `kube-system`.
    Controller(&'a str),
    /// The scheduler.
    Scheduler,
    /// The kubelet of one node.
    Node(&'a str),
}

impl Identity<'_> {
    /// The user this identity authenticates as.
    pub fn user(self) -> UserInfo {
        match self {
            Identity::Admin => loopback_user(),
            Identity::ControllerManager => {
                UserInfo::new("system:kube-controller-manager", ["system:authenticated"])
            }
            Identity::Controller(name) => UserInfo::new(
                format!("system:serviceaccount:kube-system:{name}"),
                ["system:serviceaccounts", "system:serviceaccounts:kube-system"],
            ),
            Identity::Scheduler => scheduler_user(),
            Identity::Node(name) => node_user(name),
        }
    }
}

/// Makes the in-process clients of the cluster's components: each acts as its
/// [`Identity`] on a secure cluster (through the audit log, when there is one, as every
/// request to kube-apiserver is audited); on a plain cluster every in-process request is
/// the built-in admin.
#[derive(Clone)]
pub(crate) struct Clients {
    api: ApiServer,
    secure: bool,
    audit: Option<AuditLog>,
}

impl Clients {
    /// Clients of `api`; `security` is the cluster's, if it is secure.
    pub(crate) fn new(api: &ApiServer, security: Option<&ClusterSecurity>) -> Self {
        Clients {
            api: api.clone(),
            secure: security.is_some(),
            audit: security.and_then(|s| s.audit().cloned()),
        }
    }

    /// Whether the clients carry identities.
    pub(crate) fn secure(&self) -> bool {
        self.secure
    }

    /// A client in `namespace` acting as `identity`.
    pub(crate) fn client(&self, identity: Identity<'_>, namespace: &str) -> kube::Client {
        if !self.secure {
            return kube::Client::new(self.api.clone(), namespace);
        }
        let user = identity.user();
        match &self.audit {
            Some(audit) => {
                kube::Client::new(AsUser::new(audit.service(self.api.clone()), user), namespace)
            }
            None => kube::Client::new(AsUser::new(self.api.clone(), user), namespace),
        }
    }
}
