//! `capstan-store`: the storage layer of Capstan — keys, bytes, revisions, leases and watches,
//! with the etcd v3 semantics the API server needs, behind small traits.
//!
//! Start with [`Storage`], the sum of the role traits:
//!
//! - [`KvRead`]: `get`, `range` (prefix, revision, limit, continuation), `current_revision`;
//! - [`KvWrite`]: `txn` (etcd-style compare/then/else) and the `create` / `update` / `delete`
//!   helpers on top of it; [`guaranteed_update`] is the read-modify-write loop;
//! - [`Watchable`]: `watch` a prefix from a revision, every change exactly once, in order;
//! - [`Leases`]: keys that disappear when their lease expires (events use this);
//! - [`Compactor`]: forget history below a revision.
//!
//! Backends: [`memory::MemoryStore`] (MVCC in memory, the fastest, for tests and
//! simulation), [`sqlite::SqliteStore`] (embedded and durable, the default of `capstan up`)
//! and [`etcd::EtcdStore`] (real etcd v3). The store knows nothing about HTTP or Kubernetes
//! kinds; the API server chooses the key layout (`/registry/<resource>/<namespace>/<name>`).
//! In-process backends share [`watchable::EventLog`] for watch fan-out.

pub mod error;
pub mod guaranteed;
pub mod limits;
pub mod traits;
pub mod types;
pub mod watchable;

pub use error::{Result, StoreError};
pub use guaranteed::{Update, Updated, guaranteed_update};
pub use traits::{Compactor, KvRead, KvWrite, Leases, Storage, WatchStream, Watchable};
pub use types::{
    Compare, CompareOp, EventType, GetResponse, KeyValue, LeaseId, MAX_KEY_BYTES, MAX_VALUE_BYTES,
    Op, OpResult, RangeRequest, RangeResponse, Revision, Txn, TxnResponse, WatchEvent,
    WatchMessage, WatchRequest,
};

pub mod etcd;
pub mod memory;
pub mod sqlite;
