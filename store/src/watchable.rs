//! The watchable half of the in-process backends: an ordered log of recent events that any
//! number of watchers read from their own cursor, woken only by commits under their prefix.
//!
//! Writers [`EventLog::publish`] each committed revision's events in revision order (under
//! their write lock). Watchers never get a private queue: a slow watcher only lags behind
//! in the shared log. Events older than the log's window come from a [`History`] (the
//! SQLite backend reads its log table); events older than the compaction revision end the
//! watch with [`StoreError::Compacted`].
//!
//! Watchers of the same prefix form a group that remembers the last revision with an event
//! under the prefix: a publish wakes only the groups it touches, and a cursor skips
//! every revision after its group's last event without looking at it. A watch that asked
//! for progress notifications learns about writes to other prefixes when somebody calls
//! [`EventLog::request_progress`] (a consistent read that waits for a watch to catch up)
//! or, at the latest, [`PROGRESS_IDLE`] after it last looked, like etcd's watches.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::RwLock;
use tokio::sync::watch;

use crate::error::{Result, StoreError};
use crate::traits::WatchStream;
use crate::types::{Revision, WatchEvent, WatchMessage, WatchRequest};

/// Most events a watcher takes from the log per wake-up before yielding them.
const BATCH: usize = 1024;

/// How long a watch with progress notifications waits, when nothing under its prefix
/// changes and nobody asks for progress, before it looks at the store's revision again
/// (so such a watch must be polled on a Tokio runtime with its timer enabled).
pub const PROGRESS_IDLE: Duration = Duration::from_millis(250);

/// A source of events older than the in-memory window of an [`EventLog`].
#[async_trait]
pub trait History: Send + Sync {
    /// Every event with `from <= revision <= until` on keys under `prefix`, in revision
    /// order, with `prev_kv` filled.
    async fn events_between(
        &self,
        prefix: &str,
        from: Revision,
        until: Revision,
    ) -> Result<Vec<WatchEvent>>;
}

/// Shared, ordered log of committed events with watcher wake-up.
pub struct EventLog {
    /// Lock order: taken after the backend's own write lock, never before it.
    state: RwLock<LogState>,
    /// The highest revision somebody asked progress for; wakes every watch with progress
    /// notifications when it moves.
    progress: watch::Sender<Revision>,
}

/// The watchers of one prefix.
struct Group {
    prefix: String,
    /// Every event under `prefix` has a revision at or below this one (written under the
    /// log's write lock, read under its read lock).
    last_event: Arc<AtomicI64>,
    /// Wakes the group's cursors; dropped with the log, which ends their watches.
    wake: watch::Sender<()>,
}

struct LogState {
    /// Events in ascending revision order (several per revision for multi-key writes).
    events: VecDeque<Arc<WatchEvent>>,
    /// Every event with revision >= this one is in `events`.
    complete_from: Revision,
    /// Revisions below this one are compacted away everywhere.
    compacted: Revision,
    /// The revision of the last publish.
    current: Revision,
    /// Most events kept in memory.
    capacity: usize,
    /// The watchers, by prefix (groups without watchers are dropped when a watch starts).
    groups: Vec<Group>,
}

impl EventLog {
    /// A log whose store is at `current` with `compacted` as its compaction revision,
    /// keeping at most `capacity` events in memory (`usize::MAX` keeps all until compaction).
    pub fn new(current: Revision, compacted: Revision, capacity: usize) -> Arc<Self> {
        let (progress, _) = watch::channel(current);
        Arc::new(EventLog {
            state: RwLock::new(LogState {
                events: VecDeque::new(),
                complete_from: current + 1,
                compacted,
                current,
                capacity: capacity.max(1),
                groups: Vec::new(),
            }),
            progress,
        })
    }

    /// The revision of the last publish.
    pub fn current_revision(&self) -> Revision {
        self.state.read().current
    }

    /// The compaction revision.
    pub fn compacted_revision(&self) -> Revision {
        self.state.read().compacted
    }

