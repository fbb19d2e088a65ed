//! Applying transactions to the write connection inside one group-commit batch.
//!
//! A [`Batch`] lives for one SQLite transaction of the writer thread. Each writing
//! [`Txn`] takes the next revision; later transactions of the batch see the effects of the
//! earlier ones (they run on the same connection, and the batch caches every key it read or
//! wrote). Nothing here is visible to readers or watchers until the writer commits.

use std::collections::HashMap;

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension};

use crate::error::StoreError;
use crate::sqlite::errors::Abort;
use crate::sqlite::leases::LeaseTable;
use crate::sqlite::schema::{self, KV_COLUMNS};
use crate::types::{
    EventType, KeyValue, LeaseId, Op, OpResult, Revision, Txn, TxnResponse, WatchEvent,
};
use crate::watchable::EventLog;

/// What a committed batch must announce, in order.
#[derive(Debug)]
pub(crate) enum Effect {
    /// The events of one new revision.
    Publish(Revision, Vec<WatchEvent>),
    /// A new compaction revision.
    Compact(Revision),
}

impl Effect {
    /// Makes the effect visible to watchers.
    pub(crate) fn announce(self, events: &EventLog) {
        match self {
            Effect::Publish(revision, batch) => events.publish(revision, batch),
            Effect::Compact(revision) => events.compact(revision),
        }
    }
}

/// The uncommitted state of one write batch.
pub(crate) struct Batch<'c> {
    conn: &'c Connection,
    /// The last revision written (the last committed one until a transaction writes).
    revision: Revision,
    /// The compaction revision including this batch's compactions.
    compacted: Revision,
    /// The latest state of every key this batch has read or written (`None` = absent).
    cache: HashMap<String, Option<KeyValue>>,
    /// What to announce after the commit.
    effects: Vec<Effect>,
}

impl<'c> Batch<'c> {
    /// Starts a batch on a connection inside an open transaction, at the committed state.
    pub(crate) fn new(conn: &'c Connection, revision: Revision, compacted: Revision) -> Self {
        Batch { conn, revision, compacted, cache: HashMap::new(), effects: Vec::new() }
    }

