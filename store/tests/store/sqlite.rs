//! Conformance and backend-specific tests for the sqlite backend: durability across reopen,
//! a SIGKILL crash test, history beyond the in-memory window, group commit under load.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use capstan_store::sqlite::{SqliteOptions, SqliteStore, Synchronous};
use capstan_store::{
    Compactor, EventType, KvRead, KvWrite, Leases, MAX_VALUE_BYTES, Op, OpResult, RangeRequest,
    Revision, Storage, StoreError, Txn, WatchMessage, WatchRequest, WatchStream, Watchable,
};
use futures::StreamExt;

use crate::Backend;

/// How long a test waits for something that must happen.
const DEADLINE: Duration = Duration::from_secs(30);

/// Environment variable that turns `crash_child` into the crash test's writer process.
const CRASH_CHILD_DIR: &str = "CAPSTAN_CRASH_CHILD_DIR";

/// A fresh, empty sqlite store in a temp dir (kept alive by the guard).
pub async fn backend() -> Backend {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("capstan.db"), SqliteOptions::default())
        .await
        .expect("open");
    Backend { store: Arc::new(store), _guard: Some(Box::new(dir)) }
}

crate::conformance_suite!(backend);

fn db(dir: &Path) -> std::path::PathBuf {
    dir.join("capstan.db")
}

async fn open(dir: &Path, options: SqliteOptions) -> SqliteStore {
    SqliteStore::open(db(dir), options).await.expect("open")
}

