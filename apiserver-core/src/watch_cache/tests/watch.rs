//! Watches: initial state, resume, 410, selector transitions, bookmarks, sendInitialEvents, slow watchers, relist after compaction.

use http::StatusCode;

use super::support::FaultyStore;
use super::*;

fn watch_at(rv: impl ToString) -> ListOptions {
    ListOptions { watch: true, ..at(rv) }
}

#[tokio::test]
async fn watch_from_zero_sends_the_state_then_live_events() {
    let store = memory();
    let ra = put(&*store, "default", "a", &[], "n1").await;
    let rb = put(&*store, "default", "b", &[], "n1").await;
    let cache = cache(&store, WatchCacheConfig::default()).await;
    let mut all = cache.watch(None, &watch_at(0)).expect("watch");
    let mut unset =
        cache.watch(None, &ListOptions { watch: true, ..Default::default() }).expect("watch");
    for watch in [&mut all, &mut unset] {
        assert_eq!(summary(&next(watch).await), ("ADDED", "a".into(), ra));
        assert_eq!(summary(&next(watch).await), ("ADDED", "b".into(), rb));
    }
    let ra2 = put(&*store, "default", "a", &[("v", "2")], "n1").await;
    let rc = put(&*store, "other", "c", &[], "n1").await;
    assert_eq!(summary(&next(&mut all).await), ("MODIFIED", "a".into(), ra2));
    assert_eq!(summary(&next(&mut all).await), ("ADDED", "c".into(), rc));

    // A namespaced watch skips other namespaces.
    let mut other = cache.watch(Some("other"), &watch_at(0)).expect("watch");
    assert_eq!(summary(&next(&mut other).await), ("ADDED", "c".into(), rc));
    let rd = put(&*store, "default", "d", &[], "n1").await;
    let rc2 = put(&*store, "other", "c", &[("v", "2")], "n1").await;
    assert!(rd < rc2);
    assert_eq!(summary(&next(&mut other).await), ("MODIFIED", "c".into(), rc2));
}

#[tokio::test]
async fn watch_resumes_from_an_old_revision() {
    let store = memory();
    put(&*store, "default", "a", &[], "n1").await;
    let rb = put(&*store, "default", "b", &[], "n1").await;
    let cache = cache(&store, WatchCacheConfig::default()).await;
    let ra2 = put(&*store, "default", "a", &[("v", "2")], "n1").await;
    let rb2 = delete(&*store, "default", "b").await;
    synced(&cache, rb2).await;

    let mut watch = cache.watch(None, &watch_at(rb)).expect("watch");
    assert_eq!(summary(&next(&mut watch).await), ("MODIFIED", "a".into(), ra2));
    let deleted = next(&mut watch).await;
    assert_eq!(summary(&deleted), ("DELETED", "b".into(), rb2));
    // The last state, stamped with the delete's revision.
    let value: serde_json::Value =
        serde_json::from_slice(&deleted.object().expect("object").json).expect("json");
    assert_eq!(value["metadata"]["resourceVersion"], json!(rb2.to_string()));
    let rc = put(&*store, "default", "c", &[], "n1").await;
    assert_eq!(summary(&next(&mut watch).await), ("ADDED", "c".into(), rc));

    // Resuming from the newest revision replays nothing.
    let mut quiet = cache.watch(None, &watch_at(rc)).expect("watch");
    let rd = put(&*store, "default", "d", &[], "n1").await;
    assert_eq!(summary(&next(&mut quiet).await), ("ADDED", "d".into(), rd));
}

#[tokio::test]
async fn watch_from_a_revision_older_than_the_window_is_410() {
    let store = memory();
    let first = put(&*store, "default", "p", &[], "n1").await;
    let cache = cache(&store, WatchCacheConfig { history_capacity: 3, ..Default::default() }).await;
    let mut last = first;
    for i in 0..6 {
        last = put(&*store, "default", "p", &[("i", &i.to_string())], "n1").await;
    }
    synced(&cache, last).await;
    let err = cache.watch(None, &watch_at(first)).expect_err("too old");
    assert_eq!(err.code(), StatusCode::GONE);
    assert_eq!(err.reason().as_str(), "Expired");
    // Three changes kept: the window starts after last - 3.
    assert_eq!(err.message(), format!("too old resource version: {first} ({})", last - 3));
    let mut ok = cache.watch(None, &watch_at(last - 3)).expect("inside the window");
    assert_eq!(next(&mut ok).await.revision(), last - 2);
}

