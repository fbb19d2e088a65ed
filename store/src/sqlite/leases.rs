//! Leases: the writer's in-memory copy of the `lease` table, grants, revocation and expiry.
//!
//! Expiry is an absolute wall-clock time (Unix milliseconds) so leases survive restarts; a
//! lease whose time has passed counts as gone even before the writer gets to revoke it.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use crate::error::{Result, StoreError};
use crate::sqlite::apply::Batch;
use crate::sqlite::errors::{Abort, SqlContext};
use crate::types::LeaseId;

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// A lease's TTL in whole seconds: rounded up, at least 1, and small enough that an expiry
/// in milliseconds cannot overflow.
pub(crate) fn ttl_seconds(ttl: Duration) -> i64 {
    let seconds = ttl.as_secs().saturating_add(u64::from(ttl.subsec_nanos() > 0)).max(1);
    i64::try_from(seconds).unwrap_or(i64::MAX).min(i64::MAX / 4000)
}

/// Every granted lease and its expiry. Owned by the writer thread; mirrors the committed
/// `lease` table plus the current batch's changes (reloaded when a batch rolls back).
#[derive(Debug, Default)]
pub(crate) struct LeaseTable {
    /// Lease → expiry (Unix ms).
    expiry: HashMap<LeaseId, i64>,
    /// The same leases ordered by expiry, for the next deadline.
    by_expiry: BTreeSet<(i64, LeaseId)>,
}

impl LeaseTable {
    /// Loads the `lease` table.
    pub(crate) fn load(conn: &Connection) -> Result<Self> {
        let mut table = LeaseTable::default();
        let mut statement =
            conn.prepare_cached("SELECT id, expires_at_ms FROM lease").sql("load leases")?;
        let rows = statement
            .query_map([], |row| Ok((row.get::<_, LeaseId>(0)?, row.get::<_, i64>(1)?)))
            .sql("load leases")?;
        for row in rows {
            let (id, expires_at) = row.sql("load leases")?;
            table.insert(id, expires_at);
        }
        Ok(table)
    }

    fn insert(&mut self, id: LeaseId, expires_at: i64) {
        self.expiry.insert(id, expires_at);
        self.by_expiry.insert((expires_at, id));
    }

    fn remove(&mut self, id: LeaseId) -> bool {
        match self.expiry.remove(&id) {
            Some(expires_at) => self.by_expiry.remove(&(expires_at, id)),
            None => false,
        }
    }

    /// Whether `id` exists and has not expired at `now_ms`.
    pub(crate) fn is_alive(&self, id: LeaseId, now_ms: i64) -> bool {
        self.expiry.get(&id).is_some_and(|&expires_at| expires_at > now_ms)
    }

    /// When the next lease expires (Unix ms).
    pub(crate) fn next_deadline(&self) -> Option<i64> {
        self.by_expiry.first().map(|&(expires_at, _)| expires_at)
    }

    /// The leases expired at `now_ms`, soonest first.
    pub(crate) fn expired(&self, now_ms: i64) -> Vec<LeaseId> {
        self.by_expiry.iter().take_while(|(at, _)| *at <= now_ms).map(|&(_, id)| id).collect()
    }

    /// Grants a lease of `ttl_seconds` from `now_ms`, inside the batch's transaction.
    pub(crate) fn grant(
        &mut self,
        conn: &Connection,
        ttl_seconds: i64,
        now_ms: i64,
    ) -> std::result::Result<LeaseId, Abort> {
        let expires_at = now_ms.saturating_add(ttl_seconds.saturating_mul(1000));
        conn.prepare_cached("INSERT INTO lease(ttl_seconds, expires_at_ms) VALUES (?1, ?2)")?
            .execute((ttl_seconds, expires_at))?;
        let id = conn.last_insert_rowid();
        self.insert(id, expires_at);
        Ok(id)
    }

    /// Revokes a lease inside the batch: deletes every key attached to it at one new
    /// revision (none if no key is attached) and forgets the lease.
    pub(crate) fn revoke(
        &mut self,
        batch: &mut Batch<'_>,
        id: LeaseId,
    ) -> std::result::Result<(), Abort> {
        if !self.expiry.contains_key(&id) {
            return Err(Abort::Refused(StoreError::LeaseNotFound(id)));
        }
        let keys = {
            let mut statement = batch
                .conn()
                .prepare_cached("SELECT key FROM lease_key WHERE lease = ?1 ORDER BY key")?;
            let rows =
                statement.query_map([id], |row| crate::sqlite::schema::decode_key(row, 0))?;
            rows.collect::<rusqlite::Result<Vec<String>>>()?
        };
        batch.delete_keys(&keys)?;
        batch.conn().prepare_cached("DELETE FROM lease WHERE id = ?1")?.execute([id])?;
        self.remove(id);
        Ok(())
    }
}
