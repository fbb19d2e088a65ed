//! Admission plugins on the pipeline's [`MutatingAdmission`] and [`ValidatingAdmission`] traits, and [`Admission`], which composes them in Kubernetes' default order.
//!
//! Where to start: [`Admission`] (enable it on a builder, then start it on the built
//! server so the plugins read the watch caches):
//!
//! ```text
//! let admission = Admission::new(AdmissionConfig::default());
//! let api = admission.configure(ApiServer::builder().store(store)).build().await?;
//! admission.start(&api);
//! ```
//!
//! One plugin per module: [`namespace_lifecycle`], [`limit_ranger`], [`service_account`],
//! [`node_restriction`], [`pod_security`], [`default_storage_class`], [`resource_quota`],
//! [`policy`] (ValidatingAdmissionPolicy with CEL) and [`webhook`] (mutating and
//! validating admission webhooks). [`lookup`] holds the watch caches
//! they read; [`matching`] the rules and selectors policies share.

pub mod default_storage_class;
pub mod limit_ranger;
pub mod lookup;
pub mod matching;
pub mod namespace_lifecycle;
pub mod node_restriction;
pub mod pod_security;
pub mod policy;
pub mod resource_quota;
pub mod service_account;
pub(crate) mod util;
pub mod webhook;

use std::sync::Arc;

use crate::server::admission::{AdmissionChain, MutatingAdmission, ValidatingAdmission};
use crate::server::{ApiServer, ApiServerBuilder};
pub use lookup::Caches;

/// The admission plugins Capstan has, by Kubernetes' names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plugin {
    /// Refuses deleting `default`, `kube-system` and `kube-public`.
    NamespaceLifecycle,
    /// LimitRange defaults and bounds for containers.
    LimitRanger,
    /// The default ServiceAccount and its token volume.
    ServiceAccount,
    /// Kubelets change only their own Node and pods.
    NodeRestriction,
    /// Pod Security Standards from namespace labels.
    PodSecurity,
    /// The default StorageClass for claims naming none.
    DefaultStorageClass,
    /// Mutating admission webhooks.
    MutatingAdmissionWebhook,
    /// ValidatingAdmissionPolicy (CEL).
    ValidatingAdmissionPolicy,
    /// Validating admission webhooks.
    ValidatingAdmissionWebhook,
    /// ResourceQuota charging.
    ResourceQuota,
}

impl Plugin {
    /// Kubernetes' default order of the plugins Capstan has.
    pub const DEFAULT_ORDER: [Plugin; 10] = [
        Plugin::NamespaceLifecycle,
        Plugin::LimitRanger,
        Plugin::ServiceAccount,
        Plugin::NodeRestriction,
        Plugin::PodSecurity,
        Plugin::DefaultStorageClass,
        Plugin::MutatingAdmissionWebhook,
        Plugin::ValidatingAdmissionPolicy,
        Plugin::ValidatingAdmissionWebhook,
        Plugin::ResourceQuota,
    ];

    /// The plugin's Kubernetes name.
    pub fn name(self) -> &'static str {
        match self {
            Plugin::NamespaceLifecycle => "NamespaceLifecycle",
            Plugin::LimitRanger => "LimitRanger",
            Plugin::ServiceAccount => "ServiceAccount",
            Plugin::NodeRestriction => "NodeRestriction",
            Plugin::PodSecurity => "PodSecurity",
            Plugin::DefaultStorageClass => "DefaultStorageClass",
            Plugin::ValidatingAdmissionPolicy => "ValidatingAdmissionPolicy",
            Plugin::MutatingAdmissionWebhook => "MutatingAdmissionWebhook",
            Plugin::ValidatingAdmissionWebhook => "ValidatingAdmissionWebhook",
            Plugin::ResourceQuota => "ResourceQuota",
        }
    }
}

/// What [`Admission::new`] enables.
#[derive(Clone)]
pub struct AdmissionConfig {
    /// The plugins, in order (default: [`Plugin::DEFAULT_ORDER`]).
    pub plugins: Vec<Plugin>,
    /// Namespaces PodSecurity never checks.
    pub pod_security_exempt_namespaces: Vec<String>,
    /// Where webhooks given by `service` are reached (default
    /// [`webhook::client::LoopbackServices`]: `127.0.0.1` on the service's port).
    pub service_resolver: Arc<dyn webhook::client::ServiceResolver>,
}

