//! Cluster events (resource + action) that move unschedulable pods back to the active queue, and queueing hints.

use std::fmt;
use std::ops::BitOr;
use std::sync::Arc;

use capstan_api_types::core::v1::{Node, Pod};

/// The kind of object an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventResource {
    /// Pods (assigned or not).
    Pod,
    /// Pods assigned to a node (kube's `assignedPod`).
    AssignedPod,
    /// Pods not yet assigned (kube's `unschedulablePod`).
    UnscheduledPod,
    /// Nodes.
    Node,
    /// Namespaces.
    Namespace,
    /// PersistentVolumes.
    PersistentVolume,
    /// PersistentVolumeClaims.
    PersistentVolumeClaim,
    /// StorageClasses.
    StorageClass,
    /// CSINodes.
    CsiNode,
    /// Any other resource, by `resource.group` name.
    Other(String),
    /// Every resource.
    WildCard,
}

impl EventResource {
    /// Whether a registration for `self` covers an event about `other`.
    pub fn covers(&self, other: &EventResource) -> bool {
        match (self, other) {
            (EventResource::WildCard, _) | (_, EventResource::WildCard) => true,
            (EventResource::Pod, EventResource::AssignedPod | EventResource::UnscheduledPod) => {
                true
            }
            (EventResource::AssignedPod | EventResource::UnscheduledPod, EventResource::Pod) => {
                true
            }
            (a, b) => a == b,
        }
    }
}

/// What happened to the object, as a bit set so plugins can register several actions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ActionType(u32);

impl ActionType {
    /// Created.
    pub const ADD: ActionType = ActionType(1);
    /// Deleted.
    pub const DELETE: ActionType = ActionType(1 << 1);
    /// A node's allocatable changed.
    pub const UPDATE_NODE_ALLOCATABLE: ActionType = ActionType(1 << 2);
    /// A node's labels changed.
    pub const UPDATE_NODE_LABEL: ActionType = ActionType(1 << 3);
    /// A node's taints (or `spec.unschedulable`) changed.
    pub const UPDATE_NODE_TAINT: ActionType = ActionType(1 << 4);
    /// A node's conditions changed.
    pub const UPDATE_NODE_CONDITION: ActionType = ActionType(1 << 5);
    /// A node's annotations changed.
    pub const UPDATE_NODE_ANNOTATION: ActionType = ActionType(1 << 6);
    /// A pod's labels changed.
    pub const UPDATE_POD_LABEL: ActionType = ActionType(1 << 7);
    /// A pod's requests went down.
    pub const UPDATE_POD_SCALE_DOWN: ActionType = ActionType(1 << 8);
    /// A pod's tolerations changed.
    pub const UPDATE_POD_TOLERATIONS: ActionType = ActionType(1 << 9);
    /// A pod's last scheduling gate was removed.
    pub const UPDATE_POD_SCHEDULING_GATES_ELIMINATED: ActionType = ActionType(1 << 10);
    /// Any other update.
    pub const UPDATE_OTHER: ActionType = ActionType(1 << 11);
    /// Any update.
    pub const UPDATE: ActionType = ActionType(0b1111_1111_1100);
    /// Anything.
    pub const ALL: ActionType = ActionType(0b1111_1111_1111);
    /// Nothing.
    pub const NONE: ActionType = ActionType(0);

    /// Whether the two sets share an action.
    pub fn intersects(self, other: ActionType) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether every action of `other` is in `self`.
    pub fn contains(self, other: ActionType) -> bool {
        self.0 & other.0 == other.0
    }

