//! The in-memory MVCC backend: etcd's semantics without a disk, the fastest [`Storage`].
//!
//! Structure, one concern per file, after etcd's `mvcc` package:
//!
//! - `index`: the key index — every key's versions (puts and tombstones) by revision, in
//!   key order; answers "the value at R" and "the keys under a prefix at R"; compaction;
//!   the events of a revision range rebuilt from the versions;
//! - `packed`: a version's value, LZ4-compressed once superseded;
//! - `txn`: running one transaction (guards, branch, lease checks, writes, events);
//! - `lease`: the lease table and the expiry task;
//! - `history`: the event log's [`History`](crate::watchable::History), read from the
//!   index (as etcd's watches behind its in-memory window read its backend);
//! - this module: the store itself — the revision counter, locks, reads at a revision,
//!   compaction, and the trait implementations. Watches are served by the shared
//!   [`EventLog`], published under the write lock so its order is the revision order; the
//!   log keeps the latest [`LOG_CAPACITY`] events (each holds the values it carries), so
//!   that older versions are held only by the index, compressed.

mod history;
mod index;
mod lease;
mod packed;
mod txn;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::{Result, StoreError};
use crate::limits;
use crate::traits::{Compactor, KvRead, KvWrite, Leases, Storage, WatchStream, Watchable};
use crate::types::{
    GetResponse, LeaseId, RangeRequest, RangeResponse, Revision, Txn, TxnResponse, WatchEvent,
    WatchRequest,
};
use crate::watchable::EventLog;

use index::KeyIndex;
use lease::LeaseTable;

/// The revision of a new, empty store (as in etcd; 0 means "none" or "latest").
const INITIAL_REVISION: Revision = 1;

/// How many recent events the event log keeps by default; watches further behind read
/// the rest from the index.
pub const LOG_CAPACITY: usize = 16_384;

/// The in-memory MVCC store.
///
/// Cloning gives another handle to the same store. [`MemoryStore::new`] works outside a
/// tokio runtime; only [`Leases::grant_lease`] needs one (for the expiry task).
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

/// Counters describing what a [`MemoryStore`] holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryStats {
    /// Keys in the index, live or kept only for their history.
    pub keys: usize,
    /// Versions (puts and tombstones) kept over all keys.
    pub versions: usize,
    /// Versions whose value is held compressed (superseded values of at least 256 bytes).
    pub packed: usize,
    /// The current revision.
    pub revision: Revision,
    /// The compaction revision (0 when never compacted).
    pub compacted: Revision,
    /// Leases granted and not yet expired or revoked.
    pub leases: usize,
}

/// The shared part of the store.
///
/// Lock order: `state`, then the event log's internal lock (taken inside
/// [`EventLog::publish`] / [`EventLog::compact`], always while `state` is write-locked so the
/// log's order is the revision order). `expiry` is never taken while `state` is held.
struct Inner {
    /// Everything revisioned: the key index, the revision counter, the leases.
    state: RwLock<State>,
    /// Committed events for watchers; compacted together with `state`.
    log: Arc<EventLog>,
    /// The lease expiry task, spawned on the first grant (and again if its runtime ended).
    expiry: Mutex<Option<JoinHandle<()>>>,
    /// Wakes the expiry task when a lease is granted.
    wake: Arc<Notify>,
}

/// The revisioned state, guarded by one lock.
struct State {
    index: KeyIndex,
    /// The revision of the last committed write.
    current: Revision,
    /// Reads below this revision fail with `Compacted` (0: never compacted).
    compacted: Revision,
    leases: LeaseTable,
}

impl MemoryStore {
    /// An empty store at revision 1.
    pub fn new() -> Self {
        Self::with_log_capacity(LOG_CAPACITY)
    }

    /// An empty store whose event log keeps the latest `capacity` events (at least one):
    /// a watch starting or falling further behind gets the older events from the index.
    pub fn with_log_capacity(capacity: usize) -> Self {
        let state = State {
            index: KeyIndex::new(),
            current: INITIAL_REVISION,
            compacted: 0,
            leases: LeaseTable::default(),
        };
        // The log starts one below the store: revision 1 is the empty initial state and has
        // no events, so a watch from revision 1 is served from the (empty) log.
        let log = EventLog::new(INITIAL_REVISION - 1, 0, capacity);
        MemoryStore {
            inner: Arc::new(Inner {
                state: RwLock::new(state),
                log,
                expiry: Mutex::new(None),
                wake: Arc::new(Notify::new()),
            }),
        }
    }

    /// What the store holds now.
    pub fn stats(&self) -> MemoryStats {
        let state = self.inner.state.read();
        MemoryStats {
            keys: state.index.key_count(),
            versions: state.index.version_count(),
            packed: state.index.packed_count(),
            revision: state.current,
            compacted: state.compacted,
            leases: state.leases.len(),
        }
    }

