//! Conformance and backend-specific tests for the memory backend.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use capstan_store::memory::{MemoryStats, MemoryStore};
use capstan_store::{
    Compactor, EventType, KvRead, KvWrite, Leases, Op, RangeRequest, Storage, StoreError, Txn,
    WatchMessage, WatchRequest, Watchable,
};
use futures::StreamExt;

use crate::Backend;

/// A fresh, empty memory store.
pub async fn factory() -> Backend {
    Backend { store: Arc::new(MemoryStore::new()), _guard: None }
}

crate::conformance_suite!(factory);

/// The conformance suite again on a store whose event log keeps a single event: every
/// watch that starts or falls behind reads its events from the index.
mod short_log {
    use super::*;

    /// A fresh, empty memory store with a one-event log.
    pub async fn factory() -> Backend {
        Backend { store: Arc::new(MemoryStore::with_log_capacity(1)), _guard: None }
    }

    crate::conformance_suite!(factory);
}

#[test]
fn new_works_outside_a_runtime() {
    let store = MemoryStore::new();
    let stats = store.stats();
    assert_eq!(stats, MemoryStats { revision: 1, ..MemoryStats::default() });
    assert_eq!(store.backend_name(), "memory");
    // Reads and writes need no runtime either; only leases do.
    let kv = futures::executor::block_on(store.create("/a", Bytes::from_static(b"x"), 0))
        .expect("create");
    assert_eq!(kv.mod_revision, 2);
    let granted = futures::executor::block_on(store.grant_lease(Duration::from_secs(1)));
    assert!(matches!(granted, Err(StoreError::Backend { .. })), "{granted:?}");
}

#[tokio::test]
async fn compaction_frees_superseded_versions_and_tombstones() {
    let store = MemoryStore::new();
    let mut revision = 0;
    for i in 0..100 {
        revision = store
            .txn(
                Txn::new()
                    .and_then(Op::put("/k/hot", i.to_string()))
                    .and_then(Op::put(format!("/k/cold-{}", i % 10), "x")),
            )
            .await
            .expect("txn")
            .revision;
    }
    for i in 0..5 {
        store.delete(&format!("/k/cold-{i}"), None).await.expect("delete");
    }
    let before = store.stats();
    assert_eq!((before.keys, before.versions), (11, 205));
    store.compact(revision).await.expect("compact");
    let middle = store.stats();
    // /k/hot and the ten cold keys keep one version each; the tombstones come after `revision`.
    assert_eq!((middle.keys, middle.versions, middle.compacted), (11, 16, revision));
    let current = store.current_revision().await.expect("revision");
    store.compact(current).await.expect("compact");
    let after = store.stats();
    assert_eq!((after.keys, after.versions), (6, 6), "deleted keys are forgotten");
    let range = store.range(RangeRequest::prefix("/k/")).await.expect("range");
    assert_eq!(range.kvs.len(), 6);
    assert!(matches!(
        store.compact(current).await,
        Err(StoreError::Compacted { requested, compacted }) if requested == current && compacted == current
    ));
    assert!(matches!(store.compact(current + 1).await, Err(StoreError::FutureRevision { .. })));
}

#[tokio::test]
async fn dropping_the_store_stops_the_expiry_task() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let tasks_before = metrics.num_alive_tasks();
    let store = MemoryStore::new();
    let lease = store.grant_lease(Duration::from_secs(60)).await.expect("grant");
    store.grant_lease(Duration::from_secs(60)).await.expect("grant");
    assert_eq!(metrics.num_alive_tasks(), tasks_before + 1, "one expiry task per store");
    store.create("/l/a", Bytes::from_static(b"x"), lease).await.expect("create");
    // A watch keeps neither the store nor its expiry task alive.
    let _watch = store.watch(WatchRequest::prefix("/l/")).await.expect("watch");
    let clone = store.clone();
    drop(store);
    assert_eq!(clone.stats().leases, 2, "clones share the store");
    drop(clone);
    let stopped = tokio::time::timeout(Duration::from_secs(10), async {
        while metrics.num_alive_tasks() > tasks_before {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(stopped.is_ok(), "the expiry task outlived its store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_removes_only_the_due_leases() {
    let store = MemoryStore::new();
    // A long lease first puts the expiry task to sleep; a short one granted later expires
    // while the long one stays.
    store.grant_lease(Duration::from_secs(3600)).await.expect("grant");
    let short = store.grant_lease(Duration::from_secs(1)).await.expect("grant");
    let kv = store.create("/l/short", Bytes::from_static(b"x"), short).await.expect("create");
    let mut stream = store
        .watch(WatchRequest::prefix("/l/").from_revision(kv.mod_revision + 1))
        .await
        .expect("watch");
    let event = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("expiry within the deadline");
    match event {
        Some(Ok(WatchMessage::Event(event))) => {
            assert_eq!((event.event_type, event.kv.key.as_str()), (EventType::Delete, "/l/short"));
        }
        other => panic!("expected the expiry's delete event, got {other:?}"),
    }
    assert_eq!(store.stats().leases, 1);
}

#[tokio::test]
async fn dropping_the_store_ends_its_watches() {
    let store = MemoryStore::new();
    let kv = store.create("/w/a", Bytes::from_static(b"x"), 0).await.expect("create");
    let mut stream = store
        .watch(WatchRequest::prefix("/w/").from_revision(kv.mod_revision))
        .await
        .expect("watch");
    match tokio::time::timeout(Duration::from_secs(10), stream.next()).await {
        Ok(Some(Ok(WatchMessage::Event(event)))) => assert_eq!(event.kv, kv),
        other => panic!("expected the event, got {other:?}"),
    }
    // The watcher now waits for the next commit; dropping the store wakes it to end.
    drop(store);
    let end = tokio::time::timeout(Duration::from_secs(10), stream.next()).await;
    assert!(matches!(end, Ok(None)), "the watch must end with its store, got {end:?}");
}

/// Prints the single-client write and watch rates (the figure to compare with the target
/// of 200,000 writes/s, which needs a release build) and checks every write landed.
#[tokio::test]
async fn write_path_throughput_figure() {
    const WRITES: usize = 20_000;
    let store = MemoryStore::new();
    let start = store.current_revision().await.expect("revision") + 1;
    let value = Bytes::from(vec![b'x'; 512]);
    let started = std::time::Instant::now();
    for i in 0..WRITES {
        let key = format!("/registry/pods/ns-{}/pod-{i}", i % 10);
        store.create(&key, value.clone(), 0).await.expect("create");
    }
    let elapsed = started.elapsed();
    let rate = WRITES as f64 / elapsed.as_secs_f64();
    println!("memory: {WRITES} creates in {elapsed:?}: {rate:.0} writes/s");

    let mut stream =
        store.watch(WatchRequest::prefix("/registry/").from_revision(start)).await.expect("watch");
    let started = std::time::Instant::now();
    let mut expected = start;
    while expected < start + WRITES as i64 {
        match stream.next().await {
            Some(Ok(WatchMessage::Event(event))) => assert_eq!(event.revision(), expected),
            other => panic!("unexpected watch message {other:?}"),
        }
        expected += 1;
    }
    println!("memory: {WRITES} watch events in {:?}", started.elapsed());
    assert_eq!(store.stats().versions, WRITES);
}
