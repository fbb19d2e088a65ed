//! Lists: selectors, paging snapshots, remainingItemCount, resourceVersion semantics, continue tokens, and the 100k-object timing.

use std::time::{Duration, Instant};

use http::StatusCode;

use super::*;
use crate::request::options::ResourceVersionMatch;
use crate::status::CONTINUE_EXPIRED_MSG;

#[tokio::test]
async fn list_filters_by_namespace_labels_and_fields() {
    let store = memory();
    put(&*store, "a", "web-1", &[("app", "web"), ("tier", "front")], "n1").await;
    put(&*store, "a", "web-2", &[("app", "web")], "n2").await;
    put(&*store, "a", "db-1", &[("app", "db")], "n1").await;
    put(&*store, "b", "web-3", &[("app", "web")], "n1").await;
    // A namespace whose name extends "a": must not leak into namespace "a".
    let last = put(&*store, "ab", "web-4", &[("app", "web")], "n1").await;
    let cache = cache(&store, WatchCacheConfig::default()).await;
    synced(&cache, last).await;

    let all = cache.list(None, &options("", "")).await.expect("list");
    assert_eq!(names(&all.items), ["db-1", "web-1", "web-2", "web-4", "web-3"]);
    assert_eq!(all.revision, last);
    assert_eq!(all.continue_token, None);

    let in_a = cache.list(Some("a"), &options("", "")).await.expect("list");
    assert_eq!(names(&in_a.items), ["db-1", "web-1", "web-2"]);

    let web_in_a = cache.list(Some("a"), &options("app=web", "")).await.expect("list");
    assert_eq!(names(&web_in_a.items), ["web-1", "web-2"]);

    let web_on_n1 = cache.list(None, &options("app=web", "spec.nodeName=n1")).await.expect("list");
    assert_eq!(names(&web_on_n1.items), ["web-1", "web-4", "web-3"]);

    let not_n1 = cache.list(Some("a"), &options("", "spec.nodeName!=n1")).await.expect("list");
    assert_eq!(names(&not_n1.items), ["web-2"]);

    let by_name = cache.list(None, &options("tier", "metadata.namespace=a")).await.expect("list");
    assert_eq!(names(&by_name.items), ["web-1"]);

    // Every item carries its resourceVersion in the JSON.
    let item = &web_in_a.items[0];
    let value: serde_json::Value = serde_json::from_slice(&item.json).expect("json");
    assert_eq!(value["metadata"]["resourceVersion"], json!(item.revision.to_string()));
    assert_eq!(item.namespace.as_deref(), Some("a"));
    assert_eq!(item.fields.get("spec.nodeName").map(String::as_str), Some("n1"));
}

#[tokio::test]
async fn paging_is_a_consistent_snapshot_across_writes() {
    let store = memory();
    let mut last = 0;
    for i in 0..10 {
        last = put(&*store, "default", &format!("p{i}"), &[("app", "web")], "n1").await;
    }
    let cache = cache(&store, WatchCacheConfig::default()).await;
    synced(&cache, last).await;

    let paged = ListOptions { limit: 4, ..ListOptions::default() };
    let first = cache.list(Some("default"), &paged).await.expect("first page");
    assert_eq!(names(&first.items), ["p0", "p1", "p2", "p3"]);
    assert_eq!(first.remaining_item_count, Some(6));
    let snapshot = first.revision;
    let p6_then = cache.get(&key("default", "p6")).expect("p6");

    // Writes between the pages: none of them may show.
    delete(&*store, "default", "p5").await;
    put(&*store, "default", "p6", &[("app", "db")], "n2").await;
    put(&*store, "default", "p4x", &[("app", "web")], "n1").await;
    let after = put(&*store, "default", "p99", &[("app", "web")], "n1").await;
    synced(&cache, after).await;

    let token = first.continue_token.expect("a continue token");
    let second = cache
        .list(Some("default"), &ListOptions { continue_token: Some(token), ..paged.clone() })
        .await
        .expect("second page");
    assert_eq!(names(&second.items), ["p4", "p5", "p6", "p7"]);
    assert_eq!(second.revision, snapshot);
    assert_eq!(second.items[2], p6_then, "p6 as it was at the snapshot");
    assert_eq!(second.remaining_item_count, Some(2));

    let token = second.continue_token.expect("a continue token");
    let third = cache
        .list(Some("default"), &ListOptions { continue_token: Some(token), ..paged.clone() })
        .await
        .expect("third page");
    assert_eq!(names(&third.items), ["p8", "p9"]);
    assert_eq!(third.revision, snapshot);
    assert_eq!(third.continue_token, None);
    assert_eq!(third.remaining_item_count, None);

    // A new list sees the writes.
    let now = cache.list(Some("default"), &options("", "")).await.expect("list");
    assert_eq!(
        names(&now.items),
        ["p0", "p1", "p2", "p3", "p4", "p4x", "p6", "p7", "p8", "p9", "p99"]
    );
    assert!(now.revision >= after);
}

