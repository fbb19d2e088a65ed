//! Volume objects for `VolumeBinding`: the listers of claims, volumes and storage classes, and the `VolumeBinder` writing its decisions.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use capstan_api_types::core::v1::{PersistentVolume, PersistentVolumeClaim};
use capstan_api_types::storage::v1::StorageClass;
use parking_lot::{Mutex, RwLock};

/// PersistentVolumeClaims, PersistentVolumes and StorageClasses.
pub trait VolumeLister: Send + Sync + 'static {
    /// The claim `namespace/name`.
    fn claim(&self, namespace: &str, name: &str) -> Option<Arc<PersistentVolumeClaim>>;
    /// The volume `name`.
    fn volume(&self, name: &str) -> Option<Arc<PersistentVolume>>;
    /// Every volume.
    fn volumes(&self) -> Vec<Arc<PersistentVolume>>;
    /// The storage class `name`.
    fn storage_class(&self, name: &str) -> Option<Arc<StorageClass>>;
}

/// An in-memory [`VolumeLister`] fed by informer events.
#[derive(Debug, Default)]
pub struct InMemoryVolumes {
    claims: RwLock<HashMap<String, Arc<PersistentVolumeClaim>>>,
    volumes: RwLock<HashMap<String, Arc<PersistentVolume>>>,
    classes: RwLock<HashMap<String, Arc<StorageClass>>>,
}

fn claim_key(c: &PersistentVolumeClaim) -> String {
    format!(
        "{}/{}",
        c.metadata.namespace.as_deref().unwrap_or_default(),
        c.metadata.name.as_deref().unwrap_or_default()
    )
}

impl InMemoryVolumes {
    /// An empty lister.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds or replaces a claim.
    pub fn upsert_claim(&self, c: Arc<PersistentVolumeClaim>) {
        self.claims.write().insert(claim_key(&c), c);
    }
    /// Removes a claim.
    pub fn remove_claim(&self, c: &PersistentVolumeClaim) {
        self.claims.write().remove(&claim_key(c));
    }
    /// Adds or replaces a volume.
    pub fn upsert_volume(&self, v: Arc<PersistentVolume>) {
        self.volumes.write().insert(v.metadata.name.clone().unwrap_or_default(), v);
    }
    /// Removes a volume.
    pub fn remove_volume(&self, v: &PersistentVolume) {
        self.volumes.write().remove(v.metadata.name.as_deref().unwrap_or_default());
    }
    /// Adds or replaces a storage class.
    pub fn upsert_class(&self, c: Arc<StorageClass>) {
        self.classes.write().insert(c.metadata.name.clone().unwrap_or_default(), c);
    }
    /// Removes a storage class.
    pub fn remove_class(&self, c: &StorageClass) {
        self.classes.write().remove(c.metadata.name.as_deref().unwrap_or_default());
    }
}

impl VolumeLister for InMemoryVolumes {
    fn claim(&self, namespace: &str, name: &str) -> Option<Arc<PersistentVolumeClaim>> {
        self.claims.read().get(&format!("{namespace}/{name}")).cloned()
    }
    fn volume(&self, name: &str) -> Option<Arc<PersistentVolume>> {
        self.volumes.read().get(name).cloned()
    }
    fn volumes(&self) -> Vec<Arc<PersistentVolume>> {
        self.volumes.read().values().cloned().collect()
    }
    fn storage_class(&self, name: &str) -> Option<Arc<StorageClass>> {
        self.classes.read().get(name).cloned()
    }
}

/// Writes `VolumeBinding`'s decisions (in PreBind).
#[async_trait]
pub trait VolumeBinder: Send + Sync + 'static {
    /// Binds `volume` to `claim` (the volume's `claimRef`, the claim's `volumeName`).
    async fn bind(
        &self,
        volume: &PersistentVolume,
        claim: &PersistentVolumeClaim,
    ) -> Result<(), String>;
    /// Asks for `claim` to be provisioned for `node` (the
    /// `volume.kubernetes.io/selected-node` annotation).
    async fn select_node(&self, claim: &PersistentVolumeClaim, node: &str) -> Result<(), String>;
}

/// What a [`RecordingVolumeBinder`] was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolumeDecision {
    /// `claim` (`namespace/name`) bound to the volume.
    Bind {
        /// The claim.
        claim: String,
        /// The volume.
        volume: String,
    },
    /// `claim` to be provisioned on the node.
    Provision {
        /// The claim.
        claim: String,
        /// The node.
        node: String,
    },
}

/// A [`VolumeBinder`] recording decisions in memory.
#[derive(Debug, Default)]
pub struct RecordingVolumeBinder {
    decisions: Mutex<Vec<VolumeDecision>>,
}

impl RecordingVolumeBinder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }
    /// Every decision so far, in order.
    pub fn decisions(&self) -> Vec<VolumeDecision> {
        self.decisions.lock().clone()
    }
}

#[async_trait]
impl VolumeBinder for RecordingVolumeBinder {
    async fn bind(
        &self,
        volume: &PersistentVolume,
        claim: &PersistentVolumeClaim,
    ) -> Result<(), String> {
        self.decisions.lock().push(VolumeDecision::Bind {
            claim: claim_key(claim),
            volume: volume.metadata.name.clone().unwrap_or_default(),
        });
        Ok(())
    }
    async fn select_node(&self, claim: &PersistentVolumeClaim, node: &str) -> Result<(), String> {
        self.decisions
            .lock()
            .push(VolumeDecision::Provision { claim: claim_key(claim), node: node.to_string() });
        Ok(())
    }
}
