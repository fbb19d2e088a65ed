//! The pod lifecycle event generator: relists the runtime's containers periodically and
//! tells the pod workers whose containers changed state.

use crate::cri::{RuntimeService, v1};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What changed for a container between two relists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodLifecycleEvent {
    /// A container started running.
    ContainerStarted {
        /// Pod UID.
        pod_uid: String,
        /// Container id.
        container_id: String,
    },
    /// A container exited.
    ContainerDied {
        /// Pod UID.
        pod_uid: String,
        /// Container id.
        container_id: String,
    },
    /// A container disappeared.
    ContainerRemoved {
        /// Pod UID.
        pod_uid: String,
        /// Container id.
        container_id: String,
    },
}

impl PodLifecycleEvent {
    /// UID of the pod concerned.
    pub fn pod_uid(&self) -> &str {
        match self {
            PodLifecycleEvent::ContainerStarted { pod_uid, .. }
            | PodLifecycleEvent::ContainerDied { pod_uid, .. }
            | PodLifecycleEvent::ContainerRemoved { pod_uid, .. } => pod_uid,
        }
    }
}

/// A container as the previous relists saw it.
struct Known {
    pod_uid: String,
    state: i32,
    /// The last relist that listed it.
    seen: u64,
}

/// The relisting generator: remembers the last relist and diffs against it.
pub struct GenericPleg {
    runtime: Arc<dyn RuntimeService>,
    last: HashMap<String, Known>,
    generation: u64,
    /// Relist period.
    pub period: Duration,
}

impl std::fmt::Debug for GenericPleg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenericPleg").field("period", &self.period).finish_non_exhaustive()
    }
}

impl GenericPleg {
    /// A generator over `runtime` relisting every `period`.
    pub fn new(runtime: Arc<dyn RuntimeService>, period: Duration) -> Self {
        Self { runtime, last: HashMap::new(), generation: 0, period }
    }

    /// One relist: the events since the previous one.
    pub async fn relist(&mut self) -> Vec<PodLifecycleEvent> {
        let Ok(list) = self.runtime.container_states().await else {
            return Vec::new();
        };
        let mut events = Vec::new();
        let running = v1::ContainerState::ContainerRunning as i32;
        let exited = v1::ContainerState::ContainerExited as i32;
        // Containers still listed are marked with this relist's generation; the others were
        // removed. Unchanged containers cost a lookup and no allocation.
        self.generation = self.generation.wrapping_add(1);
        let generation = self.generation;
        for c in list {
            let known = self.last.get_mut(&c.id);
            let before = known.as_ref().map(|k| k.state);
            if before != Some(c.state) {
                if c.state == running {
                    events.push(PodLifecycleEvent::ContainerStarted {
                        pod_uid: c.pod_uid.clone(),
                        container_id: c.id.clone(),
                    });
                } else if c.state == exited {
                    events.push(PodLifecycleEvent::ContainerDied {
                        pod_uid: c.pod_uid.clone(),
                        container_id: c.id.clone(),
                    });
                }
            }
            match known {
                Some(k) => {
                    k.state = c.state;
                    k.seen = generation;
                }
                None => {
                    let entry = Known { pod_uid: c.pod_uid, state: c.state, seen: generation };
                    self.last.insert(c.id, entry);
                }
            }
        }
        self.last.retain(|id, k| {
            if k.seen == generation {
                return true;
            }
            events.push(PodLifecycleEvent::ContainerRemoved {
                pod_uid: std::mem::take(&mut k.pod_uid),
                container_id: id.clone(),
            });
            false
        });
        events
    }
}
