//! Volumes: the [`VolumePlugin`] trait, the in-tree plugins (emptyDir, configMap, secret,
//! downwardAPI, projected, hostPath), CSI node operations, and the per-pod
//! [`VolumeManager`].
//!
//! Plugins write real files under `<root>/pods/<uid>/volumes/<plugin>/<volume>`, the
//! layout kubelet uses (`kubernetes.io~configmap`, …).

pub mod config_map;
pub mod csi;
pub mod downward_api;
pub mod empty_dir;
pub mod host_path;
pub mod projected;
pub mod secret;

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
    /// pod) and returns the host path to mount into containers.
    async fn set_up(&self, pod: &Pod, volume: &Volume, dir: &Path) -> Result<PathBuf, VolumeError>;
    /// Removes what `set_up` made.
    async fn tear_down(&self, pod: &Pod, volume: &Volume, dir: &Path) -> Result<(), VolumeError>;
}

/// Writes `files` (relative path → content) into `dir`, refusing paths that escape it.
pub(crate) fn write_files(
    volume: &str,
    dir: &Path,
    files: &[(String, Vec<u8>)],
) -> Result<(), VolumeError> {
    std::fs::create_dir_all(dir).map_err(VolumeError::io(volume))?;
    for (rel, content) in files {
        let p = Path::new(rel);
        if rel.is_empty()
            || p.is_absolute()
            || p.components().any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(VolumeError::InvalidPath { volume: volume.to_owned(), path: rel.clone() });
        }
        let target = dir.join(p);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(VolumeError::io(volume))?;
        }
        let tmp = target.with_extension("capstan-tmp");
        std::fs::write(&tmp, content).map_err(VolumeError::io(volume))?;
        std::fs::rename(&tmp, &target).map_err(VolumeError::io(volume))?;
    }
    Ok(())
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
}

impl std::fmt::Debug for VolumeManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VolumeManager").field("root", &self.root).finish_non_exhaustive()
    }
}

impl VolumeManager {
    /// A manager with no plugins writing under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into(), plugins: Vec::new() }
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

    fn volume_dir(&self, pod: &Pod, plugin: &dyn VolumePlugin, volume: &Volume) -> PathBuf {
        self.pod_dir(pod).join("volumes").join(plugin.name().replace('/', "~")).join(&volume.name)
    }

    /// Sets up every volume; returns volume name → host path.
    pub async fn set_up_pod(&self, pod: &Pod) -> Result<HashMap<String, PathBuf>, VolumeError> {
        let mut out = HashMap::new();
        for volume in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
            let plugin = self.plugin_for(volume)?;
            let dir = self.volume_dir(pod, plugin.as_ref(), volume);
            let path = plugin.set_up(pod, volume, &dir).await?;
            out.insert(volume.name.clone(), path);
        }
        Ok(out)
    }

    /// Tears down every volume and removes the pod directory.
    pub async fn tear_down_pod(&self, pod: &Pod) -> Result<(), VolumeError> {
        for volume in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
            let plugin = self.plugin_for(volume)?;
            let dir = self.volume_dir(pod, plugin.as_ref(), volume);
            plugin.tear_down(pod, volume, &dir).await?;
        }
        remove_dir("pod", &self.pod_dir(pod))
    }
}
