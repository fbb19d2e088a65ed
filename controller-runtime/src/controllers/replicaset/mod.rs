//! The ReplicaSet controller: keeps `spec.replicas` active pods matching the selector
//! and controlled by the ReplicaSet. Orphans that match are adopted, owned pods that
//! stop matching are released; missing pods are created from the template in slow-start
//! batches (1, 2, 4, …), surplus pods deleted unscheduled/pending/not-ready first, and
//! [`Expectations`] keep it from acting twice while the informer lags. Status reports
//! replicas, fully labeled, ready and available (after `minReadySeconds`) pods, the
//! observed generation and a `ReplicaFailure` condition when creations fail.

pub mod claim;
pub mod expectations;
pub mod pods;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use capstan_api_types::labels::Selector;
use futures::future::join_all;
use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetCondition, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use serde_json::json;

pub use expectations::Expectations;

use crate::controller::{Controller, ControllerError};
use crate::informer::{
    Change, FnHandler, NAMESPACE_INDEX, ORPHAN_NAMESPACE_INDEX, OWNER_UID_INDEX, Store,
    namespace_index, orphan_namespace_index, owner_uid_index,
};
use crate::manager::Manager;
use crate::object::ObjectKey;
use crate::owner::{controller_of, controller_reference};
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/replicaset-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "replicaset-controller";

/// The most pods created or deleted in one sync (kube's `BurstReplicas`).
pub const BURST_REPLICAS: usize = 500;

/// Reconciles ReplicaSets.
pub struct ReplicaSetReconciler {
    client: kube::Client,
    replicasets: Store<ReplicaSet>,
    pods: Store<Pod>,
    expectations: Arc<Expectations>,
    /// The most pods created or deleted in one sync.
    pub burst: usize,
}

impl std::fmt::Debug for ReplicaSetReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicaSetReconciler").field("burst", &self.burst).finish()
    }
}

fn is_replicaset_ref(r: &k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference) -> bool {
    r.kind == "ReplicaSet" && r.api_version.starts_with("apps/")
}

/// The key of the ReplicaSet controlling `pod`, if any.
fn owner_key(pod: &Pod) -> Option<ObjectKey> {
    controller_of(pod)
        .filter(|r| is_replicaset_ref(r))
        .map(|r| ObjectKey::new(pod.metadata.namespace.as_deref(), &r.name))
}

/// The selector of `rs` (`nothing` when it is invalid or missing).
pub fn selector_of(rs: &ReplicaSet) -> Selector {
    Selector::from_label_selector(rs.spec.as_ref().map(|s| &s.selector))
        .unwrap_or_else(|_| Selector::nothing())
}