    /// The write connection.
    pub(crate) fn conn(&self) -> &'c Connection {
        self.conn
    }

    /// The last revision written, including this batch.
    pub(crate) fn revision(&self) -> Revision {
        self.revision
    }

    /// The compaction revision, including this batch.
    pub(crate) fn compacted(&self) -> Revision {
        self.compacted
    }

    /// Records a compaction to announce after the commit.
    pub(crate) fn set_compacted(&mut self, revision: Revision) {
        self.compacted = revision;
        self.effects.push(Effect::Compact(revision));
    }

    /// The announcements of the batch, in order.
    pub(crate) fn into_effects(self) -> Vec<Effect> {
        self.effects
    }

    /// The latest value of `key` as this batch sees it.
    fn current(&mut self, key: &str) -> Result<Option<KeyValue>, Abort> {
        if let Some(kv) = self.cache.get(key) {
            return Ok(kv.clone());
        }
        let sql = format!(
            "SELECT {KV_COLUMNS} FROM current c JOIN log l ON l.id = c.id WHERE c.key = ?1"
        );
        let kv = self
            .conn
            .prepare_cached(&sql)?
            .query_row([key.as_bytes()], |row| schema::read_kv(row, 0))
            .optional()?
            .map(|(kv, _)| kv);
        self.cache.insert(key.to_owned(), kv.clone());
        Ok(kv)
    }

    /// Runs one transaction. Refuses (writing nothing) a branch that puts with a lease that
    /// is not alive at `now_ms`.
    pub(crate) fn apply_txn(
        &mut self,
        txn: Txn,
        leases: &LeaseTable,
        now_ms: i64,
    ) -> Result<TxnResponse, Abort> {
        let mut succeeded = true;
        for compare in &txn.compare {
            let actual = self.current(&compare.key)?.map_or(0, |kv| kv.mod_revision);
            if !compare.holds(actual) {
                succeeded = false;
                break;
            }
        }
        let ops = if succeeded { txn.success } else { txn.failure };
        for op in &ops {
            if let Op::Put { lease, .. } = op {
                if *lease != 0 && !leases.is_alive(*lease, now_ms) {
                    return Err(Abort::Refused(StoreError::LeaseNotFound(*lease)));
                }
            }
        }
        let revision = self.revision + 1;
        let mut events = Vec::new();
        let mut results = Vec::with_capacity(ops.len());
        for op in ops {
            let result = match op {
                Op::Get { key } => OpResult::Get { kv: self.current(&key)? },
                Op::Put { key, value, lease } => {
                    let (kv, prev) = self.put(revision, key, value, lease, &mut events)?;
                    OpResult::Put { kv, prev }
                }
                Op::Delete { key } => {
                    OpResult::Delete { prev: self.delete(revision, &key, &mut events)? }
                }
            };
            results.push(result);
        }
        self.finish_revision(revision, events);
        Ok(TxnResponse { succeeded, revision: self.revision, results })
    }

    /// Deletes `keys` at one new revision (none if no key exists).
    pub(crate) fn delete_keys(&mut self, keys: &[String]) -> Result<(), Abort> {
        let revision = self.revision + 1;
        let mut events = Vec::new();
        for key in keys {
            self.delete(revision, key, &mut events)?;
        }
        self.finish_revision(revision, events);
        Ok(())
    }

    /// Takes `revision` if anything was written at it.
    fn finish_revision(&mut self, revision: Revision, events: Vec<WatchEvent>) {
        if !events.is_empty() {
            self.revision = revision;
            self.effects.push(Effect::Publish(revision, events));
        }
    }

    fn put(
        &mut self,
        revision: Revision,
        key: String,
        value: Bytes,
        lease: LeaseId,
        events: &mut Vec<WatchEvent>,
    ) -> Result<(KeyValue, Option<KeyValue>), Abort> {
        let prev = self.current(&key)?;
        let kv = KeyValue {
            key,
            value,
            create_revision: prev.as_ref().map_or(revision, |p| p.create_revision),
            mod_revision: revision,
            version: prev.as_ref().map_or(1, |p| p.version + 1),
            lease,
        };
        let prev_revision = prev.as_ref().map_or(0, |p| p.mod_revision);
        self.conn
            .prepare_cached(
                "INSERT INTO log(revision, key, create_revision, version, lease, prev_revision, \
                 deleted, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
            )?
            .execute((
                revision,
                kv.key.as_bytes(),
                kv.create_revision,
                kv.version,
                lease,
                prev_revision,
                kv.value.as_ref(),
            ))?;
        let id = self.conn.last_insert_rowid();
        self.conn
            .prepare_cached(
                "INSERT INTO current(key, id, revision) VALUES (?1, ?2, ?3) \
                 ON CONFLICT(key) DO UPDATE SET id = excluded.id, revision = excluded.revision",
            )?
            .execute((kv.key.as_bytes(), id, revision))?;
        let prev_lease = prev.as_ref().map_or(0, |p| p.lease);
        if prev_lease != lease {
            self.detach(prev_lease, &kv.key)?;
            if lease != 0 {
                self.conn
                    .prepare_cached("INSERT INTO lease_key(lease, key) VALUES (?1, ?2)")?
                    .execute((lease, kv.key.as_bytes()))?;
            }
        }
        self.cache.insert(kv.key.clone(), Some(kv.clone()));
        events.push(WatchEvent {
            event_type: EventType::Put,
            kv: kv.clone(),
            prev_kv: prev.clone(),
        });
        Ok((kv, prev))
    }

    /// Forgets that `key` is attached to `lease` (nothing for lease 0).
    fn detach(&self, lease: LeaseId, key: &str) -> Result<(), Abort> {
        if lease != 0 {
            self.conn
                .prepare_cached("DELETE FROM lease_key WHERE lease = ?1 AND key = ?2")?
                .execute((lease, key.as_bytes()))?;
        }
        Ok(())
    }

    fn delete(
        &mut self,
        revision: Revision,
        key: &str,
        events: &mut Vec<WatchEvent>,
    ) -> Result<Option<KeyValue>, Abort> {
        let Some(prev) = self.current(key)? else {
            return Ok(None);
        };
        self.conn
            .prepare_cached(
                "INSERT INTO log(revision, key, create_revision, version, lease, prev_revision, \
                 deleted, value) VALUES (?1, ?2, 0, 0, 0, ?3, 1, x'')",
            )?
            .execute((revision, key.as_bytes(), prev.mod_revision))?;
        self.conn
            .prepare_cached("DELETE FROM current WHERE key = ?1")?
            .execute([key.as_bytes()])?;
        self.cache.insert(key.to_owned(), None);
        let tombstone = KeyValue::tombstone(key, revision);
        events.push(WatchEvent {
            event_type: EventType::Delete,
            kv: tombstone,
            prev_kv: Some(prev.clone()),
        });
        Ok(Some(prev))
    }
}
