//! The fan-out: one broadcast of `Arc`'ed changes that every watcher reads and filters itself; a watcher that falls a whole buffer behind is cut off instead of slowing ingest.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tokio::sync::broadcast;

use super::CachedObject;

/// What a [`Change`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    /// An object was created.
    Added,
    /// An object was updated.
    Modified,
    /// An object was deleted.
    Deleted,
    /// No change: the cache reached the change's revision (sent to watchers as a bookmark).
    Bookmark,
}

/// One change of the cache, shared by the event window and every watcher.
#[derive(Debug)]
pub(crate) struct Change {
    /// The revision of the change.
    pub(crate) revision: i64,
    /// What happened.
    pub(crate) kind: ChangeKind,
    /// The object after the change; for a delete, its last state stamped with the delete's
    /// revision. `None` only for bookmarks.
    pub(crate) object: Option<Arc<CachedObject>>,
    /// The object before the change (`None` for a create and for bookmarks).
    pub(crate) prev: Option<Arc<CachedObject>>,
    /// `prev` stamped with this change's revision, made on first use: what a watcher gets as
    /// DELETED when an update makes the object stop matching its selectors.
    prev_at_revision: OnceLock<Arc<CachedObject>>,
}

impl Change {
    /// A create, update or delete.
    pub(crate) fn new(
        revision: i64,
        kind: ChangeKind,
        object: Arc<CachedObject>,
        prev: Option<Arc<CachedObject>>,
    ) -> Self {
        let prev_at_revision = OnceLock::new();
        if kind == ChangeKind::Deleted {
            let _ = prev_at_revision.set(object.clone());
        }
        Change { revision, kind, object: Some(object), prev, prev_at_revision }
    }

    /// A bookmark at `revision`.
    pub(crate) fn bookmark(revision: i64) -> Self {
        Change {
            revision,
            kind: ChangeKind::Bookmark,
            object: None,
            prev: None,
            prev_at_revision: OnceLock::new(),
        }
    }

    /// The store key the change is about (`""` for bookmarks).
    pub(crate) fn key(&self) -> &str {
        self.object.as_ref().map_or("", |o| o.key.as_str())
    }

    /// The previous state stamped with this change's revision (re-serialized once, on the
    /// first watcher that needs it). Falls back to the previous state as it was when the
    /// JSON cannot be re-stamped (it always can: the cache wrote it).
    pub(crate) fn prev_at_revision(&self) -> Option<Arc<CachedObject>> {
        let prev = self.prev.as_ref()?;
        Some(
            self.prev_at_revision
                .get_or_init(|| match prev.with_revision(self.revision) {
                    Ok(object) => Arc::new(object),
                    Err(_) => prev.clone(),
                })
                .clone(),
        )
    }
}

/// The sending side of the fan-out.
pub(crate) struct Fanout {
    /// The broadcast every watcher subscribes to. Replaced (ending every watch) on relist
    /// and shutdown.
    sender: broadcast::Sender<Arc<Change>>,
    /// How many changes a watcher may be behind before it is cut off.
    capacity: usize,
    /// When the last bookmark was sent.
    last_bookmark: Option<Instant>,
    /// Closed for good (the cache shut down): new watches end at once.
    closed: bool,
}

impl Fanout {
    /// A fan-out whose watchers may fall up to `capacity` changes behind.
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let (sender, _) = broadcast::channel(capacity);
        Fanout { sender, capacity, last_bookmark: None, closed: false }
    }

    /// A new watcher's receiver: it sees every change sent from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        if self.closed {
            // A receiver whose sender is gone: the watch ends at once.
            let (_, receiver) = broadcast::channel(1);
            return receiver;
        }
        self.sender.subscribe()
    }

    /// Sends a change to every watcher (never waits).
    pub(crate) fn send(&self, change: Arc<Change>) {
        // An error only means there is no watcher.
        let _ = self.sender.send(change);
    }

    /// Sends a bookmark at `revision` if there are watchers and, unless `force`, the last
    /// bookmark is at least `interval` old.
    pub(crate) fn bookmark(&mut self, revision: i64, interval: std::time::Duration, force: bool) {
        if self.sender.receiver_count() == 0 {
            return;
        }
        let now = Instant::now();
        if !force && self.last_bookmark.is_some_and(|at| now.duration_since(at) < interval) {
            return;
        }
        self.last_bookmark = Some(now);
        self.send(Arc::new(Change::bookmark(revision)));
    }

    /// Ends every current watch (after it drains what it was already sent).
    pub(crate) fn terminate_all(&mut self) {
        let (sender, _) = broadcast::channel(self.capacity);
        self.sender = sender;
    }

    /// Ends every current watch, and every later one at once.
    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.terminate_all();
    }

    /// How many watchers are subscribed.
    pub(crate) fn watchers(&self) -> usize {
        self.sender.receiver_count()
    }
}
