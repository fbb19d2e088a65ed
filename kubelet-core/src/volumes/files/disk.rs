//! [`DiskVolumeFiles`]: volume files as real files under the volume's directory, what a
//! node whose container runtime mounts them needs.

use super::{VolumeFiles, VolumeTarget, check_paths};
use crate::volumes::{VolumeError, remove_dir};
use std::path::Path;

/// Writes each file to a temporary name beside it, then renames it into place (checking
/// again that no path leaves the volume: these are real files).
#[derive(Debug, Default, Clone, Copy)]
pub struct DiskVolumeFiles;

impl VolumeFiles for DiskVolumeFiles {
    fn write(
        &self,
        target: VolumeTarget<'_>,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<(), VolumeError> {
        check_paths(target.volume, &files)?;
        std::fs::create_dir_all(target.dir).map_err(VolumeError::io(target.volume))?;
        for (rel, content) in files {
            let path = target.dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(VolumeError::io(target.volume))?;
            }
            let tmp = path.with_extension("capstan-tmp");
            std::fs::write(&tmp, content).map_err(VolumeError::io(target.volume))?;
            std::fs::rename(&tmp, &path).map_err(VolumeError::io(target.volume))?;
        }
        Ok(())
    }

    fn remove(&self, target: VolumeTarget<'_>) -> Result<(), VolumeError> {
        remove_dir(target.volume, target.dir)
    }

    fn remove_pod(&self, _pod_uid: &str, pod_dir: &Path) -> Result<(), VolumeError> {
        remove_dir("pod", pod_dir)
    }
}