#[tokio::test]
async fn objects_that_stop_or_start_matching_are_deleted_or_added() {
    let store = memory();
    let r1 = put(&*store, "default", "a", &[("app", "web")], "n1").await;
    put(&*store, "default", "z", &[("app", "db")], "n1").await;
    let cache = cache(&store, WatchCacheConfig::default()).await;
    let mut web =
        cache.watch(None, &ListOptions { watch: true, ..options("app=web", "") }).expect("watch");
    let mut n2 = cache
        .watch(None, &ListOptions { watch: true, ..options("", "spec.nodeName=n2") })
        .expect("watch");
    assert_eq!(summary(&next(&mut web).await), ("ADDED", "a".into(), r1));

    let r2 = put(&*store, "default", "a", &[("app", "db")], "n1").await;
    let gone = next(&mut web).await;
    assert_eq!(summary(&gone), ("DELETED", "a".into(), r2));
    // The last matching content, at the update's revision.
    let gone = gone.object().expect("object").clone();
    assert_eq!(gone.labels.get("app"), Some("web"));
    let value: serde_json::Value = serde_json::from_slice(&gone.json).expect("json");
    assert_eq!(value["metadata"]["resourceVersion"], json!(r2.to_string()));
    assert_eq!(value["metadata"]["labels"]["app"], json!("web"));

    let r3 = put(&*store, "default", "a", &[("app", "web")], "n2").await;
    assert_eq!(summary(&next(&mut web).await), ("ADDED", "a".into(), r3));
    assert_eq!(summary(&next(&mut n2).await), ("ADDED", "a".into(), r3));
    let r4 = put(&*store, "default", "a", &[("app", "web"), ("x", "y")], "n2").await;
    assert_eq!(summary(&next(&mut web).await), ("MODIFIED", "a".into(), r4));
    assert_eq!(summary(&next(&mut n2).await), ("MODIFIED", "a".into(), r4));
    let r5 = put(&*store, "default", "a", &[("app", "web")], "n1").await;
    assert_eq!(summary(&next(&mut web).await), ("MODIFIED", "a".into(), r5));
    assert_eq!(summary(&next(&mut n2).await), ("DELETED", "a".into(), r5));
    let r6 = delete(&*store, "default", "a").await;
    assert_eq!(summary(&next(&mut web).await), ("DELETED", "a".into(), r6));
}

#[tokio::test]
async fn bookmarks_only_when_allowed_and_on_progress() {
    let store = memory();
    let r1 = put(&*store, "default", "a", &[], "n1").await;
    let config =
        WatchCacheConfig { bookmark_interval: Duration::from_millis(20), ..Default::default() };
    let cache = cache(&store, config).await;
    let with = ListOptions { allow_watch_bookmarks: true, ..watch_at(r1) };
    let mut bookmarked = cache.watch(None, &with).expect("watch");
    let mut plain = cache.watch(None, &watch_at(r1)).expect("watch");

    // The store moves on (another resource): the cache learns it from a progress
    // notification and bookmarks carry the new revision.
    let other = put_other(&*store, "cm").await;
    match next(&mut bookmarked).await {
        CacheEvent::Bookmark(rv) => assert!(rv >= other, "bookmark at {rv} < {other}"),
        event => panic!("expected a bookmark, got {event:?}"),
    }
    let r2 = put(&*store, "default", "b", &[], "n1").await;
    // The plain watcher was sent the same bookmark first, and skipped it.
    assert_eq!(summary(&next(&mut plain).await), ("ADDED", "b".into(), r2));
    // Bookmarks never go backwards nor repeat a revision.
    let mut last = 0;
    loop {
        let event = next(&mut bookmarked).await;
        assert!(event.revision() > last, "{event:?} after {last}");
        last = event.revision();
        if let CacheEvent::Added(_) = event {
            break;
        }
    }
    assert_eq!(last, r2);
}

