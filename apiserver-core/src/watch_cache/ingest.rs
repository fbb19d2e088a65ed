//! Ingest: the task that lists the resource's prefix, follows the store watch (with progress notifications) into the cache, relists when the watch is compacted, and sends periodic bookmarks.

use std::sync::Arc;
use std::time::Duration;

use capstan_store::{
    EventType, KvRead, RangeRequest, StoreError, WatchEvent, WatchMessage, WatchRequest,
    WatchStream,
};
use futures::StreamExt;
use tokio::sync::watch as signal;

use super::fanout::{Change, ChangeKind};
use super::state::Objects;
use super::{CacheResource, CachedObject, Shared};

/// Keys read per range request of a list.
const LIST_PAGE: usize = 10_000;

/// The longest wait between two attempts to reach a failing store.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

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
            message = stream.next() => match message {
                Some(Ok(WatchMessage::Event(event))) => {
                    *backoff = Duration::from_millis(50);
                    apply(shared, event);
                }
                Some(Ok(WatchMessage::Progress { revision })) => progress(shared, revision),
                Some(Err(StoreError::Compacted { .. })) => return Ended::Compacted,
                Some(Err(error)) => {
                    tracing::warn!(%error, prefix = %shared.resource.prefix, "watch cache: store watch error");
                    return Ended::Retry;
                }
                None => return Ended::Retry,
            },
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

/// Turns one store event into a change of the cache (decoding outside the lock) and
/// applies it.
fn apply(shared: &Shared, event: WatchEvent) {
    let revision = event.kv.mod_revision;
    // Only this task writes the state, so `prev` cannot change before the write lock.
    let prev = shared.state.read().objects.get(&event.kv.key).cloned();
    let change = match event.event_type {
        EventType::Put => {
            match CachedObject::decode(&shared.resource, &event.kv.key, &event.kv.value, revision) {
                Ok(object) => {
                    let kind =
                        if prev.is_some() { ChangeKind::Modified } else { ChangeKind::Added };
                    Some(Change::new(revision, kind, Arc::new(object), prev))
                }
                Err(error) => {
                    tracing::warn!(%error, "watch cache: skipping undecodable object");
                    // The object can no longer be served as it is: treat it as deleted.
                    prev.map(|p| deleted(p, revision))
                }
            }
        }
        EventType::Delete => prev.map(|p| deleted(p, revision)),
    };
    match change {
        Some(change) => shared.state.write().apply(Arc::new(change)),
        None => {
            let mut state = shared.state.write();
            state.revision = state.revision.max(revision);
        }
    }
    shared.revision.send_replace(revision);
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
