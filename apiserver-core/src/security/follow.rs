//! Following a watch cache into an in-memory index (the RBAC index, the Node authorizer's graph): list, then watch from the listed revision (again from scratch when the watch cannot resume), with a [`Position`] a caller can wait on.
//!
//! A follower only hears about its own resource, so its last event says nothing about
//! revisions written to other resources since. [`Position::reach`] therefore asks: it
//! first waits until the watch cache itself is at the revision (the cache advances on
//! every store write, its own resource's or not), then tells the follower, which takes
//! every event its watch already holds — all of them up to that revision, as the cache
//! hands a change to its watchers before it publishes the change's revision — applies
//! them and confirms the revision.

use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::request::ListOptions;
use crate::watch_cache::{CacheEvent, CacheWatch, CachedObject, WatchCache};

/// What a follower feeds.
pub(crate) trait Sink: Send + Sync + 'static {
    /// A fresh list: `objects` replace everything applied before.
    fn reset(&self, objects: &[Arc<CachedObject>]);

    /// Changes in order (ADDED, MODIFIED or DELETED events only). What they change must
    /// be visible to readers when this returns.
    fn apply(&self, events: &[CacheEvent]);
}

/// How far a follower has applied its watch cache, and the requests of callers waiting
/// for a revision.
#[derive(Debug)]
pub(crate) struct Position {
    /// Every change of the cache up to this revision is applied; `-1` before the first list.
    applied: watch::Sender<i64>,
    /// The highest revision a waiter asked the follower to confirm; the cache was at it
    /// (or later) when it was asked.
    wanted: watch::Sender<i64>,
}

impl Default for Position {
    fn default() -> Self {
        Position { applied: watch::channel(-1).0, wanted: watch::channel(-1).0 }
    }
}

impl Position {
    /// The revision up to which every change is applied (`-1` before the first list).
    pub(crate) fn applied(&self) -> i64 {
        *self.applied.borrow()
    }

    /// Waits until the first list is applied; `false` at `deadline`.
    pub(crate) async fn listed(&self, deadline: Instant) -> bool {
        let mut rx = self.applied.subscribe();
        tokio::time::timeout_at(deadline, rx.wait_for(|a| *a >= 0)).await.is_ok_and(|r| r.is_ok())
    }

    /// Waits until every change of `cache` up to `revision` is applied; `false` at
    /// `deadline` (see the [module documentation](self)).
    pub(crate) async fn reach(&self, cache: &WatchCache, revision: i64, deadline: Instant) -> bool {
        if self.applied() >= revision {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if cache.wait_for(revision, left).await.is_err() {
            return false;
        }
        self.wanted.send_if_modified(|wanted| {
            let raise = *wanted < revision;
            if raise {
                *wanted = revision;
            }
            raise
        });
        let mut rx = self.applied.subscribe();
        tokio::time::timeout_at(deadline, rx.wait_for(|a| *a >= revision))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    fn advance(&self, revision: i64) {
        self.applied.send_if_modified(|applied| {
            let forward = revision > *applied;
            if forward {
                *applied = revision;
            }
            forward
        });
    }
}

/// How long a follower waits before listing or watching again after a failure.
const RETRY_DELAY: Duration = Duration::from_millis(200);

/// What woke a following loop.
enum Woken {
    Stop,
    Event(Option<CacheEvent>),
    Wanted(i64),
}

/// Follows `cache` into `sink` until `stop` is set, publishing progress in `position`.
pub(crate) async fn follow(
    cache: Arc<WatchCache>,
    sink: impl Sink,
    position: Arc<Position>,
    mut stop: watch::Receiver<bool>,
) {
    let mut wanted = position.wanted.subscribe();
    // The revision to watch from; `None`: list first.
    let mut from: Option<i64> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        let revision = match from {
            Some(revision) => revision,
            None => match cache.list(None, &ListOptions::default()).await {
                Ok(page) => {
                    sink.reset(&page.items);
                    position.advance(page.revision);
                    page.revision
                }
                Err(error) => {
                    let resource = &cache.resource().plural;
                    tracing::warn!(%error, %resource, "follower: list failed");
                    if pause(&mut stop).await {
                        return;
                    }
                    continue;
                }
            },
        };
        let options = ListOptions {
            watch: true,
            resource_version: Some(revision.to_string()),
            ..ListOptions::default()
        };
        let Ok(mut events) = cache.watch(None, &options) else {
            from = None;
            continue;
        };
        from = Some(revision);
        loop {
            let applied = position.applied();
            let woken = tokio::select! {
                biased;
                _ = stop.changed() => Woken::Stop,
                event = events.next() => Woken::Event(event),
                Ok(w) = wanted.wait_for(|w| *w > applied) => Woken::Wanted(*w),
            };
            let (first, target) = match woken {
                Woken::Stop => return,
                Woken::Event(None) => break,
                Woken::Event(Some(event)) => (Some(event), None),
                Woken::Wanted(target) => (None, Some(target)),
            };
            let (batch, ended) = drain(&mut events, first);
            if let Some(last) = batch.iter().map(CacheEvent::revision).max() {
                let changes: Vec<CacheEvent> =
                    batch.into_iter().filter(|e| e.object().is_some()).collect();
                if !changes.is_empty() {
                    sink.apply(&changes);
                }
                from = from.max(Some(last));
            }
            if ended {
                break;
            }
            // Nothing is left in the watch: everything the cache had when asked is
            // applied.
            from = from.max(target);
            position.advance(from.unwrap_or(revision));
        }
        if pause(&mut stop).await {
            return;
        }
    }
}

/// `first` and every event the watch already holds; `true` when the watch ended.
fn drain(events: &mut CacheWatch, first: Option<CacheEvent>) -> (Vec<CacheEvent>, bool) {
    let mut batch: Vec<CacheEvent> = first.into_iter().collect();
    loop {
        // Unconstrained: with tokio's cooperative budget used up, a ready event could
        // look pending, and the follower would confirm a revision it has not applied.
        match tokio::task::unconstrained(events.next()).now_or_never() {
            Some(Some(event)) => batch.push(event),
            Some(None) => return (batch, true),
            None => return (batch, false),
        }
    }
}

/// Waits [`RETRY_DELAY`]; `true` when stopped meanwhile.
async fn pause(stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = stop.changed() => true,
        () = tokio::time::sleep(RETRY_DELAY) => *stop.borrow(),
    }
}
