//! The root-CA publisher: every active namespace has a ConfigMap `kube-root-ca.crt` whose
//! `ca.crt` is the cluster's CA bundle, so pods can verify the API server; it is created
//! when missing and put back when someone changes or deletes it.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::PostParams;

use crate::controller::{Controller, ControllerError};
use crate::informer::Store;
use crate::manager::Manager;
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/root-ca-cert-publisher` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "root-ca-cert-publisher";

/// The ConfigMap every namespace gets.
pub const ROOT_CA_CONFIG_MAP: &str = "kube-root-ca.crt";

/// The key of the bundle in the ConfigMap.
pub const CA_KEY: &str = "ca.crt";

/// The description Kubernetes puts on the ConfigMap.
pub const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

/// Publishes the CA bundle into each active namespace.
pub struct RootCaReconciler {
    client: kube::Client,
    bundle: Arc<str>,
    namespaces: Store<Namespace>,
    config_maps: Store<ConfigMap>,
}

impl std::fmt::Debug for RootCaReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootCaReconciler").finish_non_exhaustive()
    }
}

/// The root-CA publisher on `manager`'s shared informers, publishing `bundle` (PEM):
/// namespaces enqueue themselves, events of a `kube-root-ca.crt` enqueue its namespace.
/// It is not part of [`super::add_all`]: a controller manager adds it when the cluster
/// has a CA.
pub fn controller(
    manager: &Manager,
    bundle: impl Into<Arc<str>>,
) -> Result<Controller<RootCaReconciler>, ControllerError> {
    let reconciler = RootCaReconciler {
        client: manager.client_for(CREDENTIALS),
        bundle: bundle.into(),
        namespaces: manager.factory().informer::<Namespace>().store(),
        config_maps: manager.factory().informer::<ConfigMap>().store(),
    };
    manager
        .controller("root-ca-cert-publisher")
        .for_kind::<Namespace>()
        .watches::<ConfigMap>(|cm: &ConfigMap| {
            match (cm.metadata.name.as_deref(), cm.metadata.namespace.as_deref()) {
                (Some(ROOT_CA_CONFIG_MAP), Some(ns)) => vec![Request::cluster(ns)],
                _ => vec![],
            }
        })
        .build(reconciler)
}

impl RootCaReconciler {
    /// The ConfigMap as it must be (without server-set metadata).
    fn desired(&self) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(ROOT_CA_CONFIG_MAP.into()),
                annotations: Some(BTreeMap::from([(
                    "kubernetes.io/description".to_string(),
                    DESCRIPTION.to_string(),
                )])),
                ..Default::default()
            },
            data: Some(BTreeMap::from([(CA_KEY.to_string(), self.bundle.to_string())])),
            ..Default::default()
        }
    }
}

#[async_trait]
impl Reconciler for RootCaReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let Some(ns) = self.namespaces.get_named(None, &request.name) else {
            return Ok(Action::Done);
        };
        if ns.metadata.deletion_timestamp.is_some() {
            return Ok(Action::Done);
        }
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), &request.name);
        let desired = self.desired();
        let result = match self.config_maps.get_named(Some(&request.name), ROOT_CA_CONFIG_MAP) {
            None => api.create(&PostParams::default(), &desired).await.map(|_| ()),
            Some(current) => {
                if current.data == desired.data && current.binary_data.is_none() {
                    return Ok(Action::Done);
                }
                // Put the bundle back, keeping whatever else the object carries.
                let mut fixed = (*current).clone();
                fixed.data = desired.data;
                fixed.binary_data = None;
                let annotations = fixed.metadata.annotations.get_or_insert_with(BTreeMap::new);
                annotations
                    .entry("kubernetes.io/description".to_string())
                    .or_insert_with(|| DESCRIPTION.to_string());
                api.replace(ROOT_CA_CONFIG_MAP, &PostParams::default(), &fixed).await.map(|_| ())
            }
        };
        match result {
            Ok(()) => Ok(Action::Done),
            // Someone else wrote it first (or the cache was stale): look again.
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(Action::Requeue),
            // The namespace is going away.
            Err(kube::Error::Api(s)) if s.code == 403 || s.code == 404 => Ok(Action::Done),
            Err(e) => Err(e.into()),
        }
    }
}
