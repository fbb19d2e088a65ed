//! The DaemonSet controller: one pod per eligible node ([`eligibility`]: nodeSelector,
//! required node affinity, taints against the template's and the default DaemonSet
//! tolerations). Pods are created pinned by node-name affinity for the scheduler to bind,
//! with a controller owner reference and a `controller-revision-hash` label holding the
//! template hash ([`history`] keeps a ControllerRevision per template); pods on nodes no longer
//! eligible or gone, surplus and failed pods are deleted; RollingUpdate
//! (maxUnavailable, or maxSurge with the old pod kept until the new one is available)
//! and OnDelete updates; status as `kubectl rollout status daemonset` reads it, and
//! [`Expectations`] keep informer lag from producing duplicate pods.

pub mod eligibility;
pub mod history;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use capstan_api_types::labels::Selector;
use futures::future::join_all;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use serde_json::json;

use crate::controller::{Controller, ControllerError};
use crate::controllers::deployment::util::{scaled_value, template_hash};
use crate::controllers::replicaset::claim::{self, Claim};
use crate::controllers::replicaset::{Expectations, pods};
use crate::informer::{
    Change, FnHandler, NAMESPACE_INDEX, OWNER_UID_INDEX, Store, namespace_index, owner_uid_index,
};
use crate::manager::Manager;
use crate::object::ObjectKey;
use crate::owner::{controller_of, controller_reference};
use crate::predicate::Predicate;
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/daemon-set-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "daemon-set-controller";

/// The label carrying the template hash on a DaemonSet's pods.
pub const CONTROLLER_REVISION_HASH: &str = "controller-revision-hash";
/// The label carrying the DaemonSet generation a pod was created from.
pub const POD_TEMPLATE_GENERATION: &str = "pod-template-generation";

/// Reconciles DaemonSets.
pub struct DaemonSetReconciler {
    client: kube::Client,
    daemonsets: Store<DaemonSet>,
    pods: Store<Pod>,
    nodes: Store<Node>,
    revisions: Store<ControllerRevision>,
    expectations: Arc<Expectations>,
}

impl std::fmt::Debug for DaemonSetReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonSetReconciler").finish()
    }
}

/// The key of the DaemonSet controlling `pod`, if any.
fn owner_key(pod: &Pod) -> Option<ObjectKey> {
    controller_of(pod)
        .filter(|r| r.kind == "DaemonSet" && r.api_version.starts_with("apps/"))
        .map(|r| ObjectKey::new(pod.metadata.namespace.as_deref(), &r.name))
}

fn selector_of(ds: &DaemonSet) -> Selector {
    Selector::from_label_selector(ds.spec.as_ref().map(|s| &s.selector))
        .unwrap_or_else(|_| Selector::nothing())
}

/// The template hash of `ds` (its `controller-revision-hash`).
pub fn revision_hash(ds: &DaemonSet) -> String {
    let template = ds.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    template_hash(&template, ds.status.as_ref().and_then(|s| s.collision_count))
}

