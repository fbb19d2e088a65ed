//! CSI node operations (`NodeStageVolume`, `NodePublishVolume`, `NodeUnpublishVolume`,
//! `NodeUnstageVolume`) as a trait, and the plugin serving inline `csi` volumes through
//! registered drivers.

use super::{VolumeDir, VolumeError, VolumePlugin};
use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Pod, Volume};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How the volume is used (CSI `VolumeCapability`, mount form).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeCapability {
    /// File system type (`ext4`; empty: driver default).
    pub fs_type: String,
    /// Mount flags.
    pub mount_flags: Vec<String>,
    /// Access mode (`SINGLE_NODE_WRITER`, `MULTI_NODE_READER_ONLY`, …).
    pub access_mode: String,
}

/// `NodeStageVolumeRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeStageVolumeRequest {
    /// Volume id.
    pub volume_id: String,
    /// Publish context from the controller.
    pub publish_context: HashMap<String, String>,
    /// Global staging path on the node.
    pub staging_target_path: String,
    /// Capability.
    pub volume_capability: VolumeCapability,
    /// Secrets for the operation.
    pub secrets: HashMap<String, String>,
    /// Volume attributes.
    pub volume_context: HashMap<String, String>,
}

/// `NodePublishVolumeRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodePublishVolumeRequest {
    /// Volume id.
    pub volume_id: String,
    /// Publish context from the controller.
    pub publish_context: HashMap<String, String>,
    /// Staging path (when the driver stages).
    pub staging_target_path: String,
    /// Per-pod target path.
    pub target_path: String,
    /// Capability.
    pub volume_capability: VolumeCapability,
    /// Read-only publish.
    pub readonly: bool,
    /// Secrets for the operation.
    pub secrets: HashMap<String, String>,
    /// Volume attributes (for inline volumes, includes pod info).
    pub volume_context: HashMap<String, String>,
}

/// A failed CSI call (gRPC status message).
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CsiError {
    /// gRPC status code name.
    pub code: String,
    /// Message.
    pub message: String,
}

/// The node service of a CSI driver.
#[async_trait]
pub trait CsiNode: Send + Sync {
    /// Whether the driver has `STAGE_UNSTAGE_VOLUME`.
    async fn stages(&self) -> bool;
    /// Stages a volume at a global path.
    async fn node_stage_volume(&self, req: NodeStageVolumeRequest) -> Result<(), CsiError>;
    /// Unstages a volume.
    async fn node_unstage_volume(
        &self,
        volume_id: &str,
        staging_target_path: &str,
    ) -> Result<(), CsiError>;
    /// Publishes a volume at a pod's target path.
    async fn node_publish_volume(&self, req: NodePublishVolumeRequest) -> Result<(), CsiError>;
    /// Unpublishes a volume from a target path.
    async fn node_unpublish_volume(
        &self,
        volume_id: &str,
        target_path: &str,
    ) -> Result<(), CsiError>;
}

/// A CSI driver that publishes a directory per volume under a root (shared between pods
/// by volume id), as `csi-driver-host-path` does; for tests and simulations.
#[derive(Debug)]
pub struct HostDirCsiDriver {
    root: PathBuf,
}

impl HostDirCsiDriver {
    /// A driver keeping volume data under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

fn io_err(e: std::io::Error) -> CsiError {
    CsiError { code: "Internal".into(), message: e.to_string() }
}

#[async_trait]
impl CsiNode for HostDirCsiDriver {
    async fn stages(&self) -> bool {
        true
    }

    async fn node_stage_volume(&self, req: NodeStageVolumeRequest) -> Result<(), CsiError> {
        std::fs::create_dir_all(self.root.join(&req.volume_id)).map_err(io_err)?;
        std::fs::create_dir_all(&req.staging_target_path).map_err(io_err)
    }

    async fn node_unstage_volume(&self, _volume_id: &str, staging: &str) -> Result<(), CsiError> {
        let _ = std::fs::remove_dir_all(staging);
        Ok(())
    }

    async fn node_publish_volume(&self, req: NodePublishVolumeRequest) -> Result<(), CsiError> {
        let data = self.root.join(&req.volume_id);
        std::fs::create_dir_all(&data).map_err(io_err)?;
        let target = Path::new(&req.target_path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io_err)?;
        }
        if !target.exists() {
            std::os::unix::fs::symlink(&data, target).map_err(io_err)?;
        }
        Ok(())
    }