    /// Appends the events of one committed revision and wakes the watchers of the prefixes
    /// they touch. Must be called in increasing revision order.
    pub fn publish(&self, revision: Revision, events: impl IntoIterator<Item = WatchEvent>) {
        let mut state = self.state.write();
        debug_assert!(revision > state.current, "revisions must be published in order");
        let first = state.events.len();
        state.events.extend(events.into_iter().map(Arc::new));
        let LogState { events, groups, .. } = &mut *state;
        for group in groups.iter() {
            if events.range(first..).any(|e| e.kv.key.starts_with(&group.prefix)) {
                group.last_event.store(revision, Ordering::Release);
            }
        }
        state.current = revision;
        if state.events.len() > state.capacity {
            let capacity = state.capacity;
            state.trim_to(capacity);
        }
        // Wake under the read lock only (woken cursors may already be reading): the groups
        // touched are those whose last event is this revision, as no other publish can
        // run until the lock is released.
        let state = parking_lot::RwLockWriteGuard::downgrade(state);
        for group in &state.groups {
            if group.last_event.load(Ordering::Relaxed) == revision {
                group.wake.send_replace(());
            }
        }
    }

    /// Asks every watch with progress notifications to report the current revision now
    /// (a no-op when nothing was written since the last request).
    pub fn request_progress(&self) {
        let current = self.current_revision();
        self.progress.send_if_modified(|asked| {
            let moved = current > *asked;
            if moved {
                *asked = current;
            }
            moved
        });
    }

    /// Forgets events below `revision`; watchers behind it end with `Compacted`.
    pub fn compact(&self, revision: Revision) {
        let mut state = self.state.write();
        if revision <= state.compacted {
            return;
        }
        state.compacted = revision;
        let keep_from = state.events.partition_point(|e| e.revision() < revision);
        state.events.drain(..keep_from);
        state.complete_from = state.complete_from.max(revision);
        // Wake watchers so the ones behind the new compaction revision end now.
        for group in &state.groups {
            group.wake.send_replace(());
        }
    }

    /// Starts a watch. Without a `history`, events older than the in-memory window are
    /// reported as compacted.
    pub fn watch(
        self: &Arc<Self>,
        request: WatchRequest,
        history: Option<Arc<dyn History>>,
    ) -> WatchStream {
        let (wake, last_event, current) = {
            let mut state = self.state.write();
            let current = state.current;
            state.groups.retain(|g| g.wake.receiver_count() > 0);
            let group = match state.groups.iter().position(|g| g.prefix == request.prefix) {
                Some(index) => &state.groups[index],
                None => {
                    // Nothing is known about earlier events: any revision up to now may
                    // hold one under the prefix.
                    state.groups.push(Group {
                        prefix: request.prefix.clone(),
                        last_event: Arc::new(AtomicI64::new(current)),
                        wake: watch::channel(()).0,
                    });
                    &state.groups[state.groups.len() - 1]
                }
            };
            (group.wake.subscribe(), group.last_event.clone(), current)
        };
        let progress = request.progress_notify.then(|| {
            let mut progress = self.progress.subscribe();
            progress.borrow_and_update();
            progress
        });
        let next = if request.start_revision > 0 { request.start_revision } else { current + 1 };
        let cursor = Cursor {
            log: Arc::downgrade(self),
            wake,
            progress,
            last_event,
            history,
            request,
            next,
            last_progress: 0,
            pending: VecDeque::new(),
            finished: false,
        };
        Box::pin(futures::stream::unfold(cursor, |mut cursor| async move {
            let item = cursor.next_message().await?;
            Some((item, cursor))
        }))
    }
}

impl LogState {
    /// Drops whole revisions from the front until at most `keep` events remain.
    fn trim_to(&mut self, keep: usize) {
        let excess = self.events.len().saturating_sub(keep);
        if excess == 0 {
            return;
        }
        let last_dropped = self.events[excess - 1].revision();
        // Only the rest of that revision's events lie past `excess`: stepping over them
        // reads a few events, where a binary search over the whole log would read (and
        // miss the cache on) a dozen of them on every publish.
        let mut cut = excess;
        while self.events.get(cut).is_some_and(|e| e.revision() <= last_dropped) {
            cut += 1;
        }
        self.events.drain(..cut);
        self.complete_from = self.complete_from.max(last_dropped + 1);
    }
}

/// What one look at the log found.
enum Found {
    /// Messages were queued.
    Some,
    /// Nothing new: wait for the next publish.
    Nothing,
    /// The watcher is behind the in-memory window: read history up to this revision.
    History(Revision),
    /// The log is gone (its store was dropped): the watch ends.
    Closed,
}

