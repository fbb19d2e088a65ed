//! The plugin traits, one per extension point, and the results they exchange with the framework.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::cycle_state::CycleState;
use super::events::ClusterEventWithHint;
use super::runtime::Framework;
use super::status::Status;
use super::types::{NodeInfo, PodInfo, QueuedPodInfo};
use crate::cache::Snapshot;
use crate::queue::Nominator;

/// The highest score a Score plugin may return after normalization.
pub const MAX_NODE_SCORE: i64 = 100;
/// The lowest score.
pub const MIN_NODE_SCORE: i64 = 0;
/// The largest total score a node can get (`i64::MAX`; weights are checked against it).
pub const MAX_TOTAL_SCORE: i64 = i64::MAX;

/// The base of every plugin: a unique name and accessors for the extension points it
/// implements. Implement the extension traits you need and return `Some(self)` from
/// the matching accessors; the framework calls only those.
///
/// ```
/// use capstan_scheduler_framework::framework::{CycleState, FilterPlugin, Plugin, Status};
/// use capstan_scheduler_framework::framework::types::{NodeInfo, PodInfo};
///
/// struct OnlyEvenNodes;
/// impl Plugin for OnlyEvenNodes {
///     fn name(&self) -> &str { "OnlyEvenNodes" }
///     fn as_filter(&self) -> Option<&dyn FilterPlugin> { Some(self) }
/// }
/// impl FilterPlugin for OnlyEvenNodes {
///     fn filter(&self, _: &CycleState, _: &PodInfo, node: &NodeInfo) -> Status {
///         if node.name().ends_with(['0', '2', '4', '6', '8']) { Status::success() }
///         else { Status::unschedulable("node(s) were odd") }
///     }
/// }
/// ```
pub trait Plugin: Send + Sync + 'static {
    /// The plugin's name, unique within a profile.
    fn name(&self) -> &str;
    /// PreEnqueue, if implemented.
    fn as_pre_enqueue(&self) -> Option<&dyn PreEnqueuePlugin> {
        None
    }
    /// QueueSort, if implemented.
    fn as_queue_sort(&self) -> Option<&dyn QueueSortPlugin> {
        None
    }
    /// PreFilter, if implemented.
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        None
    }
    /// Filter, if implemented.
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        None
    }
    /// PostFilter, if implemented.
    fn as_post_filter(&self) -> Option<&dyn PostFilterPlugin> {
        None
    }
    /// PreScore, if implemented.
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        None
    }
    /// Score, if implemented.
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        None
    }
    /// Reserve/Unreserve, if implemented.
    fn as_reserve(&self) -> Option<&dyn ReservePlugin> {
        None
    }
    /// Permit, if implemented.
    fn as_permit(&self) -> Option<&dyn PermitPlugin> {
        None
    }
    /// PreBind, if implemented.
    fn as_pre_bind(&self) -> Option<&dyn PreBindPlugin> {
        None
    }
    /// Bind, if implemented.
    fn as_bind(&self) -> Option<&dyn BindPlugin> {
        None
    }
    /// PostBind, if implemented.
    fn as_post_bind(&self) -> Option<&dyn PostBindPlugin> {
        None
    }
    /// The cluster events that may make pods this plugin rejected schedulable.
    fn as_enqueue_extensions(&self) -> Option<&dyn EnqueueExtensions> {
        None
    }
}

/// Declares which cluster events may make a pod the plugin rejected schedulable again.
/// A plugin that rejects pods but does not implement this is assumed to care about
/// every event.
pub trait EnqueueExtensions: Plugin {
    /// The events, each with an optional queueing hint.
    fn events_to_register(&self) -> Vec<ClusterEventWithHint>;
}

/// Runs before a pod enters the active queue; a non-success keeps it gated.
pub trait PreEnqueuePlugin: Plugin {
    /// Success lets the pod in.
    fn pre_enqueue(&self, pod: &PodInfo) -> Status;
}