impl std::fmt::Debug for AdmissionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdmissionConfig")
            .field("plugins", &self.plugins)
            .field("pod_security_exempt_namespaces", &self.pod_security_exempt_namespaces)
            .finish_non_exhaustive()
    }
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        AdmissionConfig {
            plugins: Plugin::DEFAULT_ORDER.to_vec(),
            pod_security_exempt_namespaces: Vec::new(),
            service_resolver: Arc::new(webhook::client::LoopbackServices),
        }
    }
}

/// A plugin's mutating and validating halves.
type Halves = (Option<Arc<dyn MutatingAdmission>>, Option<Arc<dyn ValidatingAdmission>>);

/// The admission plugins of one API server (see the [module documentation](self)).
#[derive(Clone)]
pub struct Admission {
    caches: Caches,
    chain: AdmissionChain,
    policies: Option<policy::PolicyAdmission>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission").field("chain", &self.chain).finish_non_exhaustive()
    }
}

impl Admission {
    /// The plugins of `config`, in its order: each plugin's mutating half runs in the
    /// mutating phase, its validating half in the validating phase.
    pub fn new(config: AdmissionConfig) -> Self {
        let caches = Caches::new();
        let mut chain = AdmissionChain::new();
        let mut policies = None;
        for plugin in &config.plugins {
            let (m, v): Halves = match plugin {
                Plugin::NamespaceLifecycle => {
                    (None, Some(Arc::new(namespace_lifecycle::NamespaceLifecycle)))
                }
                Plugin::LimitRanger => {
                    let p = Arc::new(limit_ranger::LimitRanger::new(caches.clone()));
                    (Some(p.clone()), Some(p))
                }
                Plugin::ServiceAccount => (
                    Some(Arc::new(service_account::ServiceAccountAdmission::new(caches.clone()))),
                    None,
                ),
                Plugin::NodeRestriction => {
                    (None, Some(Arc::new(node_restriction::NodeRestriction)))
                }
                Plugin::PodSecurity => (
                    None,
                    Some(Arc::new(
                        pod_security::PodSecurity::new(caches.clone())
                            .exempt_namespaces(config.pod_security_exempt_namespaces.clone()),
                    )),
                ),
                Plugin::DefaultStorageClass => (
                    Some(Arc::new(default_storage_class::DefaultStorageClass::new(caches.clone()))),
                    None,
                ),
                Plugin::ValidatingAdmissionPolicy => {
                    let p = policy::PolicyAdmission::new(caches.clone());
                    policies = Some(p.clone());
                    (None, Some(Arc::new(p)))
                }
                Plugin::MutatingAdmissionWebhook => (
                    Some(Arc::new(webhook::Webhooks::new(
                        webhook::WebhookKind::Mutating,
                        caches.clone(),
                        config.service_resolver.clone(),
                    ))),
                    None,
                ),
                Plugin::ValidatingAdmissionWebhook => (
                    None,
                    Some(Arc::new(webhook::Webhooks::new(
                        webhook::WebhookKind::Validating,
                        caches.clone(),
                        config.service_resolver.clone(),
                    ))),
                ),
                Plugin::ResourceQuota => (
                    None,
                    Some(Arc::new(resource_quota::ResourceQuotaAdmission::new(caches.clone()))),
                ),
            };
            if let Some(m) = m {
                chain = chain.with_mutating(m);
            }
            if let Some(v) = v {
                chain = chain.with_validating(v);
            }
        }
        Admission { caches, chain, policies }
    }

    /// The chain of the configured plugins.
    pub fn chain(&self) -> &AdmissionChain {
        &self.chain
    }

    /// Appends the plugins to `builder`'s admission chain (what the builder had, such as
    /// the RBAC escalation check, stays first).
    pub fn configure(&self, builder: ApiServerBuilder) -> ApiServerBuilder {
        let mut builder = builder;
        for m in self.chain.mutating() {
            builder = builder.mutating_admission(m.clone());
        }
        for v in self.chain.validating() {
            builder = builder.validating_admission(v.clone());
        }
        builder
    }

    /// Points the plugins at `server`'s watch caches (and store, for quota charging).
    /// Until then they see no objects.
    pub fn start(&self, server: &ApiServer) {
        self.caches.attach(server);
    }

    /// The caches the plugins read.
    pub fn caches(&self) -> &Caches {
        &self.caches
    }

    /// The ValidatingAdmissionPolicy plugin, when enabled.
    pub fn policies(&self) -> Option<&policy::PolicyAdmission> {
        self.policies.as_ref()
    }
}

/// [`Admission`] with Kubernetes' default plugins in their default order.
pub fn default_admission() -> Admission {
    Admission::new(AdmissionConfig::default())
}