#[tokio::test]
async fn send_initial_events_ends_with_the_initial_events_end_bookmark() {
    let store = memory();
    let ra = put(&*store, "default", "a", &[], "n1").await;
    let rb = put(&*store, "default", "b", &[], "n1").await;
    let cache = cache(&store, WatchCacheConfig::default()).await;
    let other = put_other(&*store, "cm").await;
    let options = ListOptions {
        watch: true,
        allow_watch_bookmarks: true,
        send_initial_events: Some(true),
        resource_version_match: Some(crate::request::options::ResourceVersionMatch::NotOlderThan),
        ..ListOptions::default()
    };
    let mut watch = cache.watch(None, &options).expect("watch");
    assert_eq!(summary(&next(&mut watch).await), ("ADDED", "a".into(), ra));
    assert_eq!(summary(&next(&mut watch).await), ("ADDED", "b".into(), rb));
    match next(&mut watch).await {
        // Consistent: at least the store's revision when the watch started.
        CacheEvent::InitialEventsEnd(rv) => assert!(rv >= other, "{rv} < {other}"),
        event => panic!("expected the initial-events-end bookmark, got {event:?}"),
    }
    let rc = put(&*store, "default", "c", &[], "n1").await;
    loop {
        match next(&mut watch).await {
            CacheEvent::Bookmark(_) => {}
            event => {
                assert_eq!(summary(&event), ("ADDED", "c".into(), rc));
                break;
            }
        }
    }

    // sendInitialEvents=false from "": only what happens next.
    let options = ListOptions { send_initial_events: Some(false), ..options };
    let mut fresh = cache.watch(None, &options).expect("watch");
    let rd = put(&*store, "default", "d", &[], "n1").await;
    loop {
        match next(&mut fresh).await {
            CacheEvent::Bookmark(_) => {}
            event => {
                assert_eq!(summary(&event), ("ADDED", "d".into(), rd));
                break;
            }
        }
    }
}

#[tokio::test]
async fn a_slow_watcher_is_terminated_without_blocking_others() {
    let store = memory();
    let config = WatchCacheConfig { watcher_buffer: 8, ..Default::default() };
    let start = put(&*store, "default", "seed", &[], "n1").await;
    let cache = cache(&store, config).await;
    let mut fast = cache.watch(None, &watch_at(start)).expect("watch");
    let mut slow = cache.watch(None, &watch_at(start)).expect("watch");
    let mut last = start;
    for i in 0..40 {
        last = put(&*store, "default", &format!("p{i:02}"), &[], "n1").await;
        assert_eq!(summary(&next(&mut fast).await), ("ADDED", format!("p{i:02}"), last));
    }
    synced(&cache, last).await;
    // The slow watcher, 40 changes behind with a buffer of 8, was cut off.
    let delivered = ends(&mut slow, 8).await;
    assert!(delivered < 40);
    // The fast one goes on.
    let more = put(&*store, "default", "more", &[], "n1").await;
    assert_eq!(summary(&next(&mut fast).await), ("ADDED", "more".into(), more));
}

#[tokio::test]
async fn relists_after_the_store_watch_is_compacted() {
    let faulty = Arc::new(FaultyStore::default());
    let store: Arc<dyn Storage> = faulty.clone();
    put(&*store, "default", "a", &[], "n1").await;
    let cache = cache(&store, WatchCacheConfig::default()).await;
    let rb = put(&*store, "default", "b", &[], "n1").await;
    synced(&cache, rb).await;
    let mut watcher = cache.watch(None, &watch_at(rb)).expect("watch");

    // The cache misses these (as if its watch fell behind), then the watch is compacted.
    faulty.blind_after(rb);
    let rc = put(&*store, "default", "c", &[], "n1").await;
    delete(&*store, "default", "a").await;
    let current = store.current_revision().await.expect("revision");
    store.compact(current).await.expect("compact");
    assert!(cache.get(&key("default", "c")).is_none(), "the cache is blind");
    faulty.see_after(current);
    faulty.fail_watches_compacted(current);

    synced(&cache, current).await;
    // A progress notification can bring the cache to `current` before the compaction
    // error reaches it: the relist is done once the missed object is there.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while cache.get(&key("default", "c")).is_none() {
        assert!(tokio::time::Instant::now() < deadline, "no relist brought c");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert!(cache.get(&key("default", "a")).is_none(), "the relist dropped a");
    assert_eq!(cache.get(&key("default", "c")).expect("c").revision, rc);
    // Its watchers were terminated (they would have missed the changes)...
    ends(&mut watcher, 0).await;
    // ...a resume from before the relist is 410, and the cache keeps following the store.
    let err = cache.watch(None, &watch_at(rb)).expect_err("window restarted");
    assert_eq!(err.code(), StatusCode::GONE);
    let mut after = cache.watch(None, &watch_at(cache.revision())).expect("watch");
    let rd = put(&*store, "default", "d", &[], "n1").await;
    assert_eq!(summary(&next(&mut after).await), ("ADDED", "d".into(), rd));
    let page = cache.list(None, &options("", "")).await.expect("list");
    assert_eq!(names(&page.items), ["b", "c", "d"]);
}