struct Cursor {
    /// Weak, so that dropping the store drops the log (and its sender), which ends the watch.
    log: Weak<EventLog>,
    /// Woken by publishes under the prefix (and compactions).
    wake: watch::Receiver<()>,
    /// Woken by progress requests; only for watches with progress notifications.
    progress: Option<watch::Receiver<Revision>>,
    /// The group's last revision with an event under the prefix.
    last_event: Arc<AtomicI64>,
    history: Option<Arc<dyn History>>,
    request: WatchRequest,
    /// The lowest revision not yet delivered.
    next: Revision,
    last_progress: Revision,
    pending: VecDeque<WatchMessage>,
    finished: bool,
}

impl Cursor {
    async fn next_message(&mut self) -> Option<Result<WatchMessage>> {
        loop {
            if let Some(message) = self.pending.pop_front() {
                return Some(Ok(message));
            }
            if self.finished {
                return None;
            }
            // Mark the notifications seen before looking, so a publish (or a progress
            // request) after the look wakes us.
            self.wake.borrow_and_update();
            if let Some(progress) = &mut self.progress {
                progress.borrow_and_update();
            }
            match self.scan() {
                Ok(Found::Some) => {}
                Ok(Found::Nothing) => {
                    if !self.wait().await {
                        self.finished = true;
                    }
                }
                Ok(Found::Closed) => self.finished = true,
                Ok(Found::History(until)) => {
                    if let Err(error) = self.read_history(until).await {
                        self.finished = true;
                        return Some(Err(error));
                    }
                }
                Err(error) => {
                    self.finished = true;
                    return Some(Err(error));
                }
            }
        }
    }

    /// Waits for a publish under the prefix, a progress request or [`PROGRESS_IDLE`] (the
    /// last two only with progress notifications); `false` when the log is gone.
    async fn wait(&mut self) -> bool {
        let Cursor { wake, progress, .. } = self;
        match progress {
            None => wake.changed().await.is_ok(),
            Some(progress) => tokio::select! {
                woken = wake.changed() => woken.is_ok(),
                asked = progress.changed() => asked.is_ok(),
                () = tokio::time::sleep(PROGRESS_IDLE) => true,
            },
        }
    }

    fn scan(&mut self) -> Result<Found> {
        let Some(log) = self.log.upgrade() else {
            return Ok(Found::Closed);
        };
        let state = log.state.read();
        if self.next < state.compacted {
            return Err(StoreError::Compacted { requested: self.next, compacted: state.compacted });
        }
        let last_event = self.last_event.load(Ordering::Acquire);
        if last_event < self.next {
            // Nothing under the prefix from `next` on: skip to the end without looking.
            self.next = self.next.max(state.current + 1);
            return Ok(self.caught_up());
        }
        if self.next < state.complete_from {
            return Ok(Found::History(state.complete_from - 1));
        }
        let start = state.events.partition_point(|e| e.revision() < self.next);
        let mut last_revision = None;
        let mut last_delivered = None;
        let mut to_the_end = true;
        for (taken, event) in state.events.range(start..).enumerate() {
            let revision = event.revision();
            if revision > last_event {
                // No event under the prefix after this one.
                break;
            }
            if taken >= BATCH && last_revision != Some(revision) {
                to_the_end = false;
                break;
            }
            last_revision = Some(revision);
            if event.kv.key.starts_with(&self.request.prefix) {
                self.pending.push_back(WatchMessage::Event(self.deliverable(event)));
                last_delivered = Some(revision);
            }
        }
        match last_revision {
            Some(revision) if !to_the_end => self.next = revision + 1,
            _ => self.next = self.next.max(state.current + 1),
        }
        if let Some(delivered) = last_delivered {
            // Revisions of other prefixes scanned after the last delivered event would
            // otherwise never be announced: the watcher could not tell it is caught up
            // until the next write.
            let scanned = self.next - 1;
            if self.request.progress_notify && scanned > delivered {
                self.pending.push_back(WatchMessage::Progress { revision: scanned });
            }
            self.last_progress = scanned;
            return Ok(Found::Some);
        }
        if !to_the_end {
            // Scanned a batch of events for other prefixes; look again before sleeping.
            return Ok(Found::Some);
        }
        Ok(self.caught_up())
    }

    /// At the end of the log with nothing to deliver: a progress notification if asked
    /// for and the revision moved since the last one.
    fn caught_up(&mut self) -> Found {
        let caught_up = self.next - 1;
        if self.request.progress_notify && caught_up > self.last_progress && caught_up > 0 {
            self.last_progress = caught_up;
            self.pending.push_back(WatchMessage::Progress { revision: caught_up });
            return Found::Some;
        }
        Found::Nothing
    }

