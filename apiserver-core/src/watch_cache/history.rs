//! The bounded window of recent changes: resuming watches and reconstructing the state at a recent revision (exact lists, continue tokens).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use super::CachedObject;
use super::fanout::Change;

/// The recent changes, oldest first, complete for every revision above [`History::oldest`].
pub(crate) struct History {
    events: VecDeque<Arc<Change>>,
    capacity: usize,
    /// Every change with a revision greater than this one is in `events`.
    oldest: i64,
}

/// The state at an older revision, as a difference from the current state: for every key
/// changed since, its value then (`None` = absent then).
pub(crate) type Overlay = BTreeMap<String, Option<Arc<CachedObject>>>;

impl History {
    /// An empty window over a state at `revision`, keeping at most `capacity` changes.
    pub(crate) fn new(capacity: usize, revision: i64) -> Self {
        History { events: VecDeque::new(), capacity: capacity.max(1), oldest: revision }
    }

    /// Appends a change (in revision order), forgetting whole revisions from the front when
    /// over capacity.
    pub(crate) fn push(&mut self, change: Arc<Change>) {
        self.events.push_back(change);
        while self.events.len() > self.capacity {
            let Some(dropped) = self.events.pop_front() else { break };
            self.oldest = dropped.revision;
            while self.events.front().is_some_and(|e| e.revision == dropped.revision) {
                self.events.pop_front();
            }
        }
    }

    /// Forgets everything: the state was replaced by a list at `revision`.
    pub(crate) fn reset(&mut self, revision: i64) {
        self.events.clear();
        self.oldest = revision;
    }

    /// The changes after `revision`, or `Err(oldest)` when some of them were forgotten.
    pub(crate) fn since(
        &self,
        revision: i64,
    ) -> Result<impl Iterator<Item = &Arc<Change>> + '_, i64> {
        if revision < self.oldest {
            return Err(self.oldest);
        }
        let start = self.events.partition_point(|e| e.revision <= revision);
        Ok(self.events.range(start..))
    }

    /// The state at `revision` of the keys under `scope` that changed since, or `Err(oldest)`
    /// when it cannot be reconstructed.
    pub(crate) fn overlay_at(&self, revision: i64, scope: &str) -> Result<Overlay, i64> {
        let mut overlay = Overlay::new();
        for change in self.since(revision)? {
            let key = change.key();
            if key.starts_with(scope) && !overlay.contains_key(key) {
                // The first change after `revision` knows the value at `revision`.
                overlay.insert(key.to_owned(), change.prev.clone());
            }
        }
        Ok(overlay)
    }
}
