//! The node lifecycle controller: marks nodes whose kubelet stopped heartbeating (Lease
//! and Ready condition) `Unknown`, keeps the not-ready, unreachable and unschedulable
//! taints in line with the node's state, and evicts pods that do not tolerate a node's
//! `NoExecute` taints (after their `tolerationSeconds`).
//!
//! The default 300 s tolerations of the not-ready and unreachable taints are added to pods
//! by an admission plugin in Kubernetes; without such admission, pods that do not carry
//! them are evicted as soon as their node gets either taint.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, NodeCondition, Pod, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use serde_json::json;

use super::clock::{Clock, SystemClock};
use crate::controller::{Controller, ControllerError};
use crate::informer::Store;
use crate::manager::Manager;
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/node-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "node-controller";

/// The namespace of node Leases.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";
/// Taint of nodes whose Ready condition is `Unknown`.
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// Taint of nodes whose Ready condition is `False`.
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// Taint of cordoned nodes (`spec.unschedulable`).
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
/// Reason of conditions set `Unknown` by this controller.
pub const REASON_STATUS_UNKNOWN: &str = "NodeStatusUnknown";
/// Message of conditions set `Unknown` by this controller.
pub const MESSAGE_STATUS_UNKNOWN: &str = "Kubelet stopped posting node status.";
/// The node conditions set `Unknown` when the kubelet stops heartbeating.
pub const MONITORED_CONDITIONS: [&str; 4] =
    ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

/// Tunables of the node lifecycle controller.
#[derive(Clone, Debug)]
pub struct NodeLifecycleConfig {
    /// How long a node may go without a heartbeat before it is `Unknown`
    /// (`--node-monitor-grace-period`).
    pub grace_period: Duration,
    /// How often each node is looked at even without changes (`--node-monitor-period`).
    pub monitor_period: Duration,
}

impl Default for NodeLifecycleConfig {
    fn default() -> Self {
        NodeLifecycleConfig {
            grace_period: Duration::from_secs(40),
            monitor_period: Duration::from_secs(5),
        }
    }
}

/// Reconciles one node: health, taints, evictions.
pub struct NodeLifecycleReconciler {
    client: kube::Client,
    nodes: Store<Node>,
    leases: Store<Lease>,
    pods: Store<Pod>,
    config: NodeLifecycleConfig,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for NodeLifecycleReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeLifecycleReconciler").field("config", &self.config).finish()
    }
}

/// The controller with the default periods on the system clock.
pub fn controller(
    manager: &Manager,
) -> Result<Controller<NodeLifecycleReconciler>, ControllerError> {
    controller_with(manager, NodeLifecycleConfig::default(), Arc::new(SystemClock))
}

/// The controller with `config` on `clock`.
pub fn controller_with(
    manager: &Manager,
    config: NodeLifecycleConfig,
    clock: Arc<dyn Clock>,
) -> Result<Controller<NodeLifecycleReconciler>, ControllerError> {
    let reconciler = NodeLifecycleReconciler {
        client: manager.client_for(CREDENTIALS),
        nodes: manager.factory().informer::<Node>().store(),
        leases: manager.factory().informer::<Lease>().store(),
        pods: manager.factory().informer::<Pod>().store(),
        config,
        clock,
    };
    manager
        .controller("node-lifecycle")
        .for_kind::<Node>()
        .watches::<Lease>(|lease: &Lease| {
            if lease.metadata.namespace.as_deref() == Some(NODE_LEASE_NAMESPACE) {
                lease.metadata.name.as_deref().map(Request::cluster).into_iter().collect()
            } else {
                Vec::new()
            }
        })
        .watches::<Pod>(|pod: &Pod| {
            pod_node(pod).map(Request::cluster).into_iter().collect::<Vec<_>>()
        })
        .build(reconciler)
}

fn pod_node(pod: &Pod) -> Option<&str> {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).filter(|n| !n.is_empty())
}

fn condition<'a>(node: &'a Node, type_: &str) -> Option<&'a NodeCondition> {
    node.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == type_)
}

/// The node's last sign of life: the latest of its Lease's `renewTime`, its Ready
/// condition's `lastHeartbeatTime` and (for nodes that never reported) its creation.
pub fn last_heartbeat(node: &Node, lease: Option<&Lease>) -> Option<jiff::Timestamp> {
    let renewed = lease.and_then(|l| l.spec.as_ref()?.renew_time.as_ref().map(|t| t.0));
    let ready = condition(node, "Ready").and_then(|c| c.last_heartbeat_time.as_ref().map(|t| t.0));
    let created = node.metadata.creation_timestamp.as_ref().map(|t| t.0);
    [renewed, ready, created].into_iter().flatten().max()
}

