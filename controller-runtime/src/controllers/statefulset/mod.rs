//! The StatefulSet controller: pods with stable identities `<set>-<ordinal>` (hostname,
//! subdomain from `serviceName`, identity labels), each with its claims from
//! `volumeClaimTemplates` created before it. `OrderedReady` creates ordinals in order,
//! each once the previous one is Running and Ready, and removes the highest first, one
//! at a time; `Parallel` does both at once. Failed pods are deleted and recreated under
//! the same name. `RollingUpdate` replaces pods from the highest ordinal down to
//! `partition`, one healthy pod at a time; `OnDelete` waits for pods to be deleted.
//! Revisions are ControllerRevisions named `<set>-<template hash>` ([`revision`]).

pub mod identity;
pub mod revision;
pub mod status;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, PodTemplateSpec};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::controller::{Controller, ControllerError};
use crate::controllers::replicaset::claim;
use crate::informer::{NAMESPACE_INDEX, Store, namespace_index};
use crate::manager::Manager;
use crate::object::ObjectKey;
use crate::owner::{controller_of, controller_reference};
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};
use capstan_api_types::labels::Selector;

use identity::{ordinal_of, revision_of};
use status::is_healthy;

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/statefulset-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "statefulset-controller";

/// Reconciles StatefulSets.
pub struct StatefulSetReconciler {
    client: kube::Client,
    sets: Store<StatefulSet>,
    pods: Store<Pod>,
}

impl std::fmt::Debug for StatefulSetReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatefulSetReconciler").finish_non_exhaustive()
    }
}

/// The key of the StatefulSet controlling `pod`, if any.
fn owner_key(pod: &Pod) -> Option<ObjectKey> {
    controller_of(pod)
        .filter(|r| r.kind == "StatefulSet" && r.api_version.starts_with("apps/"))
        .map(|r| ObjectKey::new(pod.metadata.namespace.as_deref(), &r.name))
}

/// The selector of `set` (`nothing` when it is invalid).
pub fn selector_of(set: &StatefulSet) -> Selector {
    Selector::from_label_selector(set.spec.as_ref().map(|s| &s.selector))
        .unwrap_or_else(|_| Selector::nothing())
}

/// The StatefulSet controller on `manager`'s shared informers.
pub fn controller(manager: &Manager) -> Result<Controller<StatefulSetReconciler>, ControllerError> {
    let set_informer = manager.factory().informer::<StatefulSet>();
    let pod_informer = manager.factory().informer::<Pod>();
    set_informer.add_indexer(NAMESPACE_INDEX, namespace_index());
    pod_informer.add_indexer(NAMESPACE_INDEX, namespace_index());
    let sets = set_informer.store();
    let for_orphans = sets.clone();
    let reconciler = StatefulSetReconciler {
        client: manager.client_for(CREDENTIALS),
        sets,
        pods: pod_informer.store(),
    };
    manager
        .controller("statefulset")
        .for_kind::<StatefulSet>()
        .watches::<Pod>(move |pod: &Pod| {
            if let Some(key) = owner_key(pod) {
                return vec![Request::from(key)];
            }
            if controller_of(pod).is_some() {
                return vec![];
            }
            let ns = pod.metadata.namespace.clone().unwrap_or_default();
            for_orphans
                .by_index(NAMESPACE_INDEX, &ns)
                .unwrap_or_default()
                .iter()
                .filter(|s| selector_of(s).matches(&pod.metadata.labels))
                .map(|s| Request::of(s.as_ref()))
                .collect()
        })
        .concurrency(4)
        .build(reconciler)
}

/// Whether `e` says the object already exists.
fn exists(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}