/// The DaemonSet controller on `manager`'s shared informers.
pub fn controller(manager: &Manager) -> Result<Controller<DaemonSetReconciler>, ControllerError> {
    let ds_informer = manager.factory().informer::<DaemonSet>();
    let pod_informer = manager.factory().informer::<Pod>();
    let node_informer = manager.factory().informer::<Node>();
    let revision_informer = manager.factory().informer::<ControllerRevision>();
    revision_informer.add_indexer(OWNER_UID_INDEX, owner_uid_index());
    ds_informer.add_indexer(NAMESPACE_INDEX, namespace_index());
    pod_informer.add_indexer(NAMESPACE_INDEX, namespace_index());
    let expectations = Arc::new(Expectations::new());
    let observed = expectations.clone();
    // Registered before the controller's own handlers, so expectations are lowered
    // before the DaemonSet is enqueued.
    pod_informer.add_event_handler(Arc::new(FnHandler(move |change: Change<Pod>| {
        let uid = |p: &Pod| p.metadata.uid.clone().unwrap_or_default();
        match change {
            Change::Added(pod) => {
                if let Some(key) = owner_key(&pod) {
                    if pod.metadata.deletion_timestamp.is_some() {
                        observed.deletion_observed(&key, &uid(&pod));
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
                        observed.deletion_observed(&key, &uid(&new));
                    }
                }
            }
            Change::Deleted(pod) => {
                if let Some(key) = owner_key(&pod) {
                    observed.deletion_observed(&key, &uid(&pod));
                }
            }
        }
    })));
    let daemonsets = ds_informer.store();
    let for_orphans = daemonsets.clone();
    let for_nodes = daemonsets.clone();
    let reconciler = DaemonSetReconciler {
        client: manager.client_for(CREDENTIALS),
        daemonsets,
        pods: pod_informer.store(),
        nodes: node_informer.store(),
        revisions: revision_informer.store(),
        expectations,
    };
    manager
        .controller("daemonset")
        .for_kind::<DaemonSet>()
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
                .filter(|ds| selector_of(ds).matches(&pod.metadata.labels))
                .map(|ds| Request::of(ds.as_ref()))
                .collect()
        })
        .watches_with::<Node>(
            move |_: &Node| for_nodes.list().iter().map(|ds| Request::of(ds.as_ref())).collect(),
            PlacementChanged,
        )
        .concurrency(2)
        .build(reconciler)
}

/// Node updates that can change where daemon pods belong: labels, taints, or the node
/// spec (heartbeat-only status updates are skipped).
struct PlacementChanged;

impl Predicate<Node> for PlacementChanged {
    fn update(&self, old: &Node, new: &Node) -> bool {
        old.metadata.labels != new.metadata.labels || old.spec != new.spec
    }
}

/// The pod `ds` runs on `node`, with template hash `hash`.
pub fn pod_for_node(ds: &DaemonSet, node: &str, hash: &str) -> Result<Pod, ReconcileError> {
    let template = ds.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    let tmeta = template.metadata.unwrap_or_default();
    let reference =
        controller_reference(ds).map_err(|e| ReconcileError::terminal(e.to_string()))?;
    let mut labels = tmeta.labels.unwrap_or_default();
    labels.insert(CONTROLLER_REVISION_HASH.into(), hash.to_string());
    if let Some(generation) = ds.metadata.generation {
        labels.insert(POD_TEMPLATE_GENERATION.into(), generation.to_string());
    }
    let mut spec = template.spec.unwrap_or_default();
    eligibility::add_default_tolerations(&mut spec);
    eligibility::pin_to_node(&mut spec, node);
    Ok(Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", ds.metadata.name.as_deref().unwrap_or(""))),
            namespace: ds.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: tmeta.annotations,
            finalizers: tmeta.finalizers,
            owner_references: Some(vec![reference]),
            ..Default::default()
        },
        spec: Some(spec),
        status: None,
    })
}

fn hash_of(pod: &Pod) -> Option<&str> {
    pod.metadata.labels.as_ref()?.get(CONTROLLER_REVISION_HASH).map(String::as_str)
}

fn is_failed(pod: &Pod) -> bool {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Failed")
}

fn is_rolling(ds: &DaemonSet) -> bool {
    ds.spec.as_ref().and_then(|s| s.update_strategy.as_ref()).and_then(|s| s.type_.as_deref())
        != Some("OnDelete")
}

fn min_ready(ds: &DaemonSet) -> Duration {
    Duration::from_secs(
        ds.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0).max(0) as u64
    )
}

fn rolling_update(ds: &DaemonSet) -> Option<&k8s_openapi::api::apps::v1::RollingUpdateDaemonSet> {
    ds.spec.as_ref()?.update_strategy.as_ref()?.rolling_update.as_ref()
}

/// maxSurge scaled against `desired` (rounded up), 0 when unset.
fn max_surge(ds: &DaemonSet, desired: i32) -> i32 {
    scaled_value(rolling_update(ds).and_then(|r| r.max_surge.as_ref()), desired, true, "0")
}

/// What one sync decided: pods to create (by node) and to delete.
#[derive(Default)]
struct Plan {
    create: Vec<String>,
    delete: Vec<Arc<Pod>>,
}

/// One node's view for the status and rolling update.
struct NodeView {
    name: String,
    should_run: bool,
    /// The pod counted for the node: the new one when it is available, else the old.
    pod: Option<Arc<Pod>>,
    /// A pod from the current template surged next to an old pod still serving.
    surge: Option<Arc<Pod>>,
}

