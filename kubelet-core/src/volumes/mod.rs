//! Volumes: the [`VolumePlugin`] trait, the in-tree plugins (emptyDir, configMap, secret,
//! downwardAPI, projected, hostPath), CSI node operations, and the per-pod
//! [`VolumeManager`].
//!
//! Each volume has a directory `<root>/pods/<uid>/volumes/<plugin>/<volume>`, the layout
//! kubelet uses (`kubernetes.io~configmap`, …). File-backed plugins (configMap, secret,
//! downwardAPI, projected, emptyDir) hand their files to the manager's [`VolumeFiles`]
//! backend: real files by default ([`DiskVolumeFiles`]), or a map in memory
//! ([`MemoryVolumeFiles`]) on simulated nodes.

pub mod config_map;
pub mod csi;
pub mod downward_api;
pub mod empty_dir;
pub mod files;
pub mod host_path;
pub mod projected;
pub mod secret;

pub use files::{DiskVolumeFiles, MemoryVolumeFiles, VolumeFiles, VolumeTarget};

use crate::source::{ConfigSource, SourceError, TokenSource};
use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Pod, Volume};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A volume could not be set up or torn down.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// No plugin handles this volume's source.
    #[error("volume {0:?}: no plugin supports its source")]
    Unsupported(String),
    /// A referenced object (ConfigMap, Secret, token) could not be read.
    #[error("volume {volume:?}: {source}")]
    Source {
        /// Volume name.
        volume: String,
        /// Lookup failure.
        #[source]
        source: SourceError,
    },
    /// A key named in `items` is missing and the source is not optional.
    #[error("volume {volume:?}: key {key:?} not found")]
    MissingKey {
        /// Volume name.
        volume: String,
        /// Key.
        key: String,
    },
    /// A path in `items` escapes the volume (absolute or containing `..`).
    #[error("volume {volume:?}: invalid path {path:?}")]
    InvalidPath {
        /// Volume name.
        volume: String,
        /// The path.
        path: String,
    },
    /// A hostPath check failed (type mismatch or missing path).
    #[error("volume {volume:?}: {message}")]
    HostPath {
        /// Volume name.
        volume: String,
        /// What failed.
        message: String,
    },
    /// A CSI driver call failed.
    #[error("volume {volume:?}: CSI: {message}")]
    Csi {
        /// Volume name.
        volume: String,
        /// What failed.
        message: String,
    },
    /// File system error.
    #[error("volume {volume:?}: {source}")]
    Io {
        /// Volume name.
        volume: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl VolumeError {
    pub(crate) fn io(volume: &str) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| VolumeError::Io { volume: volume.to_owned(), source }
    }
}

/// One kind of volume source.
#[async_trait]
pub trait VolumePlugin: Send + Sync {
    /// Plugin name (`kubernetes.io/empty-dir`); its directory name replaces `/` with `~`.
    fn name(&self) -> &'static str;
    /// Whether this plugin handles the volume.
    fn supports(&self, volume: &Volume) -> bool;
    /// Makes the volume's content ready in `dir` (the volume's own directory under the
    /// pod and the backend its files go to) and returns the host path to mount into
    /// containers.
    async fn set_up(
        &self,
        pod: &Pod,
        volume: &Volume,
        dir: &VolumeDir<'_>,
    ) -> Result<PathBuf, VolumeError>;
    /// Removes what `set_up` made; by default the volume's files and directory
    /// ([`VolumeDir::remove`]), what every file-backed plugin needs.
    async fn tear_down(
        &self,
        pod: &Pod,
        volume: &Volume,
        dir: &VolumeDir<'_>,
    ) -> Result<(), VolumeError> {
        let _ = (pod, volume);
        dir.remove()
    }
}

/// One volume's place, as a plugin sees it: its directory on the node and the
/// [`VolumeFiles`] backend that holds file-backed content.
#[derive(Debug, Clone, Copy)]
pub struct VolumeDir<'a> {
    /// The pod, volume and directory.
    pub target: VolumeTarget<'a>,
    /// Where the volume's files go.
    pub files: &'a dyn VolumeFiles,
}

impl VolumeDir<'_> {
    /// The volume's directory on the node (what containers mount).
    pub fn path(&self) -> &Path {
        self.target.dir
    }

    /// Writes `files` (relative path → content) into the volume, refusing paths that
    /// escape it; no files makes an empty volume.
    pub fn write(&self, files: Vec<(String, Vec<u8>)>) -> Result<(), VolumeError> {
        files::check_paths(self.target.volume, &files)?;
        self.files.write(self.target, files)
    }

    /// Removes the volume's files.
    pub fn remove(&self) -> Result<(), VolumeError> {
        self.files.remove(self.target)
    }
}

/// Removes a volume directory; a missing one is fine.
pub(crate) fn remove_dir(volume: &str, dir: &Path) -> Result<(), VolumeError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(VolumeError::io(volume)(e)),
        _ => Ok(()),
    }
}