fn value(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

async fn next_event(stream: &mut WatchStream) -> capstan_store::WatchEvent {
    match tokio::time::timeout(DEADLINE, stream.next()).await {
        Ok(Some(Ok(WatchMessage::Event(event)))) => event,
        other => panic!("expected an event, got {other:?}"),
    }
}

/// Everything under `/` at the latest revision, in key order.
async fn everything(store: &SqliteStore) -> Vec<capstan_store::KeyValue> {
    store.range(RangeRequest::prefix("/")).await.expect("range").kvs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_keeps_every_object_the_revision_and_leases() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (before, revision, lease, kept) = {
        let store = open(dir.path(), SqliteOptions::default()).await;
        for i in 0..50 {
            store.create(&format!("/r/{i:02}"), value(&format!("v{i}")), 0).await.expect("create");
        }
        let a = store.create("/r/updated", value("1"), 0).await.expect("create");
        store.update("/r/updated", value("2"), a.mod_revision, 0).await.expect("update");
        store.delete("/r/07", None).await.expect("delete");
        let lease = store.grant_lease(Duration::from_secs(3600)).await.expect("grant");
        let kept = store.create("/r/leased", value("l"), lease).await.expect("create");
        let revision = store.current_revision().await.expect("revision");
        (everything(&store).await, revision, lease, kept)
    };
    assert_eq!(before.len(), 51);

    let store = open(dir.path(), SqliteOptions::default()).await;
    assert_eq!(store.current_revision().await.expect("revision"), revision);
    assert_eq!(everything(&store).await, before);
    assert_eq!(store.get("/r/leased", 0).await.expect("get").kv, Some(kept));
    // History survived too: the key before its update and the deleted key.
    let old = store.get("/r/07", revision - 5).await.expect("get old").kv.expect("present then");
    assert_eq!(old.value, value("v7"));
    // Revisions continue with no hole or repeat.
    let next = store.create("/r/after", value("x"), lease).await.expect("create with old lease");
    assert_eq!(next.mod_revision, revision + 1);
    // The lease survived: revoking it deletes both attached keys at one revision.
    store.revoke_lease(lease).await.expect("revoke");
    assert_eq!(store.current_revision().await.expect("revision"), revision + 2);
    assert_eq!(store.get("/r/leased", 0).await.expect("get").kv, None);
    assert_eq!(store.get("/r/after", 0).await.expect("get").kv, None);
    assert!(
        matches!(store.revoke_lease(lease).await, Err(StoreError::LeaseNotFound(l)) if l == lease)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_survives_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let at = {
        let store = open(dir.path(), SqliteOptions::default()).await;
        for i in 0..10 {
            store.txn(Txn::new().and_then(Op::put("/c/a", i.to_string()))).await.expect("put");
        }
        let at = store.current_revision().await.expect("revision") - 2;
        store.compact(at).await.expect("compact");
        at
    };
    let store = open(dir.path(), SqliteOptions::default()).await;
    assert_eq!(store.compacted_revision(), at);
    assert!(matches!(store.get("/c/a", at - 1).await, Err(StoreError::Compacted { .. })));
    assert_eq!(store.get("/c/a", at).await.expect("get").kv.expect("kv").value, value("7"));
    let mut stream =
        store.watch(WatchRequest::prefix("/c/").from_revision(at - 1)).await.expect("watch");
    match tokio::time::timeout(DEADLINE, stream.next()).await {
        Ok(Some(Err(StoreError::Compacted { .. }))) => {}
        other => panic!("expected Compacted, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), SqliteOptions::default()).await;
    store.create("/b/ok", value("x"), 0).await.expect("create");
    let revision = store.current_revision().await.expect("revision");

    let big = Bytes::from(vec![7u8; MAX_VALUE_BYTES + 1]);
    let txn = Txn::new().and_then(Op::put("/b/fine", "y")).and_then(Op::put("/b/big", big.clone()));
    assert!(matches!(store.txn(txn).await, Err(StoreError::ValueTooLarge { .. })));
    assert!(matches!(store.create("/b/big", big, 0).await, Err(StoreError::ValueTooLarge { .. })));
    let txn = Txn::new().and_then(Op::put("/b/fine", "y")).and_then(Op::put("", "z"));
    assert!(matches!(store.txn(txn).await, Err(StoreError::InvalidKey { .. })));
    assert!(matches!(
        store.range(RangeRequest::prefix("")).await,
        Err(StoreError::InvalidKey { .. })
    ));
    assert!(matches!(
        store.watch(WatchRequest::prefix("")).await,
        Err(StoreError::InvalidKey { .. })
    ));
    let txn = Txn::new().and_then(Op::put("/b/fine", "y")).and_then(Op::Put {
        key: "/b/leased".into(),
        value: value("z"),
        lease: 424242,
    });
    assert!(matches!(store.txn(txn).await, Err(StoreError::LeaseNotFound(424242))));
    // A value of exactly the limit is fine.
    let max = Bytes::from(vec![1u8; MAX_VALUE_BYTES]);
    let written = store.create("/b/max", max.clone(), 0).await.expect("create max");
    assert_eq!(written.mod_revision, revision + 1);
    let keys: Vec<String> = everything(&store).await.into_iter().map(|kv| kv.key).collect();
    assert_eq!(keys, vec!["/b/max".to_owned(), "/b/ok".to_owned()]);
    assert_eq!(store.get("/b/max", 0).await.expect("get").kv.expect("kv").value, max);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_reads_history_beyond_the_in_memory_window() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = SqliteOptions { event_capacity: 8, ..SqliteOptions::default() };
    let store = open(dir.path(), options).await;
    let mut written = Vec::new();
    for i in 0..100 {
        let key = format!("/h/{}", i % 7);
        let txn = Txn::new().and_then(Op::put(key.clone(), i.to_string()));
        let response = store.txn(txn).await.expect("put");
        written.push((key, response.revision));
        if i % 10 == 9 {
            store.delete(&format!("/h/{}", i % 7), None).await.expect("delete");
        }
    }
    store.txn(Txn::new().and_then(Op::put("/other/x", "1"))).await.expect("put");
    let until = store.current_revision().await.expect("revision");
    let mut stream = store
        .watch(WatchRequest::prefix("/h/").from_revision(1).with_prev_kv())
        .await
        .expect("watch");
    let mut last: HashMap<String, capstan_store::KeyValue> = HashMap::new();
    let mut revisions = Vec::new();
    let mut puts = 0;
    while revisions.last().copied().unwrap_or(0) < until - 1 {
        let event = next_event(&mut stream).await;
        assert!(event.kv.key.starts_with("/h/"));
        revisions.push(event.revision());
        // prev_kv is exactly what the key held before.
        assert_eq!(event.prev_kv.as_ref(), last.get(&event.kv.key), "prev of {event:?}");
        match event.event_type {
            EventType::Put => {
                puts += 1;
                last.insert(event.kv.key.clone(), event.kv.clone());
            }
            EventType::Delete => {
                assert_eq!((event.kv.create_revision, event.kv.version), (0, 0));
                last.remove(&event.kv.key);
            }
        }
    }
    assert_eq!(puts, 100);
    assert_eq!(revisions, (2..until).collect::<Vec<Revision>>(), "every revision once, in order");
    // Live events keep coming after the history.
    let live = store.create("/h/live", value("x"), 0).await.expect("create");
    assert_eq!(next_event(&mut stream).await.kv, live);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_gives_every_txn_its_own_revision() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(open(dir.path(), SqliteOptions::default()).await);
    let mut stream =
        store.watch(WatchRequest::prefix("/g/").from_revision(1)).await.expect("watch");
    let tasks: Vec<_> = (0..64)
        .map(|t| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut revisions = Vec::new();
                for i in 0..40 {
                    let key = format!("/g/{t}/{i}");
                    // Every other write is guarded on the previous one: guards see earlier
                    // transactions of the same batch.
                    let created = store.create(&key, value("v"), 0).await.expect("create");
                    let kv = store
                        .update(&key, value("w"), created.mod_revision, 0)
                        .await
                        .expect("update");
                    assert_eq!((kv.version, kv.create_revision), (2, created.mod_revision));
                    revisions.push(created.mod_revision);
                    revisions.push(kv.mod_revision);
                }
                revisions
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("task"));
    }
    all.sort_unstable();
    // An empty store is at revision 1; every write took the next one, none was skipped.
    let expected: Vec<Revision> = (2..=64 * 80 + 1).collect();
    assert!(all == expected, "revisions are not 2..={}: {} of them", 64 * 80 + 1, all.len());
    assert_eq!(store.current_revision().await.expect("revision"), 64 * 80 + 1);
    for expected in expected {
        assert_eq!(next_event(&mut stream).await.revision(), expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_guards_and_reads_do_not_consume_revisions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), SqliteOptions::default()).await;
    let kv = store.create("/f/a", value("1"), 0).await.expect("create");
    let conflict = store.update("/f/a", value("2"), kv.mod_revision + 100, 0).await;
    assert!(matches!(conflict, Err(StoreError::Conflict { .. })));
    let read =
        store.txn(Txn::new().and_then(Op::get("/f/a")).and_then(Op::delete("/f/none"))).await;
    let read = read.expect("txn");
    assert_eq!(read.revision, kv.mod_revision);
    assert!(matches!(
        &read.results[..],
        [OpResult::Get { kv: Some(_) }, OpResult::Delete { prev: None }]
    ));
    let next = store.create("/f/b", value("1"), 0).await.expect("create");
    assert_eq!(next.mod_revision, kv.mod_revision + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_at_old_revisions_page_consistently() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), SqliteOptions::default()).await;
    for i in 0..30 {
        store.create(&format!("/p/{i:02}"), value("a"), 0).await.expect("create");
    }
    let snapshot = store.current_revision().await.expect("revision");
    for i in 0..30 {
        if i % 3 == 0 {
            store.delete(&format!("/p/{i:02}"), None).await.expect("delete");
        } else {
            store.txn(Txn::new().and_then(Op::put(format!("/p/{i:02}"), "b"))).await.expect("put");
        }
    }
    let mut keys = Vec::new();
    let mut request = RangeRequest::prefix("/p/").at_revision(snapshot).with_limit(7);
    loop {
        let page = store.range(request.clone()).await.expect("range");
        assert_eq!(page.revision, snapshot);
        assert!(page.kvs.iter().all(|kv| kv.value == value("a") && kv.mod_revision <= snapshot));
        keys.extend(page.kvs.iter().map(|kv| kv.key.clone()));
        match (page.more, page.kvs.last()) {
            (true, Some(last)) => request = request.after(last.key.clone()),
            _ => break,
        }
    }
    assert_eq!(keys, (0..30).map(|i| format!("/p/{i:02}")).collect::<Vec<_>>());
    let latest = store.range(RangeRequest::prefix("/p/")).await.expect("range");
    assert_eq!(latest.kvs.len(), 20);
    assert!(latest.kvs.iter().all(|kv| kv.value == value("b") && kv.version == 2));
}

/// Prints a figure, asserts only correctness: 64 concurrent clients writing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_throughput_figure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(open(dir.path(), SqliteOptions::default()).await);
    let started = Instant::now();
    let tasks: Vec<_> = (0..64)
        .map(|t| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in 0..50 {
                    store
                        .create(&format!("/t/{t}/{i}"), value("payload"), 0)
                        .await
                        .expect("create");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let elapsed = started.elapsed();
    let writes = store.current_revision().await.expect("revision") - 1;
    assert_eq!(writes, 64 * 50);
    let rate = writes as f64 / elapsed.as_secs_f64();
    println!(
        "sqlite: {writes} writes by 64 clients in {elapsed:?} ({rate:.0}/s, synchronous=FULL)"
    );
}

/// The writer process of `crash_test`: does nothing unless `CAPSTAN_CRASH_CHILD_DIR` is set.
/// Then it writes from several tasks until killed, printing `ACK <key> <revision> <value>`
/// for every acknowledged write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Some(dir) = std::env::var_os(CRASH_CHILD_DIR) else {
        return;
    };
    assert!(!dir.is_empty(), "{CRASH_CHILD_DIR} names the store directory");
    let options = SqliteOptions { synchronous: Synchronous::Full, ..SqliteOptions::default() };
    let store = Arc::new(open(Path::new(&dir), options).await);
    let stdout = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let store = Arc::clone(&store);
            let stdout = Arc::clone(&stdout);
            tokio::spawn(async move {
                // Bounded so an orphaned child ends by itself.
                for i in 0..200_000u32 {
                    let key = format!("/crash/{t}/{}", i % 50);
                    let text = format!("{t}-{i}");
                    let txn = if i % 10 == 0 {
                        // A two-key revision now and then.
                        Txn::new()
                            .and_then(Op::put(key.clone(), text.clone()))
                            .and_then(Op::put(format!("/crash/{t}/pair"), text.clone()))
                    } else {
                        Txn::new().and_then(Op::put(key.clone(), text.clone()))
                    };
                    let revision = store.txn(txn).await.expect("write").revision;
                    let mut out = stdout.lock().expect("stdout");
                    writeln!(out, "ACK {key} {revision} {text}").expect("print");
                    out.flush().expect("flush");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
}

/// SIGKILLs a writing child process and checks that every acknowledged write is there and
/// that the log is intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_test() {
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args(["sqlite::crash_child", "--exact", "--nocapture", "--include-ignored"])
        .env(CRASH_CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let (lines, received) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut acks: Vec<(String, Revision, String)> = Vec::new();
    let parse = |line: &str| -> Option<(String, Revision, String)> {
        let mut parts = line.strip_prefix("ACK ")?.split(' ');
        let key = parts.next()?.to_owned();
        let revision = parts.next()?.parse().ok()?;
        let text = parts.next()?.to_owned();
        Some((key, revision, text))
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while acks.len() < 2000 {
        let left = deadline.saturating_duration_since(Instant::now());
        match received.recv_timeout(left) {
            Ok(line) => acks.extend(parse(&line)),
            Err(error) => {
                let _ = child.kill();
                panic!("child stopped acknowledging after {} writes: {error}", acks.len());
            }
        }
    }
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    // Lines already in the pipe were acknowledged before the kill too.
    for line in received.iter() {
        acks.extend(parse(&line));
    }
    reader.join().expect("reader thread");
    assert!(acks.len() >= 2000);

    // The log, read directly: revisions 1..=current, each a consistent set of rows.
    let conn = rusqlite::Connection::open(db(dir.path())).expect("open db");
    let current: Revision = conn
        .query_row("SELECT value FROM meta WHERE name = 'current_revision'", [], |row| row.get(0))
        .expect("meta");
    let mut statement = conn
        .prepare(
            "SELECT revision, key, create_revision, version, prev_revision, deleted \
             FROM log ORDER BY key, revision",
        )
        .expect("prepare");
    type Row = (Revision, Vec<u8>, Revision, i64, Revision, bool);
    let rows: Vec<Row> = statement
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let mut revisions: Vec<Revision> = rows.iter().map(|row| row.0).collect();
    revisions.sort_unstable();
    revisions.dedup();
    // An empty store is at revision 1: the log holds 2..=current.
    assert_eq!(revisions, (2..=current).collect::<Vec<_>>(), "no holes, no repeats");
    let mut previous: BTreeMap<Vec<u8>, (Revision, Revision, i64)> = BTreeMap::new();
    for (revision, key, create, version, prev_revision, deleted) in &rows {
        assert!(!deleted, "the child never deletes");
        match previous.get(key) {
            Some(&(last, first, last_version)) => {
                assert_eq!((*prev_revision, *create, *version), (last, first, last_version + 1));
            }
            None => assert_eq!((*prev_revision, *create, *version), (0, *revision, 1)),
        }
        previous.insert(key.clone(), (*revision, *create, *version));
    }
    let live: i64 =
        conn.query_row("SELECT count(*) FROM current", [], |row| row.get(0)).expect("count");
    assert_eq!(live, i64::try_from(previous.len()).expect("count"));
    drop(statement);
    drop(conn);

    // Every acknowledged write, through the store.
    let store = open(dir.path(), SqliteOptions::default()).await;
    assert_eq!(store.current_revision().await.expect("revision"), current);
    let max_acked = acks.iter().map(|ack| ack.1).max().expect("acks");
    assert!(max_acked <= current);
    for (key, revision, text) in &acks {
        let kv = store.get(key, *revision).await.expect("get").kv;
        let kv = kv.unwrap_or_else(|| panic!("acknowledged {key} at {revision} is missing"));
        assert_eq!((kv.mod_revision, kv.value.as_ref()), (*revision, text.as_bytes()));
    }
    // And the store goes on from there.
    let next = store.create("/crash/after", value("x"), 0).await.expect("create");
    assert_eq!(next.mod_revision, current + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_off_still_reads_its_writes_and_backend_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = SqliteOptions {
        synchronous: Synchronous::Off,
        read_connections: 1,
        max_batch: 1,
        ..SqliteOptions::default()
    };
    let store = open(dir.path(), options).await;
    assert_eq!(store.backend_name(), "sqlite");
    assert_eq!(store.path(), db(dir.path()));
    let keys: Vec<String> = (0..8).map(|i| format!("/o/{i}")).collect();
    let tasks: Vec<_> = keys.iter().map(|key| store.create(key, value("x"), 0)).collect();
    let written = futures::future::join_all(tasks).await;
    assert!(written.iter().all(Result::is_ok));
    assert_eq!(everything(&store).await.len(), 8);
}

/// A second writer on the same file would hand out the same revisions: the first store
/// notices at its next write, refuses it and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_on_the_same_file_is_detected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = open(dir.path(), SqliteOptions::default()).await;
    let kv = first.create("/w/a", value("1"), 0).await.expect("create");
    let second = open(dir.path(), SqliteOptions::default()).await;
    let other = second.create("/w/b", value("2"), 0).await.expect("create by the second store");
    assert_eq!(other.mod_revision, kv.mod_revision + 1);
    match first.create("/w/c", value("3"), 0).await {
        Err(StoreError::Backend { message, .. }) => {
            assert!(message.contains("another writer"), "{message}")
        }
        other => panic!("expected a Backend error, got {other:?}"),
    }
    assert_eq!(first.current_revision().await.expect("revision"), kv.mod_revision);
    assert_eq!(second.get("/w/c", 0).await.expect("get").kv, None);
    let keys: Vec<String> = everything(&second).await.into_iter().map(|kv| kv.key).collect();
    assert_eq!(keys, vec!["/w/a".to_owned(), "/w/b".to_owned()]);
}

/// A lease that expires while the store is closed is revoked after reopening, with events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_expire_after_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lease, kv) = {
        let store = open(dir.path(), SqliteOptions::default()).await;
        let lease = store.grant_lease(Duration::from_millis(1)).await.expect("grant");
        let kv = store.create("/e/short", value("x"), lease).await.expect("create");
        (lease, kv)
    };
    let store = open(dir.path(), SqliteOptions::default()).await;
    let mut stream = store
        .watch(WatchRequest::prefix("/e/").from_revision(kv.mod_revision).with_prev_kv())
        .await
        .expect("watch");
    assert_eq!(next_event(&mut stream).await.kv, kv);
    let event = next_event(&mut stream).await;
    assert_eq!(event.event_type, EventType::Delete);
    assert_eq!(event.prev_kv, Some(kv.clone()));
    assert_eq!(event.revision(), kv.mod_revision + 1);
    assert_eq!(store.get("/e/short", 0).await.expect("get").kv, None);
    let late = store.create("/e/late", value("y"), lease).await;
    assert!(matches!(late, Err(StoreError::LeaseNotFound(id)) if id == lease), "{late:?}");
}