impl DaemonSetReconciler {
    /// The pods `ds` controls after adopting and releasing, grouped by node.
    async fn claim(
        &self,
        ds: &DaemonSet,
        ns: &str,
    ) -> Result<BTreeMap<String, Vec<Arc<Pod>>>, ReconcileError> {
        let uid = ds.metadata.uid.clone().unwrap_or_default();
        let deleting = ds.metadata.deletion_timestamp.is_some();
        let selector = selector_of(ds);
        let api: Api<Pod> = Api::namespaced(self.client.clone(), ns);
        let mut by_node: BTreeMap<String, Vec<Arc<Pod>>> = BTreeMap::new();
        for pod in self.pods.by_index(NAMESPACE_INDEX, ns).unwrap_or_default() {
            let pod = match claim::decide(pod.as_ref(), &uid, &selector, deleting) {
                Claim::Owned => pod,
                Claim::Adopt => {
                    let reference = controller_reference(ds)
                        .map_err(|e| ReconcileError::terminal(e.to_string()))?;
                    match claim::adopt(&api, pod.as_ref(), reference).await {
                        Ok(adopted) => Arc::new(adopted),
                        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 422 => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                Claim::Release => {
                    claim::release(&api, pod.as_ref(), &uid).await?;
                    continue;
                }
                Claim::Ignore => continue,
            };
            if let Some(node) = eligibility::pod_node(pod.spec.as_ref()) {
                by_node.entry(node).or_default().push(pod);
            }
        }
        Ok(by_node)
    }

    /// Decides creations and deletions per node, and the per-node view.
    fn plan(
        &self,
        ds: &DaemonSet,
        by_node: &BTreeMap<String, Vec<Arc<Pod>>>,
        hash: &str,
        now: Timestamp,
    ) -> (Plan, Vec<NodeView>) {
        let surging = is_rolling(ds) && max_surge(ds, self.nodes.len() as i32) > 0;
        let min_ready = min_ready(ds);
        let mut spec = ds.spec.as_ref().and_then(|s| s.template.spec.clone()).unwrap_or_default();
        eligibility::add_default_tolerations(&mut spec);
        let mut plan = Plan::default();
        let mut views = Vec::new();
        let mut seen = HashSet::new();
        for node in self.nodes.list() {
            let name = node.metadata.name.clone().unwrap_or_default();
            seen.insert(name.clone());
            let place = eligibility::placement(&spec, &node);
            let all = by_node.get(&name).cloned().unwrap_or_default();
            let (live, terminating): (Vec<_>, Vec<_>) =
                all.into_iter().partition(|p| p.metadata.deletion_timestamp.is_none());
            let mut view = NodeView {
                name: name.clone(),
                should_run: place.should_run,
                pod: None,
                surge: None,
            };
            if place.should_continue {
                let (failed, mut running): (Vec<_>, Vec<_>) =
                    live.into_iter().partition(|p| is_failed(p));
                plan.delete.extend(failed.iter().cloned());
                if running.is_empty() && failed.is_empty() && terminating.is_empty() {
                    if place.should_run {
                        plan.create.push(name.clone());
                    }
                } else if !running.is_empty() {
                    running.sort_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0));
                    let newest = running.iter().position(|p| hash_of(p) == Some(hash));
                    match newest.filter(|_| surging && running.len() > 1) {
                        // Surging: the old pod serves until the new one is available.
                        Some(i) if !pods::is_available(&running[i], min_ready, now) => {
                            let new = running.remove(i);
                            plan.delete.extend(running.iter().skip(1).cloned());
                            view.pod = Some(running[0].clone());
                            view.surge = Some(new);
                        }
                        Some(i) => {
                            let new = running.remove(i);
                            plan.delete.extend(running.iter().cloned());
                            view.pod = Some(new);
                        }
                        // Otherwise the oldest pod stays; any others go.
                        None => {
                            plan.delete.extend(running.iter().skip(1).cloned());
                            view.pod = Some(running[0].clone());
                        }
                    }
                }
            } else {
                plan.delete.extend(live.iter().cloned());
                view.pod = live.first().cloned();
            }
            views.push(view);
        }
        // Pods pinned to nodes that are gone.
        for (node, pods) in by_node {
            if !seen.contains(node) {
                plan.delete.extend(
                    pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()).cloned(),
                );
            }
        }
        (plan, views)
    }

    /// What a rolling update does now. Without maxSurge: delete old pods that are
    /// unavailable, then available ones while fewer than maxUnavailable nodes lack an
    /// available pod. With maxSurge: create a new pod next to an old unavailable one, or
    /// next to an available one while fewer than maxSurge nodes are surging (the old pod
    /// goes once the new one is available, in [`Self::plan`]).
    fn rolling_step(ds: &DaemonSet, views: &[NodeView], hash: &str, now: Timestamp) -> Plan {
        let min_ready = min_ready(ds);
        let desired = views.iter().filter(|v| v.should_run).count() as i32;
        let mut plan = Plan::default();
        let is_old = |p: &Pod| hash_of(p) != Some(hash);
        let surge = max_surge(ds, desired);
        if surge > 0 {
            let mut surging = views.iter().filter(|v| v.surge.is_some()).count() as i32;
            for v in views.iter().filter(|v| v.should_run && v.surge.is_none()) {
                let Some(p) = v.pod.as_ref().filter(|p| is_old(p)) else { continue };
                if !pods::is_available(p, min_ready, now) {
                    plan.create.push(v.name.clone());
                } else if surging < surge {
                    surging += 1;
                    plan.create.push(v.name.clone());
                }
            }
            return plan;
        }
        let max_unavailable = scaled_value(
            rolling_update(ds).and_then(|r| r.max_unavailable.as_ref()),
            desired,
            true,
            "1",
        )
        .max(1);
        let mut unavailable = 0;
        let mut old_available = Vec::new();
        for v in views.iter().filter(|v| v.should_run) {
            match &v.pod {
                None => unavailable += 1,
                Some(p) => {
                    let available = pods::is_available(p, min_ready, now);
                    if !available {
                        unavailable += 1;
                    }
                    if is_old(p) {
                        if available {
                            old_available.push(p.clone());
                        } else {
                            plan.delete.push(p.clone());
                        }
                    }
                }
            }
        }
        for p in old_available {
            if unavailable >= max_unavailable {
                break;
            }
            unavailable += 1;
            plan.delete.push(p);
        }
        plan
    }

    /// Creates and deletes what `plan` says, recording expectations. Deletions go first;
    /// creations wait for the next sync when both are due.
    async fn execute(
        &self,
        key: &ObjectKey,
        ds: &DaemonSet,
        plan: Plan,
        hash: &str,
    ) -> Option<String> {
        let ns = key.namespace.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
        if !plan.delete.is_empty() {
            let uids: Vec<String> =
                plan.delete.iter().map(|p| p.metadata.uid.clone().unwrap_or_default()).collect();
            self.expectations.expect_deletions(key, uids.clone());
            let results = join_all(plan.delete.iter().map(|p| {
                let api = api.clone();
                let name = p.metadata.name.clone().unwrap_or_default();
                async move { api.delete(&name, &DeleteParams::default()).await }
            }))
            .await;
            let mut error = None;
            for (result, uid) in results.into_iter().zip(uids) {
                if let Err(e) = result {
                    self.expectations.deletion_observed(key, &uid);
                    if !matches!(&e, kube::Error::Api(s) if s.code == 404) {
                        error.get_or_insert(e.to_string());
                    }
                }
            }
            return error;
        }
        if plan.create.is_empty() {
            return None;
        }
        self.expectations.expect_creations(key, plan.create.len());
        let results =
            join_all(plan.create.iter().map(|node| {
                let api = api.clone();
                let pod = pod_for_node(ds, node, hash);
                async move {
                    api.create(&PostParams::default(), &pod?).await.map_err(ReconcileError::from)
                }
            }))
            .await;
        let mut error = None;
        for result in results {
            if let Err(e) = result {
                self.expectations.creation_observed(key);
                error.get_or_insert(e.to_string());
            }
        }
        error
    }

    fn compute_status(
        ds: &DaemonSet,
        views: &[NodeView],
        hash: &str,
        now: Timestamp,
    ) -> DaemonSetStatus {
        let min_ready = Duration::from_secs(
            ds.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0).max(0) as u64,
        );
        let count = |f: &dyn Fn(&NodeView) -> bool| views.iter().filter(|v| f(v)).count() as i32;
        let desired = count(&|v| v.should_run);
        let available = count(&|v| {
            v.should_run && v.pod.as_ref().is_some_and(|p| pods::is_available(p, min_ready, now))
        });
        DaemonSetStatus {
            desired_number_scheduled: desired,
            current_number_scheduled: count(&|v| v.should_run && v.pod.is_some()),
            number_misscheduled: count(&|v| !v.should_run && v.pod.is_some()),
            number_ready: count(&|v| {
                v.should_run && v.pod.as_ref().is_some_and(|p| pods::is_ready(p))
            }),
            number_available: Some(available),
            number_unavailable: Some(desired - available),
            updated_number_scheduled: Some(count(&|v| {
                v.should_run
                    && (v.surge.is_some()
                        || v.pod.as_ref().is_some_and(|p| hash_of(p) == Some(hash)))
            })),
            observed_generation: ds.metadata.generation,
            collision_count: ds.status.as_ref().and_then(|s| s.collision_count),
            conditions: ds.status.as_ref().and_then(|s| s.conditions.clone()),
        }
    }

    async fn write_status(
        &self,
        ds: &DaemonSet,
        status: DaemonSetStatus,
    ) -> Result<(), kube::Error> {
        if ds.status.as_ref() == Some(&status) {
            return Ok(());
        }
        let ns = ds.metadata.namespace.clone().unwrap_or_default();
        let api: Api<DaemonSet> = Api::namespaced(self.client.clone(), &ns);
        let patch = json!({"status": {
            "desiredNumberScheduled": status.desired_number_scheduled,
            "currentNumberScheduled": status.current_number_scheduled,
            "numberMisscheduled": status.number_misscheduled,
            "numberReady": status.number_ready,
            "numberAvailable": status.number_available,
            "numberUnavailable": status.number_unavailable,
            "updatedNumberScheduled": status.updated_number_scheduled,
            "observedGeneration": status.observed_generation,
        }});
        super::merge_status(&api, ds.metadata.name.as_deref().unwrap_or_default(), &patch).await
    }
}

