//! [`MemoryVolumeFiles`]: volume files kept as bytes in a map keyed by pod UID and volume
//! name, for simulated nodes whose containers never read a real file system.

use super::{VolumeFiles, VolumeTarget};
use crate::volumes::VolumeError;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// One volume's files: relative path → content.
pub type VolumeContent = BTreeMap<String, Vec<u8>>;

/// One volume's files, sorted by path; equal contents share one allocation.
type Files = Vec<(Box<str>, Arc<[u8]>)>;

/// Pod UID → volumes (name, files). Nothing touches the disk; a pod's entry is dropped
/// when its volumes are torn down. Each distinct content is held once however many files
/// have it (every pod's `ca.crt` and most `namespace` files are the same bytes).
#[derive(Debug, Default)]
pub struct MemoryVolumeFiles {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    pods: HashMap<String, Vec<(Box<str>, Files)>>,
    /// Every content some file holds, for sharing.
    contents: HashSet<Arc<[u8]>>,
}

impl State {
    fn volume(&self, pod_uid: &str, volume: &str) -> Option<&Files> {
        self.pods.get(pod_uid)?.iter().find(|(v, _)| &**v == volume).map(|(_, f)| f)
    }

    /// The shared copy of `content`.
    fn share(&mut self, content: Vec<u8>) -> Arc<[u8]> {
        if let Some(held) = self.contents.get(content.as_slice()) {
            return held.clone();
        }
        let content: Arc<[u8]> = content.into();
        self.contents.insert(content.clone());
        content
    }

    /// Lets go of files' contents, forgetting those no other file holds.
    fn release(&mut self, files: Files) {
        for (_, content) in files {
            // Held by this file and by `contents` only.
            if Arc::strong_count(&content) == 2 {
                self.contents.remove(&content);
            }
        }
    }
}

impl MemoryVolumeFiles {
    /// An empty store.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The content of `path` (relative to the volume) in a pod's volume, as a container
    /// mounting it would read it.
    pub fn file(&self, pod_uid: &str, volume: &str, path: &str) -> Option<Vec<u8>> {
        let state = self.state.lock();
        let files = state.volume(pod_uid, volume)?;
        files.iter().find(|(p, _)| &**p == path).map(|(_, c)| c.to_vec())
    }

    /// Every file of a pod's volume; `None` when the volume is not set up.
    pub fn volume(&self, pod_uid: &str, volume: &str) -> Option<VolumeContent> {
        let state = self.state.lock();
        let files = state.volume(pod_uid, volume)?;
        Some(files.iter().map(|(p, c)| (p.to_string(), c.to_vec())).collect())
    }

    /// The UIDs of the pods holding at least one volume.
    pub fn pods(&self) -> Vec<String> {
        self.state.lock().pods.keys().cloned().collect()
    }

    /// Total bytes of file content, each file counted (as a container reads them).
    pub fn bytes(&self) -> usize {
        let state = self.state.lock();
        let files = state.pods.values().flatten().flat_map(|(_, files)| files);
        files.map(|(_, c)| c.len()).sum()
    }

    /// How many distinct contents are held (equal files share one).
    pub fn distinct_contents(&self) -> usize {
        self.state.lock().contents.len()
    }
}

impl VolumeFiles for MemoryVolumeFiles {
    fn write(
        &self,
        target: VolumeTarget<'_>,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<(), VolumeError> {
        let mut state = self.state.lock();
        let mut replaced = Files::new();
        let mut shared: Vec<(String, Arc<[u8]>)> =
            files.into_iter().map(|(p, c)| (p, state.share(c))).collect();
        let volumes = state.pods.entry(target.pod_uid.to_owned()).or_default();
        let at = match volumes.iter().position(|(v, _)| &**v == target.volume) {
            Some(at) => at,
            None => {
                volumes.push((target.volume.into(), Files::new()));
                volumes.len() - 1
            }
        };
        let volume = &mut volumes[at].1;
        for (path, content) in shared.drain(..) {
            match volume.binary_search_by(|(p, _)| (**p).cmp(path.as_str())) {
                Ok(i) => replaced.push(std::mem::replace(&mut volume[i], (path.into(), content))),
                Err(i) => volume.insert(i, (path.into(), content)),
            }
        }
        volume.shrink_to_fit();
        state.release(replaced);
        Ok(())
    }

    fn remove(&self, target: VolumeTarget<'_>) -> Result<(), VolumeError> {
        let mut state = self.state.lock();
        let Some(volumes) = state.pods.get_mut(target.pod_uid) else {
            return Ok(());
        };
        let removed = volumes
            .iter()
            .position(|(v, _)| &**v == target.volume)
            .map(|at| volumes.swap_remove(at).1);
        if volumes.is_empty() {
            state.pods.remove(target.pod_uid);
        }
        if let Some(files) = removed {
            state.release(files);
        }
        Ok(())
    }

    fn remove_pod(&self, pod_uid: &str, _pod_dir: &Path) -> Result<(), VolumeError> {
        let mut state = self.state.lock();
        for (_, files) in state.pods.remove(pod_uid).into_iter().flatten() {
            state.release(files);
        }
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

    #[test]
    fn equal_contents_are_held_once_until_no_file_has_them() {
        let m = MemoryVolumeFiles::new();
        let ca = b"-----BEGIN CERTIFICATE-----".to_vec();
        for uid in ["u1", "u2", "u3"] {
            let files = vec![
                ("ca.crt".to_string(), ca.clone()),
                ("token".to_string(), format!("token of {uid}").into_bytes()),
            ];
            m.write(target(uid, "api"), files).unwrap();
        }
        assert_eq!(m.distinct_contents(), 4, "one ca.crt and three tokens");
        assert_eq!(m.bytes(), 3 * ca.len() + 3 * "token of u1".len());
        assert_eq!(m.file("u2", "api", "ca.crt"), Some(ca.clone()));
        // Rewriting a file replaces it in place (sorted by path) and lets go of the old one.
        m.write(target("u1", "api"), vec![("token".to_string(), b"new".to_vec())]).unwrap();
        assert_eq!(m.distinct_contents(), 4);
        let files: Vec<_> = m.volume("u1", "api").unwrap().into_keys().collect();
        assert_eq!(files, vec!["ca.crt".to_string(), "token".to_string()]);
        m.remove(target("u1", "api")).unwrap();
        m.remove_pod("u2", Path::new("/nonexistent")).unwrap();
        assert_eq!(m.distinct_contents(), 2, "the ca.crt u3 holds and u3's token");
        m.remove_pod("u3", Path::new("/nonexistent")).unwrap();
        assert_eq!(m.distinct_contents(), 0);
        assert_eq!(m.bytes(), 0);
    }
}
