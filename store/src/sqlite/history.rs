//! Watch history from the log table, for watchers behind the in-memory event window.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::{Result, StoreError};
use crate::sqlite::errors::SqlContext;
use crate::sqlite::reads::ReadPool;
use crate::sqlite::schema::{self, KV_COLUMNS};
use crate::types::{EventType, KeyValue, Revision, WatchEvent};
use crate::watchable::History;

/// Reads old events (with their previous values, through `prev_revision`) from `log`.
pub(crate) struct SqliteHistory {
    reads: Arc<ReadPool>,
}

impl SqliteHistory {
    /// History served by the store's read connections.
    pub(crate) fn new(reads: Arc<ReadPool>) -> Self {
        SqliteHistory { reads }
    }
}

#[async_trait]
impl History for SqliteHistory {
    async fn events_between(
        &self,
        prefix: &str,
        from: Revision,
        until: Revision,
    ) -> Result<Vec<WatchEvent>> {
        let (low, high) = schema::key_bounds(prefix, None);
        self.reads
            .run(move |tx, meta| {
                // Checked in the same snapshot as the query: a compaction that raced the
                // watcher cannot silently drop events.
                if from < meta.compacted {
                    return Err(StoreError::Compacted {
                        requested: from,
                        compacted: meta.compacted,
                    });
                }
                let sql = format!(
                    "SELECT {KV_COLUMNS}, p.key, p.value, p.create_revision, p.revision, \
                            p.version, p.lease, p.deleted \
                     FROM log l LEFT JOIN log p ON p.key = l.key AND p.revision = l.prev_revision \
                     WHERE l.revision >= ?1 AND l.revision <= ?2 AND l.key >= ?3 AND l.key < ?4 \
                     ORDER BY l.revision, l.id"
                );
                let mut statement = tx.prepare_cached(&sql).sql("watch history")?;
                let rows = statement
                    .query_map((from, until, low, high), |row| {
                        let (kv, deleted) = schema::read_kv(row, 0)?;
                        let prev = match row.get_ref(7)? {
                            rusqlite::types::ValueRef::Null => None,
                            _ => Some(schema::read_kv(row, 7)?),
                        };
                        Ok((kv, deleted, prev))
                    })
                    .sql("watch history")?;
                let mut events = Vec::new();
                for row in rows {
                    let (kv, deleted, prev) = row.sql("watch history")?;
                    let prev_kv = prev.and_then(|(prev, tombstone)| (!tombstone).then_some(prev));
                    events.push(if deleted {
                        WatchEvent {
                            event_type: EventType::Delete,
                            kv: KeyValue { value: Bytes::new(), ..kv },
                            prev_kv,
                        }
                    } else {
                        WatchEvent { event_type: EventType::Put, kv, prev_kv }
                    });
                }
                Ok(events)
            })
            .await
    }
}
