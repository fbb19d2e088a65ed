//! The storage traits, cut by role: reading, writing, watching, leases and compaction.
//!
//! [`Storage`] is the sum of the roles and is what the API server holds
//! (`Arc<dyn Storage>`). Backends implement [`KvWrite::txn`] and may override the
//! single-key helpers when they have a faster path; the defaults are built on `txn`.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use crate::error::{Result, StoreError};
use crate::limits;
use crate::types::{
    Compare, GetResponse, KeyValue, LeaseId, Op, OpResult, RangeRequest, RangeResponse, Revision,
    Txn, TxnResponse, WatchMessage, WatchRequest,
};

/// The stream a watch delivers, in revision order, each change exactly once.
///
/// When the requested start revision has been compacted, the first item is
/// `Err(StoreError::Compacted)` and the stream ends. A stream ends (`None`) when the store
/// shuts down; an `Err` item is always the last one.
pub type WatchStream = BoxStream<'static, Result<WatchMessage>>;

/// Reads at a revision.
#[async_trait]
pub trait KvRead: Send + Sync {
    /// Reads one key at `revision` (0 = latest).
    async fn get(&self, key: &str, revision: Revision) -> Result<GetResponse>;

    /// Reads keys under a prefix in key order, at one revision, with paging.
    ///
    /// Fails with [`StoreError::Compacted`] or [`StoreError::FutureRevision`] when the
    /// revision cannot be served.
    async fn range(&self, request: RangeRequest) -> Result<RangeResponse>;

    /// The revision of the last committed write.
    async fn current_revision(&self) -> Result<Revision>;
}

/// Writes: an etcd-style transaction and the single-key helpers built on it.
#[async_trait]
pub trait KvWrite: Send + Sync {
    /// Runs a transaction atomically. See [`Txn`] for the semantics.
    async fn txn(&self, txn: Txn) -> Result<TxnResponse>;

    /// Creates `key`; fails with [`StoreError::AlreadyExists`] if it exists.
    async fn create(&self, key: &str, value: Bytes, lease: LeaseId) -> Result<KeyValue> {
        limits::check_value(key, &value)?;
        let txn = Txn::new()
            .when(Compare::absent(key))
            .and_then(Op::Put { key: key.to_owned(), value, lease })
            .or_else(Op::get(key));
        let response = self.txn(txn).await?;
        match (response.succeeded, response.results.into_iter().next()) {
            (true, Some(OpResult::Put { kv, .. })) => Ok(kv),
            (false, Some(OpResult::Get { kv: Some(current) })) => {
                Err(StoreError::AlreadyExists { key: key.to_owned(), current: Box::new(current) })
            }
            (succeeded, other) => Err(unexpected("create", key, succeeded, other)),
        }
    }

    /// Replaces `key` if its mod revision is `expected`; otherwise fails with
    /// [`StoreError::Conflict`] carrying the current value (or [`StoreError::NotFound`]
    /// semantics as a conflict with `current: None` when the key is gone).
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
        lease: LeaseId,
    ) -> Result<KeyValue> {
        limits::check_value(key, &value)?;
        let txn = Txn::new()
            .when(Compare::mod_revision(key, expected))
            .and_then(Op::Put { key: key.to_owned(), value, lease })
            .or_else(Op::get(key));
        let response = self.txn(txn).await?;
        match (response.succeeded, response.results.into_iter().next()) {
            (true, Some(OpResult::Put { kv, .. })) => Ok(kv),
            (false, Some(OpResult::Get { kv })) => Err(StoreError::Conflict {
                key: key.to_owned(),
                expected,
                current: kv.map(Box::new),
            }),
            (succeeded, other) => Err(unexpected("update", key, succeeded, other)),
        }
    }

    /// Deletes `key`, if `expected` is given only when its mod revision matches.
    /// Returns the delete's revision and the deleted key/value.
    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<(Revision, KeyValue)> {
        limits::check_key(key)?;
        let guard = match expected {
            Some(revision) => Compare::mod_revision(key, revision),
            None => Compare::exists(key),
        };
        let txn = Txn::new().when(guard).and_then(Op::delete(key)).or_else(Op::get(key));
        let response = self.txn(txn).await?;
        match (response.succeeded, response.results.into_iter().next()) {
            (true, Some(OpResult::Delete { prev: Some(prev) })) => Ok((response.revision, prev)),
            // `expected == Some(0)` ("must be absent") holds for an absent key: nothing to delete.
            (true, Some(OpResult::Delete { prev: None }))
            | (false, Some(OpResult::Get { kv: None })) => {
                Err(StoreError::NotFound { key: key.to_owned() })
            }
            (false, Some(OpResult::Get { kv: Some(current) })) => Err(StoreError::Conflict {
                key: key.to_owned(),
                expected: expected.unwrap_or(0),
                current: Some(Box::new(current)),
            }),
            (succeeded, other) => Err(unexpected("delete", key, succeeded, other)),
        }
    }
}

fn unexpected(what: &str, key: &str, succeeded: bool, result: Option<OpResult>) -> StoreError {
    StoreError::Backend {
        message: format!(
            "{what} of {key:?}: backend returned an unexpected transaction result \
             (succeeded={succeeded}, result={result:?})"
        ),
        source: None,
    }
}

/// Watches a prefix from a revision.
#[async_trait]
pub trait Watchable: Send + Sync {
    /// Starts a watch. See [`WatchStream`] for the delivery guarantees.
    async fn watch(&self, request: WatchRequest) -> Result<WatchStream>;

    /// Asks every watch with progress notifications to report the store's current revision
    /// soon, for a reader about to wait until a watch has caught up with it. Watches report
    /// progress on their own too, after a while without events; the default does nothing,
    /// for backends where that is the only way.
    fn request_progress(&self) {}
}

/// Leases: keys attached to a lease are deleted when it expires or is revoked.
#[async_trait]
pub trait Leases: Send + Sync {
    /// Grants a lease that expires after `ttl` (rounded up to whole seconds, at least 1).
    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId>;

    /// Revokes a lease now, deleting every key attached to it.
    async fn revoke_lease(&self, lease: LeaseId) -> Result<()>;
}

/// Compaction: forgetting history.
#[async_trait]
pub trait Compactor: Send + Sync {
    /// Discards every version superseded before `revision`. Afterwards reads and watches
    /// from revisions below `revision` fail with [`StoreError::Compacted`].
    async fn compact(&self, revision: Revision) -> Result<()>;
}

/// A complete storage backend: every role, plus a name for logs and test output.
pub trait Storage: KvRead + KvWrite + Watchable + Leases + Compactor {
    /// A short backend name: `memory`, `sqlite`, `etcd`.
    fn backend_name(&self) -> &'static str;
}
