//! Where volume files go: the [`VolumeFiles`] trait, [`DiskVolumeFiles`] (real files, for
//! nodes whose containers mount them) and [`MemoryVolumeFiles`] (bytes in a map, for
//! simulated nodes).

pub mod disk;
pub mod memory;

pub use disk::DiskVolumeFiles;
pub use memory::MemoryVolumeFiles;

use super::VolumeError;
use std::path::{Component, Path};

/// One volume of one pod: the pod's UID, the volume's name and its directory on the node
/// (`<root>/pods/<uid>/volumes/<plugin>/<volume>`).
#[derive(Debug, Clone, Copy)]
pub struct VolumeTarget<'a> {
    /// The pod's UID.
    pub pod_uid: &'a str,
    /// The volume's name (unique within the pod).
    pub volume: &'a str,
    /// The volume's directory on the node.
    pub dir: &'a Path,
}

/// Materializes the files of file-backed volumes (configMap, secret, downwardAPI,
/// projected, emptyDir) and removes them again.
pub trait VolumeFiles: Send + Sync + std::fmt::Debug {
    /// Writes `files` (relative path → content, paths already checked to stay inside the
    /// volume) into the volume; no files makes an empty volume.
    fn write(
        &self,
        target: VolumeTarget<'_>,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<(), VolumeError>;
    /// Removes one volume's files; a missing volume is fine.
    fn remove(&self, target: VolumeTarget<'_>) -> Result<(), VolumeError>;
    /// Removes whatever is left of a pod's volumes (its directory `pod_dir`); a pod with
    /// nothing left is fine.
    fn remove_pod(&self, pod_uid: &str, pod_dir: &Path) -> Result<(), VolumeError>;
}

/// Refuses a relative path that is empty, absolute or leaves the volume (`..`, `.`).
pub(crate) fn check_paths(volume: &str, files: &[(String, Vec<u8>)]) -> Result<(), VolumeError> {
    for (rel, _) in files {
        let p = Path::new(rel);
        if rel.is_empty()
            || p.is_absolute()
            || p.components().any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(VolumeError::InvalidPath { volume: volume.to_owned(), path: rel.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_leaving_the_volume_are_refused() {
        let ok = vec![("a/b.txt".to_string(), Vec::new()), ("token".to_string(), Vec::new())];
        assert!(check_paths("v", &ok).is_ok());
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "./a"] {
            let files = vec![(bad.to_string(), Vec::new())];
            let err = check_paths("v", &files).expect_err(bad);
            assert!(matches!(err, VolumeError::InvalidPath { ref path, .. } if path == bad));
        }
    }
}
