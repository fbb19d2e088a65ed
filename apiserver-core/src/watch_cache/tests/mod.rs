//! Unit tests of the watch cache over `MemoryStore`: lists, paging, resourceVersion semantics, watches, bookmarks, slow watchers, relist.

mod list;
mod support;
mod watch;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use capstan_api_types::fields::FieldSelector;
use capstan_api_types::labels::Selector;
use capstan_store::memory::MemoryStore;
use capstan_store::{Op, Storage, Txn};
use futures::StreamExt;
use serde_json::json;

use super::{CacheEvent, CacheResource, CacheWatch, WatchCache, WatchCacheConfig};
use crate::request::ListOptions;

/// How long a test waits for something that should happen promptly.
const DEADLINE: Duration = Duration::from_secs(10);

/// The pods resource.
fn pods() -> CacheResource {
    CacheResource {
        group: String::new(),
        plural: "pods".into(),
        namespaced: true,
        prefix: "/registry/pods/".into(),
    }
}

fn key(ns: &str, name: &str) -> String {
    format!("/registry/pods/{ns}/{name}")
}

/// A pod's stored JSON (no resourceVersion, as stored).
fn pod(ns: &str, name: &str, labels: &[(&str, &str)], node: &str) -> Bytes {
    let labels: serde_json::Map<String, serde_json::Value> =
        labels.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
    let value = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]},
    });
    Bytes::from(serde_json::to_vec(&value).expect("serializes"))
}

/// Writes (creates or replaces) a pod; returns the write's revision.
async fn put(
    store: &dyn Storage,
    ns: &str,
    name: &str,
    labels: &[(&str, &str)],
    node: &str,
) -> i64 {
    let txn = Txn::new().and_then(Op::put(key(ns, name), pod(ns, name, labels, node)));
    store.txn(txn).await.expect("put").revision
}

/// Deletes a pod; returns the delete's revision.
async fn delete(store: &dyn Storage, ns: &str, name: &str) -> i64 {
    store.delete(&key(ns, name), None).await.expect("delete").0
}

/// Writes a key of another resource (the pods cache only sees progress).
async fn put_other(store: &dyn Storage, name: &str) -> i64 {
    let txn = Txn::new().and_then(Op::put(format!("/registry/configmaps/default/{name}"), "{}"));
    store.txn(txn).await.expect("put").revision
}

fn memory() -> Arc<dyn Storage> {
    Arc::new(MemoryStore::new())
}

async fn cache(store: &Arc<dyn Storage>, config: WatchCacheConfig) -> Arc<WatchCache> {
    WatchCache::start_with(store.clone(), pods(), config).await.expect("cache starts")
}

/// Waits until the cache has seen `revision`.
async fn synced(cache: &WatchCache, revision: i64) {
    cache.wait_for(revision, DEADLINE).await.expect("cache catches up");
}

fn options(labels: &str, fields: &str) -> ListOptions {
    ListOptions {
        label_selector: Selector::parse(labels).expect("label selector"),
        field_selector: FieldSelector::parse(fields).expect("field selector"),
        ..ListOptions::default()
    }
}

fn at(rv: impl ToString) -> ListOptions {
    ListOptions { resource_version: Some(rv.to_string()), ..ListOptions::default() }
}

/// The next event of a watch, failing the test after [`DEADLINE`] or when the watch ends.
async fn next(watch: &mut CacheWatch) -> CacheEvent {
    match tokio::time::timeout(DEADLINE, watch.next()).await {
        Ok(Some(event)) => event,
        Ok(None) => panic!("the watch ended"),
        Err(_) => panic!("no event within {DEADLINE:?}"),
    }
}

/// Asserts the watch ends (after at most `max_events` more events).
async fn ends(watch: &mut CacheWatch, max_events: usize) -> usize {
    let mut seen = 0;
    loop {
        match tokio::time::timeout(DEADLINE, watch.next()).await {
            Ok(Some(_)) => {
                seen += 1;
                assert!(seen <= max_events, "the watch goes on past {max_events} events");
            }
            Ok(None) => return seen,
            Err(_) => panic!("the watch did not end within {DEADLINE:?}"),
        }
    }
}

/// `(type, name, revision)` of an event, for compact assertions.
fn summary(event: &CacheEvent) -> (&'static str, String, i64) {
    let name = event.object().map_or_else(String::new, |o| o.name.clone());
    (event.type_name(), name, event.revision())
}

fn names(items: &[Arc<super::CachedObject>]) -> Vec<String> {
    items.iter().map(|o| o.name.clone()).collect()
}