#[tokio::test]
async fn shutdown_ends_every_watch() {
    let store = memory();
    let cache = cache(&store, WatchCacheConfig::default()).await;
    let mut watch = cache.watch(None, &watch_at(0)).expect("watch");
    assert_eq!(cache.watchers(), 1);
    cache.shutdown();
    ends(&mut watch, 0).await;
    let mut late = cache.watch(None, &watch_at(0)).expect("watch");
    ends(&mut late, 0).await;
}

/// Not a benchmark (nothing asserted on time): every watcher gets every event; prints the
/// delivery rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_delivers_every_event_to_every_watcher() {
    let (watchers, events) = if cfg!(debug_assertions) { (100, 200) } else { (1000, 2000) };
    let store = memory();
    let config = WatchCacheConfig { watcher_buffer: 2 * events, ..Default::default() };
    let cache = cache(&store, config).await;
    let start = cache.revision();
    let mut tasks = Vec::new();
    for _ in 0..watchers {
        let mut watch = cache.watch(None, &watch_at(start)).expect("watch");
        tasks.push(tokio::spawn(async move {
            let mut seen = 0;
            while seen < events {
                match tokio::time::timeout(DEADLINE, watch.next()).await {
                    Ok(Some(CacheEvent::Added(_))) => seen += 1,
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
            seen
        }));
    }
    let started = std::time::Instant::now();
    for i in 0..events {
        put(&*store, "default", &format!("p{i}"), &[], "n1").await;
    }
    for task in tasks {
        assert_eq!(task.await.expect("watcher task"), events);
    }
    let elapsed = started.elapsed();
    let delivered = (watchers * events) as f64;
    println!(
        "watch cache fan-out: {events} events to {watchers} watchers in {elapsed:?} \
         ({:.0} events/s delivered)",
        delivered / elapsed.as_secs_f64()
    );
}

#[tokio::test]
async fn node_indexed_watchers_are_sent_only_their_nodes_changes() {
    let store = memory();
    // A buffer of 2: a watcher sent every pod's changes would be cut off below.
    let config = WatchCacheConfig { indexed_watcher_buffer: 2, ..Default::default() };
    let cache = cache(&store, config).await;
    let mut n1 = cache
        .watch(None, &ListOptions { watch: true, ..options("", "spec.nodeName=n1") })
        .expect("watch");
    let mut n2 = cache
        .watch(None, &ListOptions { watch: true, ..options("", "spec.nodeName=n2") })
        .expect("watch");
    assert_eq!(cache.watchers(), 2);
    for i in 0..10 {
        put(&*store, "default", &format!("other-{i}"), &[], "n2").await;
    }
    let mine = put(&*store, "default", "mine", &[], "n1").await;
    assert_eq!(summary(&next(&mut n1).await), ("ADDED", "mine".into(), mine));
    // Moving a pod away reaches the watcher of its previous node as DELETED.
    let moved = put(&*store, "default", "mine", &[], "n3").await;
    assert_eq!(summary(&next(&mut n1).await), ("DELETED", "mine".into(), moved));
    // The n2 watcher fell more than its buffer behind: it ends.
    ends(&mut n2, 2).await;
}