    /// Makes sure the expiry task runs on the current runtime and wakes it.
    fn ensure_expiry_task(&self, runtime: &tokio::runtime::Handle) {
        let mut task = self.inner.expiry.lock();
        if task.as_ref().is_none_or(JoinHandle::is_finished) {
            *task = Some(lease::spawn_expiry(
                runtime,
                Arc::downgrade(&self.inner),
                Arc::clone(&self.inner.wake),
                Inner::expire_due,
            ));
        }
        drop(task);
        self.inner.wake.notify_one();
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore").field("stats", &self.stats()).finish()
    }
}

impl Inner {
    /// Publishes one committed revision's events. Call with `state` write-locked.
    fn publish(&self, revision: Revision, events: Vec<WatchEvent>) {
        if !events.is_empty() {
            self.log.publish(revision, events);
        }
    }

    /// Revokes every lease due at `now`, one revision each; returns the next deadline.
    fn expire_due(&self, now: Instant) -> Option<Instant> {
        // Most wake-ups find nothing due: look under the read lock first.
        match self.state.read().leases.next_deadline() {
            Some(deadline) if deadline <= now => {}
            next => return next,
        }
        let mut state = self.state.write();
        for lease in state.leases.expired(now) {
            if let Some(events) = state.revoke(lease) {
                self.publish(state.current, events);
            }
        }
        state.leases.next_deadline()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.expiry.get_mut().take() {
            task.abort();
        }
    }
}

impl State {
    /// The revision a read at `requested` (0 = latest) is served at.
    fn read_revision(&self, requested: Revision) -> Result<Revision> {
        if requested == 0 {
            Ok(self.current)
        } else if requested < self.compacted {
            Err(StoreError::Compacted { requested, compacted: self.compacted })
        } else if requested > self.current {
            Err(StoreError::FutureRevision { requested, current: self.current })
        } else {
            Ok(requested)
        }
    }
}

#[async_trait]
impl KvRead for MemoryStore {
    async fn get(&self, key: &str, revision: Revision) -> Result<GetResponse> {
        limits::check_key(key)?;
        let state = self.inner.state.read();
        let revision = state.read_revision(revision)?;
        Ok(GetResponse { kv: state.index.get(key, revision), revision })
    }

    async fn range(&self, request: RangeRequest) -> Result<RangeResponse> {
        limits::check_prefix(&request.prefix)?;
        let state = self.inner.state.read();
        let revision = state.read_revision(request.revision)?;
        let (kvs, more) = state.index.range(
            &request.prefix,
            request.start_after.as_deref(),
            revision,
            request.limit,
        );
        Ok(RangeResponse { kvs, revision, more })
    }

    async fn current_revision(&self) -> Result<Revision> {
        Ok(self.inner.state.read().current)
    }
}

#[async_trait]
impl KvWrite for MemoryStore {
    async fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        limits::check_txn(&txn)?;
        let mut state = self.inner.state.write();
        let (response, events) = state.txn(txn)?;
        self.inner.publish(response.revision, events);
        Ok(response)
    }
}

#[async_trait]
impl Watchable for MemoryStore {
    async fn watch(&self, request: WatchRequest) -> Result<WatchStream> {
        limits::check_prefix(&request.prefix)?;
        let history = history::IndexHistory::new(&self.inner);
        Ok(self.inner.log.watch(request, Some(Arc::new(history))))
    }

    fn request_progress(&self) {
        self.inner.log.request_progress();
    }
}

#[async_trait]
impl Leases for MemoryStore {
    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|error| StoreError::backend("lease expiry needs a tokio runtime", error))?;
        let lease = self.inner.state.write().leases.grant(ttl, Instant::now());
        self.ensure_expiry_task(&runtime);
        Ok(lease)
    }

    async fn revoke_lease(&self, lease: LeaseId) -> Result<()> {
        let mut state = self.inner.state.write();
        let events = state.revoke(lease).ok_or(StoreError::LeaseNotFound(lease))?;
        self.inner.publish(state.current, events);
        Ok(())
    }
}

#[async_trait]
impl Compactor for MemoryStore {
    async fn compact(&self, revision: Revision) -> Result<()> {
        let mut state = self.inner.state.write();
        if revision <= 0 {
            return Err(StoreError::InvalidRequest(format!(
                "cannot compact at revision {revision}"
            )));
        }
        if revision > state.current {
            return Err(StoreError::FutureRevision { requested: revision, current: state.current });
        }
        if revision <= state.compacted {
            // As etcd: compacting again at or below the compaction revision is an error.
            return Err(StoreError::Compacted { requested: revision, compacted: state.compacted });
        }
        let removed = state.index.compact(revision);
        state.compacted = revision;
        self.inner.log.compact(revision);
        tracing::debug!(revision, versions = removed.versions, keys = removed.keys, "compacted");
        Ok(())
    }
}

impl Storage for MemoryStore {
    fn backend_name(&self) -> &'static str {
        "memory"
    }
}