/// Orders the active queue. Exactly one per profile.
pub trait QueueSortPlugin: Plugin {
    /// Whether `a` is scheduled before `b`.
    fn less(&self, a: &QueuedPodInfo, b: &QueuedPodInfo) -> bool;
}

/// The node names a PreFilter plugin restricts the cycle to (`None`: all nodes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreFilterResult {
    /// The allowed nodes; `None` means every node.
    pub node_names: Option<HashSet<String>>,
}

impl PreFilterResult {
    /// No restriction.
    pub fn all_nodes() -> Self {
        PreFilterResult { node_names: None }
    }

    /// Restriction to `names`.
    pub fn only<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Self {
        PreFilterResult { node_names: Some(names.into_iter().map(Into::into).collect()) }
    }

    /// Whether every node is allowed.
    pub fn all_nodes_allowed(&self) -> bool {
        self.node_names.is_none()
    }

    /// The intersection of two results.
    pub fn merge(self, other: PreFilterResult) -> PreFilterResult {
        match (self.node_names, other.node_names) {
            (None, b) => PreFilterResult { node_names: b },
            (a, None) => PreFilterResult { node_names: a },
            (Some(a), Some(b)) => {
                PreFilterResult { node_names: Some(a.intersection(&b).cloned().collect()) }
            }
        }
    }
}

/// Computes per-cycle state before filtering and may restrict the node set.
pub trait PreFilterPlugin: Plugin {
    /// Runs once per cycle. Return `Skip` to skip this plugin's Filter for the cycle.
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (Option<PreFilterResult>, Status);

    /// Incremental updates of the PreFilter state when preemption or nominated pods
    /// add or remove a pod on a node.
    fn pre_filter_extensions(&self) -> Option<&dyn PreFilterExtensions> {
        None
    }
}

/// Keeps a PreFilter plugin's state right when pods are added or removed in simulations.
pub trait PreFilterExtensions: Send + Sync {
    /// `pod_to_add` is now on `node`.
    fn add_pod(
        &self,
        state: &mut CycleState,
        pod_to_schedule: &PodInfo,
        pod_to_add: &Arc<PodInfo>,
        node: &NodeInfo,
    ) -> Status;
    /// `pod_to_remove` is no longer on `node`.
    fn remove_pod(
        &self,
        state: &mut CycleState,
        pod_to_schedule: &PodInfo,
        pod_to_remove: &Arc<PodInfo>,
        node: &NodeInfo,
    ) -> Status;
}

/// Decides whether a pod can run on a node. Called in parallel across nodes; must not
/// allocate on success.
pub trait FilterPlugin: Plugin {
    /// Success when the pod fits the node.
    fn filter(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status;
}

/// The failing statuses of the Filter phase, by node.
#[derive(Debug, Clone, Default)]
pub struct NodeToStatus {
    map: HashMap<String, Status>,
    absent: Option<Status>,
}

impl NodeToStatus {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the status of `node`.
    pub fn set(&mut self, node: impl Into<String>, status: Status) {
        self.map.insert(node.into(), status);
    }

    /// The status for nodes not in the map (e.g. excluded by a PreFilter result).
    pub fn set_absent(&mut self, status: Status) {
        self.absent = Some(status);
    }

    /// The status of `node` (the absent status when not recorded).
    pub fn get(&self, node: &str) -> Option<&Status> {
        self.map.get(node).or(self.absent.as_ref())
    }

    /// The recorded statuses.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Status)> {
        self.map.iter()
    }

    /// Number of recorded nodes.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// `true` when nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// What a PostFilter plugin (preemption) proposes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostFilterResult {
    /// The node the pod is nominated to, once victims are gone; `Some("")` clears an
    /// earlier nomination, `None` leaves it as it is.
    pub nominated_node_name: Option<String>,
}

