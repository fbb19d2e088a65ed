//! The pod lifecycle event generator: relists the runtime's containers periodically and
//! tells the pod workers whose containers changed state.

use crate::cri::{RuntimeService, labels, v1};
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

/// The relisting generator: remembers the last relist and diffs against it.
pub struct GenericPleg {
    runtime: Arc<dyn RuntimeService>,
    last: HashMap<String, (String, i32)>,
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
        Self { runtime, last: HashMap::new(), period }
    }

    /// One relist: the events since the previous one.
    pub async fn relist(&mut self) -> Vec<PodLifecycleEvent> {
        let Ok(list) =
            self.runtime.list_containers(v1::ListContainersRequest { filter: None }).await
        else {
            return Vec::new();
        };
        let mut now: HashMap<String, (String, i32)> = HashMap::with_capacity(list.containers.len());
        let mut events = Vec::new();
        for c in list.containers {
            let uid = c.labels.get(labels::POD_UID).cloned().unwrap_or_default();
            let before = self.last.get(&c.id).map(|(_, s)| *s);
            if before != Some(c.state) {
                let running = v1::ContainerState::ContainerRunning as i32;
                let exited = v1::ContainerState::ContainerExited as i32;
                if c.state == running {
                    events.push(PodLifecycleEvent::ContainerStarted {
                        pod_uid: uid.clone(),
                        container_id: c.id.clone(),
                    });
                } else if c.state == exited {
                    events.push(PodLifecycleEvent::ContainerDied {
                        pod_uid: uid.clone(),
                        container_id: c.id.clone(),
                    });
                }
            }
            now.insert(c.id, (uid, c.state));
        }
        for (id, (uid, _)) in &self.last {
            if !now.contains_key(id) {
                events.push(PodLifecycleEvent::ContainerRemoved {
                    pod_uid: uid.clone(),
                    container_id: id.clone(),
                });
            }
        }
        self.last = now;
        events
    }
}
