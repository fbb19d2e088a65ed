//! [`IndexHistory`]: the events a watch needs from before the event log's window, rebuilt
//! from the key index.

use std::sync::Weak;

use async_trait::async_trait;

use super::Inner;
use crate::error::{Result, StoreError};
use crate::types::{Revision, WatchEvent};
use crate::watchable::History;

/// Reads the events of a revision range from the store's index. Holds the store weakly:
/// a watch does not keep a dropped store alive.
pub(super) struct IndexHistory {
    inner: Weak<Inner>,
}

impl IndexHistory {
    /// The history of the store `inner`.
    pub(super) fn new(inner: &std::sync::Arc<Inner>) -> Self {
        IndexHistory { inner: std::sync::Arc::downgrade(inner) }
    }
}

#[async_trait]
impl History for IndexHistory {
    async fn events_between(
        &self,
        prefix: &str,
        from: Revision,
        until: Revision,
    ) -> Result<Vec<WatchEvent>> {
        let Some(inner) = self.inner.upgrade() else {
            return Err(StoreError::Unavailable {
                message: "the store was dropped".into(),
                source: None,
            });
        };
        let state = inner.state.read();
        if from < state.compacted {
            return Err(StoreError::Compacted { requested: from, compacted: state.compacted });
        }
        Ok(state.index.events_between(prefix, from, until))
    }
}
