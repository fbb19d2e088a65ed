//! The fan-out: broadcasts of `Arc`'ed changes that watchers read and filter themselves — one for every watcher, plus one per value of the resource's indexed field (pods' `spec.nodeName`) for the watchers that require that value; a watcher that falls a whole buffer behind is cut off instead of slowing ingest.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use parking_lot::Mutex;
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

/// The field a resource's watchers are indexed by, as Kubernetes' cacher indexes pod
/// watchers by `spec.nodeName`: a watch requiring one value of it (every kubelet's watch of
/// its own pods) only receives the changes of objects that have, or had, that value.
pub(crate) fn indexed_field(group: &str, plural: &str) -> Option<&'static str> {
    (group.is_empty() && plural == "pods").then_some("spec.nodeName")
}

/// The sending side of the fan-out.
pub(crate) struct Fanout {
    /// The broadcast unindexed watchers subscribe to. Replaced (ending every watch) on
    /// relist and shutdown.
    sender: broadcast::Sender<Arc<Change>>,
    /// How many changes a watcher may be behind before it is cut off.
    capacity: usize,
    /// The field indexed watchers are keyed by, if the resource has one.
    index_field: Option<&'static str>,
    /// One broadcast per value of the indexed field that some watcher requires. Behind its
    /// own lock because watchers subscribe under the cache's read lock.
    indexed: Mutex<HashMap<String, broadcast::Sender<Arc<Change>>>>,
    /// How many changes an indexed watcher may be behind (each value's broadcast allocates
    /// this many slots up front, so it is kept smaller than `capacity`).
    indexed_capacity: usize,
    /// When the last bookmark was sent.
    last_bookmark: Option<Instant>,
    /// Closed for good (the cache shut down): new watches end at once.
    closed: bool,
}

impl Fanout {
    /// A fan-out whose watchers may fall up to `capacity` changes behind, and watchers
    /// indexed by `index_field` up to `indexed_capacity` (at most `capacity`).
    pub(crate) fn new(
        capacity: usize,
        index_field: Option<&'static str>,
        indexed_capacity: usize,
    ) -> Self {
        let capacity = capacity.max(1);
        let (sender, _) = broadcast::channel(capacity);
        Fanout {
            sender,
            capacity,
            index_field,
            indexed: Mutex::new(HashMap::new()),
            indexed_capacity: indexed_capacity.clamp(1, capacity),
            last_bookmark: None,
            closed: false,
        }
    }

    /// The value of the indexed field a watch with these field requirements can be keyed
    /// by (it receives only the changes of objects having, or having had, that value).
    pub(crate) fn index_value<'a>(
        &self,
        fields: &'a capstan_api_types::fields::FieldSelector,
    ) -> Option<&'a str> {
        fields.required_value(self.index_field?)
    }

    /// A new watcher's receiver: it sees every change sent from now on (`index`: only the
    /// changes of objects whose indexed field has, or had, this value, and bookmarks).
    pub(crate) fn subscribe(&self, index: Option<&str>) -> broadcast::Receiver<Arc<Change>> {
        if self.closed {
            // A receiver whose sender is gone: the watch ends at once.
            let (_, receiver) = broadcast::channel(1);
            return receiver;
        }
        match index {
            None => self.sender.subscribe(),
            Some(value) => {
                let mut indexed = self.indexed.lock();
                if let Some(sender) = indexed.get(value) {
                    return sender.subscribe();
                }
                let (sender, receiver) = broadcast::channel(self.indexed_capacity);
                indexed.insert(value.to_owned(), sender);
                receiver
            }
        }
    }

    /// Sends a change to every watcher it may concern (never waits): every unindexed
    /// watcher, and the indexed watchers of the object's value and of its previous value.
    pub(crate) fn send(&self, change: Arc<Change>) {
        if let Some(field) = self.index_field {
            fn value<'a>(o: &'a Option<Arc<CachedObject>>, field: &str) -> Option<&'a str> {
                o.as_ref().map(|o| o.fields.get(field).map_or("", String::as_str))
            }
            let now = value(&change.object, field);
            let before = value(&change.prev, field);
            let indexed = self.indexed.lock();
            if !indexed.is_empty() {
                for v in [now, before.filter(|b| Some(*b) != now)].into_iter().flatten() {
                    if let Some(sender) = indexed.get(v) {
                        let _ = sender.send(change.clone());
                    }
                }
            }
        }
        // An error only means there is no watcher.
        let _ = self.sender.send(change);
    }

    /// Sends a bookmark at `revision` if there are watchers and, unless `force`, the last
    /// bookmark is at least `interval` old.
    pub(crate) fn bookmark(&mut self, revision: i64, interval: std::time::Duration, force: bool) {
        if self.watchers() == 0 {
            return;
        }
        let now = Instant::now();
        if !force && self.last_bookmark.is_some_and(|at| now.duration_since(at) < interval) {
            return;
        }
        self.last_bookmark = Some(now);
        let bookmark = Arc::new(Change::bookmark(revision));
        // Every indexed broadcast gets it too; those left without watchers go away.
        self.indexed.get_mut().retain(|_, sender| {
            sender.receiver_count() > 0 && sender.send(bookmark.clone()).is_ok()
        });
        let _ = self.sender.send(bookmark);
    }

    /// Ends every current watch (after it drains what it was already sent).
    pub(crate) fn terminate_all(&mut self) {
        let (sender, _) = broadcast::channel(self.capacity);
        self.sender = sender;
        self.indexed.get_mut().clear();
    }

    /// Ends every current watch, and every later one at once.
    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.terminate_all();
    }

    /// How many watchers are subscribed.
    pub(crate) fn watchers(&self) -> usize {
        let indexed: usize = self.indexed.lock().values().map(|s| s.receiver_count()).sum();
        self.sender.receiver_count() + indexed
    }
}