/// The ReplicaSet controller on `manager`'s shared informers.
pub fn controller(manager: &Manager) -> Result<Controller<ReplicaSetReconciler>, ControllerError> {
    let rs_informer = manager.factory().informer::<ReplicaSet>();
    let pod_informer = manager.factory().informer::<Pod>();
    rs_informer.add_indexer(NAMESPACE_INDEX, namespace_index());
    // A sync reads the pods its ReplicaSet owns and the orphans of its namespace, not
    // every pod of the namespace (which made each sync cost as much as the namespace).
    pod_informer.add_indexer(OWNER_UID_INDEX, owner_uid_index());
    pod_informer.add_indexer(ORPHAN_NAMESPACE_INDEX, orphan_namespace_index());
    let expectations = Arc::new(Expectations::new());
    let observed = expectations.clone();
    // Registered before the controller's own handlers, so expectations are lowered
    // before the ReplicaSet is enqueued.
    pod_informer.add_event_handler(Arc::new(FnHandler(move |change: Change<Pod>| match change {
        Change::Added(pod) => {
            if let Some(key) = owner_key(&pod) {
                if pod.metadata.deletion_timestamp.is_some() {
                    observed.deletion_observed(&key, pod.metadata.uid.as_deref().unwrap_or(""));
                } else {
                    observed.creation_observed(&key);
                }
            }
        }
        Change::Updated { old, new } => {
            if new.metadata.deletion_timestamp.is_some()
                && old.metadata.deletion_timestamp.is_none()
            {
                if let Some(key) = owner_key(&new) {
                    observed.deletion_observed(&key, new.metadata.uid.as_deref().unwrap_or(""));
                }
            }
        }
        Change::Deleted(pod) => {
            if let Some(key) = owner_key(&pod) {
                observed.deletion_observed(&key, pod.metadata.uid.as_deref().unwrap_or(""));
            }
        }
    })));
    let replicasets = rs_informer.store();
    let for_orphans = replicasets.clone();
    let reconciler = ReplicaSetReconciler {
        client: manager.client_for(CREDENTIALS),
        replicasets,
        pods: pod_informer.store(),
        expectations,
        burst: BURST_REPLICAS,
    };
    manager
        .controller("replicaset")
        .for_kind::<ReplicaSet>()
        .watches::<Pod>(move |pod: &Pod| {
            if let Some(key) = owner_key(pod) {
                return vec![Request::from(key)];
            }
            if controller_of(pod).is_some() {
                return vec![];
            }
            // An orphan: every ReplicaSet of its namespace that selects it.
            let ns = pod.metadata.namespace.clone().unwrap_or_default();
            for_orphans
                .by_index(NAMESPACE_INDEX, &ns)
                .unwrap_or_default()
                .iter()
                .filter(|rs| selector_of(rs).matches(&pod.metadata.labels))
                .map(|rs| Request::of(rs.as_ref()))
                .collect()
        })
        .concurrency(4)
        .build(reconciler)
}

/// What one sync of the replica count did.
#[derive(Default)]
struct Managed {
    create_error: Option<String>,
    other_error: Option<String>,
}

/// Runs `count` calls of `f` in batches of 1, 2, 4, …, stopping after the first batch
/// with a failure. Returns how many succeeded and the first error.
pub async fn slow_start_batch<F, Fut, E>(count: usize, initial: usize, f: F) -> (usize, Option<E>)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
{
    let mut remaining = count;
    let mut batch = initial.max(1).min(count);
    let mut successes = 0;
    while batch > 0 {
        let results = join_all((0..batch).map(|_| f())).await;
        let mut first_error = None;
        for r in results {
            match r {
                Ok(()) => successes += 1,
                Err(e) => {
                    if first_error.is_none() {
                        first_error = Some(e);
                    }
                }
            }
        }
        if first_error.is_some() {
            return (successes, first_error);
        }
        remaining -= batch;
        batch = (batch * 2).min(remaining);
    }
    (successes, None)
}

/// The pod `rs` creates from its template.
pub fn pod_from_template(rs: &ReplicaSet) -> Result<Pod, ReconcileError> {
    let template = rs.spec.as_ref().and_then(|s| s.template.clone()).unwrap_or_default();
    let tmeta = template.metadata.unwrap_or_default();
    let reference =
        controller_reference(rs).map_err(|e| ReconcileError::terminal(e.to_string()))?;
    Ok(Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", rs.metadata.name.as_deref().unwrap_or(""))),
            namespace: rs.metadata.namespace.clone(),
            labels: tmeta.labels,
            annotations: tmeta.annotations,
            finalizers: tmeta.finalizers,
            owner_references: Some(vec![reference]),
            ..Default::default()
        },
        spec: template.spec,
        status: None,
    })
}

