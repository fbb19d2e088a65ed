//! A node's container logs in CRI format
//! (`<log root>/<namespace>_<pod>_<uid>/<container>/<attempt>.log`): the [`ContainerLogs`]
//! trait the runtime appends through, `pods/log` reads through and the kubelet removes a
//! pod's logs through; [`DiskContainerLogs`] (real files, what CRI runtimes write) and
//! [`MemoryContainerLogs`] (text in a map by path, for simulated runtimes).

pub mod disk;
pub mod memory;

pub use disk::DiskContainerLogs;
pub use memory::MemoryContainerLogs;

use std::path::Path;

/// Where a node's container log files live.
pub trait ContainerLogs: Send + Sync + std::fmt::Debug {
    /// Appends `text` to the log at `path`, creating it (and its directories).
    fn append(&self, path: &Path, text: &str) -> std::io::Result<()>;
    /// The log's text from byte `offset` on (empty at its end); `NotFound` when there is
    /// no log at `path`.
    fn read_from(&self, path: &Path, offset: u64) -> std::io::Result<String>;
    /// The attempts with a log (`<attempt>.log`) in a container's log directory `dir`,
    /// ascending.
    fn attempts(&self, dir: &Path) -> Vec<u32>;
    /// Removes every log under `dir` (a pod's log directory); a missing one is fine.
    fn remove_all(&self, dir: &Path);
}

/// The attempt number of a log file name (`3.log` → 3).
pub(crate) fn attempt_of(file_name: &str) -> Option<u32> {
    file_name.strip_suffix(".log")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;
    use std::sync::Arc;

    /// The same behaviour from both backends, under `root`.
    fn check(logs: &dyn ContainerLogs, root: &Path) {
        let pod = root.join("default_web_uid-1");
        let first = pod.join("app/0.log");
        logs.append(&first, "line one\n").unwrap();
        logs.append(&first, "line two\n").unwrap();
        logs.append(&pod.join("app/1.log"), "again\n").unwrap();
        logs.append(&pod.join("sidecar/0.log"), "side\n").unwrap();
        logs.append(&root.join("default_other_uid-2/app/0.log"), "other\n").unwrap();
        assert_eq!(logs.read_from(&first, 0).unwrap(), "line one\nline two\n");
        assert_eq!(logs.read_from(&first, 9).unwrap(), "line two\n");
        assert_eq!(logs.read_from(&first, 18).unwrap(), "");
        assert_eq!(logs.attempts(&pod.join("app")), vec![0, 1]);
        assert_eq!(logs.attempts(&pod.join("absent")), Vec::<u32>::new());
        let missing = logs.read_from(&pod.join("app/7.log"), 0).unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        logs.remove_all(&pod);
        assert_eq!(logs.read_from(&first, 0).unwrap_err().kind(), ErrorKind::NotFound);
        assert!(logs.attempts(&pod.join("sidecar")).is_empty());
        assert_eq!(
            logs.read_from(&root.join("default_other_uid-2/app/0.log"), 0).unwrap(),
            "other\n"
        );
        logs.remove_all(&pod);
    }

    #[test]
    fn disk_logs_append_read_list_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        check(&DiskContainerLogs, dir.path());
        assert!(dir.path().join("default_other_uid-2/app/0.log").is_file(), "real files");
        assert!(!dir.path().join("default_web_uid-1").exists());
    }

    #[test]
    fn memory_logs_append_read_list_and_remove() {
        let logs = MemoryContainerLogs::new();
        let root = Path::new("/nonexistent/logs");
        check(logs.as_ref(), root);
        assert!(!root.exists(), "nothing on disk");
        assert_eq!(logs.len(), 1, "only the other pod's log is left");
        let _: Arc<dyn ContainerLogs> = logs;
    }
}
