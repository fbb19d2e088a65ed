//! The ServiceAccount controller: every active namespace has a `default` ServiceAccount;
//! it is created when missing (also after someone deletes it).

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::PostParams;

use crate::controller::{Controller, ControllerError};
use crate::informer::Store;
use crate::manager::Manager;
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/service-account-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "service-account-controller";

/// The ServiceAccount every namespace gets.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";

/// Ensures the `default` ServiceAccount of each active namespace.
pub struct ServiceAccountReconciler {
    client: kube::Client,
    namespaces: Store<Namespace>,
    accounts: Store<ServiceAccount>,
}

impl std::fmt::Debug for ServiceAccountReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountReconciler").finish()
    }
}

/// The ServiceAccount controller on `manager`'s shared informers: namespaces enqueue
/// themselves, a `default` ServiceAccount's events enqueue its namespace.
pub fn controller(
    manager: &Manager,
) -> Result<Controller<ServiceAccountReconciler>, ControllerError> {
    let reconciler = ServiceAccountReconciler {
        client: manager.client_for(CREDENTIALS),
        namespaces: manager.factory().informer::<Namespace>().store(),
        accounts: manager.factory().informer::<ServiceAccount>().store(),
    };
    manager
        .controller("serviceaccount")
        .for_kind::<Namespace>()
        .watches::<ServiceAccount>(|sa: &ServiceAccount| {
            match (sa.metadata.name.as_deref(), sa.metadata.namespace.as_deref()) {
                (Some(DEFAULT_SERVICE_ACCOUNT), Some(ns)) => vec![Request::cluster(ns)],
                _ => vec![],
            }
        })
        .build(reconciler)
}

#[async_trait]
impl Reconciler for ServiceAccountReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let Some(ns) = self.namespaces.get_named(None, &request.name) else {
            return Ok(Action::Done);
        };
        if ns.metadata.deletion_timestamp.is_some() {
            return Ok(Action::Done);
        }
        if self.accounts.get_named(Some(&request.name), DEFAULT_SERVICE_ACCOUNT).is_some() {
            return Ok(Action::Done);
        }
        let sa = ServiceAccount {
            metadata: ObjectMeta {
                name: Some(DEFAULT_SERVICE_ACCOUNT.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let api: Api<ServiceAccount> = Api::namespaced(self.client.clone(), &request.name);
        match api.create(&PostParams::default(), &sa).await {
            Ok(_) => Ok(Action::Done),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(Action::Done),
            // Namespace is terminating: nothing to do.
            Err(kube::Error::Api(s)) if s.code == 403 || s.code == 404 => Ok(Action::Done),
            Err(e) => Err(e.into()),
        }
    }
}
