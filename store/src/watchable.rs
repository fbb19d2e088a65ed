//! The watchable half of the in-process backends: an ordered log of recent events that any
//! number of watchers read from their own cursor, woken by one notification per commit.
//!
//! Writers [`EventLog::publish`] each committed revision's events in revision order (under
//! their write lock). Watchers never get a private queue: a slow watcher only lags behind
//! in the shared log. Events older than the log's window come from a [`History`] (the
//! SQLite backend reads its log table); events older than the compaction revision end the
//! watch with [`StoreError::Compacted`].

use std::collections::VecDeque;
use std::sync::{Arc, Weak};

use async_trait::async_trait;
use parking_lot::RwLock;
use tokio::sync::watch;

use crate::error::{Result, StoreError};
use crate::traits::WatchStream;
use crate::types::{Revision, WatchEvent, WatchMessage, WatchRequest};

/// Most events a watcher takes from the log per wake-up before yielding them.
const BATCH: usize = 1024;

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
    /// Carries the current revision; every publish wakes every watcher.
    notify: watch::Sender<Revision>,
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
}

impl EventLog {
    /// A log whose store is at `current` with `compacted` as its compaction revision,
    /// keeping at most `capacity` events in memory (`usize::MAX` keeps all until compaction).
    pub fn new(current: Revision, compacted: Revision, capacity: usize) -> Arc<Self> {
        let (notify, _) = watch::channel(current);
        Arc::new(EventLog {
            state: RwLock::new(LogState {
                events: VecDeque::new(),
                complete_from: current + 1,
                compacted,
                current,
                capacity: capacity.max(1),
            }),
            notify,
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

    /// Appends the events of one committed revision and wakes the watchers. Must be called
    /// in increasing revision order.
    pub fn publish(&self, revision: Revision, events: impl IntoIterator<Item = WatchEvent>) {
        {
            let mut state = self.state.write();
            debug_assert!(revision > state.current, "revisions must be published in order");
            state.events.extend(events.into_iter().map(Arc::new));
            state.current = revision;
            if state.events.len() > state.capacity {
                let capacity = state.capacity;
                state.trim_to(capacity);
            }
        }
        self.notify.send_replace(revision);
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
        drop(state);
        // Wake watchers so the ones behind the new compaction revision end now.
        self.notify.send_modify(|_| {});
    }

    /// Starts a watch. Without a `history`, events older than the in-memory window are
    /// reported as compacted.
    pub fn watch(
        self: &Arc<Self>,
        request: WatchRequest,
        history: Option<Arc<dyn History>>,
    ) -> WatchStream {
        let mut receiver = self.notify.subscribe();
        receiver.borrow_and_update();
        let next = if request.start_revision > 0 {
            request.start_revision
        } else {
            self.current_revision() + 1
        };
        let cursor = Cursor {
            log: Arc::downgrade(self),
            receiver,
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
        let cut = self.events.partition_point(|e| e.revision() <= last_dropped);
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
    receiver: watch::Receiver<Revision>,
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
            // Mark the notification seen before looking, so a publish after the look wakes us.
            self.receiver.borrow_and_update();
            match self.scan() {
                Ok(Found::Some) => {}
                Ok(Found::Nothing) => {
                    if self.receiver.changed().await.is_err() {
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

    fn scan(&mut self) -> Result<Found> {
        let Some(log) = self.log.upgrade() else {
            return Ok(Found::Closed);
        };
        let state = log.state.read();
        if self.next < state.compacted {
            return Err(StoreError::Compacted { requested: self.next, compacted: state.compacted });
        }
        if self.next < state.complete_from {
            return Ok(Found::History(state.complete_from - 1));
        }
        let start = state.events.partition_point(|e| e.revision() < self.next);
        let mut taken = 0;
        let mut last_revision = None;
        let mut last_delivered = None;
        for event in state.events.range(start..) {
            let revision = event.revision();
            if taken >= BATCH && last_revision != Some(revision) {
                break;
            }
            taken += 1;
            last_revision = Some(revision);
            if event.kv.key.starts_with(&self.request.prefix) {
                self.pending.push_back(WatchMessage::Event(self.deliverable(event)));
                last_delivered = Some(revision);
            }
        }
        match last_revision {
            Some(revision) if start + taken < state.events.len() => self.next = revision + 1,
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
        if taken > 0 {
            // Scanned events for other prefixes; look again for more before sleeping.
            if start + taken < state.events.len() {
                return Ok(Found::Some);
            }
        }
        let caught_up = self.next - 1;
        if self.request.progress_notify && caught_up > self.last_progress && caught_up > 0 {
            self.last_progress = caught_up;
            self.pending.push_back(WatchMessage::Progress { revision: caught_up });
            return Ok(Found::Some);
        }
        Ok(Found::Nothing)
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
