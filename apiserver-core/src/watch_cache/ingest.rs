//! Ingest: the task that lists the resource's prefix, follows the store watch (with progress notifications) into the cache, relists when the watch is compacted, and sends periodic bookmarks.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use capstan_store::{
    EventType, KvRead, RangeRequest, StoreError, WatchEvent, WatchMessage, WatchRequest,
    WatchStream,
};
use futures::{FutureExt, StreamExt};
use tokio::sync::watch as signal;

use super::fanout::{Change, ChangeKind};
use super::object::DecodeError;
use super::state::Objects;
use super::{CacheResource, CachedObject, Shared};

/// Keys read per range request of a list.
const LIST_PAGE: usize = 10_000;

/// The most store events applied under one acquisition of the state's lock.
const BATCH: usize = 512;

/// The longest wait between two attempts to reach a failing store.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The runtime every cache's ingest task runs on, `None` when it cannot be built (the
/// caller's runtime is used then).
///
/// One worker thread of its own, shared by every cache: tokio never preempts a task, so
/// request handlers that complete without ever waiting (in-process calls on the memory
/// store) can hold all of the server's workers for as long as they keep coming, and an
/// ingest task queued behind them would fall seconds behind the store, which consistent
/// lists then wait for.
pub(super) fn runtime() -> Option<&'static tokio::runtime::Handle> {
    static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("watch-cache-ingest")
                .enable_all()
                .build()
                .map_err(|error| tracing::warn!(%error, "watch cache: no ingest runtime"))
                .ok()
        })
        .as_ref()
        .map(tokio::runtime::Runtime::handle)
}

/// Reads every object under the prefix at one revision.
pub(super) async fn load(
    store: &dyn KvRead,
    resource: &CacheResource,
) -> Result<(Objects, i64), StoreError> {
    let mut objects = Objects::new();
    let mut request = RangeRequest::prefix(resource.prefix.clone()).with_limit(LIST_PAGE);
    loop {
        let page = store.range(request.clone()).await?;
        let last = page.kvs.last().map(|kv| kv.key.clone());
        for kv in page.kvs {
            match CachedObject::decode(resource, &kv.key, &kv.value, kv.mod_revision) {
                Ok(object) => {
                    objects.insert(kv.key, Arc::new(object));
                }
                Err(error) => tracing::warn!(%error, "watch cache: skipping undecodable object"),
            }
        }
        match last {
            Some(last) if page.more => {
                request = request.at_revision(page.revision).after(last);
            }
            _ => return Ok((objects, page.revision)),
        }
    }
}

/// Follows the store until `stop` fires or the cache is dropped.
pub(super) async fn follow(shared: Arc<Shared>, mut stop: signal::Receiver<bool>) {
    let mut ticker = tokio::time::interval(shared.config.bookmark_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut backoff = Duration::from_millis(50);
    let mut relist = false;
    loop {
        if relist {
            match load(&*shared.store, &shared.resource).await {
                Ok((objects, revision)) => {
                    shared.state.write().replace(objects, revision);
                    shared.revision.send_replace(revision);
                    relist = false;
                    tracing::info!(prefix = %shared.resource.prefix, revision, "watch cache relisted");
                }
                Err(error) => {
                    tracing::warn!(%error, prefix = %shared.resource.prefix, "watch cache relist failed");
                    if pause(&mut stop, &mut backoff).await {
                        return;
                    }
                    continue;
                }
            }
        }
        let from = shared.state.read().revision + 1;
        let request = WatchRequest::prefix(shared.resource.prefix.clone())
            .from_revision(from)
            .with_progress_notify();
        let stream = match shared.store.watch(request).await {
            Ok(stream) => stream,
            Err(StoreError::Compacted { .. }) => {
                relist = true;
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, prefix = %shared.resource.prefix, "watch cache: store watch failed");
                if pause(&mut stop, &mut backoff).await {
                    return;
                }
                continue;
            }
        };
        match run(&shared, stream, &mut stop, &mut ticker, &mut backoff).await {
            Ended::Stop => return,
            Ended::Compacted => relist = true,
            Ended::Retry => {
                if pause(&mut stop, &mut backoff).await {
                    return;
                }
            }
        }
    }
}

/// Why one store watch ended.
enum Ended {
    /// The cache is shutting down.
    Stop,
    /// The watch fell behind compaction: relist.
    Compacted,
    /// Any other failure: watch again from the cache's revision.
    Retry,
}