impl ReplicaSetReconciler {
    /// The pods a sync of the ReplicaSet with `uid` in `ns` claims from: those with an
    /// owner reference to it, and the namespace's pods without a controller.
    fn candidates(&self, ns: &str, uid: &str) -> Vec<Arc<Pod>> {
        let in_ns = |p: &Arc<Pod>| p.metadata.namespace.as_deref().unwrap_or("") == ns;
        let refers =
            |p: &Arc<Pod>| p.metadata.owner_references.iter().flatten().any(|r| r.uid == uid);
        let mut pods: Vec<Arc<Pod>> = if uid.is_empty() {
            Vec::new()
        } else {
            self.pods.by_index(OWNER_UID_INDEX, uid).unwrap_or_default()
        };
        pods.retain(in_ns);
        // An orphan with a (non-controller) reference to this ReplicaSet is there already.
        let orphans = self.pods.by_index(ORPHAN_NAMESPACE_INDEX, ns).unwrap_or_default();
        pods.extend(orphans.into_iter().filter(|p| uid.is_empty() || !refers(p)));
        pods
    }

    /// Creates or deletes pods so `active` reaches the desired count.
    async fn manage_replicas(
        &self,
        key: &ObjectKey,
        rs: &ReplicaSet,
        active: &[Arc<Pod>],
    ) -> Managed {
        let mut managed = Managed::default();
        let want = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1).max(0) as usize;
        let ns = rs.metadata.namespace.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
        if active.len() < want {
            let count = (want - active.len()).min(self.burst);
            let pod = match pod_from_template(rs) {
                Ok(p) => p,
                Err(e) => {
                    managed.create_error = Some(e.to_string());
                    return managed;
                }
            };
            self.expectations.expect_creations(key, count);
            let (created, error) = slow_start_batch(count, 1, || {
                let api = api.clone();
                let pod = pod.clone();
                async move { api.create(&PostParams::default(), &pod).await.map(|_| ()) }
            })
            .await;
            for _ in created..count {
                self.expectations.creation_observed(key);
            }
            if let Some(e) = error {
                let terminating =
                    matches!(&e, kube::Error::Api(s) if s.code == 403 || s.code == 404);
                if !terminating {
                    managed.create_error = Some(e.to_string());
                }
            }
        } else if active.len() > want {
            let count = (active.len() - want).min(self.burst);
            let mut ranked = active.to_vec();
            pods::sort_for_deletion(&mut ranked);
            ranked.truncate(count);
            let uids: Vec<String> =
                ranked.iter().map(|p| p.metadata.uid.clone().unwrap_or_default()).collect();
            self.expectations.expect_deletions(key, uids.clone());
            let results = join_all(ranked.iter().map(|p| {
                let api = api.clone();
                let name = p.metadata.name.clone().unwrap_or_default();
                async move { api.delete(&name, &DeleteParams::default()).await }
            }))
            .await;
            for (result, uid) in results.into_iter().zip(uids) {
                if let Err(e) = result {
                    self.expectations.deletion_observed(key, &uid);
                    if !matches!(&e, kube::Error::Api(s) if s.code == 404) {
                        managed.other_error.get_or_insert(e.to_string());
                    }
                }
            }
        }
        managed
    }

    /// The status of `rs` given its owned active pods.
    fn compute_status(
        rs: &ReplicaSet,
        active: &[Arc<Pod>],
        create_error: Option<&str>,
        now: Timestamp,
    ) -> ReplicaSetStatus {
        let spec = rs.spec.clone().unwrap_or_default();
        let min_ready = Duration::from_secs(spec.min_ready_seconds.unwrap_or(0).max(0) as u64);
        let template_labels: BTreeMap<String, String> = spec
            .template
            .as_ref()
            .and_then(|t| t.metadata.as_ref())
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        let fully_labeled = active
            .iter()
            .filter(|p| {
                let labels = p.metadata.labels.as_ref();
                template_labels.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
            })
            .count();
        let ready = active.iter().filter(|p| pods::is_ready(p)).count();
        let available = active.iter().filter(|p| pods::is_available(p, min_ready, now)).count();
        let mut conditions: Vec<ReplicaSetCondition> = rs
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.type_ != "ReplicaFailure")
            .collect();
        if let Some(message) = create_error {
            let previous = rs
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .and_then(|cs| cs.iter().find(|c| c.type_ == "ReplicaFailure").cloned());
            conditions.push(ReplicaSetCondition {
                type_: "ReplicaFailure".into(),
                status: "True".into(),
                reason: Some("FailedCreate".into()),
                message: Some(message.to_string()),
                last_transition_time: previous
                    .and_then(|c| c.last_transition_time)
                    .or(Some(Time(now))),
            });
        }
        ReplicaSetStatus {
            replicas: active.len() as i32,
            fully_labeled_replicas: Some(fully_labeled as i32),
            ready_replicas: Some(ready as i32),
            available_replicas: Some(available as i32),
            observed_generation: rs.metadata.generation,
            conditions: (!conditions.is_empty()).then_some(conditions),
            ..Default::default()
        }
    }

    async fn write_status(
        &self,
        rs: &ReplicaSet,
        status: &ReplicaSetStatus,
    ) -> Result<(), kube::Error> {
        let current = rs.status.clone().unwrap_or_default();
        let same = current.replicas == status.replicas
            && current.fully_labeled_replicas.unwrap_or(0)
                == status.fully_labeled_replicas.unwrap_or(0)
            && current.ready_replicas.unwrap_or(0) == status.ready_replicas.unwrap_or(0)
            && current.available_replicas.unwrap_or(0) == status.available_replicas.unwrap_or(0)
            && current.observed_generation == status.observed_generation
            && current.conditions == status.conditions;
        if same {
            return Ok(());
        }
        let ns = rs.metadata.namespace.clone().unwrap_or_default();
        let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &ns);
        let patch = json!({"status": {
            "replicas": status.replicas,
            "fullyLabeledReplicas": status.fully_labeled_replicas,
            "readyReplicas": status.ready_replicas,
            "availableReplicas": status.available_replicas,
            "observedGeneration": status.observed_generation,
            "conditions": status.conditions,
        }});
        super::merge_status(&api, rs.metadata.name.as_deref().unwrap_or_default(), &patch).await
    }
}

