//! The Deployment controller: one ReplicaSet per pod template (`<name>-<hash>`, the hash
//! also in the `pod-template-hash` label of its selector and template), revisions in
//! annotations, RollingUpdate (maxSurge/maxUnavailable) and Recreate rollouts, pause,
//! proportional scaling during a rollout, revision-history cleanup, and the
//! `Progressing`/`Available` conditions `kubectl rollout status` reads.
//!
//! `kubectl rollout undo` patches the template of an old ReplicaSet back into the
//! Deployment; that ReplicaSet is then found as the new one and takes the next revision.

mod rollout;
pub mod util;

use async_trait::async_trait;
use capstan_api_types::labels::Selector;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;

use crate::controller::{Controller, ControllerError};
use crate::controllers::replicaset::claim::{self, Claim};
use crate::informer::{NAMESPACE_INDEX, OWNER_UID_INDEX, Store, namespace_index, owner_uid_index};
use crate::manager::Manager;
use crate::object::ObjectKey;
use crate::owner::{controller_of, controller_reference};
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/deployment-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "deployment-controller";

/// Reconciles Deployments.
pub struct DeploymentReconciler {
    client: kube::Client,
    deployments: Store<Deployment>,
    replicasets: Store<ReplicaSet>,
    pods: Store<Pod>,
}

impl std::fmt::Debug for DeploymentReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeploymentReconciler").finish()
    }
}

fn selector_of(d: &Deployment) -> Selector {
    Selector::from_label_selector(d.spec.as_ref().map(|s| &s.selector))
        .unwrap_or_else(|_| Selector::nothing())
}

/// The Deployment controller on `manager`'s shared informers.
pub fn controller(manager: &Manager) -> Result<Controller<DeploymentReconciler>, ControllerError> {
    let d_informer = manager.factory().informer::<Deployment>();
    let rs_informer = manager.factory().informer::<ReplicaSet>();
    let pod_informer = manager.factory().informer::<Pod>();
    d_informer.add_indexer(NAMESPACE_INDEX, namespace_index());
    rs_informer.add_indexer(NAMESPACE_INDEX, namespace_index());
    pod_informer.add_indexer(OWNER_UID_INDEX, owner_uid_index());
    let deployments = d_informer.store();
    let for_orphans = deployments.clone();
    let reconciler = DeploymentReconciler {
        client: manager.client_for(CREDENTIALS),
        deployments,
        replicasets: rs_informer.store(),
        pods: pod_informer.store(),
    };
    manager
        .controller("deployment")
        .for_kind::<Deployment>()
        .watches::<ReplicaSet>(move |rs: &ReplicaSet| {
            let ns = rs.metadata.namespace.clone().unwrap_or_default();
            if let Some(r) = controller_of(rs) {
                if r.kind == "Deployment" && r.api_version.starts_with("apps/") {
                    return vec![Request::namespaced(&ns, &r.name)];
                }
                return vec![];
            }
            for_orphans
                .by_index(NAMESPACE_INDEX, &ns)
                .unwrap_or_default()
                .iter()
                .filter(|d| selector_of(d).matches(&rs.metadata.labels))
                .map(|d| Request::of(d.as_ref()))
                .collect()
        })
        .concurrency(2)
        .build(reconciler)
}

impl DeploymentReconciler {
    /// The ReplicaSets `d` controls after adopting matching orphans and releasing the
    /// ones that stopped matching.
    async fn claim(&self, d: &Deployment, ns: &str) -> Result<Vec<ReplicaSet>, ReconcileError> {
        let uid = d.metadata.uid.clone().unwrap_or_default();
        let deleting = d.metadata.deletion_timestamp.is_some();
        let selector = selector_of(d);
        let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), ns);
        let mut owned = Vec::new();
        for rs in self.replicasets.by_index(NAMESPACE_INDEX, ns).unwrap_or_default() {
            match claim::decide(rs.as_ref(), &uid, &selector, deleting) {
                Claim::Owned => owned.push(rs.as_ref().clone()),
                Claim::Adopt => {
                    let reference = controller_reference(d)
                        .map_err(|e| ReconcileError::terminal(e.to_string()))?;
                    match claim::adopt(&api, rs.as_ref(), reference).await {
                        Ok(adopted) => owned.push(adopted),
                        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 422 => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Claim::Release => claim::release(&api, rs.as_ref(), &uid).await?,
                Claim::Ignore => {}
            }
        }
        Ok(owned)
    }
}

#[async_trait]
impl Reconciler for DeploymentReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let key = ObjectKey::from(&request);
        let Some(d) = self.deployments.get(&key) else { return Ok(Action::Done) };
        let ns = key.namespace.clone().unwrap_or_default();
        let d = d.as_ref().clone();
        let everything = d.spec.as_ref().is_some_and(|s| {
            s.selector.match_labels.as_ref().is_none_or(|m| m.is_empty())
                && s.selector.match_expressions.as_ref().is_none_or(|m| m.is_empty())
        });
        if everything {
            // A selector selecting every pod is refused, as kube does.
            return Ok(Action::Done);
        }
        let rs_list = self.claim(&d, &ns).await?;
        let mut run =
            rollout::Rollout::new(self.client.clone(), &ns, d, rs_list, self.pods.clone());
        run.run().await
    }
}

#[cfg(test)]
mod tests {
    use super::util::*;

    #[test]
    fn revisions_parse_from_annotations() {
        let a = std::collections::BTreeMap::from([(REVISION.to_string(), "7".to_string())]);
        assert_eq!(revision_of(Some(&a)), 7);
        assert_eq!(revision_of(None), 0);
    }
}