/// What a PostFilter plugin sees of the cycle besides the pod and its state: the
/// profile's framework (to re-run PreFilter extensions and Filter plugins in
/// simulations), the snapshot the cycle filtered, and the nominated pods.
#[derive(Clone, Copy)]
pub struct PostFilterContext<'a> {
    /// The framework of the pod's profile.
    pub framework: &'a Framework,
    /// The cycle's snapshot.
    pub snapshot: &'a Snapshot,
    /// Pods nominated to nodes by earlier preemptions.
    pub nominator: &'a Nominator,
}

impl std::fmt::Debug for PostFilterContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostFilterContext")
            .field("profile", &self.framework.profile_name())
            .field("nodes", &self.snapshot.num_nodes())
            .finish_non_exhaustive()
    }
}

/// Runs when no node passed Filter (preemption lives here).
pub trait PostFilterPlugin: Plugin {
    /// Success with a nominated node, or a status explaining why it could not help.
    fn post_filter(
        &self,
        ctx: &PostFilterContext<'_>,
        state: &CycleState,
        pod: &PodInfo,
        statuses: &NodeToStatus,
    ) -> (Option<PostFilterResult>, Status);
}

/// Computes per-cycle state for scoring, given the feasible nodes.
pub trait PreScorePlugin: Plugin {
    /// Return `Skip` to skip this plugin's Score for the cycle.
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        feasible: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status;
}

/// A node's score from one plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeScore {
    /// The node.
    pub name: Arc<str>,
    /// The score.
    pub score: i64,
}

/// Ranks feasible nodes. Called in parallel across nodes.
pub trait ScorePlugin: Plugin {
    /// The node's raw score (normalized by [`ScoreExtensions`] if provided, then it must
    /// lie in `0..=MAX_NODE_SCORE`).
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Result<i64, Status>;

    /// Normalization of raw scores, if the plugin needs it.
    fn score_extensions(&self) -> Option<&dyn ScoreExtensions> {
        None
    }
}

/// Normalizes the raw scores of one plugin over all nodes.
pub trait ScoreExtensions: Send + Sync {
    /// Rewrites `scores` in place into `0..=MAX_NODE_SCORE`.
    fn normalize_score(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        scores: &mut [NodeScore],
    ) -> Status;
}

/// Reserves resources for a pod on its chosen node before binding; Unreserve undoes it.
pub trait ReservePlugin: Plugin {
    /// Reserve; a failure aborts the cycle and triggers Unreserve on every plugin.
    fn reserve(&self, state: &mut CycleState, pod: &PodInfo, node_name: &str) -> Status;
    /// Undo Reserve; must be idempotent and cannot fail.
    fn unreserve(&self, state: &mut CycleState, pod: &PodInfo, node_name: &str);
}

/// Approves, rejects or delays the binding of a pod.
pub trait PermitPlugin: Plugin {
    /// `Success` approves, `Wait` delays for at most the returned duration (until
    /// [`crate::framework::WaitingPod::allow`] or `reject`), anything else rejects.
    fn permit(&self, state: &CycleState, pod: &PodInfo, node_name: &str) -> (Status, Duration);
}

/// Work before binding (e.g. provisioning volumes). Runs in the binding cycle.
#[async_trait]
pub trait PreBindPlugin: Plugin {
    /// A failure aborts binding (Unreserve runs and the pod is requeued).
    async fn pre_bind(&self, state: &CycleState, pod: &PodInfo, node_name: &str) -> Status;
}

/// Binds a pod to a node. Bind plugins run in order until one does not return `Skip`.
#[async_trait]
pub trait BindPlugin: Plugin {
    /// Success once bound; `Skip` to let the next bind plugin handle the pod.
    async fn bind(&self, state: &CycleState, pod: &PodInfo, node_name: &str) -> Status;
}

/// Informational callback after a successful bind.
pub trait PostBindPlugin: Plugin {
    /// Called once the pod is bound.
    fn post_bind(&self, state: &CycleState, pod: &PodInfo, node_name: &str);
}