#[tokio::test]
async fn paging_with_selectors_has_no_remaining_count_and_no_empty_last_page() {
    let store = memory();
    let mut last = 0;
    for i in 0..6 {
        let app = if i % 2 == 0 { "web" } else { "db" };
        last = put(&*store, "default", &format!("p{i}"), &[("app", app)], "n1").await;
    }
    let cache = cache(&store, WatchCacheConfig::default()).await;
    synced(&cache, last).await;
    let paged = ListOptions { limit: 2, ..options("app=web", "") };
    let first = cache.list(None, &paged).await.expect("list");
    assert_eq!(names(&first.items), ["p0", "p2"]);
    assert_eq!(first.remaining_item_count, None);
    let token = first.continue_token.expect("more match");
    let second = cache
        .list(None, &ListOptions { continue_token: Some(token), ..paged.clone() })
        .await
        .expect("list");
    assert_eq!(names(&second.items), ["p4"]);
    assert_eq!(second.continue_token, None, "p5 does not match: no token");
}

#[tokio::test]
async fn resource_version_semantics() {
    let store = memory();
    let r1 = put(&*store, "default", "a", &[], "n1").await;
    let config =
        WatchCacheConfig { fresh_timeout: Duration::from_millis(200), ..Default::default() };
    let cache = cache(&store, config).await;
    let r2 = put(&*store, "default", "a", &[("v", "2")], "n1").await;
    let r3 = put(&*store, "default", "b", &[], "n1").await;
    synced(&cache, r3).await;

    // "0": whatever the cache has, at its revision.
    let any = cache.list(None, &at(0)).await.expect("list");
    assert_eq!(any.revision, r3);
    assert_eq!(names(&any.items), ["a", "b"]);

    // Exact at r2: "a" at v2, no "b".
    let exact = ListOptions { resource_version_match: Some(ResourceVersionMatch::Exact), ..at(r2) };
    let page = cache.list(None, &exact).await.expect("exact list");
    assert_eq!(page.revision, r2);
    assert_eq!(names(&page.items), ["a"]);
    assert_eq!(page.items[0].revision, r2);

    // Exact at r1 (the initial list): "a" at r1.
    let page = cache
        .list(
            None,
            &ListOptions { resource_version_match: Some(ResourceVersionMatch::Exact), ..at(r1) },
        )
        .await
        .expect("exact list at the list revision");
    assert_eq!(page.items[0].revision, r1);

    // A limit without a match is Exact too (legacy paging).
    let page = cache.list(None, &ListOptions { limit: 5, ..at(r2) }).await.expect("list");
    assert_eq!((page.revision, names(&page.items)), (r2, vec!["a".to_owned()]));

    // NotOlderThan an older revision: the latest state.
    let page = cache
        .list(
            None,
            &ListOptions {
                resource_version_match: Some(ResourceVersionMatch::NotOlderThan),
                ..at(r2)
            },
        )
        .await
        .expect("list");
    assert_eq!(page.revision, r3);

    // Before the cache's window: 410 Expired.
    let err = cache
        .list(
            None,
            &ListOptions {
                resource_version_match: Some(ResourceVersionMatch::Exact),
                ..at(r1 - 1)
            },
        )
        .await
        .expect_err("too old");
    assert_eq!(err.code(), StatusCode::GONE);
    assert_eq!(err.reason().as_str(), "Expired");

    // In the future: 504 after the fresh timeout, with Kubernetes' message.
    let started = Instant::now();
    let err = cache.list(None, &at(r3 + 100)).await.expect_err("future");
    assert_eq!(err.code(), StatusCode::GATEWAY_TIMEOUT);
    assert!(err.message().starts_with("Timeout: Too large resource version"), "{}", err.message());
    assert!(started.elapsed() >= Duration::from_millis(200));

    // "" is a consistent read: it waits for the store's current revision, which a write to
    // another resource moved (the cache learns it from a progress notification).
    let other = put_other(&*store, "cm").await;
    let page = cache.list(None, &ListOptions::default()).await.expect("consistent list");
    assert!(page.revision >= other, "{} < {other}", page.revision);

    // Invalid resourceVersion: 400.
    let err = cache.list(None, &at("abc")).await.expect_err("invalid");
    assert_eq!(err.code(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn continue_tokens_outside_the_window_or_invalid_are_refused() {
    let store = memory();
    let mut last = 0;
    for i in 0..4 {
        last = put(&*store, "default", &format!("p{i}"), &[], "n1").await;
    }
    let config = WatchCacheConfig { history_capacity: 2, ..Default::default() };
    let cache = cache(&store, config).await;
    synced(&cache, last).await;
    let paged = ListOptions { limit: 2, ..ListOptions::default() };
    let first = cache.list(None, &paged).await.expect("list");
    let token = first.continue_token.expect("token");
    for i in 0..3 {
        last = put(&*store, "default", &format!("p{i}"), &[("v", "2")], "n1").await;
    }
    synced(&cache, last).await;
    let err = cache
        .list(None, &ListOptions { continue_token: Some(token), ..paged.clone() })
        .await
        .expect_err("expired");
    assert_eq!(err.code(), StatusCode::GONE);
    assert_eq!(err.message(), CONTINUE_EXPIRED_MSG);
    // The Status carries a token that continues inconsistently at the latest revision.
    let status = err.to_json();
    let inconsistent = status["metadata"]["continue"].as_str().expect("new token").to_owned();
    let rest = cache
        .list(None, &ListOptions { continue_token: Some(inconsistent), ..paged.clone() })
        .await
        .expect("inconsistent continuation");
    assert_eq!(names(&rest.items), ["p2", "p3"]);
    assert_eq!(rest.revision, last);

    let err = cache
        .list(None, &ListOptions { continue_token: Some("not-a-token".into()), ..paged.clone() })
        .await
        .expect_err("invalid");
    assert_eq!(err.code(), StatusCode::BAD_REQUEST);
    assert!(err.message().starts_with("invalid continue token: continue key is not valid"));

    let token = first_token(&cache).await;
    let err = cache
        .list(None, &ListOptions { continue_token: Some(token), ..at(5) })
        .await
        .expect_err("rv with continue");
    assert_eq!(err.message(), "specifying resource version is not allowed when using continue");
}

async fn first_token(cache: &WatchCache) -> String {
    let page = cache.list(None, &ListOptions { limit: 1, ..ListOptions::default() }).await;
    page.expect("list").continue_token.expect("token")
}

/// Not a benchmark (nothing asserted on time): prints how long a list of many pods takes.
#[tokio::test]
async fn list_of_many_pods_prints_its_time() {
    let count: usize = if cfg!(debug_assertions) { 10_000 } else { 100_000 };
    let store = memory();
    let mut txn = Txn::new();
    let mut last = 0;
    for i in 0..count {
        let ns = format!("ns-{}", i % 100);
        let name = format!("pod-{i:06}");
        let node = format!("node-{}", i % 50);
        let app = if i % 10 == 0 { "web" } else { "batch" };
        txn = txn.and_then(Op::put(key(&ns, &name), pod(&ns, &name, &[("app", app)], &node)));
        if txn.success.len() == 1000 {
            last = store.txn(std::mem::take(&mut txn)).await.expect("txn").revision;
        }
    }
    let started = Instant::now();
    let cache = cache(&store, WatchCacheConfig::default()).await;
    let loaded = started.elapsed();
    synced(&cache, last).await;

    let started = Instant::now();
    let all = cache.list(None, &at(0)).await.expect("list");
    let list_all = started.elapsed();
    assert_eq!(all.items.len(), count);

    let started = Instant::now();
    let web = cache.list(None, &ListOptions { ..options("app=web", "spec.nodeName=node-0") }).await;
    let filtered = started.elapsed();
    assert_eq!(web.expect("list").items.len(), count / 50);

    let started = Instant::now();
    let page = cache.list(None, &ListOptions { limit: 500, ..at(0) }).await.expect("list");
    let first_page = started.elapsed();
    assert_eq!(page.remaining_item_count, Some(count as i64 - 500));

    println!(
        "watch cache, {count} pods: initial load {loaded:?}, list all {list_all:?}, \
         list with label+field selectors {filtered:?}, first page of 500 {first_page:?}"
    );
}
