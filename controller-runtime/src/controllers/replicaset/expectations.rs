//! Controller expectations: how many creations and which deletions a controller is
//! still waiting to see in its informer, so it never acts twice on one decision while
//! the cache lags (kube's `ControllerExpectations` with UID-tracked deletions).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::object::ObjectKey;

/// How long unmet expectations are trusted before the controller acts again anyway.
pub const EXPECTATIONS_TIMEOUT: Duration = Duration::from_secs(5 * 60);

#[derive(Debug)]
struct Pending {
    adds: i64,
    deletes: HashSet<String>,
    since: Instant,
}

/// Pending creations and deletions per controller key. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct Expectations {
    pending: Mutex<HashMap<ObjectKey, Pending>>,
}

impl Expectations {
    /// No expectations.
    pub fn new() -> Self {
        Expectations::default()
    }

    /// Whether the controller at `key` may act: everything it expected was observed,
    /// nothing is recorded, or the record is older than [`EXPECTATIONS_TIMEOUT`].
    pub fn satisfied(&self, key: &ObjectKey) -> bool {
        match self.pending.lock().get(key) {
            None => true,
            Some(p) => {
                (p.adds <= 0 && p.deletes.is_empty()) || p.since.elapsed() > EXPECTATIONS_TIMEOUT
            }
        }
    }

    /// Records that `adds` creations are about to be issued (replaces earlier records).
    pub fn expect_creations(&self, key: &ObjectKey, adds: usize) {
        self.pending.lock().insert(
            key.clone(),
            Pending { adds: adds as i64, deletes: HashSet::new(), since: Instant::now() },
        );
    }

    /// Records deletions about to be issued for these pod uids (replaces earlier records).
    pub fn expect_deletions(&self, key: &ObjectKey, uids: impl IntoIterator<Item = String>) {
        self.pending.lock().insert(
            key.clone(),
            Pending { adds: 0, deletes: uids.into_iter().collect(), since: Instant::now() },
        );
    }

    /// One creation was observed (or will never happen because it failed).
    pub fn creation_observed(&self, key: &ObjectKey) {
        if let Some(p) = self.pending.lock().get_mut(key) {
            p.adds -= 1;
        }
    }

    /// The deletion of `uid` was observed (or failed because it is already gone).
    pub fn deletion_observed(&self, key: &ObjectKey, uid: &str) {
        if let Some(p) = self.pending.lock().get_mut(key) {
            p.deletes.remove(uid);
        }
    }

    /// Forgets `key` (its controller object was deleted).
    pub fn forget(&self, key: &ObjectKey) {
        self.pending.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creations_and_deletions_must_be_observed() {
        let e = Expectations::new();
        let key = ObjectKey::new(Some("ns"), "rs");
        assert!(e.satisfied(&key));
        e.expect_creations(&key, 2);
        assert!(!e.satisfied(&key));
        e.creation_observed(&key);
        assert!(!e.satisfied(&key));
        e.creation_observed(&key);
        assert!(e.satisfied(&key));
        e.expect_deletions(&key, ["a".to_string(), "b".to_string()]);
        e.deletion_observed(&key, "a");
        e.deletion_observed(&key, "zzz");
        assert!(!e.satisfied(&key));
        e.deletion_observed(&key, "b");
        assert!(e.satisfied(&key));
    }
}
