//! The one error type of the storage layer, with a retryable/terminal split.

use crate::types::{KeyValue, LeaseId, Revision};

/// Everything a [`Storage`](crate::Storage) operation can fail with.
///
/// Conflict-style variants carry the current state so that callers (the API server's
/// guaranteed update) can retry without another read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A create found the key already present.
    #[error("key {key:?} already exists (mod revision {})", current.mod_revision)]
    AlreadyExists {
        /// The key that was to be created.
        key: String,
        /// The value currently stored under the key.
        current: Box<KeyValue>,
    },
    /// A conditional write or delete found another revision than it expected.
    #[error("key {key:?} was modified: expected mod revision {expected}, found {}", current.as_ref().map_or(0, |kv| kv.mod_revision))]
    Conflict {
        /// The key whose condition failed.
        key: String,
        /// The mod revision the caller expected (0 = absent).
        expected: Revision,
        /// What is stored now (`None` when the key is absent).
        current: Option<Box<KeyValue>>,
    },
    /// The key does not exist.
    #[error("key {key:?} not found")]
    NotFound {
        /// The key that was looked up.
        key: String,
    },
    /// The requested revision is older than the oldest one the store still keeps.
    #[error(
        "revision {requested} has been compacted; the store keeps revisions from {compacted} on"
    )]
    Compacted {
        /// The revision that was asked for.
        requested: Revision,
        /// The compaction revision: the oldest revision still readable.
        compacted: Revision,
    },
    /// The requested revision has not happened yet.
    #[error("revision {requested} is newer than the current revision {current}")]
    FutureRevision {
        /// The revision that was asked for.
        requested: Revision,
        /// The store's current revision.
        current: Revision,
    },
    /// A value is over the request size limit (1.5 MiB, as etcd's default).
    #[error("value for key {key:?} is {size} bytes; the limit is {limit} bytes")]
    ValueTooLarge {
        /// The key being written.
        key: String,
        /// The size of the refused value.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A key is empty or otherwise unusable.
    #[error("invalid key {key:?}: {reason}")]
    InvalidKey {
        /// The refused key.
        key: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A request is malformed (for example a transaction writing one key twice).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The lease does not exist or has expired.
    #[error("lease {0} not found or expired")]
    LeaseNotFound(LeaseId),
    /// The backend cannot be reached or is overloaded; the operation may succeed if retried.
    #[error("storage backend unavailable: {message}")]
    Unavailable {
        /// What happened.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The backend failed in a way retrying will not fix (corruption, I/O error, bug).
    #[error("storage backend error: {message}")]
    Backend {
        /// What happened.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The store has been shut down.
    #[error("the store is closed")]
    Closed,
}

impl StoreError {
    /// Whether retrying the same operation later may succeed without changing it.
    ///
    /// Conflicts are not retryable as they stand: the caller must re-read and rebuild its
    /// write (see [`guaranteed_update`](crate::guaranteed_update)).
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }

    /// Builds a [`StoreError::Backend`] from any error.
    pub fn backend(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Backend { message: message.into(), source: Some(Box::new(source)) }
    }

    /// Builds a [`StoreError::Unavailable`] from any error.
    pub fn unavailable(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Unavailable { message: message.into(), source: Some(Box::new(source)) }
    }
}

/// Result alias of the storage layer.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
