//! Leases: the lease table (deadline and attached keys per lease) and the expiry task.
//!
//! The table lives inside the store's state, under its write lock, so attaching a key and
//! expiring its lease are ordered with every other write. The expiry task is spawned on the
//! first grant and holds only a [`Weak`] reference: dropping the store ends it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::types::LeaseId;

/// How long the expiry task sleeps at most, so that it notices a dropped store.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// Every live lease.
#[derive(Debug, Default)]
pub(crate) struct LeaseTable {
    leases: HashMap<LeaseId, Lease>,
    /// The last id handed out.
    last_id: LeaseId,
}

#[derive(Debug)]
struct Lease {
    deadline: Instant,
    /// Keys whose current version is attached to this lease.
    keys: HashSet<String>,
}

impl LeaseTable {
    /// Grants a lease expiring `ttl` after `now`, rounded up to whole seconds (at least 1).
    pub(crate) fn grant(&mut self, ttl: Duration, now: Instant) -> LeaseId {
        let seconds = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
        let ttl = Duration::from_secs(seconds.max(1));
        self.last_id += 1;
        self.leases.insert(self.last_id, Lease { deadline: now + ttl, keys: HashSet::new() });
        self.last_id
    }

    /// Whether `lease` exists and has not reached its deadline.
    pub(crate) fn is_live(&self, lease: LeaseId, now: Instant) -> bool {
        self.leases.get(&lease).is_some_and(|l| l.deadline > now)
    }

    /// Whether `lease` exists (expired or not, until the expiry task removes it).
    #[cfg(test)]
    pub(crate) fn contains(&self, lease: LeaseId) -> bool {
        self.leases.contains_key(&lease)
    }

    /// How many leases exist.
    pub(crate) fn len(&self) -> usize {
        self.leases.len()
    }

    /// Records that `key` now belongs to `lease` instead of `previous` (0 = none).
    pub(crate) fn reattach(&mut self, key: &str, previous: LeaseId, lease: LeaseId) {
        if previous == lease {
            return;
        }
        self.detach(key, previous);
        if let Some(entry) = self.leases.get_mut(&lease) {
            entry.keys.insert(key.to_owned());
        }
    }

    /// Records that `key` no longer belongs to `lease` (0 = none: nothing to do).
    pub(crate) fn detach(&mut self, key: &str, lease: LeaseId) {
        if lease == 0 {
            return;
        }
        if let Some(entry) = self.leases.get_mut(&lease) {
            entry.keys.remove(key);
        }
    }

    /// Removes `lease`, returning its keys in key order; `None` when it does not exist.
    pub(crate) fn remove(&mut self, lease: LeaseId) -> Option<Vec<String>> {
        let mut keys: Vec<String> = self.leases.remove(&lease)?.keys.into_iter().collect();
        keys.sort_unstable();
        Some(keys)
    }

    /// Leases whose deadline is at or before `now`.
    pub(crate) fn expired(&self, now: Instant) -> Vec<LeaseId> {
        self.leases.iter().filter(|(_, l)| l.deadline <= now).map(|(&id, _)| id).collect()
    }

    /// The earliest deadline of any lease.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.leases.values().map(|l| l.deadline).min()
    }
}

/// Spawns the expiry task on the current tokio runtime.
///
/// `expire` runs with a strong reference for the moment of the call: it removes the leases
/// due at the given instant and returns the next deadline. `wake` is notified on every grant
/// so an earlier deadline is not slept through.
pub(crate) fn spawn_expiry<T: Send + Sync + 'static>(
    runtime: &tokio::runtime::Handle,
    target: Weak<T>,
    wake: Arc<Notify>,
    expire: fn(&T, Instant) -> Option<Instant>,
) -> JoinHandle<()> {
    runtime.spawn(async move {
        loop {
            let now = Instant::now();
            let next = match target.upgrade() {
                Some(target) => expire(&target, now),
                None => return,
            };
            let until = next.map_or(now + IDLE_CHECK, |next| next.min(now + IDLE_CHECK));
            tokio::select! {
                () = tokio::time::sleep_until(until) => {}
                () = wake.notified() => {}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_round_up_to_whole_seconds() {
        let now = Instant::now();
        let table: &[(Duration, u64)] = &[
            (Duration::ZERO, 1),
            (Duration::from_millis(1), 1),
            (Duration::from_secs(1), 1),
            (Duration::from_millis(1001), 2),
            (Duration::from_secs(30), 30),
        ];
        for &(ttl, seconds) in table {
            let mut leases = LeaseTable::default();
            let id = leases.grant(ttl, now);
            let deadline = now + Duration::from_secs(seconds);
            assert!(leases.is_live(id, deadline - Duration::from_millis(1)), "{ttl:?}");
            assert!(!leases.is_live(id, deadline), "{ttl:?}");
            assert_eq!(leases.expired(deadline), vec![id]);
        }
    }

    #[test]
    fn keys_follow_their_lease() {
        let now = Instant::now();
        let mut leases = LeaseTable::default();
        let (a, b) = (leases.grant(Duration::from_secs(5), now), leases.grant(Duration::ZERO, now));
        assert_ne!(a, b);
        assert_eq!(leases.next_deadline(), Some(now + Duration::from_secs(1)));
        leases.reattach("/k2", 0, a);
        leases.reattach("/k1", 0, a);
        leases.reattach("/k3", 0, a);
        leases.reattach("/k3", a, b);
        leases.detach("/k2", a);
        assert_eq!(leases.remove(a), Some(vec!["/k1".to_owned()]));
        assert_eq!(leases.remove(a), None);
        assert!(!leases.contains(a) && leases.contains(b));
        assert_eq!(leases.remove(b), Some(vec!["/k3".to_owned()]));
    }
}
