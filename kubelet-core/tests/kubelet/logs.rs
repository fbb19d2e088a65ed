//! Container logs: the simulated runtime's CRI lines for each attempt, kept in memory (the
//! simulated node's default) or as real files, and removed with the pod.

use crate::support::*;
use capstan_kubelet_core::sim::{LogStorage, VolumeStorage};
use capstan_kubelet_core::source::PodEvent;
use std::path::PathBuf;
use std::sync::Arc;

/// Runs a pod whose container exits 1 after a second until it has restarted once, checks
/// both attempts' logs through the node's log storage, then deletes the pod; returns the
/// container's log directory.
async fn two_attempts_then_delete(n: &Node) -> PathBuf {
    let mut p = pod("crashy", vec![container("app")]);
    annotate(&mut p, &[("run-seconds", "1"), ("exit-code", "1")]);
    let id = uid(&p);
    let p = Arc::new(p);
    n.sim.agent.apply(PodEvent::Upsert(p.clone()));
    wait_pod(&n.sink, &id, "a restart", |s| {
        s.container_statuses.as_ref().is_some_and(|c| c[0].restart_count >= 1)
    })
    .await;
    let dir = n.dir.path().join("logs").join(format!("default_crashy_{id}")).join("app");
    let logs = n.sim.log_storage.logs();
    let attempts = logs.attempts(&dir);
    assert!(attempts.starts_with(&[0, 1]), "{attempts:?}");
    let first = logs.read_from(&dir.join("0.log"), 0).unwrap();
    let lines: Vec<&str> = first.lines().map(|l| l.splitn(4, ' ').nth(3).unwrap()).collect();
    assert_eq!(lines, ["started app attempt 0", "exiting with code 1"], "{first}");
    let second = logs.read_from(&dir.join("1.log"), 0).unwrap();
    assert!(second.contains("stdout F started app attempt 1"), "{second}");

    n.sim.agent.apply(PodEvent::Delete { pod: p, grace_period_seconds: Some(1) });
    wait_sink(&n.sink, "terminated", |s| s.terminated().iter().any(|k| k.uid == id)).await;
    assert!(logs.attempts(&dir).is_empty(), "the pod's logs are removed");
    dir
}

#[tokio::test(start_paused = true)]
async fn memory_log_storage_holds_each_attempt_and_frees_them_with_the_pod() {
    let n = node();
    let held = n.sim.log_storage.memory_logs().expect("memory is the default").clone();
    let dir = two_attempts_then_delete(&n).await;
    assert!(!n.dir.path().join("logs").exists(), "nothing written to disk under {dir:?}");
    assert!(held.is_empty(), "{} logs left", held.len());
}

#[tokio::test(start_paused = true)]
async fn disk_log_storage_writes_cri_files_and_removes_them_with_the_pod() {
    let n = node_with_storage(VolumeStorage::default(), LogStorage::Disk);
    assert!(n.sim.log_storage.memory_logs().is_none());
    let dir = two_attempts_then_delete(&n).await;
    assert!(n.dir.path().join("logs").is_dir(), "the log root is a real directory");
    assert!(!dir.parent().unwrap().exists(), "the pod's log directory is removed");
}