    async fn read_history(&mut self, until: Revision) -> Result<()> {
        let Some(history) = self.history.clone() else {
            let compacted =
                self.log.upgrade().map_or(0, |log| log.compacted_revision()).max(until + 1);
            return Err(StoreError::Compacted { requested: self.next, compacted });
        };
        let events = history.events_between(&self.request.prefix, self.next, until).await?;
        for event in events {
            let event = Arc::new(event);
            self.pending.push_back(WatchMessage::Event(self.deliverable(&event)));
        }
        self.next = until + 1;
        Ok(())
    }

    fn deliverable(&self, event: &Arc<WatchEvent>) -> WatchEvent {
        WatchEvent {
            event_type: event.event_type,
            kv: event.kv.clone(),
            prev_kv: if self.request.prev_kv { event.prev_kv.clone() } else { None },
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use futures::{FutureExt, StreamExt};

    use super::*;
    use crate::types::{EventType, KeyValue};

    fn put(log: &EventLog, revision: Revision, key: &str) {
        let kv = KeyValue {
            key: key.to_owned(),
            value: Bytes::from_static(b"v"),
            create_revision: revision,
            mod_revision: revision,
            version: 1,
            lease: 0,
        };
        log.publish(revision, [WatchEvent { event_type: EventType::Put, kv, prev_kv: None }]);
    }

    fn ready(stream: &mut WatchStream) -> Option<WatchMessage> {
        stream.next().now_or_never().flatten().map(|m| m.expect("no error"))
    }

    #[tokio::test(start_paused = true)]
    async fn writes_elsewhere_are_reported_when_progress_is_requested() {
        let log = EventLog::new(0, 0, usize::MAX);
        let mut quiet = log.watch(WatchRequest::prefix("/a/").with_progress_notify(), None);
        assert!(ready(&mut quiet).is_none(), "nothing happened yet");
        put(&log, 1, "/b/1");
        put(&log, 2, "/b/2");
        // The clock is paused and never advanced here: only a request can wake the watch.
        assert!(ready(&mut quiet).is_none(), "writes to other prefixes do not wake it");
        log.request_progress();
        assert_eq!(ready(&mut quiet), Some(WatchMessage::Progress { revision: 2 }));
        log.request_progress();
        assert!(ready(&mut quiet).is_none(), "a second request without writes adds nothing");
        put(&log, 3, "/a/x");
        match ready(&mut quiet) {
            Some(WatchMessage::Event(event)) => assert_eq!(event.kv.key, "/a/x"),
            other => panic!("expected the event under the prefix, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn idle_watches_report_progress_on_their_own() {
        let log = EventLog::new(0, 0, usize::MAX);
        let mut quiet = log.watch(WatchRequest::prefix("/a/").with_progress_notify(), None);
        assert!(ready(&mut quiet).is_none());
        put(&log, 1, "/b/1");
        // With the clock paused, the runtime jumps to the idle timer as soon as it has
        // nothing else to do.
        assert_eq!(
            quiet.next().await.map(|m| m.expect("no error")),
            Some(WatchMessage::Progress { revision: 1 })
        );
    }

    #[tokio::test]
    async fn a_late_watch_of_a_busy_prefix_still_replays_from_its_start() {
        let log = EventLog::new(0, 0, usize::MAX);
        let mut early = log.watch(WatchRequest::prefix("/a/"), None);
        for revision in 1..=6 {
            put(&log, revision, if revision % 2 == 0 { "/a/k" } else { "/b/k" });
        }
        let mut late = log.watch(WatchRequest::prefix("/a/").from_revision(3), None);
        let seen = |stream: &mut WatchStream| {
            std::iter::from_fn(|| match ready(stream) {
                Some(WatchMessage::Event(event)) => Some(event.revision()),
                _ => None,
            })
            .collect::<Vec<_>>()
        };
        assert_eq!(seen(&mut early), vec![2, 4, 6]);
        assert_eq!(seen(&mut late), vec![4, 6]);
    }

    #[tokio::test]
    async fn dropping_the_log_ends_sleeping_watches() {
        let log = EventLog::new(0, 0, usize::MAX);
        let mut plain = log.watch(WatchRequest::prefix("/a/"), None);
        let mut with_progress = log.watch(WatchRequest::prefix("/b/").with_progress_notify(), None);
        assert!(ready(&mut plain).is_none());
        assert!(ready(&mut with_progress).is_none());
        drop(log);
        assert!(plain.next().await.is_none());
        assert!(with_progress.next().await.is_none());
    }
}