#[async_trait]
impl Reconciler for ReplicaSetReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let key = ObjectKey::from(&request);
        let Some(rs) = self.replicasets.get(&key) else {
            self.expectations.forget(&key);
            return Ok(Action::Done);
        };
        let uid = rs.metadata.uid.clone().unwrap_or_default();
        let deleting = rs.metadata.deletion_timestamp.is_some();
        let selector = selector_of(&rs);
        let ns = key.namespace.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
        let satisfied = self.expectations.satisfied(&key);
        let mut owned = Vec::new();
        for pod in self.candidates(&ns, &uid) {
            match claim::decide(pod.as_ref(), &uid, &selector, deleting) {
                claim::Claim::Owned => owned.push(pod),
                claim::Claim::Adopt => {
                    let reference = controller_reference(rs.as_ref())
                        .map_err(|e| ReconcileError::terminal(e.to_string()))?;
                    match claim::adopt(&api, pod.as_ref(), reference).await {
                        Ok(adopted) => owned.push(Arc::new(adopted)),
                        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 422 => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                claim::Claim::Release => claim::release(&api, pod.as_ref(), &uid).await?,
                claim::Claim::Ignore => {}
            }
        }
        let active: Vec<Arc<Pod>> = owned.into_iter().filter(|p| pods::is_active(p)).collect();
        let managed = if satisfied && !deleting {
            self.manage_replicas(&key, &rs, &active).await
        } else {
            Managed::default()
        };
        let now = Timestamp::now();
        let status = Self::compute_status(&rs, &active, managed.create_error.as_deref(), now);
        self.write_status(&rs, &status).await?;
        if let Some(e) = managed.create_error.or(managed.other_error) {
            return Err(ReconcileError::retryable(e));
        }
        let min_ready = rs.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0);
        if min_ready > 0 && status.ready_replicas != status.available_replicas {
            return Ok(Action::RequeueAfter(Duration::from_secs(min_ready as u64)));
        }
        Ok(Action::Done)
    }
}
