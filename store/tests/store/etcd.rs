//! Conformance and backend-specific tests for the etcd backend, against real etcd processes.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use capstan_store::etcd::testing::EtcdCluster;
use capstan_store::etcd::{EtcdOptions, EtcdStore};
use capstan_store::{
    KeyValue, KvRead, KvWrite, Revision, Storage, StoreError, WatchMessage, WatchRequest,
    WatchStream, Watchable,
};
use futures::StreamExt;

use crate::Backend;

/// How long the fault tolerance tests wait for the cluster to recover.
const RECOVERY_DEADLINE: Duration = Duration::from_secs(30);

/// A fresh single-member etcd and a store connected to it.
pub async fn factory() -> Backend {
    let cluster = EtcdCluster::start(1).await;
    let store = EtcdStore::connect(&cluster.endpoints(), EtcdOptions::default())
        .await
        .unwrap_or_else(|error| panic!("connect to etcd: {error}\n{}", cluster.describe()));
    Backend { store: Arc::new(store), _guard: Some(Box::new(cluster)) }
}

crate::conformance_suite!(factory);

/// Retries `operation` while it fails with a retryable error, until [`RECOVERY_DEADLINE`].
async fn retrying<T, F, Fut>(what: &str, mut operation: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let deadline = Instant::now() + RECOVERY_DEADLINE;
    loop {
        match operation().await {
            Err(error) if error.is_retryable() && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) if error.is_retryable() => {
                panic!("{what} still unavailable after {RECOVERY_DEADLINE:?}: {error}")
            }
            result => return result,
        }
    }
}

/// Creates `key` with `value`, retrying on unavailability. A retry that finds the key
/// already holding `value` means an earlier attempt was applied and its answer lost.
async fn create_acknowledged(store: &EtcdStore, key: &str, value: &str) -> KeyValue {
    let value = Bytes::from(value.to_owned());
    let result = retrying("create", || store.create(key, value.clone(), 0)).await;
    match result {
        Ok(kv) => kv,
        Err(StoreError::AlreadyExists { current, .. }) if current.value == value => *current,
        Err(error) => panic!("create {key}: {error}"),
    }
}

