//! `QueuedPodInfo`: a pod waiting in the scheduling queue, with its attempts and rejecting plugins.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use super::pod_info::PodInfo;

/// A pod in the scheduling queue.
#[derive(Debug, Clone)]
pub struct QueuedPodInfo {
    /// The pod.
    pub pod_info: Arc<PodInfo>,
    /// When the pod was last added to the queue (the tie-breaker of PrioritySort) or
    /// last failed (the start of its backoff).
    pub timestamp: Instant,
    /// When the pod was first popped for scheduling.
    pub initial_attempt_timestamp: Option<Instant>,
    /// Number of scheduling attempts so far.
    pub attempts: u32,
    /// Plugins that rejected the pod in its last attempt with an unschedulable code.
    pub unschedulable_plugins: HashSet<String>,
    /// Plugins that rejected the pod with `Pending`.
    pub pending_plugins: HashSet<String>,
    /// Whether a PreEnqueue plugin (a scheduling gate) keeps the pod out of the active queue.
    pub gated: bool,
    /// The PreEnqueue plugin gating the pod.
    pub gating_plugin: Option<String>,
}

impl QueuedPodInfo {
    /// A fresh entry for `pod_info` added at `now`.
    pub fn new(pod_info: Arc<PodInfo>, now: Instant) -> Self {
        QueuedPodInfo {
            pod_info,
            timestamp: now,
            initial_attempt_timestamp: None,
            attempts: 0,
            unschedulable_plugins: HashSet::new(),
            pending_plugins: HashSet::new(),
            gated: false,
            gating_plugin: None,
        }
    }

    /// The pod's `namespace/name`.
    pub fn key(&self) -> &str {
        self.pod_info.key()
    }
}
