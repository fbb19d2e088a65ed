//! [`MemoryVolumeFiles`]: volume files kept as bytes in a map keyed by pod UID and volume
//! name, for simulated nodes whose containers never read a real file system.

use super::{VolumeFiles, VolumeTarget};
use crate::volumes::VolumeError;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// One volume's files: relative path → content.
pub type VolumeContent = BTreeMap<String, Vec<u8>>;

/// Pod UID → volume name → files. Nothing touches the disk; a pod's entry is dropped when
/// its volumes are torn down.
#[derive(Debug, Default)]
pub struct MemoryVolumeFiles {
    pods: Mutex<HashMap<String, HashMap<String, VolumeContent>>>,
}

impl MemoryVolumeFiles {
    /// An empty store.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The content of `path` (relative to the volume) in a pod's volume, as a container
    /// mounting it would read it.
    pub fn file(&self, pod_uid: &str, volume: &str, path: &str) -> Option<Vec<u8>> {
        self.pods.lock().get(pod_uid)?.get(volume)?.get(path).cloned()
    }

    /// Every file of a pod's volume; `None` when the volume is not set up.
    pub fn volume(&self, pod_uid: &str, volume: &str) -> Option<VolumeContent> {
        self.pods.lock().get(pod_uid)?.get(volume).cloned()
    }

    /// The UIDs of the pods holding at least one volume.
    pub fn pods(&self) -> Vec<String> {
        self.pods.lock().keys().cloned().collect()
    }

    /// Total bytes of file content held.
    pub fn bytes(&self) -> usize {
        let pods = self.pods.lock();
        pods.values().flat_map(|v| v.values()).flat_map(|f| f.values()).map(Vec::len).sum()
    }
}

impl VolumeFiles for MemoryVolumeFiles {
    fn write(
        &self,
        target: VolumeTarget<'_>,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<(), VolumeError> {
        let mut pods = self.pods.lock();
        let volume = pods
            .entry(target.pod_uid.to_owned())
            .or_default()
            .entry(target.volume.to_owned())
            .or_default();
        volume.extend(files);
        Ok(())
    }

    fn remove(&self, target: VolumeTarget<'_>) -> Result<(), VolumeError> {
        let mut pods = self.pods.lock();
        if let Some(volumes) = pods.get_mut(target.pod_uid) {
            volumes.remove(target.volume);
            if volumes.is_empty() {
                pods.remove(target.pod_uid);
            }
        }
        Ok(())
    }

    fn remove_pod(&self, pod_uid: &str, _pod_dir: &Path) -> Result<(), VolumeError> {
        self.pods.lock().remove(pod_uid);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target<'a>(uid: &'a str, volume: &'a str) -> VolumeTarget<'a> {
        VolumeTarget { pod_uid: uid, volume, dir: Path::new("/nonexistent/volume") }
    }

    #[test]
    fn files_are_kept_per_pod_and_volume_and_freed() {
        let m = MemoryVolumeFiles::new();
        m.write(target("u1", "cfg"), vec![("a".into(), b"1".to_vec())]).unwrap();
        m.write(target("u1", "tok"), vec![("token".into(), b"t".to_vec())]).unwrap();
        m.write(target("u2", "cfg"), vec![("a".into(), b"2".to_vec())]).unwrap();
        assert_eq!(m.file("u1", "cfg", "a").as_deref(), Some(&b"1"[..]));
        assert_eq!(m.file("u2", "cfg", "a").as_deref(), Some(&b"2"[..]));
        assert_eq!(m.bytes(), 3);
        m.remove(target("u1", "cfg")).unwrap();
        assert!(m.volume("u1", "cfg").is_none());
        assert!(m.volume("u1", "tok").is_some());
        m.remove(target("u1", "tok")).unwrap();
        assert_eq!(m.pods(), vec!["u2".to_string()], "a pod without volumes is dropped");
        m.remove_pod("u2", Path::new("/nonexistent")).unwrap();
        assert!(m.pods().is_empty());
        assert_eq!(m.bytes(), 0);
        assert!(!Path::new("/nonexistent/volume").exists(), "nothing on disk");
    }

    #[test]
    fn an_empty_volume_is_held_until_removed() {
        let m = MemoryVolumeFiles::new();
        m.write(target("u", "scratch"), Vec::new()).unwrap();
        assert_eq!(m.volume("u", "scratch"), Some(VolumeContent::new()));
        m.remove_pod("u", Path::new("/nonexistent")).unwrap();
        assert_eq!(m.volume("u", "scratch"), None);
    }
}
