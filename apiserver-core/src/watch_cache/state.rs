//! The current state: objects by key (a `BTreeMap`, so a namespace is a range scan), the revision, the event window and the fan-out, changed together under one lock.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use super::CachedObject;
use super::fanout::{Change, ChangeKind, Fanout};
use super::history::{History, Overlay};

/// Objects by store key.
pub(crate) type Objects = BTreeMap<String, Arc<CachedObject>>;

/// Everything the ingest task changes, behind the cache's one `RwLock`.
pub(crate) struct State {
    /// The revision the cache reflects.
    pub(crate) revision: i64,
    /// The current objects.
    pub(crate) objects: Objects,
    /// Recent changes.
    pub(crate) history: History,
    /// The watchers' broadcast.
    pub(crate) fanout: Fanout,
}

impl State {
    /// The state of a fresh list.
    pub(crate) fn new(
        objects: Objects,
        revision: i64,
        history_capacity: usize,
        fanout: Fanout,
    ) -> Self {
        State { revision, objects, history: History::new(history_capacity, revision), fanout }
    }

    /// Applies one change: index, revision, window, then every watcher.
    pub(crate) fn apply(&mut self, change: Arc<Change>) {
        if let Some(object) = &change.object {
            match change.kind {
                ChangeKind::Added | ChangeKind::Modified => {
                    self.objects.insert(object.key.clone(), object.clone());
                }
                ChangeKind::Deleted => {
                    self.objects.remove(&object.key);
                }
                ChangeKind::Bookmark => {}
            }
        }
        self.revision = self.revision.max(change.revision);
        self.history.push(change.clone());
        self.fanout.send(change);
    }

    /// Replaces everything by a new list at `revision` (after the store watch was
    /// compacted): the window restarts empty and every watch ends, as Kubernetes' cacher
    /// terminates its watchers when its reflector relists.
    pub(crate) fn replace(&mut self, objects: Objects, revision: i64) {
        self.objects = objects;
        self.revision = revision;
        self.history.reset(revision);
        self.fanout.terminate_all();
    }

    /// The objects under `scope` at `revision` (at most the current one), in key order,
    /// starting at `from`; `Err(oldest)` when that revision is outside the window.
    pub(crate) fn view_at<'a>(
        &'a self,
        revision: i64,
        scope: &'a str,
        from: &'a str,
        overlay: &'a mut Option<Overlay>,
    ) -> Result<View<'a>, i64> {
        *overlay = if revision >= self.revision {
            None
        } else {
            Some(self.history.overlay_at(revision, scope)?)
        };
        Ok(View::new(&self.objects, overlay.as_ref(), scope, from))
    }
}

/// The first key after every key starting with `scope` (scopes end with `/`).
fn scope_end(scope: &str) -> String {
    let mut end = scope.to_owned();
    match end.pop() {
        Some(last) => {
            end.push(char::from_u32(last as u32 + 1).unwrap_or(char::MAX));
            end
        }
        None => String::from(char::MAX),
    }
}

type Range<'a, V> = std::iter::Peekable<std::collections::btree_map::Range<'a, String, V>>;

/// The objects of a scope at some revision: the current objects merged with an overlay of
/// the older values of keys changed since.
pub(crate) struct View<'a> {
    current: Range<'a, Arc<CachedObject>>,
    older: Option<Range<'a, Option<Arc<CachedObject>>>>,
}

impl<'a> View<'a> {
    fn new(objects: &'a Objects, overlay: Option<&'a Overlay>, scope: &str, from: &str) -> Self {
        let end = scope_end(scope);
        let start = if from > scope { from } else { scope };
        let bounds = (Bound::Included(start), Bound::Excluded(end.as_str()));
        View {
            current: objects.range::<str, _>(bounds).peekable(),
            older: overlay.map(|o| o.range::<str, _>(bounds).peekable()),
        }
    }
}

impl<'a> Iterator for View<'a> {
    type Item = &'a Arc<CachedObject>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Some(older) = self.older.as_mut() else {
                return self.current.next().map(|(_, v)| v);
            };
            let order = match (self.current.peek(), older.peek()) {
                (None, None) => return None,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some((current, _)), Some((old, _))) => current.cmp(old),
            };
            if order == std::cmp::Ordering::Equal {
                // The key changed since: its older value wins.
                self.current.next();
            }
            let take_older = order != std::cmp::Ordering::Less;
            if take_older {
                if let Some((_, Some(object))) = older.next() {
                    return Some(object);
                }
            } else {
                return self.current.next().map(|(_, v)| v);
            }
        }
    }
}