    /// `true` for the empty set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for ActionType {
    type Output = ActionType;
    fn bitor(self, rhs: ActionType) -> ActionType {
        ActionType(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for ActionType {
    fn bitor_assign(&mut self, rhs: ActionType) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for ActionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 12] = [
            "Add",
            "Delete",
            "UpdateNodeAllocatable",
            "UpdateNodeLabel",
            "UpdateNodeTaint",
            "UpdateNodeCondition",
            "UpdateNodeAnnotation",
            "UpdatePodLabel",
            "UpdatePodScaleDown",
            "UpdatePodTolerations",
            "UpdatePodSchedulingGatesEliminated",
            "UpdateOther",
        ];
        if *self == ActionType::ALL {
            return f.write_str("All");
        }
        let parts: Vec<&str> = NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect();
        f.write_str(&parts.join("|"))
    }
}

/// A cluster event: a resource and what happened to it, plus a label for logs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterEvent {
    /// The resource.
    pub resource: EventResource,
    /// The actions.
    pub action: ActionType,
    /// A readable label (`NodeAdd`, `AssignedPodDelete`, …).
    pub label: &'static str,
}

impl ClusterEvent {
    /// An event with an explicit label.
    pub const fn new(resource: EventResource, action: ActionType, label: &'static str) -> Self {
        ClusterEvent { resource, action, label }
    }

    /// A registration for `resource` and `action`.
    pub fn of(resource: EventResource, action: ActionType) -> Self {
        ClusterEvent { resource, action, label: "" }
    }

    /// Whether a registration `self` covers the event `event`.
    pub fn matches(&self, event: &ClusterEvent) -> bool {
        self.resource.covers(&event.resource) && self.action.intersects(event.action)
    }

    /// A node was added.
    pub fn node_add() -> Self {
        Self::new(EventResource::Node, ActionType::ADD, "NodeAdd")
    }

    /// An assigned pod was deleted.
    pub fn assigned_pod_delete() -> Self {
        Self::new(EventResource::AssignedPod, ActionType::DELETE, "AssignedPodDelete")
    }

    /// A pod was assigned (or added already assigned).
    pub fn assigned_pod_add() -> Self {
        Self::new(EventResource::AssignedPod, ActionType::ADD, "AssignedPodAdd")
    }

    /// The periodic flush of pods unschedulable for too long.
    pub fn unschedulable_timeout() -> Self {
        Self::new(EventResource::WildCard, ActionType::ALL, "UnschedulableTimeout")
    }

    /// Any event: moves every pod.
    pub fn wildcard() -> Self {
        Self::new(EventResource::WildCard, ActionType::ALL, "WildCardEvent")
    }
}

/// The object an event carries (old or new version).
#[derive(Debug, Clone)]
pub enum EventObject {
    /// A pod.
    Pod(Arc<Pod>),
    /// A node.
    Node(Arc<Node>),
    /// Anything else, as JSON.
    Other(Arc<serde_json::Value>),
}

impl EventObject {
    /// The pod, if the object is one.
    pub fn as_pod(&self) -> Option<&Pod> {
        match self {
            EventObject::Pod(p) => Some(p),
            _ => None,
        }
    }

    /// The node, if the object is one.
    pub fn as_node(&self) -> Option<&Node> {
        match self {
            EventObject::Node(n) => Some(n),
            _ => None,
        }
    }
}

/// A queueing hint: whether an event may make a rejected pod schedulable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueingHint {
    /// The event may help: move the pod to the active (or backoff) queue.
    Queue,
    /// The event cannot help this pod: leave it where it is.
    QueueSkip,
}

/// Errors a queueing hint function may return; the pod is then queued, to be safe.
#[derive(Debug, Clone, thiserror::Error)]
#[error("queueing hint failed: {0}")]
pub struct QueueingHintError(pub String);

/// A queueing hint function: `(pod, old object, new object) → hint`.
pub type QueueingHintFn = Arc<
    dyn Fn(
            &Pod,
            Option<&EventObject>,
            Option<&EventObject>,
        ) -> Result<QueueingHint, QueueingHintError>
        + Send
        + Sync,
>;

/// An event a plugin registers interest in, with an optional hint function
/// (without one, every matching event queues the pod).
#[derive(Clone)]
pub struct ClusterEventWithHint {
    /// The event.
    pub event: ClusterEvent,
    /// The hint.
    pub hint: Option<QueueingHintFn>,
}