    async fn node_unpublish_volume(&self, _volume_id: &str, target: &str) -> Result<(), CsiError> {
        let _ = std::fs::remove_file(target);
        Ok(())
    }
}

/// The `csi` plugin for inline (ephemeral) CSI volumes, dispatching to drivers by name.
#[derive(Default)]
pub struct CsiPlugin {
    drivers: RwLock<HashMap<String, Arc<dyn CsiNode>>>,
}

impl CsiPlugin {
    /// A plugin with no drivers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a driver under its name (as the plugin registration socket would).
    pub fn register(&self, name: impl Into<String>, driver: Arc<dyn CsiNode>) {
        self.drivers.write().insert(name.into(), driver);
    }

    fn driver(&self, volume: &Volume) -> Result<(String, Arc<dyn CsiNode>), VolumeError> {
        let src = volume.csi.as_ref().expect("supports() checked csi");
        self.drivers.read().get(&src.driver).cloned().map(|d| (src.driver.clone(), d)).ok_or_else(
            || VolumeError::Csi {
                volume: volume.name.clone(),
                message: format!("driver {:?} not registered", src.driver),
            },
        )
    }
}

fn volume_id(pod: &Pod, volume: &Volume) -> String {
    format!("csi-{}-{}", pod.metadata.uid.as_deref().unwrap_or_default(), volume.name)
}

#[async_trait]
impl VolumePlugin for CsiPlugin {
    fn name(&self) -> &'static str {
        "kubernetes.io/csi"
    }

    fn supports(&self, volume: &Volume) -> bool {
        volume.csi.is_some()
    }

    async fn set_up(
        &self,
        pod: &Pod,
        volume: &Volume,
        dir: &VolumeDir<'_>,
    ) -> Result<PathBuf, VolumeError> {
        let (_, driver) = self.driver(volume)?;
        let src = volume.csi.as_ref().expect("supports() checked csi");
        let csi_err =
            |e: CsiError| VolumeError::Csi { volume: volume.name.clone(), message: e.to_string() };
        let id = volume_id(pod, volume);
        let mut context: HashMap<String, String> =
            src.volume_attributes.clone().unwrap_or_default().into_iter().collect();
        context.insert("csi.storage.k8s.io/ephemeral".into(), "true".into());
        context.insert(
            "csi.storage.k8s.io/pod.name".into(),
            pod.metadata.name.clone().unwrap_or_default(),
        );
        context.insert(
            "csi.storage.k8s.io/pod.namespace".into(),
            pod.metadata.namespace.clone().unwrap_or_default(),
        );
        context.insert(
            "csi.storage.k8s.io/pod.uid".into(),
            pod.metadata.uid.clone().unwrap_or_default(),
        );
        let capability = VolumeCapability {
            fs_type: src.fs_type.clone().unwrap_or_default(),
            mount_flags: Vec::new(),
            access_mode: "SINGLE_NODE_WRITER".into(),
        };
        let staging = dir.path().join("globalmount");
        if driver.stages().await {
            driver
                .node_stage_volume(NodeStageVolumeRequest {
                    volume_id: id.clone(),
                    staging_target_path: staging.display().to_string(),
                    volume_capability: capability.clone(),
                    volume_context: context.clone(),
                    ..Default::default()
                })
                .await
                .map_err(csi_err)?;
        }
        let target = dir.path().join("mount");
        driver
            .node_publish_volume(NodePublishVolumeRequest {
                volume_id: id,
                staging_target_path: staging.display().to_string(),
                target_path: target.display().to_string(),
                volume_capability: capability,
                readonly: src.read_only.unwrap_or(false),
                volume_context: context,
                ..Default::default()
            })
            .await
            .map_err(csi_err)?;
        Ok(target)
    }

    async fn tear_down(
        &self,
        pod: &Pod,
        volume: &Volume,
        dir: &VolumeDir<'_>,
    ) -> Result<(), VolumeError> {
        let (_, driver) = self.driver(volume)?;
        let id = volume_id(pod, volume);
        let csi_err =
            |e: CsiError| VolumeError::Csi { volume: volume.name.clone(), message: e.to_string() };
        driver
            .node_unpublish_volume(&id, &dir.path().join("mount").display().to_string())
            .await
            .map_err(csi_err)?;
        if driver.stages().await {
            driver
                .node_unstage_volume(&id, &dir.path().join("globalmount").display().to_string())
                .await
                .map_err(csi_err)?;
        }
        super::remove_dir(&volume.name, dir.path())
    }
}
