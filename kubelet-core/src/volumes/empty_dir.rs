//! `emptyDir`: an empty directory that lives as long as the pod.

use super::{VolumeDir, VolumeError, VolumePlugin};
use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Pod, Volume};
use std::path::PathBuf;

/// The emptyDir plugin (disk medium; `Memory` is a directory too here).
#[derive(Debug, Default, Clone, Copy)]
pub struct EmptyDirPlugin;

#[async_trait]
impl VolumePlugin for EmptyDirPlugin {
    fn name(&self) -> &'static str {
        "kubernetes.io/empty-dir"
    }

    fn supports(&self, volume: &Volume) -> bool {
        volume.empty_dir.is_some()
    }

    async fn set_up(
        &self,
        _pod: &Pod,
        _volume: &Volume,
        dir: &VolumeDir<'_>,
    ) -> Result<PathBuf, VolumeError> {
        dir.write(Vec::new())?;
        Ok(dir.path().to_owned())
    }
}
