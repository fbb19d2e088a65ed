//! [`DiskContainerLogs`]: container logs as real files, as CRI runtimes write them.

use super::{ContainerLogs, attempt_of};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Real files under the node's log root.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiskContainerLogs;

impl ContainerLogs for DiskContainerLogs {
    fn append(&self, path: &Path, text: &str) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        file.write_all(text.as_bytes())
    }

    fn read_from(&self, path: &Path, offset: u64) -> std::io::Result<String> {
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        Ok(text)
    }

    fn attempts(&self, dir: &Path) -> Vec<u32> {
        let mut v: Vec<u32> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| attempt_of(e.file_name().to_str()?))
            .collect();
        v.sort_unstable();
        v
    }

    fn remove_all(&self, dir: &Path) {
        let _ = std::fs::remove_dir_all(dir);
    }
}