async fn run(
    shared: &Shared,
    mut stream: WatchStream,
    stop: &mut signal::Receiver<bool>,
    ticker: &mut tokio::time::Interval,
    backoff: &mut Duration,
) -> Ended {
    loop {
        tokio::select! {
            biased;
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return Ended::Stop;
                }
            }
            message = stream.next() => {
                // Take every event that is ready (up to a batch), decoding each outside the
                // lock, then apply them under one lock acquisition.
                let mut batch = Vec::new();
                let mut next = message;
                let other = loop {
                    match next {
                        Some(Ok(WatchMessage::Event(event))) => {
                            *backoff = Duration::from_millis(50);
                            batch.push(Decoded::new(&shared.resource, event));
                            if batch.len() >= BATCH {
                                break None;
                            }
                            match stream.next().now_or_never() {
                                Some(message) => next = message,
                                None => break None,
                            }
                        }
                        other => break Some(other),
                    }
                };
                apply(shared, batch);
                match other {
                    None | Some(Some(Ok(WatchMessage::Event(_)))) => {}
                    Some(Some(Ok(WatchMessage::Progress { revision }))) => {
                        progress(shared, revision);
                    }
                    Some(Some(Err(StoreError::Compacted { .. }))) => return Ended::Compacted,
                    Some(Some(Err(error))) => {
                        tracing::warn!(%error, prefix = %shared.resource.prefix, "watch cache: store watch error");
                        return Ended::Retry;
                    }
                    Some(None) => return Ended::Retry,
                }
            }
            _ = ticker.tick() => {
                let mut state = shared.state.write();
                let revision = state.revision;
                state.fanout.bookmark(revision, shared.config.bookmark_interval, true);
            }
        }
    }
}

/// Waits `backoff` (doubling it) unless told to stop; `true` when stopping.
async fn pause(stop: &mut signal::Receiver<bool>, backoff: &mut Duration) -> bool {
    let wait = *backoff;
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
    tokio::select! {
        changed = stop.changed() => changed.is_err() || *stop.borrow(),
        _ = tokio::time::sleep(wait) => false,
    }
}

/// One store event, decoded (outside the lock) as far as it can be without the cache's
/// current state.
struct Decoded {
    /// The event's revision.
    revision: i64,
    /// The key changed.
    key: String,
    /// The new object for a put (`Err` when undecodable), `None` for a delete.
    object: Option<Result<CachedObject, DecodeError>>,
}

impl Decoded {
    fn new(resource: &CacheResource, event: WatchEvent) -> Self {
        let revision = event.kv.mod_revision;
        let object = match event.event_type {
            EventType::Put => {
                Some(CachedObject::decode(resource, &event.kv.key, &event.kv.value, revision))
            }
            EventType::Delete => None,
        };
        Decoded { revision, key: event.kv.key, object }
    }
}

/// Applies decoded store events, in order, under one acquisition of the state's lock, then
/// publishes the new revision once.
fn apply(shared: &Shared, batch: Vec<Decoded>) {
    let Some(last) = batch.last().map(|d| d.revision) else { return };
    {
        let mut state = shared.state.write();
        for decoded in batch {
            let revision = decoded.revision;
            let prev = state.objects.get(&decoded.key).cloned();
            let change = match decoded.object {
                Some(Ok(object)) => {
                    let kind =
                        if prev.is_some() { ChangeKind::Modified } else { ChangeKind::Added };
                    Some(Change::new(revision, kind, Arc::new(object), prev))
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "watch cache: skipping undecodable object");
                    // The object can no longer be served as it is: treat it as deleted.
                    prev.map(|p| deleted(p, revision))
                }
                None => prev.map(|p| deleted(p, revision)),
            };
            match change {
                Some(change) => state.apply(Arc::new(change)),
                None => state.revision = state.revision.max(revision),
            }
        }
    }
    shared.revision.send_replace(last);
}

/// The delete of `prev` at `revision`.
fn deleted(prev: Arc<CachedObject>, revision: i64) -> Change {
    let last = match prev.with_revision(revision) {
        Ok(last) => Arc::new(last),
        Err(_) => prev.clone(),
    };
    Change::new(revision, ChangeKind::Deleted, last, Some(prev))
}

/// The store reached `revision` without events for the prefix.
fn progress(shared: &Shared, revision: i64) {
    {
        let mut state = shared.state.write();
        if revision <= state.revision {
            return;
        }
        state.revision = revision;
        state.fanout.bookmark(revision, shared.config.bookmark_interval, false);
    }
    shared.revision.send_replace(revision);
}
