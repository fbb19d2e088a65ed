//! [`VolumeStorage`]: where a simulated node keeps the files of its file-backed volumes.

use crate::volumes::{DiskVolumeFiles, MemoryVolumeFiles, VolumeFiles};
use std::sync::Arc;

/// Where a simulated node keeps the files of its configMap, secret, downwardAPI, projected
/// (the `kube-api-access` token) and emptyDir volumes. Simulated containers never read a
/// file system, so the default keeps the bytes in memory and a node costs no disk I/O per
/// pod; [`VolumeStorage::Disk`] writes real files as a real node's kubelet does.
#[derive(Debug, Clone)]
pub enum VolumeStorage {
    /// In a map keyed by pod UID and volume name (readable with
    /// [`MemoryVolumeFiles::file`]), freed when the pod's volumes are torn down. One store
    /// may serve many nodes: pod UIDs are unique.
    Memory(Arc<MemoryVolumeFiles>),
    /// Real files under the node's volume root.
    Disk,
}

impl Default for VolumeStorage {
    fn default() -> Self {
        Self::memory()
    }
}

impl VolumeStorage {
    /// In memory, in a new empty store.
    pub fn memory() -> Self {
        Self::Memory(MemoryVolumeFiles::new())
    }

    /// The in-memory store, when the files are kept in memory.
    pub fn memory_files(&self) -> Option<&Arc<MemoryVolumeFiles>> {
        match self {
            Self::Memory(files) => Some(files),
            Self::Disk => None,
        }
    }

    /// The backend the node's volume manager writes through.
    pub fn files(&self) -> Arc<dyn VolumeFiles> {
        match self {
            Self::Memory(files) => files.clone(),
            Self::Disk => Arc::new(DiskVolumeFiles),
        }
    }
}
