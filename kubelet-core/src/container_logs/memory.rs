//! [`MemoryContainerLogs`]: container logs as text in a map keyed by path, for simulated
//! runtimes; nothing touches the disk.

use super::{ContainerLogs, attempt_of};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::io::{Error, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Log path → text. Paths sort by component, so a directory's logs are one range.
#[derive(Debug, Default)]
pub struct MemoryContainerLogs {
    logs: Mutex<BTreeMap<PathBuf, String>>,
}

impl MemoryContainerLogs {
    /// An empty store.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Number of logs held.
    pub fn len(&self) -> usize {
        self.logs.lock().len()
    }

    /// Whether no log is held.
    pub fn is_empty(&self) -> bool {
        self.logs.lock().is_empty()
    }

    /// The paths of the logs under `dir`.
    fn under(logs: &BTreeMap<PathBuf, String>, dir: &Path) -> Vec<PathBuf> {
        logs.range(dir.to_path_buf()..)
            .map(|(p, _)| p)
            .take_while(|p| p.starts_with(dir))
            .cloned()
            .collect()
    }
}

impl ContainerLogs for MemoryContainerLogs {
    fn append(&self, path: &Path, text: &str) -> std::io::Result<()> {
        let mut logs = self.logs.lock();
        match logs.get_mut(path) {
            Some(log) => log.push_str(text),
            None => {
                logs.insert(path.to_path_buf(), text.to_owned());
            }
        }
        Ok(())
    }

    fn read_from(&self, path: &Path, offset: u64) -> std::io::Result<String> {
        let logs = self.logs.lock();
        let log = logs.get(path).ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("no log at {}", path.display()))
        })?;
        let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(log.len());
        log.get(offset..).map(str::to_owned).ok_or_else(|| {
            Error::new(ErrorKind::InvalidInput, format!("offset {offset} splits a character"))
        })
    }

    fn attempts(&self, dir: &Path) -> Vec<u32> {
        let logs = self.logs.lock();
        let mut v: Vec<u32> = Self::under(&logs, dir)
            .iter()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| attempt_of(p.file_name()?.to_str()?))
            .collect();
        v.sort_unstable();
        v
    }

    fn remove_all(&self, dir: &Path) {
        let mut logs = self.logs.lock();
        for path in Self::under(&logs, dir) {
            logs.remove(&path);
        }
    }
}
