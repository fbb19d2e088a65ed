//! The pod garbage collector: keeps terminated pods under a threshold (deleting the
//! oldest first), deletes pods bound to nodes that no longer exist, and force-deletes
//! unscheduled pods that are terminating.

use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::json;

use crate::controller::{Controller, ControllerError};
use crate::informer::Store;
use crate::manager::Manager;
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/pod-garbage-collector` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "pod-garbage-collector";

/// The one work item every pod and node change maps to.
pub const GC_KEY: &str = "podgc";

/// Tunables of the pod garbage collector.
#[derive(Clone, Debug)]
pub struct PodGcConfig {
    /// Terminated pods kept before the oldest are deleted (`--terminated-pod-gc-threshold`;
    /// zero disables that part).
    pub terminated_threshold: usize,
    /// How often a full pass runs even without changes.
    pub period: Duration,
}

impl Default for PodGcConfig {
    fn default() -> Self {
        PodGcConfig { terminated_threshold: 12_500, period: Duration::from_secs(20) }
    }
}

/// One pass over every pod.
pub struct PodGcReconciler {
    client: kube::Client,
    pods: Store<Pod>,
    nodes: Store<Node>,
    config: PodGcConfig,
}

impl std::fmt::Debug for PodGcReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PodGcReconciler").field("config", &self.config).finish()
    }
}

/// The collector with the default threshold.
pub fn controller(manager: &Manager) -> Result<Controller<PodGcReconciler>, ControllerError> {
    controller_with(manager, PodGcConfig::default())
}

/// The collector with `config`.
pub fn controller_with(
    manager: &Manager,
    config: PodGcConfig,
) -> Result<Controller<PodGcReconciler>, ControllerError> {
    let reconciler = PodGcReconciler {
        client: manager.client_for(CREDENTIALS),
        pods: manager.factory().informer::<Pod>().store(),
        nodes: manager.factory().informer::<Node>().store(),
        config,
    };
    manager
        .controller("pod-garbage-collector")
        .watches::<Pod>(|_: &Pod| vec![Request::cluster(GC_KEY)])
        .watches::<Node>(|_: &Node| vec![Request::cluster(GC_KEY)])
        .build(reconciler)
}

fn is_terminated(pod: &Pod) -> bool {
    matches!(pod.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"))
}

fn node_name(pod: &Pod) -> Option<&str> {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).filter(|n| !n.is_empty())
}

/// The terminated pods to delete so that at most `threshold` remain: the oldest first.
pub fn terminated_excess(
    pods: &[std::sync::Arc<Pod>],
    threshold: usize,
) -> Vec<std::sync::Arc<Pod>> {
    if threshold == 0 {
        return Vec::new();
    }
    let mut terminated: Vec<_> = pods
        .iter()
        .filter(|p| is_terminated(p) && p.metadata.deletion_timestamp.is_none())
        .cloned()
        .collect();
    if terminated.len() <= threshold {
        return Vec::new();
    }
    terminated.sort_by(|a, b| {
        let ta = a.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let tb = b.metadata.creation_timestamp.as_ref().map(|t| t.0);
        ta.cmp(&tb).then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
    let excess = terminated.len() - threshold;
    terminated.truncate(excess);
    terminated
}

impl PodGcReconciler {
    async fn force_delete(&self, pod: &Pod) -> Result<(), ReconcileError> {
        let api: Api<Pod> = Api::namespaced(
            self.client.clone(),
            pod.metadata.namespace.as_deref().unwrap_or_default(),
        );
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(kube::api::Preconditions {
                uid: pod.metadata.uid.clone(),
                resource_version: None,
            }),
            ..Default::default()
        };
        match api.delete(pod.metadata.name.as_deref().unwrap_or_default(), &params).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Marks a running pod failed by the collector before deleting it, as Kubernetes does.
    async fn mark_failed(&self, pod: &Pod, message: &str) -> Result<(), ReconcileError> {
        if is_terminated(pod) {
            return Ok(());
        }
        let api: Api<Pod> = Api::namespaced(
            self.client.clone(),
            pod.metadata.namespace.as_deref().unwrap_or_default(),
        );
        let now = jiff::Timestamp::now().to_string();
        let patch = json!({"status": {
            "phase": "Failed",
            "conditions": [{
                "type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
                "message": message, "lastTransitionTime": now,
            }],
        }});
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        match api.patch_status(name, &PatchParams::default(), &Patch::Strategic(&patch)).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `name` is truly gone (the cache may lag): asked of the API.
    async fn node_gone(&self, name: &str) -> Result<bool, ReconcileError> {
        if self.nodes.get_named(None, name).is_some() {
            return Ok(false);
        }
        let api: Api<Node> = Api::all(self.client.clone());
        Ok(api.get_opt(name).await?.is_none())
    }
}

#[async_trait]
impl Reconciler for PodGcReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, _request: Request) -> Result<Action, ReconcileError> {
        let pods = self.pods.list();
        for pod in terminated_excess(&pods, self.config.terminated_threshold) {
            self.force_delete(&pod).await?;
        }
        for pod in &pods {
            let orphaned = match node_name(pod) {
                Some(node) => self.node_gone(node).await?,
                None => false,
            };
            if orphaned {
                self.mark_failed(pod, "PodGC: node no longer exists").await?;
                self.force_delete(pod).await?;
            } else if node_name(pod).is_none() && pod.metadata.deletion_timestamp.is_some() {
                self.force_delete(pod).await?;
            }
        }
        Ok(Action::RequeueAfter(self.config.period))
    }
}
