//! [`LogStorage`]: where a simulated node keeps its containers' logs.

use crate::container_logs::{ContainerLogs, DiskContainerLogs, MemoryContainerLogs};
use std::sync::Arc;

/// Where a simulated node keeps its containers' CRI logs (the lines the simulated runtime
/// writes: container started, exited, scripted output). `pods/log` reads them either way.
/// The default keeps them in memory, so a node costs no disk I/O per container;
/// [`LogStorage::Disk`] writes real files under the node's log root, as CRI runtimes do.
#[derive(Debug, Clone)]
pub enum LogStorage {
    /// In a map keyed by log path, freed when the kubelet removes the pod's logs. One
    /// store may serve many nodes: each node has its own log root.
    Memory(Arc<MemoryContainerLogs>),
    /// Real files under the node's log root.
    Disk,
}

impl Default for LogStorage {
    fn default() -> Self {
        Self::memory()
    }
}

impl LogStorage {
    /// In memory, in a new empty store.
    pub fn memory() -> Self {
        Self::Memory(MemoryContainerLogs::new())
    }

    /// The in-memory store, when the logs are kept in memory.
    pub fn memory_logs(&self) -> Option<&Arc<MemoryContainerLogs>> {
        match self {
            Self::Memory(logs) => Some(logs),
            Self::Disk => None,
        }
    }

    /// The backend the runtime, the kubelet and `pods/log` go through.
    pub fn logs(&self) -> Arc<dyn ContainerLogs> {
        match self {
            Self::Memory(logs) => logs.clone(),
            Self::Disk => Arc::new(DiskContainerLogs),
        }
    }
}
