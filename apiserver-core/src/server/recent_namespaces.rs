//! Namespaces being deleted moments ago: creates in them check the store, not the watch cache, which may not have seen the change yet.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// How long a namespace deletion forces live lookups (Kubernetes' `forceLiveLookupTTL`).
const LIVE_LOOKUP_TTL: Duration = Duration::from_secs(30);

/// The namespaces whose deletion started within [`LIVE_LOOKUP_TTL`].
#[derive(Debug, Default)]
pub(crate) struct RecentNamespaceDeletes {
    started: Mutex<HashMap<String, Instant>>,
}

impl RecentNamespaceDeletes {
    /// Records that the deletion of `name` is starting now.
    pub(crate) fn note(&self, name: &str) {
        let now = Instant::now();
        let mut started = self.started.lock();
        started.retain(|_, at| now.duration_since(*at) < LIVE_LOOKUP_TTL);
        started.insert(name.to_string(), now);
    }

    /// Whether the deletion of `name` started within the TTL.
    pub(crate) fn contains(&self, name: &str) -> bool {
        let started = self.started.lock();
        if started.is_empty() {
            return false;
        }
        started.get(name).is_some_and(|at| at.elapsed() < LIVE_LOOKUP_TTL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_only_noted_namespaces() {
        let recent = RecentNamespaceDeletes::default();
        assert!(!recent.contains("a"));
        recent.note("a");
        assert!(recent.contains("a"));
        assert!(!recent.contains("b"));
    }
}