impl ClusterEventWithHint {
    /// An event with no hint function.
    pub fn new(resource: EventResource, action: ActionType) -> Self {
        ClusterEventWithHint { event: ClusterEvent::of(resource, action), hint: None }
    }

    /// Adds a hint function.
    pub fn with_hint<F>(mut self, f: F) -> Self
    where
        F: Fn(
                &Pod,
                Option<&EventObject>,
                Option<&EventObject>,
            ) -> Result<QueueingHint, QueueingHintError>
            + Send
            + Sync
            + 'static,
    {
        self.hint = Some(Arc::new(f));
        self
    }
}

impl fmt::Debug for ClusterEventWithHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterEventWithHint")
            .field("event", &self.event)
            .field("hint", &self.hint.is_some())
            .finish()
    }
}

/// Classifies a node update into the actions kube-scheduler distinguishes.
pub fn node_update_actions(old: &Node, new: &Node) -> ActionType {
    let mut a = ActionType::NONE;
    let alloc = |n: &Node| n.status.as_ref().and_then(|s| s.allocatable.clone());
    if alloc(old) != alloc(new) {
        a |= ActionType::UPDATE_NODE_ALLOCATABLE;
    }
    if old.metadata.labels != new.metadata.labels {
        a |= ActionType::UPDATE_NODE_LABEL;
    }
    let taints = |n: &Node| n.spec.as_ref().map(|s| (s.taints.clone(), s.unschedulable));
    if taints(old) != taints(new) {
        a |= ActionType::UPDATE_NODE_TAINT;
    }
    let conds = |n: &Node| {
        n.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .map(|cs| cs.iter().map(|c| (c.type_.clone(), c.status.clone())).collect::<Vec<_>>())
    };
    if conds(old) != conds(new) {
        a |= ActionType::UPDATE_NODE_CONDITION;
    }
    if old.metadata.annotations != new.metadata.annotations {
        a |= ActionType::UPDATE_NODE_ANNOTATION;
    }
    a
}

/// Classifies an update of an assigned pod into the actions kube-scheduler distinguishes.
pub fn pod_update_actions(old: &Pod, new: &Pod) -> ActionType {
    let mut a = ActionType::NONE;
    if old.metadata.labels != new.metadata.labels {
        a |= ActionType::UPDATE_POD_LABEL;
    }
    let tol = |p: &Pod| p.spec.as_ref().and_then(|s| s.tolerations.clone());
    if tol(old) != tol(new) {
        a |= ActionType::UPDATE_POD_TOLERATIONS;
    }
    let gates =
        |p: &Pod| p.spec.as_ref().and_then(|s| s.scheduling_gates.as_ref()).map_or(0, Vec::len);
    if gates(old) > 0 && gates(new) == 0 {
        a |= ActionType::UPDATE_POD_SCHEDULING_GATES_ELIMINATED;
    }
    let req = |p: &Pod| super::types::pod_requests(p, false);
    let (ro, rn) = (req(old), req(new));
    if rn.milli_cpu < ro.milli_cpu || rn.memory < ro.memory {
        a |= ActionType::UPDATE_POD_SCALE_DOWN;
    }
    if a.is_empty() { ActionType::UPDATE_OTHER } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_matching() {
        let reg =
            ClusterEvent::of(EventResource::Node, ActionType::ADD | ActionType::UPDATE_NODE_TAINT);
        assert!(reg.matches(&ClusterEvent::node_add()));
        assert!(!reg.matches(&ClusterEvent::new(
            EventResource::Node,
            ActionType::UPDATE_NODE_LABEL,
            "NodeLabelChange"
        )));
        assert!(!reg.matches(&ClusterEvent::assigned_pod_delete()));
        let pods = ClusterEvent::of(EventResource::Pod, ActionType::DELETE);
        assert!(pods.matches(&ClusterEvent::assigned_pod_delete()));
        assert!(
            ClusterEvent::of(EventResource::WildCard, ActionType::ALL)
                .matches(&ClusterEvent::node_add())
        );
        assert_eq!(format!("{:?}", ActionType::ADD | ActionType::DELETE), "Add|Delete");
    }
}