#[async_trait]
impl Reconciler for DaemonSetReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let key = ObjectKey::from(&request);
        let Some(ds) = self.daemonsets.get(&key) else {
            self.expectations.forget(&key);
            return Ok(Action::Done);
        };
        let ns = key.namespace.clone().unwrap_or_default();
        let satisfied = self.expectations.satisfied(&key);
        let by_node = self.claim(&ds, &ns).await?;
        let hash = revision_hash(&ds);
        let now = Timestamp::now();
        let (mut plan, views) = self.plan(&ds, &by_node, &hash, now);
        let mut error = None;
        if satisfied && ds.metadata.deletion_timestamp.is_none() {
            if plan.delete.is_empty() && is_rolling(&ds) {
                let step = Self::rolling_step(&ds, &views, &hash, now);
                plan.delete = step.delete;
                plan.create.extend(step.create);
            }
            error = self.execute(&key, &ds, plan, &hash).await;
            let owned = self
                .revisions
                .by_index(OWNER_UID_INDEX, ds.metadata.uid.as_deref().unwrap_or_default())
                .unwrap_or_default();
            let in_use: Vec<String> =
                by_node.values().flatten().filter_map(|p| hash_of(p).map(str::to_string)).collect();
            history::sync(&self.client, &ds, &owned, &hash, &in_use).await?;
        }
        let status = Self::compute_status(&ds, &views, &hash, now);
        let waiting = status.number_ready != status.number_available.unwrap_or(0);
        self.write_status(&ds, status).await?;
        if let Some(e) = error {
            return Err(ReconcileError::retryable(e));
        }
        let min_ready = ds.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0);
        if min_ready > 0 && waiting {
            return Ok(Action::RequeueAfter(Duration::from_secs(min_ready as u64)));
        }
        Ok(Action::Done)
    }
}