/// Whether `e` says the object is gone.
fn gone(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// Whether `pod` finished (it is deleted and recreated).
fn is_failed(pod: &Pod) -> bool {
    matches!(pod.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Failed" | "Succeeded"))
}

/// The pieces of one sync that do not change while it runs.
struct Sync<'a> {
    set: &'a StatefulSet,
    pods: Api<Pod>,
    claims: Api<PersistentVolumeClaim>,
    revisions: Api<ControllerRevision>,
    current_revision: String,
    update_revision: String,
    monotonic: bool,
}

impl Sync<'_> {
    fn owner(
        &self,
    ) -> Result<k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference, ReconcileError>
    {
        controller_reference(self.set).map_err(|e| ReconcileError::terminal(e.to_string()))
    }

    fn partition(&self) -> Option<usize> {
        let strategy = self.set.spec.as_ref()?.update_strategy.as_ref();
        match strategy.and_then(|u| u.type_.as_deref()) {
            Some("OnDelete") => None,
            _ => Some(
                strategy
                    .and_then(|u| u.rolling_update.as_ref())
                    .and_then(|r| r.partition)
                    .unwrap_or(0)
                    .max(0) as usize,
            ),
        }
    }

    fn claim_policy(
        &self,
        which: fn(
            &k8s_openapi::api::apps::v1::StatefulSetPersistentVolumeClaimRetentionPolicy,
        ) -> Option<&String>,
    ) -> bool {
        self.set
            .spec
            .as_ref()
            .and_then(|s| s.persistent_volume_claim_retention_policy.as_ref())
            .and_then(which)
            .is_some_and(|p| p == "Delete")
    }

    /// Creates the pod at `ordinal` (and its missing claims). Returns whether it was
    /// created (`false` when it already existed).
    async fn create(&self, ordinal: usize) -> Result<bool, ReconcileError> {
        let owner = self.owner()?;
        let claim_owner = self.claim_policy(|p| p.when_deleted.as_ref()).then_some(&owner);
        for pvc in identity::claims_for(self.set, ordinal, claim_owner) {
            let name = pvc.metadata.name.clone().unwrap_or_default();
            match self.claims.get_opt(&name).await? {
                Some(_) => {}
                None => match self.claims.create(&PostParams::default(), &pvc).await {
                    Ok(_) => {}
                    Err(e) if exists(&e) => {}
                    Err(e) => return Err(e.into()),
                },
            }
        }
        let spec_template = self.set.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
        let below_partition = self.partition().is_some_and(|p| ordinal < p);
        let (template, revision): (PodTemplateSpec, &str) =
            if below_partition && self.current_revision != self.update_revision {
                match revision::template_of(&self.revisions, &self.current_revision).await? {
                    Some(t) => (t, &self.current_revision),
                    None => (spec_template, &self.update_revision),
                }
            } else {
                (spec_template, &self.update_revision)
            };
        let pod = identity::new_pod(self.set, &template, revision, ordinal, owner);
        match self.pods.create(&PostParams::default(), &pod).await {
            Ok(_) => Ok(true),
            Err(e) if exists(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, pod: &Pod) -> Result<(), ReconcileError> {
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let guarded = DeleteParams {
            preconditions: Some(kube::api::Preconditions {
                uid: pod.metadata.uid.clone(),
                resource_version: None,
            }),
            ..Default::default()
        };
        match self.pods.delete(name, &guarded).await {
            Ok(_) => Ok(()),
            Err(e) if gone(&e) || exists(&e) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete_claims(&self, ordinal: usize) -> Result<(), ReconcileError> {
        for pvc in identity::claims_for(self.set, ordinal, None) {
            let name = pvc.metadata.name.unwrap_or_default();
            match self.claims.delete(&name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(e) if gone(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Brings the pods to the spec: creates missing ordinals, replaces failed pods,
    /// removes condemned ordinals, then rolls pods to the update revision. Stops where
    /// `OrderedReady` must wait.
    async fn run(&self, pods: &[Arc<Pod>]) -> Result<(), ReconcileError> {
        let set_name = self.set.metadata.name.as_deref().unwrap_or_default();
        let want = self.set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1).max(0) as usize;
        let mut replicas: Vec<Option<Arc<Pod>>> = vec![None; want];
        let mut condemned: Vec<(usize, Arc<Pod>)> = Vec::new();
        for pod in pods {
            match ordinal_of(set_name, pod) {
                Some(o) if o < want => replicas[o] = Some(pod.clone()),
                Some(o) => condemned.push((o, pod.clone())),
                None => {}
            }
        }
        condemned.sort_by_key(|c| std::cmp::Reverse(c.0));
        // Create and replace, in ordinal order.
        for (ordinal, slot) in replicas.iter().enumerate() {
            match slot {
                None => {
                    self.create(ordinal).await?;
                    if self.monotonic {
                        return Ok(());
                    }
                }
                Some(pod) if is_failed(pod) => {
                    self.delete(pod).await?;
                    if self.monotonic {
                        return Ok(());
                    }
                }
                Some(pod) if self.monotonic && !is_healthy(pod) => return Ok(()),
                Some(_) => {}
            }
        }
        // Scale down, highest ordinal first.
        let delete_claims = self.claim_policy(|p| p.when_scaled.as_ref());
        for (ordinal, pod) in &condemned {
            if pod.metadata.deletion_timestamp.is_some() {
                if self.monotonic {
                    return Ok(());
                }
                continue;
            }
            self.delete(pod).await?;
            if delete_claims {
                self.delete_claims(*ordinal).await?;
            }
            if self.monotonic {
                return Ok(());
            }
        }
        if !condemned.is_empty() {
            return Ok(());
        }
        // Roll to the update revision, highest ordinal first, down to the partition.
        let Some(partition) = self.partition() else { return Ok(()) };
        for ordinal in (partition.min(want)..want).rev() {
            let Some(pod) = &replicas[ordinal] else { return Ok(()) };
            if revision_of(pod) != Some(self.update_revision.as_str())
                && pod.metadata.deletion_timestamp.is_none()
            {
                return self.delete(pod).await;
            }
            if !is_healthy(pod) {
                return Ok(());
            }
        }
        Ok(())
    }
}

impl StatefulSetReconciler {
    async fn write_status(
        &self,
        set: &StatefulSet,
        status: &StatefulSetStatus,
    ) -> Result<(), kube::Error> {
        if set.status.as_ref() == Some(status) {
            return Ok(());
        }
        let ns = set.metadata.namespace.clone().unwrap_or_default();
        let api: Api<StatefulSet> = Api::namespaced(self.client.clone(), &ns);
        let patch = json!({"status": {
            "replicas": status.replicas,
            "readyReplicas": status.ready_replicas,
            "availableReplicas": status.available_replicas,
            "currentReplicas": status.current_replicas,
            "updatedReplicas": status.updated_replicas,
            "currentRevision": status.current_revision,
            "updateRevision": status.update_revision,
            "observedGeneration": status.observed_generation,
            "collisionCount": status.collision_count,
        }});
        match api
            .patch_status(
                set.metadata.name.as_deref().unwrap_or_default(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if gone(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl Reconciler for StatefulSetReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let key = ObjectKey::from(&request);
        let Some(set) = self.sets.get(&key) else {
            return Ok(Action::Done);
        };
        let uid = set.metadata.uid.clone().unwrap_or_default();
        let deleting = set.metadata.deletion_timestamp.is_some();
        let selector = selector_of(&set);
        let set_name = set.metadata.name.clone().unwrap_or_default();
        let ns = key.namespace.clone().unwrap_or_default();
        let pod_api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
        let mut owned = Vec::new();
        for pod in self.pods.by_index(NAMESPACE_INDEX, &ns).unwrap_or_default() {
            // Only pods named for this set are its members.
            if ordinal_of(&set_name, &pod).is_none() {
                continue;
            }
            match claim::decide(pod.as_ref(), &uid, &selector, deleting) {
                claim::Claim::Owned => owned.push(pod),
                claim::Claim::Adopt => {
                    let reference = controller_reference(set.as_ref())
                        .map_err(|e| ReconcileError::terminal(e.to_string()))?;
                    match claim::adopt(&pod_api, pod.as_ref(), reference).await {
                        Ok(adopted) => owned.push(Arc::new(adopted)),
                        Err(e)
                            if gone(&e) || matches!(&e, kube::Error::Api(s) if s.code == 422) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                claim::Claim::Release => claim::release(&pod_api, pod.as_ref(), &uid).await?,
                claim::Claim::Ignore => {}
            }
        }
        let update_revision = revision::update_revision_name(&set);
        let current_revision = set
            .status
            .as_ref()
            .and_then(|s| s.current_revision.clone())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| update_revision.clone());
        let revisions: Api<ControllerRevision> = Api::namespaced(self.client.clone(), &ns);
        let monotonic =
            set.spec.as_ref().and_then(|s| s.pod_management_policy.as_deref()) != Some("Parallel");
        let sync = Sync {
            set: &set,
            pods: pod_api,
            claims: Api::namespaced(self.client.clone(), &ns),
            revisions,
            current_revision,
            update_revision,
            monotonic,
        };
        if !deleting {
            // A revision the status already names was stored by an earlier sync.
            let recorded = set.status.as_ref().and_then(|s| s.update_revision.as_deref());
            if recorded != Some(sync.update_revision.as_str()) {
                let owner = sync.owner()?;
                revision::ensure(&sync.revisions, &set, &sync.update_revision, owner).await?;
            }
            sync.run(&owned).await?;
        }
        let status = status::compute(
            &set,
            &owned,
            &sync.current_revision,
            &sync.update_revision,
            Timestamp::now(),
        );
        self.write_status(&set, &status).await?;
        let min_ready = set.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0);
        if min_ready > 0 && status.ready_replicas != status.available_replicas {
            return Ok(Action::RequeueAfter(Duration::from_secs(min_ready as u64)));
        }
        Ok(Action::Done)
    }
}