/// The conditions of `node` after its kubelet went silent: every monitored condition
/// `Unknown` (missing ones added); `None` if they already all are.
pub fn unknown_conditions(node: &Node, now: jiff::Timestamp) -> Option<Vec<NodeCondition>> {
    let mut conditions =
        node.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
    let mut changed = false;
    for type_ in MONITORED_CONDITIONS {
        match conditions.iter_mut().find(|c| c.type_ == type_) {
            Some(c) if c.status == "Unknown" => {}
            Some(c) => {
                c.status = "Unknown".into();
                c.reason = Some(REASON_STATUS_UNKNOWN.into());
                c.message = Some(MESSAGE_STATUS_UNKNOWN.into());
                c.last_transition_time = Some(Time(now));
                changed = true;
            }
            None => {
                conditions.push(NodeCondition {
                    type_: type_.into(),
                    status: "Unknown".into(),
                    reason: Some("NodeStatusNeverUpdated".into()),
                    message: Some("Kubelet never posted node status.".into()),
                    last_transition_time: Some(Time(now)),
                    last_heartbeat_time: None,
                });
                changed = true;
            }
        }
    }
    changed.then_some(conditions)
}

fn taint(key: &str, effect: &str, now: Option<jiff::Timestamp>) -> Taint {
    Taint { key: key.into(), effect: effect.into(), time_added: now.map(Time), value: None }
}

/// The taints `node` should carry: its own taints with this controller's taints
/// (not-ready, unreachable, unschedulable) set to match its Ready condition and
/// `spec.unschedulable`. New `NoExecute` taints get `timeAdded` = `now`.
pub fn desired_taints(node: &Node, now: jiff::Timestamp) -> Vec<Taint> {
    let current = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
    let ready = condition(node, "Ready").map(|c| c.status.as_str());
    let mut wanted: Vec<(&str, &str)> = match ready {
        Some("Unknown") => {
            vec![(TAINT_UNREACHABLE, "NoExecute"), (TAINT_UNREACHABLE, "NoSchedule")]
        }
        Some("False") => vec![(TAINT_NOT_READY, "NoExecute"), (TAINT_NOT_READY, "NoSchedule")],
        _ => Vec::new(),
    };
    if node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false) {
        wanted.push((TAINT_UNSCHEDULABLE, "NoSchedule"));
    }
    let managed = [TAINT_UNREACHABLE, TAINT_NOT_READY, TAINT_UNSCHEDULABLE];
    let mut taints: Vec<Taint> = current
        .into_iter()
        .filter(|t| {
            !managed.contains(&t.key.as_str())
                || wanted.iter().any(|(k, e)| t.key == *k && t.effect == *e)
        })
        .collect();
    for (key, effect) in wanted {
        if !taints.iter().any(|t| t.key == key && t.effect == effect) {
            taints.push(taint(key, effect, (effect == "NoExecute").then_some(now)));
        }
    }
    taints
}

/// Whether `toleration` tolerates `taint`.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = toleration.effect.as_deref().filter(|e| !e.is_empty())
        && effect != taint.effect
    {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    match toleration.operator.as_deref() {
        Some("Exists") => key.is_empty() || key == taint.key,
        _ => {
            key == taint.key
                && toleration.value.as_deref().unwrap_or_default()
                    == taint.value.as_deref().unwrap_or_default()
        }
    }
}

/// When `pod` must be evicted from a node with `taints`: `None` if it tolerates every
/// `NoExecute` taint forever, otherwise the earliest time a `NoExecute` taint it does not
/// tolerate (now) or tolerates for `tolerationSeconds` (after the taint's `timeAdded`)
/// runs out.
pub fn eviction_time(pod: &Pod, taints: &[Taint], now: jiff::Timestamp) -> Option<jiff::Timestamp> {
    let tolerations = pod.spec.as_ref().and_then(|s| s.tolerations.as_deref()).unwrap_or_default();
    let mut earliest: Option<jiff::Timestamp> = None;
    for taint in taints.iter().filter(|t| t.effect == "NoExecute") {
        let matching: Vec<&Toleration> =
            tolerations.iter().filter(|t| tolerates(t, taint)).collect();
        let at = if matching.is_empty() {
            Some(now)
        } else if matching.iter().any(|t| t.toleration_seconds.is_none()) {
            None
        } else {
            let seconds = matching.iter().filter_map(|t| t.toleration_seconds).min().unwrap_or(0);
            let added = taint.time_added.as_ref().map(|t| t.0).unwrap_or(now);
            Some(
                added.checked_add(jiff::SignedDuration::from_secs(seconds.max(0))).unwrap_or(added),
            )
        };
        if let Some(at) = at {
            earliest = Some(earliest.map_or(at, |e| e.min(at)));
        }
    }
    earliest
}