/// Selects keys of a key → content map: all keys, or the `items` mapping key → path.
pub(crate) fn select_items(
    volume: &str,
    data: HashMap<String, Vec<u8>>,
    items: Option<&Vec<k8s_openapi::api::core::v1::KeyToPath>>,
    optional: bool,
) -> Result<Vec<(String, Vec<u8>)>, VolumeError> {
    match items {
        None => {
            let mut all: Vec<_> = data.into_iter().collect();
            all.sort();
            Ok(all)
        }
        Some(items) => {
            let mut out = Vec::new();
            for item in items {
                match data.get(&item.key) {
                    Some(v) => out.push((item.path.clone(), v.clone())),
                    None if optional => {}
                    None => {
                        return Err(VolumeError::MissingKey {
                            volume: volume.to_owned(),
                            key: item.key.clone(),
                        });
                    }
                }
            }
            Ok(out)
        }
    }
}

/// Sets up and tears down every volume of a pod with the plugins it holds.
#[derive(Clone)]
pub struct VolumeManager {
    root: PathBuf,
    plugins: Vec<Arc<dyn VolumePlugin>>,
    files: Arc<dyn VolumeFiles>,
}

impl std::fmt::Debug for VolumeManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VolumeManager")
            .field("root", &self.root)
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl VolumeManager {
    /// A manager with no plugins writing real files under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into(), plugins: Vec::new(), files: Arc::new(DiskVolumeFiles) }
    }

    /// A manager with every in-tree plugin.
    pub fn with_in_tree(
        root: impl Into<PathBuf>,
        config: Arc<dyn ConfigSource>,
        tokens: Arc<dyn TokenSource>,
    ) -> Self {
        Self::new(root)
            .with_plugin(Arc::new(empty_dir::EmptyDirPlugin))
            .with_plugin(Arc::new(host_path::HostPathPlugin))
            .with_plugin(Arc::new(config_map::ConfigMapPlugin::new(config.clone())))
            .with_plugin(Arc::new(secret::SecretPlugin::new(config.clone())))
            .with_plugin(Arc::new(downward_api::DownwardApiPlugin))
            .with_plugin(Arc::new(projected::ProjectedPlugin::new(config, tokens)))
    }

    /// Where file-backed volumes keep their files ([`DiskVolumeFiles`] unless set).
    pub fn with_files(mut self, files: Arc<dyn VolumeFiles>) -> Self {
        self.files = files;
        self
    }

    /// Adds a plugin (plugins are asked in order).
    pub fn with_plugin(mut self, plugin: Arc<dyn VolumePlugin>) -> Self {
        self.plugins.push(plugin);
        self
    }

    /// The pod's directory: `<root>/pods/<uid>`.
    pub fn pod_dir(&self, pod: &Pod) -> PathBuf {
        self.root.join("pods").join(pod.metadata.uid.as_deref().unwrap_or("unknown"))
    }

    fn plugin_for(&self, volume: &Volume) -> Result<&Arc<dyn VolumePlugin>, VolumeError> {
        self.plugins
            .iter()
            .find(|p| p.supports(volume))
            .ok_or_else(|| VolumeError::Unsupported(volume.name.clone()))
    }

    /// The backend file-backed volumes write to.
    pub fn files(&self) -> &Arc<dyn VolumeFiles> {
        &self.files
    }

    fn volume_path(&self, pod_dir: &Path, plugin: &dyn VolumePlugin, volume: &Volume) -> PathBuf {
        pod_dir.join("volumes").join(plugin.name().replace('/', "~")).join(&volume.name)
    }

    /// Sets up every volume; returns volume name → host path.
    pub async fn set_up_pod(&self, pod: &Pod) -> Result<HashMap<String, PathBuf>, VolumeError> {
        let mut out = HashMap::new();
        let pod_dir = self.pod_dir(pod);
        let pod_uid = pod.metadata.uid.as_deref().unwrap_or("unknown");
        for volume in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
            let plugin = self.plugin_for(volume)?;
            let path = self.volume_path(&pod_dir, plugin.as_ref(), volume);
            let target = VolumeTarget { pod_uid, volume: &volume.name, dir: &path };
            let dir = VolumeDir { target, files: self.files.as_ref() };
            let host_path = plugin.set_up(pod, volume, &dir).await?;
            out.insert(volume.name.clone(), host_path);
        }
        Ok(out)
    }

    /// Tears down every volume and removes what is left of the pod's volumes.
    pub async fn tear_down_pod(&self, pod: &Pod) -> Result<(), VolumeError> {
        let pod_dir = self.pod_dir(pod);
        let pod_uid = pod.metadata.uid.as_deref().unwrap_or("unknown");
        for volume in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
            let plugin = self.plugin_for(volume)?;
            let path = self.volume_path(&pod_dir, plugin.as_ref(), volume);
            let target = VolumeTarget { pod_uid, volume: &volume.name, dir: &path };
            plugin
                .tear_down(pod, volume, &VolumeDir { target, files: self.files.as_ref() })
                .await?;
        }
        self.files.remove_pod(pod_uid, &pod_dir)
    }
}
