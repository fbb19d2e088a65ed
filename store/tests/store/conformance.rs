//! The conformance suite, generic over the Storage trait: every backend must pass it.
//!
//! Each test body is a `pub async fn(Arc<dyn Storage>)`. A backend's test module runs them
//! all with `crate::conformance_suite!(factory);`, where `factory` is an
//! `async fn() -> crate::Backend` returning a fresh, empty store; the tests are then named
//! `<backend>::<body>`. The bodies never assume absolute revision numbers: they compare
//! with `current_revision()` or with the revisions writes return.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use capstan_store::{
    Compare, CompareOp, EventType, KeyValue, MAX_VALUE_BYTES, Op, OpResult, RangeRequest, Revision,
    Storage, StoreError, Txn, Update, Updated, WatchEvent, WatchMessage, WatchRequest, WatchStream,
    guaranteed_update,
};
use futures::StreamExt;

/// How long a test waits for something that must happen (an event, a lease expiry).
pub const DEADLINE: Duration = Duration::from_secs(10);

/// How long one conformance test may run in total.
pub const TEST_DEADLINE: Duration = Duration::from_secs(120);

/// Expands to one `#[tokio::test]` per conformance body, each on a fresh store from
/// `$factory` (a path to an `async fn() -> crate::Backend`).
#[macro_export]
macro_rules! conformance_suite {
    ($factory:path) => {
        $crate::conformance_suite!(@tests $factory;
            backend_has_a_name,
            create_then_get,
            create_existing_fails_with_current,
            update_checks_the_mod_revision,
            delete_basics,
            revision_advances_by_one_per_writing_txn,
            txn_guard_failure_writes_nothing,
            txn_writes_share_one_revision,
            txn_compare_operators,
            txn_get_sees_earlier_ops,
            range_by_prefix_in_key_order_with_paging,
            range_pages_are_a_snapshot_under_concurrent_writers,
            reads_at_an_old_revision_return_old_values,
            future_revision_is_refused,
            concurrent_compare_and_swap_has_one_winner_per_revision,
            guaranteed_update_from_many_tasks_counts_exactly,
            guaranteed_update_can_delete_and_leave_unchanged,
            watch_sees_every_event_once_in_order_under_concurrent_writers,
            watch_replays_history_with_prev_kv,
            watch_multi_key_txn_events_share_a_revision,
            watch_prefix_isolation,
            watch_from_zero_starts_after_the_current_revision,
            compaction_makes_old_revisions_unreadable,
            watch_from_below_compaction_fails_then_ends,
            watch_from_the_compaction_revision_works,
            lease_expiry_deletes_keys_with_delete_events,
            revoke_lease_deletes_keys_at_once,
            put_without_lease_detaches_the_key,
            put_with_unknown_lease_fails_and_writes_nothing,
            invalid_input_changes_nothing,
            progress_notify_reports_writes_to_other_prefixes,
            progress_notify_covers_other_prefixes_written_after_an_own_event,
        );
    };
    (@tests $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let backend = $factory().await;
                let body = $crate::conformance::$name(::std::sync::Arc::clone(&backend.store));
                ::tokio::time::timeout($crate::conformance::TEST_DEADLINE, body)
                    .await
                    .expect("the conformance test did not finish in time");
                drop(backend);
            }
        )*
    };
}

// ---------------------------------------------------------------------------------------
// Helpers.

fn bytes(text: impl Into<String>) -> Bytes {
    Bytes::from(text.into())
}

fn text(kv: &KeyValue) -> &str {
    std::str::from_utf8(&kv.value).expect("test values are UTF-8")
}

async fn current(store: &dyn Storage) -> Revision {
    store.current_revision().await.expect("current_revision")
}

async fn get_value(store: &dyn Storage, key: &str) -> Option<String> {
    store.get(key, 0).await.expect("get").kv.map(|kv| text(&kv).to_owned())
}

async fn put(store: &dyn Storage, key: &str, value: &str) -> KeyValue {
    let response = store.txn(Txn::new().and_then(Op::put(key, bytes(value)))).await.expect("put");
    match response.results.into_iter().next() {
        Some(OpResult::Put { kv, .. }) => kv,
        other => panic!("put of {key}: unexpected result {other:?}"),
    }
}

async fn watch(store: &dyn Storage, request: WatchRequest) -> WatchStream {
    store.watch(request).await.expect("watch")
}

/// The next message of a watch, failing the test after [`DEADLINE`].
async fn next_message(stream: &mut WatchStream) -> Option<Result<WatchMessage, StoreError>> {
    tokio::time::timeout(DEADLINE, stream.next())
        .await
        .expect("no watch message before the deadline")
}

/// The next event of a watch, skipping progress notifications.
async fn next_event(stream: &mut WatchStream) -> WatchEvent {
    loop {
        match next_message(stream).await {
            Some(Ok(WatchMessage::Event(event))) => return event,
            Some(Ok(WatchMessage::Progress { .. })) => {}
            Some(Err(error)) => panic!("watch failed: {error}"),
            None => panic!("watch ended"),
        }
    }
}

async fn next_events(stream: &mut WatchStream, count: usize) -> Vec<WatchEvent> {
    let mut events = Vec::with_capacity(count);
    while events.len() < count {
        events.push(next_event(stream).await);
    }
    events
}

fn keys(kvs: &[KeyValue]) -> Vec<&str> {
    kvs.iter().map(|kv| kv.key.as_str()).collect()
}

// ---------------------------------------------------------------------------------------
// Basics.

/// The backend reports a name.
pub async fn backend_has_a_name(store: Arc<dyn Storage>) {
    assert!(["memory", "sqlite", "etcd"].contains(&store.backend_name()));
}

/// A created key reads back with etcd's metadata at the create revision.
pub async fn create_then_get(store: Arc<dyn Storage>) {
    let before = current(&*store).await;
    let kv = store.create("/c/a", bytes("one"), 0).await.expect("create");
    assert_eq!(kv.key, "/c/a");
    assert_eq!(text(&kv), "one");
    assert_eq!(kv.mod_revision, before + 1);
    assert_eq!(kv.create_revision, kv.mod_revision);
    assert_eq!((kv.version, kv.lease), (1, 0));
    assert_eq!(current(&*store).await, kv.mod_revision);

    let got = store.get("/c/a", 0).await.expect("get");
    assert_eq!(got.kv.as_ref(), Some(&kv));
    assert_eq!(got.revision, kv.mod_revision);
    let at = store.get("/c/a", kv.mod_revision).await.expect("get at revision");
    assert_eq!(at.kv, Some(kv.clone()));
    assert_eq!(at.revision, kv.mod_revision);
    assert_eq!(store.get("/c/missing", 0).await.expect("get").kv, None);
    assert_eq!(store.get("/c/a", before).await.expect("get before").kv, None);
}