/// Reads watch messages until every revision in `expected` was delivered; fails on a
/// duplicate, an out-of-order or an unexpected event.
async fn expect_exactly(stream: &mut WatchStream, expected: &BTreeMap<Revision, KeyValue>) {
    let deadline = Instant::now() + RECOVERY_DEADLINE;
    let mut seen = HashSet::new();
    let mut last = 0;
    while seen.len() < expected.len() {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let message = tokio::time::timeout(remaining, stream.next()).await.unwrap_or_else(|_| {
            panic!("watch delivered {} of {} events", seen.len(), expected.len())
        });
        let event = match message {
            Some(Ok(WatchMessage::Event(event))) => event,
            Some(Ok(WatchMessage::Progress { .. })) => continue,
            Some(Err(error)) => panic!("watch failed: {error}"),
            None => panic!("watch ended"),
        };
        let revision = event.revision();
        assert!(revision > last, "event at {revision} after {last}: out of order or duplicate");
        last = revision;
        assert_eq!(expected.get(&revision), Some(&event.kv), "unexpected event {event:?}");
        seen.insert(revision);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_to_a_closed_port_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let options = EtcdOptions {
        connect_timeout: Duration::from_millis(200),
        request_timeout: Duration::from_millis(500),
        ..EtcdOptions::default()
    };
    match EtcdStore::connect(&[endpoint], options).await {
        Err(error) => assert!(error.is_retryable(), "expected Unavailable, got {error:?}"),
        Ok(_) => panic!("connected to a closed port"),
    }
    assert!(matches!(
        EtcdStore::connect(&[], EtcdOptions::default()).await,
        Err(StoreError::InvalidRequest(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_starts_and_stops_etcd() {
    let mut cluster = EtcdCluster::start(1).await;
    assert_eq!(cluster.len(), 1);
    assert!(cluster.endpoint(0).starts_with("http://127.0.0.1:"));
    assert_eq!(cluster.wait_for_leader(RECOVERY_DEADLINE).await, 0);
    let dir = cluster.dir().to_path_buf();
    assert!(dir.is_dir());
    let store =
        EtcdStore::connect(&cluster.endpoints(), EtcdOptions::default()).await.expect("connect");
    assert_eq!(store.backend_name(), "etcd");
    cluster.kill(0);
    assert!(!cluster.is_running(0));
    drop(cluster);
    assert!(!dir.exists(), "the cluster's directory outlived it");
}

/// A value of exactly the store's limit fits into the harness's etcd.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn largest_value_round_trips() {
    let backend = factory().await;
    let value = Bytes::from(vec![b'v'; capstan_store::MAX_VALUE_BYTES]);
    let kv = backend.store.create("/big/a", value.clone(), 0).await.expect("create");
    assert_eq!(kv.value.len(), value.len());
    let got = backend.store.get("/big/a", 0).await.expect("get").kv.expect("present");
    assert_eq!(got.value, value);
}

/// A watch's stream breaks when its only member dies; it resumes from the next revision
/// once the member is back and delivers every acknowledged write exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_resumes_after_member_restart() {
    let mut cluster = EtcdCluster::start(1).await;
    let store =
        EtcdStore::connect(&cluster.endpoints(), EtcdOptions::default()).await.expect("connect");
    let start = store.current_revision().await.expect("revision") + 1;
    let mut stream =
        store.watch(WatchRequest::prefix("/r/").from_revision(start)).await.expect("watch");
    let mut expected = BTreeMap::new();
    for i in 0..10 {
        let kv = create_acknowledged(&store, &format!("/r/before-{i}"), "x").await;
        expected.insert(kv.mod_revision, kv);
    }
    expect_exactly(&mut stream, &expected).await;
    cluster.kill(0);
    cluster.restart(0).await;
    let mut after = BTreeMap::new();
    for i in 0..10 {
        let kv = create_acknowledged(&store, &format!("/r/after-{i}"), "y").await;
        after.insert(kv.mod_revision, kv);
    }
    expect_exactly(&mut stream, &after).await;
    assert!(store.watch_resumptions() > 0);
}

/// Three members; the leader is killed while writes go on. Writes and reads keep working
/// (after retrying while the cluster elects a new leader), and watches started before the
/// kill see every acknowledged write exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_survive_the_leader_being_killed() {
    let mut cluster = EtcdCluster::start(3).await;
    let store = EtcdStore::connect(&cluster.endpoints(), EtcdOptions::default())
        .await
        .unwrap_or_else(|error| panic!("connect: {error}\n{}", cluster.describe()));
    let start = store.current_revision().await.expect("revision") + 1;
    // Many watches, spread at random over the members, so that some are on the leader
    // (all miss it with probability (2/3)^30 < 1e-5).
    let mut streams = Vec::new();
    for _ in 0..30 {
        let request = WatchRequest::prefix("/ha/").from_revision(start);
        streams.push(store.watch(request).await.expect("watch"));
    }
    let mut expected = BTreeMap::new();
    for i in 0..20 {
        let kv = create_acknowledged(&store, &format!("/ha/before-{i:02}"), &format!("b{i}")).await;
        expected.insert(kv.mod_revision, kv);
    }

    let leader = cluster.wait_for_leader(RECOVERY_DEADLINE).await;
    cluster.kill(leader);
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut written = Vec::new();
            for i in 0..40 {
                let value = format!("a{i}");
                written
                    .push(create_acknowledged(&store, &format!("/ha/after-{i:02}"), &value).await);
            }
            written
        })
    };
    let written = writer.await.expect("writer");
    for kv in written {
        let read = retrying("get", || store.get(&kv.key, 0)).await.expect("get");
        assert_eq!(read.kv.as_ref(), Some(&kv), "read of {} after the leader died", kv.key);
        expected.insert(kv.mod_revision, kv);
    }
    let new_leader = cluster.wait_for_leader(RECOVERY_DEADLINE).await;
    assert_ne!(new_leader, leader, "the killed member cannot lead");
    let range = retrying("range", || store.range(capstan_store::RangeRequest::prefix("/ha/")))
        .await
        .expect("range");
    assert_eq!(range.kvs.len(), 60);
    for stream in &mut streams {
        expect_exactly(stream, &expected).await;
    }
    assert!(store.watch_resumptions() > 0, "no watch was on the killed leader");
}

/// The per-request timeout bounds unary requests only: a watch outlives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_outlives_the_request_timeout() {
    let cluster = EtcdCluster::start(1).await;
    let options =
        EtcdOptions { request_timeout: Duration::from_millis(500), ..EtcdOptions::default() };
    let store = EtcdStore::connect(&cluster.endpoints(), options).await.expect("connect");
    let mut stream = store.watch(WatchRequest::prefix("/t/")).await.expect("watch");
    // Let time pass beyond the request timeout: the property under test, not a wait for
    // something to happen.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let kv = store.create("/t/a", Bytes::from_static(b"x"), 0).await.expect("create");
    let expected = BTreeMap::from([(kv.mod_revision, kv)]);
    expect_exactly(&mut stream, &expected).await;
    assert_eq!(store.watch_resumptions(), 0, "the watch stream was cut and resumed");
}