fn until(now: jiff::Timestamp, at: jiff::Timestamp) -> Duration {
    let wait = at.duration_since(now);
    Duration::try_from(wait).unwrap_or(Duration::ZERO)
}

impl NodeLifecycleReconciler {
    async fn mark_unknown(
        &self,
        node: &Node,
        conditions: Vec<NodeCondition>,
    ) -> Result<(), ReconcileError> {
        let api: Api<Node> = Api::all(self.client.clone());
        let patch = json!({
            "metadata": {"resourceVersion": node.metadata.resource_version},
            "status": {"conditions": conditions},
        });
        let name = node.metadata.name.as_deref().unwrap_or_default();
        api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
        Ok(())
    }

    async fn set_taints(&self, node: &Node, taints: &[Taint]) -> Result<(), ReconcileError> {
        let api: Api<Node> = Api::all(self.client.clone());
        let patch = json!({
            "metadata": {"resourceVersion": node.metadata.resource_version},
            "spec": {"taints": taints},
        });
        let name = node.metadata.name.as_deref().unwrap_or_default();
        api.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
        Ok(())
    }

    /// Marks `pod` as a disruption target of the taint manager, then deletes it.
    async fn evict(&self, pod: &Pod) -> Result<(), ReconcileError> {
        let api: Api<Pod> = Api::namespaced(
            self.client.clone(),
            pod.metadata.namespace.as_deref().unwrap_or_default(),
        );
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let patch = json!({"status": {"conditions": [{
            "type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
            "message": "Taint manager: deleting due to NoExecute taint",
            "lastTransitionTime": self.clock.now().to_string(),
        }]}});
        match api.patch_status(name, &PatchParams::default(), &Patch::Strategic(&patch)).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: pod.metadata.uid.clone(),
                resource_version: None,
            }),
            ..Default::default()
        };
        match api.delete(name, &params).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

fn is_conflict(e: &ReconcileError) -> bool {
    matches!(e, ReconcileError::Kube(kube::Error::Api(s)) if s.code == 409 || s.code == 404)
}

#[async_trait]
impl Reconciler for NodeLifecycleReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let Some(node) = self.nodes.get_named(None, &request.name) else {
            return Ok(Action::Done);
        };
        if node.metadata.deletion_timestamp.is_some() {
            return Ok(Action::Done);
        }
        let now = self.clock.now();
        let lease = self.leases.get_named(Some(NODE_LEASE_NAMESPACE), &request.name);
        let grace = jiff::SignedDuration::try_from(self.config.grace_period)
            .unwrap_or(jiff::SignedDuration::MAX);
        let mut next = self.config.monitor_period;
        match last_heartbeat(&node, lease.as_deref()).and_then(|t| t.checked_add(grace).ok()) {
            Some(deadline) if deadline <= now => {
                if let Some(conditions) = unknown_conditions(&node, now) {
                    match self.mark_unknown(&node, conditions).await {
                        Ok(()) => return Ok(Action::Requeue),
                        Err(e) if is_conflict(&e) => return Ok(Action::Requeue),
                        Err(e) => return Err(e),
                    }
                }
            }
            Some(deadline) => next = next.min(until(now, deadline)),
            None => {}
        }
        let taints = desired_taints(&node, now);
        let current = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
        if taints != current {
            match self.set_taints(&node, &taints).await {
                Ok(()) => {}
                Err(e) if is_conflict(&e) => return Ok(Action::Requeue),
                Err(e) => return Err(e),
            }
        }
        if taints.iter().any(|t| t.effect == "NoExecute") {
            for pod in self.pods.list() {
                if pod_node(&pod) != Some(request.name.as_str())
                    || pod.metadata.deletion_timestamp.is_some()
                {
                    continue;
                }
                match eviction_time(&pod, &taints, now) {
                    Some(at) if at <= now => self.evict(&pod).await?,
                    Some(at) => next = next.min(until(now, at)),
                    None => {}
                }
            }
        }
        Ok(Action::RequeueAfter(self.clock.recheck_after(next.max(Duration::from_millis(1)))))
    }
}