/// Creating an existing key fails with the current value and writes nothing.
pub async fn create_existing_fails_with_current(store: Arc<dyn Storage>) {
    let first = store.create("/c/a", bytes("one"), 0).await.expect("create");
    let revision = current(&*store).await;
    match store.create("/c/a", bytes("two"), 0).await {
        Err(StoreError::AlreadyExists { key, current }) => {
            assert_eq!(key, "/c/a");
            assert_eq!(*current, first);
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(current(&*store).await, revision);
    assert_eq!(get_value(&*store, "/c/a").await.as_deref(), Some("one"));
}

/// Updates succeed only at the expected mod revision; conflicts carry the current value.
pub async fn update_checks_the_mod_revision(store: Arc<dyn Storage>) {
    let created = store.create("/u/a", bytes("v1"), 0).await.expect("create");
    let updated = store.update("/u/a", bytes("v2"), created.mod_revision, 0).await.expect("update");
    assert_eq!(text(&updated), "v2");
    assert_eq!(updated.create_revision, created.create_revision);
    assert_eq!(updated.mod_revision, created.mod_revision + 1);
    assert_eq!(updated.version, 2);

    let revision = current(&*store).await;
    match store.update("/u/a", bytes("stale"), created.mod_revision, 0).await {
        Err(StoreError::Conflict { key, expected, current }) => {
            assert_eq!(key, "/u/a");
            assert_eq!(expected, created.mod_revision);
            assert_eq!(current.as_deref(), Some(&updated));
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    match store.update("/u/absent", bytes("x"), updated.mod_revision, 0).await {
        Err(StoreError::Conflict { current: None, .. }) => {}
        other => panic!("expected Conflict with no current value, got {other:?}"),
    }
    assert_eq!(current(&*store).await, revision, "failed updates must not write");
    assert_eq!(get_value(&*store, "/u/a").await.as_deref(), Some("v2"));
    assert_eq!(get_value(&*store, "/u/absent").await, None);
}

/// Deletes return the deleted value; absent keys and stale revisions fail.
pub async fn delete_basics(store: Arc<dyn Storage>) {
    let a = store.create("/d/a", bytes("a"), 0).await.expect("create a");
    let b = store.create("/d/b", bytes("b"), 0).await.expect("create b");

    let (revision, prev) = store.delete("/d/a", None).await.expect("delete a");
    assert_eq!(prev, a);
    assert_eq!(revision, b.mod_revision + 1);
    assert_eq!(current(&*store).await, revision);
    assert_eq!(get_value(&*store, "/d/a").await, None);

    match store.delete("/d/a", None).await {
        Err(StoreError::NotFound { key }) => assert_eq!(key, "/d/a"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    // Expecting "absent" (mod revision 0) of an absent key: still nothing to delete.
    match store.delete("/d/a", Some(0)).await {
        Err(StoreError::NotFound { key }) => assert_eq!(key, "/d/a"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    match store.delete("/d/b", Some(b.mod_revision + 100)).await {
        Err(StoreError::Conflict { current: Some(current), .. }) => assert_eq!(*current, b),
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(current(&*store).await, revision, "failed deletes must not write");
    let (_, prev) = store.delete("/d/b", Some(b.mod_revision)).await.expect("delete b");
    assert_eq!(prev, b);
    assert_eq!(get_value(&*store, "/d/b").await, None);

    // A recreated key starts a new incarnation.
    let again = store.create("/d/a", bytes("again"), 0).await.expect("recreate");
    assert_eq!((again.version, again.create_revision), (1, again.mod_revision));
}

// ---------------------------------------------------------------------------------------
// Revisions and transactions.

/// Every writing transaction advances the revision by exactly one; others do not move it.
pub async fn revision_advances_by_one_per_writing_txn(store: Arc<dyn Storage>) {
    let mut expected = current(&*store).await;
    for i in 0..5 {
        let kv = store.create(&format!("/r/{i}"), bytes("x"), 0).await.expect("create");
        expected += 1;
        assert_eq!(kv.mod_revision, expected);
        assert_eq!(current(&*store).await, expected);
    }
    let kv = store.update("/r/0", bytes("y"), expected - 4, 0).await.expect("update");
    expected += 1;
    assert_eq!(kv.mod_revision, expected);
    let (revision, _) = store.delete("/r/1", None).await.expect("delete");
    expected += 1;
    assert_eq!(revision, expected);

    // Transactions that write nothing: a read, a failed guard with a read, deleting a
    // missing key, an empty transaction.
    let not_writing = [
        Txn::new().and_then(Op::get("/r/0")),
        Txn::new()
            .when(Compare::absent("/r/0"))
            .and_then(Op::put("/r/0", "z"))
            .or_else(Op::get("/r/0")),
        Txn::new().and_then(Op::delete("/r/missing")),
        Txn::new(),
    ];
    for txn in not_writing {
        let response = store.txn(txn.clone()).await.expect("txn");
        assert_eq!(response.revision, expected, "{txn:?} must not advance the revision");
        assert_eq!(current(&*store).await, expected);
    }
    let response = store
        .txn(Txn::new().and_then(Op::put("/r/a", "1")).and_then(Op::put("/r/b", "2")))
        .await
        .expect("multi-put");
    expected += 1;
    assert_eq!(response.revision, expected);
    assert_eq!(current(&*store).await, expected);
}

/// A failed guard runs the else branch only; nothing of the then branch is written.
pub async fn txn_guard_failure_writes_nothing(store: Arc<dyn Storage>) {
    let guard = store.create("/t/guard", bytes("g"), 0).await.expect("create");
    let revision = current(&*store).await;
    let txn = Txn::new()
        .when(Compare::exists("/t/guard"))
        .when(Compare::mod_revision("/t/guard", guard.mod_revision + 1))
        .and_then(Op::put("/t/a", "a"))
        .and_then(Op::put("/t/b", "b"))
        .and_then(Op::delete("/t/guard"))
        .or_else(Op::get("/t/guard"))
        .or_else(Op::get("/t/a"));
    let response = store.txn(txn).await.expect("txn");
    assert!(!response.succeeded);
    assert_eq!(response.revision, revision);
    assert_eq!(
        response.results,
        vec![OpResult::Get { kv: Some(guard.clone()) }, OpResult::Get { kv: None }]
    );
    assert_eq!(current(&*store).await, revision);
    assert_eq!(get_value(&*store, "/t/a").await, None);
    assert_eq!(get_value(&*store, "/t/b").await, None);
    assert_eq!(get_value(&*store, "/t/guard").await.as_deref(), Some("g"));
}

/// Every write of a transaction gets the same, single new revision.
pub async fn txn_writes_share_one_revision(store: Arc<dyn Storage>) {
    store.create("/t/old", bytes("old"), 0).await.expect("create");
    let before = current(&*store).await;
    let txn = Txn::new()
        .when(Compare::exists("/t/old"))
        .and_then(Op::put("/t/a", "a"))
        .and_then(Op::put("/t/b", "b"))
        .and_then(Op::delete("/t/old"))
        .and_then(Op::delete("/t/never"));
    let response = store.txn(txn).await.expect("txn");
    assert!(response.succeeded);
    assert_eq!(response.revision, before + 1);
    assert_eq!(response.results.len(), 4);
    for result in &response.results[..2] {
        match result {
            OpResult::Put { kv, prev: None } => {
                assert_eq!((kv.mod_revision, kv.create_revision), (before + 1, before + 1));
            }
            other => panic!("expected a put creating a key, got {other:?}"),
        }
    }
    match &response.results[2] {
        OpResult::Delete { prev: Some(prev) } => assert_eq!(text(prev), "old"),
        other => panic!("expected the delete of /t/old, got {other:?}"),
    }
    assert_eq!(response.results[3], OpResult::Delete { prev: None });
    assert_eq!(current(&*store).await, before + 1);
    let range = store.range(RangeRequest::prefix("/t/")).await.expect("range");
    assert_eq!(keys(&range.kvs), ["/t/a", "/t/b"]);
    assert!(range.kvs.iter().all(|kv| kv.mod_revision == before + 1));
}

/// Guards compare mod revisions with =, !=, > and <; 0 stands for an absent key.
pub async fn txn_compare_operators(store: Arc<dyn Storage>) {
    let kv = store.create("/t/k", bytes("v"), 0).await.expect("create");
    let at = kv.mod_revision;
    let cases = [
        (CompareOp::Equal, at, true),
        (CompareOp::Equal, at + 1, false),
        (CompareOp::NotEqual, at, false),
        (CompareOp::NotEqual, 0, true),
        (CompareOp::Greater, at - 1, true),
        (CompareOp::Greater, at, false),
        (CompareOp::Less, at + 1, true),
        (CompareOp::Less, at, false),
    ];
    for (op, mod_revision, holds) in cases {
        let compare = Compare { key: "/t/k".to_owned(), op, mod_revision };
        let response = store.txn(Txn::new().when(compare.clone())).await.expect("txn");
        assert_eq!(response.succeeded, holds, "{compare:?} against mod revision {at}");
    }
    let absent = [
        (CompareOp::Equal, 0, true),
        (CompareOp::NotEqual, 0, false),
        (CompareOp::Less, 1, true),
        (CompareOp::Greater, 0, false),
    ];
    for (op, mod_revision, holds) in absent {
        let compare = Compare { key: "/t/absent".to_owned(), op, mod_revision };
        let response = store.txn(Txn::new().when(compare.clone())).await.expect("txn");
        assert_eq!(response.succeeded, holds, "{compare:?} against an absent key");
    }
}

/// A read in a transaction sees the writes made by earlier operations of the same branch.
pub async fn txn_get_sees_earlier_ops(store: Arc<dyn Storage>) {
    store.create("/t/gone", bytes("x"), 0).await.expect("create");
    let txn = Txn::new()
        .and_then(Op::get("/t/new"))
        .and_then(Op::put("/t/new", "fresh"))
        .and_then(Op::get("/t/new"))
        .and_then(Op::delete("/t/gone"))
        .and_then(Op::get("/t/gone"));
    let response = store.txn(txn).await.expect("txn");
    let revision = response.revision;
    match &response.results[..] {
        [
            OpResult::Get { kv: None },
            OpResult::Put { kv: written, prev: None },
            OpResult::Get { kv: Some(read) },
            OpResult::Delete { prev: Some(_) },
            OpResult::Get { kv: None },
        ] => {
            assert_eq!(read, written);
            assert_eq!(read.mod_revision, revision);
        }
        other => panic!("unexpected results {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Range.

/// A range returns the keys under the prefix in key order, pages with a limit and
/// continues after the last key.
pub async fn range_by_prefix_in_key_order_with_paging(store: Arc<dyn Storage>) {
    // Written out of order, with neighbours that share a string prefix.
    for key in ["/p/c", "/p/a", "/p/e", "/p/b", "/p/d", "/q/a", "/pa", "/o/z"] {
        store.create(key, bytes(key), 0).await.expect("create");
    }
    let all = store.range(RangeRequest::prefix("/p/")).await.expect("range");
    assert_eq!(keys(&all.kvs), ["/p/a", "/p/b", "/p/c", "/p/d", "/p/e"]);
    assert!(!all.more);
    assert_eq!(all.revision, current(&*store).await);
    assert!(all.kvs.iter().all(|kv| text(kv) == kv.key));
    // A prefix is a string prefix, not a path segment.
    let wide = store.range(RangeRequest::prefix("/p")).await.expect("range");
    assert_eq!(keys(&wide.kvs), ["/p/a", "/p/b", "/p/c", "/p/d", "/p/e", "/pa"]);
    let none = store.range(RangeRequest::prefix("/nothing/")).await.expect("range");
    assert!(none.kvs.is_empty() && !none.more);

    let page = |after: Option<&str>, limit| {
        let mut request = RangeRequest::prefix("/p/").at_revision(all.revision).with_limit(limit);
        if let Some(after) = after {
            request = request.after(after);
        }
        let store = Arc::clone(&store);
        async move { store.range(request).await.expect("range page") }
    };
    let first = page(None, 2).await;
    assert_eq!((keys(&first.kvs), first.more), (vec!["/p/a", "/p/b"], true));
    assert_eq!(first.revision, all.revision);
    let second = page(Some("/p/b"), 2).await;
    assert_eq!((keys(&second.kvs), second.more), (vec!["/p/c", "/p/d"], true));
    let third = page(Some("/p/d"), 2).await;
    assert_eq!((keys(&third.kvs), third.more), (vec!["/p/e"], false));
    let exact = page(Some("/p/c"), 2).await;
    assert_eq!((keys(&exact.kvs), exact.more), (vec!["/p/d", "/p/e"], false));
    let past = page(Some("/p/e"), 2).await;
    assert!(past.kvs.is_empty() && !past.more);
    let unlimited = page(Some("/p/a"), 0).await;
    assert_eq!(keys(&unlimited.kvs), ["/p/b", "/p/c", "/p/d", "/p/e"]);
}

/// Paging at one revision while writers add and delete keys yields exactly the snapshot
/// at that revision.
pub async fn range_pages_are_a_snapshot_under_concurrent_writers(store: Arc<dyn Storage>) {
    const INITIAL: usize = 60;
    const WRITERS: usize = 4;
    const WRITES: usize = 40;
    for i in 0..INITIAL {
        store.create(&format!("/s/init-{i:03}"), bytes("init"), 0).await.expect("create");
    }
    // Writers write a quarter, wait while the snapshot revision is taken, then write the
    // rest while the reader pages.
    let ready = Arc::new(tokio::sync::Barrier::new(WRITERS + 1));
    let go = Arc::new(tokio::sync::Barrier::new(WRITERS + 1));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (store, ready, go) = (Arc::clone(&store), Arc::clone(&ready), Arc::clone(&go));
        writers.push(tokio::spawn(async move {
            // (revision, key, whether the key exists afterwards)
            let mut log = Vec::new();
            for i in 0..WRITES {
                if i == WRITES / 4 {
                    ready.wait().await;
                    go.wait().await;
                }
                let key = format!("/s/w{w}-{i:03}");
                let kv = store.create(&key, bytes("new"), 0).await.expect("create");
                log.push((kv.mod_revision, key, true));
                let victim =
                    format!("/s/init-{:03}", w * (INITIAL / WRITERS) + i % (INITIAL / WRITERS));
                if let Ok((revision, _)) = store.delete(&victim, None).await {
                    log.push((revision, victim, false));
                }
                tokio::task::yield_now().await;
            }
            log
        }));
    }
    ready.wait().await;
    let snapshot = store.range(RangeRequest::prefix("/s/").with_limit(1)).await.expect("range");
    let at = snapshot.revision;
    go.wait().await;
    let mut paged: Vec<KeyValue> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut request = RangeRequest::prefix("/s/").at_revision(at).with_limit(7);
        if let Some(after) = after.take() {
            request = request.after(after);
        }
        let page = store.range(request).await.expect("range page");
        assert_eq!(page.revision, at);
        assert!(page.kvs.len() <= 7);
        paged.extend(page.kvs);
        if !page.more {
            break;
        }
        after = paged.last().map(|kv| kv.key.clone());
        tokio::task::yield_now().await;
    }
    let mut expected: BTreeMap<String, bool> =
        (0..INITIAL).map(|i| (format!("/s/init-{i:03}"), true)).collect();
    let mut changes = Vec::new();
    for writer in writers {
        changes.extend(writer.await.expect("writer"));
    }
    changes.sort();
    for (revision, key, exists) in changes.into_iter().filter(|(revision, ..)| *revision <= at) {
        assert!(revision > 0);
        expected.insert(key, exists);
    }
    let expected: Vec<&str> =
        expected.iter().filter(|(_, exists)| **exists).map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys(&paged), expected, "the pages must be the snapshot at revision {at}");
    assert!(paged.iter().all(|kv| kv.mod_revision <= at));
    let whole = store.range(RangeRequest::prefix("/s/").at_revision(at)).await.expect("range");
    assert_eq!(whole.kvs, paged);
    assert!(current(&*store).await > at, "the writers must have written after the snapshot");
}

/// Reads at an older revision see the values of that revision, deleted keys included.
pub async fn reads_at_an_old_revision_return_old_values(store: Arc<dyn Storage>) {
    let v1 = store.create("/h/a", bytes("v1"), 0).await.expect("create");
    let b = store.create("/h/b", bytes("b"), 0).await.expect("create");
    let v2 = store.update("/h/a", bytes("v2"), v1.mod_revision, 0).await.expect("update");
    let (deleted_at, _) = store.delete("/h/b", None).await.expect("delete");
    let v3 = store.update("/h/a", bytes("v3"), v2.mod_revision, 0).await.expect("update");

    for (revision, value) in
        [(v1.mod_revision, "v1"), (b.mod_revision, "v1"), (v2.mod_revision, "v2")]
    {
        let got = store.get("/h/a", revision).await.expect("get");
        assert_eq!(got.kv.as_ref().map(text), Some(value), "at {revision}");
        assert_eq!(got.revision, revision);
    }
    assert_eq!(store.get("/h/a", v1.mod_revision).await.expect("get").kv, Some(v1.clone()));
    assert_eq!(store.get("/h/b", deleted_at - 1).await.expect("get").kv, Some(b.clone()));
    assert_eq!(store.get("/h/b", deleted_at).await.expect("get").kv, None);

    let old =
        store.range(RangeRequest::prefix("/h/").at_revision(v2.mod_revision)).await.expect("range");
    assert_eq!(old.revision, v2.mod_revision);
    assert_eq!(old.kvs, vec![v2.clone(), b.clone()]);
    let latest = store.range(RangeRequest::prefix("/h/")).await.expect("range");
    assert_eq!(latest.kvs, vec![v3]);
}

/// Reads above the current revision fail with FutureRevision.
pub async fn future_revision_is_refused(store: Arc<dyn Storage>) {
    store.create("/f/a", bytes("a"), 0).await.expect("create");
    let now = current(&*store).await;
    match store.get("/f/a", now + 1).await {
        Err(StoreError::FutureRevision { requested, .. }) => assert_eq!(requested, now + 1),
        other => panic!("expected FutureRevision, got {other:?}"),
    }
    match store.range(RangeRequest::prefix("/f/").at_revision(now + 10)).await {
        Err(StoreError::FutureRevision { requested, .. }) => assert_eq!(requested, now + 10),
        other => panic!("expected FutureRevision, got {other:?}"),
    }
    assert_eq!(store.get("/f/a", now).await.expect("get at current").revision, now);
}

// ---------------------------------------------------------------------------------------
// Concurrency.

/// Many tasks race compare-and-swap increments on one key: exactly one wins per revision.
pub async fn concurrent_compare_and_swap_has_one_winner_per_revision(store: Arc<dyn Storage>) {
    const TASKS: usize = 16;
    const ATTEMPTS: usize = 50;
    store.create("/cas/counter", bytes("0"), 0).await.expect("create");
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut won = Vec::new();
            for _ in 0..ATTEMPTS {
                let kv = store.get("/cas/counter", 0).await.expect("get").kv.expect("counter");
                let next = text(&kv).parse::<u64>().expect("number") + 1;
                match store
                    .update("/cas/counter", bytes(next.to_string()), kv.mod_revision, 0)
                    .await
                {
                    Ok(written) => {
                        assert_eq!(text(&written), next.to_string());
                        won.push(written.mod_revision);
                    }
                    Err(StoreError::Conflict { current: Some(current), .. }) => {
                        assert!(current.mod_revision > kv.mod_revision);
                    }
                    Err(other) => panic!("unexpected error {other}"),
                }
            }
            won
        }));
    }
    let mut revisions = Vec::new();
    for task in tasks {
        revisions.extend(task.await.expect("task"));
    }
    let distinct: HashSet<Revision> = revisions.iter().copied().collect();
    assert_eq!(distinct.len(), revisions.len(), "two updates won the same revision");
    assert!(!revisions.is_empty());
    let kv = store.get("/cas/counter", 0).await.expect("get").kv.expect("counter");
    assert_eq!(text(&kv), revisions.len().to_string());
    assert_eq!(kv.version, revisions.len() as i64 + 1);
    assert_eq!(revisions.iter().max(), Some(&kv.mod_revision));
}

/// guaranteed_update from many tasks applies every increment exactly once.
pub async fn guaranteed_update_from_many_tasks_counts_exactly(store: Arc<dyn Storage>) {
    const TASKS: usize = 16;
    const INCREMENTS: usize = 10;
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            for _ in 0..INCREMENTS {
                let updated =
                    guaranteed_update::<_, StoreError, _>(&*store, "/g/counter", 0, |kv| {
                        let value = kv.map_or(0, |kv| text(kv).parse::<usize>().expect("number"));
                        Ok(Update::Put(bytes((value + 1).to_string())))
                    })
                    .await
                    .expect("guaranteed update");
                assert!(matches!(updated, Updated::Written(_)));
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    assert_eq!(get_value(&*store, "/g/counter").await, Some((TASKS * INCREMENTS).to_string()));
}

/// guaranteed_update deletes, leaves unchanged, and passes closure errors through.
pub async fn guaranteed_update_can_delete_and_leave_unchanged(store: Arc<dyn Storage>) {
    let kv = store.create("/g/k", bytes("v"), 0).await.expect("create");
    let revision = current(&*store).await;
    let unchanged =
        guaranteed_update::<_, StoreError, _>(&*store, "/g/k", 0, |_| Ok(Update::Unchanged))
            .await
            .expect("unchanged");
    assert_eq!(unchanged, Updated::Unchanged(Some(kv.clone())));
    let failed = guaranteed_update::<_, StoreError, _>(&*store, "/g/k", 0, |_| {
        Err(StoreError::InvalidRequest("no".to_owned()))
    })
    .await;
    assert!(matches!(failed, Err(StoreError::InvalidRequest(_))));
    assert_eq!(current(&*store).await, revision);
    let deleted = guaranteed_update::<_, StoreError, _>(&*store, "/g/k", 0, |_| Ok(Update::Delete))
        .await
        .expect("delete");
    assert_eq!(deleted, Updated::Deleted(kv));
    assert_eq!(get_value(&*store, "/g/k").await, None);
}

// ---------------------------------------------------------------------------------------
// Watch.

/// Under concurrent writers, a watch delivers every event once, in revision order.
pub async fn watch_sees_every_event_once_in_order_under_concurrent_writers(
    store: Arc<dyn Storage>,
) {
    const WRITERS: usize = 8;
    const PUTS: usize = 100;
    let start = current(&*store).await + 1;
    let mut stream = watch(&*store, WatchRequest::prefix("/w/").from_revision(start)).await;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let store = Arc::clone(&store);
        writers.push(tokio::spawn(async move {
            let mut written = Vec::with_capacity(PUTS);
            for i in 0..PUTS {
                let key = format!("/w/{w}/{}", i % 10);
                let kv = put(&*store, &key, &i.to_string()).await;
                written.push((kv.mod_revision, key));
            }
            written
        }));
    }
    // Unrelated writes must not show up.
    for i in 0..20 {
        put(&*store, &format!("/other/{i}"), "x").await;
    }
    let events = next_events(&mut stream, WRITERS * PUTS).await;
    let mut expected = BTreeSet::new();
    for writer in writers {
        expected.extend(writer.await.expect("writer"));
    }
    for pair in events.windows(2) {
        assert!(pair[0].revision() < pair[1].revision(), "events out of order: {pair:?}");
    }
    let seen: BTreeSet<(Revision, String)> =
        events.iter().map(|e| (e.revision(), e.kv.key.clone())).collect();
    assert_eq!(seen, expected);
    assert!(events.iter().all(|e| e.event_type == EventType::Put && e.prev_kv.is_none()));
}

/// A watch from an old revision replays the history, deletes included, with prev_kv.
pub async fn watch_replays_history_with_prev_kv(store: Arc<dyn Storage>) {
    let v1 = store.create("/wh/a", bytes("v1"), 0).await.expect("create");
    let v2 = store.update("/wh/a", bytes("v2"), v1.mod_revision, 0).await.expect("update");
    let (deleted_at, _) = store.delete("/wh/a", None).await.expect("delete");
    let b = store.create("/wh/b", bytes("b"), 0).await.expect("create");

    let request = WatchRequest::prefix("/wh/").from_revision(v1.mod_revision);
    let mut stream = watch(&*store, request.clone().with_prev_kv()).await;
    let events = next_events(&mut stream, 4).await;
    assert_eq!(events[0], WatchEvent { event_type: EventType::Put, kv: v1.clone(), prev_kv: None });
    assert!(events[0].is_create());
    assert_eq!(
        events[1],
        WatchEvent { event_type: EventType::Put, kv: v2.clone(), prev_kv: Some(v1.clone()) }
    );
    assert!(!events[1].is_create());
    assert_eq!(events[2].event_type, EventType::Delete);
    assert_eq!(events[2].kv.key, "/wh/a");
    assert_eq!(events[2].kv.mod_revision, deleted_at);
    assert!(events[2].kv.value.is_empty());
    assert_eq!(events[2].prev_kv, Some(v2.clone()));
    assert_eq!(events[3], WatchEvent { event_type: EventType::Put, kv: b.clone(), prev_kv: None });

    // Without prev_kv, from the middle of the history.
    let mut stream = watch(&*store, request.from_revision(v2.mod_revision)).await;
    let events = next_events(&mut stream, 3).await;
    assert_eq!(
        events.iter().map(|e| (e.event_type, e.revision())).collect::<Vec<_>>(),
        [
            (EventType::Put, v2.mod_revision),
            (EventType::Delete, deleted_at),
            (EventType::Put, b.mod_revision)
        ]
    );
    assert!(events.iter().all(|e| e.prev_kv.is_none()));
    // The replay continues live.
    let c = store.create("/wh/c", bytes("c"), 0).await.expect("create");
    assert_eq!(next_event(&mut stream).await.kv, c);
}

/// The events of one multi-key transaction share its revision and come in operation order.
pub async fn watch_multi_key_txn_events_share_a_revision(store: Arc<dyn Storage>) {
    store.create("/wt/old", bytes("old"), 0).await.expect("create");
    let start = current(&*store).await + 1;
    let mut stream = watch(&*store, WatchRequest::prefix("/wt/").from_revision(start)).await;
    let txn = Txn::new()
        .and_then(Op::put("/wt/z", "z"))
        .and_then(Op::delete("/wt/old"))
        .and_then(Op::put("/wt/a", "a"));
    let revision = store.txn(txn).await.expect("txn").revision;
    let events = next_events(&mut stream, 3).await;
    assert_eq!(
        events.iter().map(|e| (e.event_type, e.kv.key.as_str(), e.revision())).collect::<Vec<_>>(),
        [
            (EventType::Put, "/wt/z", revision),
            (EventType::Delete, "/wt/old", revision),
            (EventType::Put, "/wt/a", revision)
        ]
    );
}

/// A watch sees only keys under its prefix.
pub async fn watch_prefix_isolation(store: Arc<dyn Storage>) {
    let start = current(&*store).await + 1;
    let mut stream = watch(&*store, WatchRequest::prefix("/a/").from_revision(start)).await;
    let mut expected = Vec::new();
    for (i, key) in ["/b/x", "/a/x", "/ab", "/a", "/a/y/z", "/A/x", "/b/a/"].into_iter().enumerate()
    {
        let kv = put(&*store, key, &i.to_string()).await;
        if key.starts_with("/a/") {
            expected.push(kv);
        }
    }
    store.delete("/b/x", None).await.expect("delete");
    let (deleted_at, _) = store.delete("/a/x", None).await.expect("delete");
    let end = put(&*store, "/a/end", "end").await;
    let events = next_events(&mut stream, 4).await;
    assert_eq!(events[0].kv, expected[0]);
    assert_eq!(events[1].kv, expected[1]);
    assert_eq!((events[2].event_type, events[2].revision()), (EventType::Delete, deleted_at));
    assert_eq!(events[3].kv, end);
}

/// A watch from revision 0 delivers only changes after the store's current revision.
pub async fn watch_from_zero_starts_after_the_current_revision(store: Arc<dyn Storage>) {
    put(&*store, "/wz/before", "x").await;
    let mut stream = watch(&*store, WatchRequest::prefix("/wz/")).await;
    let after = put(&*store, "/wz/after", "y").await;
    assert_eq!(next_event(&mut stream).await.kv, after);
}

// ---------------------------------------------------------------------------------------
// Compaction.

/// After compaction, reads below the compaction revision fail; reads at or above work.
pub async fn compaction_makes_old_revisions_unreadable(store: Arc<dyn Storage>) {
    let v1 = store.create("/k/a", bytes("v1"), 0).await.expect("create");
    let b = store.create("/k/b", bytes("b"), 0).await.expect("create");
    let v2 = store.update("/k/a", bytes("v2"), v1.mod_revision, 0).await.expect("update");
    let (deleted_at, _) = store.delete("/k/b", None).await.expect("delete");
    let v3 = store.update("/k/a", bytes("v3"), v2.mod_revision, 0).await.expect("update");

    let at = v2.mod_revision;
    store.compact(at).await.expect("compact");
    for old in [v1.mod_revision, b.mod_revision] {
        assert!(
            matches!(store.get("/k/a", old).await, Err(StoreError::Compacted { .. })),
            "get at {old} after compacting at {at}"
        );
        assert!(matches!(
            store.range(RangeRequest::prefix("/k/").at_revision(old)).await,
            Err(StoreError::Compacted { .. })
        ));
    }
    let kept = store.range(RangeRequest::prefix("/k/").at_revision(at)).await.expect("range");
    assert_eq!(kept.kvs, vec![v2.clone(), b.clone()]);
    assert_eq!(store.get("/k/b", deleted_at).await.expect("get").kv, None);
    assert_eq!(store.get("/k/a", 0).await.expect("get").kv, Some(v3.clone()));
    let latest = store.range(RangeRequest::prefix("/k/")).await.expect("range");
    assert_eq!(latest.kvs, vec![v3.clone()]);
    // Writing goes on as before.
    let v4 = store.update("/k/a", bytes("v4"), v3.mod_revision, 0).await.expect("update");
    assert_eq!((v4.version, v4.create_revision), (4, v1.create_revision));
}

/// A watch from below the compaction revision gets Err(Compacted) first, then ends.
pub async fn watch_from_below_compaction_fails_then_ends(store: Arc<dyn Storage>) {
    let first = put(&*store, "/wc/a", "1").await;
    put(&*store, "/wc/a", "2").await;
    let third = put(&*store, "/wc/a", "3").await;
    store.compact(third.mod_revision).await.expect("compact");
    let mut stream =
        watch(&*store, WatchRequest::prefix("/wc/").from_revision(first.mod_revision)).await;
    match next_message(&mut stream).await {
        Some(Err(StoreError::Compacted { .. })) => {}
        other => panic!("expected Err(Compacted), got {other:?}"),
    }
    assert!(next_message(&mut stream).await.is_none(), "the stream must end after the error");
}

/// A watch from exactly the compaction revision delivers that revision's events on.
pub async fn watch_from_the_compaction_revision_works(store: Arc<dyn Storage>) {
    put(&*store, "/wc/a", "1").await;
    let second = put(&*store, "/wc/a", "2").await;
    let third = put(&*store, "/wc/b", "3").await;
    store.compact(second.mod_revision).await.expect("compact");
    let mut stream = watch(
        &*store,
        WatchRequest::prefix("/wc/").from_revision(second.mod_revision).with_prev_kv(),
    )
    .await;
    let events = next_events(&mut stream, 2).await;
    assert_eq!(events[0].kv, second);
    assert_eq!(events[1].kv, third);
    let fourth = put(&*store, "/wc/a", "4").await;
    let event = next_event(&mut stream).await;
    assert_eq!(event.kv, fourth);
    assert_eq!(event.prev_kv, Some(second));
}

// ---------------------------------------------------------------------------------------
// Leases.

/// A key attached to a short lease disappears when it expires, with a Delete event.
pub async fn lease_expiry_deletes_keys_with_delete_events(store: Arc<dyn Storage>) {
    let lease = store.grant_lease(Duration::from_secs(1)).await.expect("grant");
    assert_ne!(lease, 0);
    let start = current(&*store).await + 1;
    let mut stream = watch(&*store, WatchRequest::prefix("/l/").from_revision(start)).await;
    let kv = store.create("/l/short", bytes("x"), lease).await.expect("create");
    assert_eq!(kv.lease, lease);
    let kept = store.create("/l/kept", bytes("y"), 0).await.expect("create");
    assert_eq!(next_event(&mut stream).await.kv, kv);
    assert_eq!(next_event(&mut stream).await.kv, kept);
    let event = next_event(&mut stream).await;
    assert_eq!(event.event_type, EventType::Delete);
    assert_eq!(event.kv.key, "/l/short");
    assert!(event.revision() > kept.mod_revision);
    assert_eq!(store.get("/l/short", 0).await.expect("get").kv, None);
    assert_eq!(get_value(&*store, "/l/kept").await.as_deref(), Some("y"));
    // The expired lease cannot be used any more.
    match store.create("/l/late", bytes("z"), lease).await {
        Err(StoreError::LeaseNotFound(id)) => assert_eq!(id, lease),
        other => panic!("expected LeaseNotFound, got {other:?}"),
    }
}

/// Revoking a lease deletes its keys at once, in one revision.
pub async fn revoke_lease_deletes_keys_at_once(store: Arc<dyn Storage>) {
    let lease = store.grant_lease(Duration::from_secs(60)).await.expect("grant");
    store.create("/l/a", bytes("a"), lease).await.expect("create");
    store.create("/l/b", bytes("b"), lease).await.expect("create");
    store.create("/l/free", bytes("free"), 0).await.expect("create");
    let before = current(&*store).await;
    let mut stream =
        watch(&*store, WatchRequest::prefix("/l/").from_revision(before + 1).with_prev_kv()).await;
    store.revoke_lease(lease).await.expect("revoke");
    assert_eq!(current(&*store).await, before + 1, "a revoke deletes its keys in one revision");
    assert_eq!(get_value(&*store, "/l/a").await, None);
    assert_eq!(get_value(&*store, "/l/b").await, None);
    assert_eq!(get_value(&*store, "/l/free").await.as_deref(), Some("free"));
    let events = next_events(&mut stream, 2).await;
    let mut deleted: Vec<&str> = events.iter().map(|e| e.kv.key.as_str()).collect();
    deleted.sort_unstable();
    assert_eq!(deleted, ["/l/a", "/l/b"]);
    assert!(events.iter().all(|e| e.event_type == EventType::Delete && e.revision() == before + 1));
    assert!(events.iter().all(|e| e.prev_kv.as_ref().is_some_and(|prev| prev.lease == lease)));
    assert!(
        matches!(store.revoke_lease(lease).await, Err(StoreError::LeaseNotFound(id)) if id == lease)
    );
}

/// Writing a key without a lease detaches it: revoking the old lease leaves it alone.
pub async fn put_without_lease_detaches_the_key(store: Arc<dyn Storage>) {
    let lease = store.grant_lease(Duration::from_secs(60)).await.expect("grant");
    let kv = store.create("/l/k", bytes("leased"), lease).await.expect("create");
    let kv = store.update("/l/k", bytes("free"), kv.mod_revision, 0).await.expect("update");
    assert_eq!(kv.lease, 0);
    let moved = store.create("/l/m", bytes("leased"), lease).await.expect("create");
    let other = store.grant_lease(Duration::from_secs(60)).await.expect("grant");
    let moved =
        store.update("/l/m", bytes("other"), moved.mod_revision, other).await.expect("update");
    assert_eq!(moved.lease, other);
    store.revoke_lease(lease).await.expect("revoke");
    assert_eq!(get_value(&*store, "/l/k").await.as_deref(), Some("free"));
    assert_eq!(get_value(&*store, "/l/m").await.as_deref(), Some("other"));
    store.revoke_lease(other).await.expect("revoke");
    assert_eq!(get_value(&*store, "/l/m").await, None);
}

/// A put with a lease that does not exist fails and writes nothing.
pub async fn put_with_unknown_lease_fails_and_writes_nothing(store: Arc<dyn Storage>) {
    let unknown = 0x5eed_1ea5e;
    let before = current(&*store).await;
    match store.create("/l/x", bytes("x"), unknown).await {
        Err(StoreError::LeaseNotFound(id)) => assert_eq!(id, unknown),
        other => panic!("expected LeaseNotFound, got {other:?}"),
    }
    let txn = Txn::new().and_then(Op::put("/l/y", "y")).and_then(Op::Put {
        key: "/l/z".to_owned(),
        value: bytes("z"),
        lease: unknown,
    });
    assert!(matches!(store.txn(txn).await, Err(StoreError::LeaseNotFound(_))));
    assert_eq!(current(&*store).await, before);
    assert!(store.range(RangeRequest::prefix("/l/")).await.expect("range").kvs.is_empty());
    assert!(matches!(store.revoke_lease(unknown).await, Err(StoreError::LeaseNotFound(_))));
}

// ---------------------------------------------------------------------------------------
// Input checks.

/// Bad keys, oversized values and malformed transactions fail and change nothing.
pub async fn invalid_input_changes_nothing(store: Arc<dyn Storage>) {
    store.create("/i/existing", bytes("x"), 0).await.expect("create");
    let before = current(&*store).await;
    let too_big = Bytes::from(vec![b'x'; MAX_VALUE_BYTES + 1]);

    assert!(matches!(store.create("", bytes("x"), 0).await, Err(StoreError::InvalidKey { .. })));
    assert!(matches!(store.get("", 0).await, Err(StoreError::InvalidKey { .. })));
    assert!(matches!(store.delete("", None).await, Err(StoreError::InvalidKey { .. })));
    assert!(matches!(
        store.create("/i/big", too_big.clone(), 0).await,
        Err(StoreError::ValueTooLarge { size, .. }) if size == MAX_VALUE_BYTES + 1
    ));
    assert!(matches!(
        store.update("/i/existing", too_big.clone(), before, 0).await,
        Err(StoreError::ValueTooLarge { .. })
    ));
    let txns = [
        // One valid write next to an oversized one.
        Txn::new().and_then(Op::put("/i/ok", "ok")).and_then(Op::put("/i/big", too_big.clone())),
        // An empty key in a guard, in an op, or in the branch that does not run.
        Txn::new().when(Compare::exists("")).and_then(Op::put("/i/ok", "ok")),
        Txn::new().and_then(Op::put("/i/ok", "ok")).and_then(Op::delete("")),
        Txn::new().and_then(Op::put("/i/ok", "ok")).or_else(Op::put("", "x")),
        // The same key written twice.
        Txn::new().and_then(Op::put("/i/ok", "1")).and_then(Op::put("/i/ok", "2")),
        Txn::new().and_then(Op::put("/i/ok", "1")).and_then(Op::delete("/i/ok")),
        Txn::new().and_then(Op::delete("/i/existing")).and_then(Op::put("/i/existing", "y")),
    ];
    for txn in txns {
        let result = store.txn(txn.clone()).await;
        assert!(
            matches!(
                result,
                Err(StoreError::InvalidKey { .. }
                    | StoreError::ValueTooLarge { .. }
                    | StoreError::InvalidRequest(_))
            ),
            "{txn:?} must be refused, got {result:?}"
        );
    }
    assert!(matches!(
        store.txn(Txn::new().and_then(Op::put("/i/ok", "1")).and_then(Op::put("/i/ok", "2"))).await,
        Err(StoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        store.range(RangeRequest::prefix("")).await,
        Err(StoreError::InvalidKey { .. })
    ));
    assert!(store.watch(WatchRequest::prefix("")).await.is_err());

    assert_eq!(current(&*store).await, before, "refused input must not advance the revision");
    let range = store.range(RangeRequest::prefix("/i/")).await.expect("range");
    assert_eq!(keys(&range.kvs), ["/i/existing"]);
    assert_eq!(text(&range.kvs[0]), "x");

    // A large value under the limit is fine.
    let large = Bytes::from(vec![b'y'; 1024 * 1024]);
    let kv = store.create("/i/large", large.clone(), 0).await.expect("create a 1 MiB value");
    assert_eq!(kv.value, large);
    assert_eq!(store.get("/i/large", 0).await.expect("get").kv.map(|kv| kv.value), Some(large));
}

// ---------------------------------------------------------------------------------------
// Progress.

/// A watch asking for progress learns that the store moved past writes to other prefixes.
pub async fn progress_notify_reports_writes_to_other_prefixes(store: Arc<dyn Storage>) {
    let start = current(&*store).await + 1;
    let request = WatchRequest::prefix("/pa/").from_revision(start).with_progress_notify();
    let mut stream = watch(&*store, request).await;
    let written = put(&*store, "/pb/x", "x").await;
    loop {
        match next_message(&mut stream).await {
            Some(Ok(WatchMessage::Progress { revision })) if revision >= written.mod_revision => {
                break;
            }
            Some(Ok(WatchMessage::Progress { .. })) => {}
            other => panic!("expected a progress notification, got {other:?}"),
        }
    }
    // Events still come through after progress notifications.
    let own = put(&*store, "/pa/y", "y").await;
    assert_eq!(next_event(&mut stream).await.kv, own);
}

/// Writes to other prefixes committed right after a watched key (read by the watcher in
/// one go) are still announced: the watcher learns the store's latest revision without
/// another write.
pub async fn progress_notify_covers_other_prefixes_written_after_an_own_event(
    store: Arc<dyn Storage>,
) {
    let start = current(&*store).await + 1;
    let own = put(&*store, "/pc/a", "a").await;
    let mut last = own.mod_revision;
    for i in 0..5 {
        last = put(&*store, &format!("/pd/{i}"), "x").await.mod_revision;
    }
    let request = WatchRequest::prefix("/pc/").from_revision(start).with_progress_notify();
    let mut stream = watch(&*store, request).await;
    assert_eq!(next_event(&mut stream).await.kv, own);
    loop {
        match next_message(&mut stream).await {
            Some(Ok(WatchMessage::Progress { revision })) if revision >= last => break,
            Some(Ok(WatchMessage::Progress { .. })) => {}
            other => panic!("expected a progress notification up to {last}, got {other:?}"),
        }
    }
}
