//! `Preemptor`: carries out a preemption decision — victims evicted, lower-priority nominations cleared — outside the scheduling cycle.

use std::sync::Arc;

use parking_lot::Mutex;

use super::types::PodInfo;

/// One preemption decided by a PostFilter plugin.
#[derive(Debug, Clone)]
pub struct Preemption {
    /// The pod that preempts.
    pub preemptor: Arc<PodInfo>,
    /// The node it is nominated to.
    pub node: String,
    /// The pods to evict from `node`, most important first.
    pub victims: Vec<Arc<PodInfo>>,
    /// Lower-priority pods nominated to `node` whose nomination no longer holds.
    pub cleared_nominations: Vec<Arc<PodInfo>>,
}

/// Carries out preemptions. Called from the scheduling cycle, so it must not block:
/// the API implementation (`api::ApiPreemptor`) spawns the writes and returns.
pub trait Preemptor: Send + Sync + 'static {
    /// Evicts the victims and clears the nominations of `preemption`.
    fn preempt(&self, preemption: Preemption);
}

/// A [`Preemptor`] that records preemptions in memory (tests, benchmarks without an
/// API server).
#[derive(Debug, Default)]
pub struct RecordingPreemptor {
    done: Mutex<Vec<Preemption>>,
}

impl RecordingPreemptor {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every preemption so far, in order.
    pub fn preemptions(&self) -> Vec<Preemption> {
        self.done.lock().clone()
    }

    /// The keys (`namespace/name`) of every victim so far, in order.
    pub fn victims(&self) -> Vec<String> {
        self.done
            .lock()
            .iter()
            .flat_map(|p| p.victims.iter().map(|v| v.key().to_string()))
            .collect()
    }
}

impl Preemptor for RecordingPreemptor {
    fn preempt(&self, preemption: Preemption) {
        self.done.lock().push(preemption);
    }
}
