//! The data the storage layer speaks: revisions, key/values, range, transactions and watch events.

use bytes::Bytes;

/// A store-wide, strictly increasing revision. Every successful write transaction gets the
/// next one; 0 means "none" (an absent key's mod revision, or "latest" in a read).
pub type Revision = i64;

/// A lease identifier; 0 means "no lease".
pub type LeaseId = i64;

/// Values larger than this are refused: 1.5 MiB, etcd's default request limit.
pub const MAX_VALUE_BYTES: usize = 1536 * 1024;

/// Keys longer than this are refused.
pub const MAX_KEY_BYTES: usize = 4096;

/// One key with its value and MVCC metadata, as etcd reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    /// The key.
    pub key: String,
    /// The value (empty in delete events).
    pub value: Bytes,
    /// The revision that created the key (in its current incarnation).
    pub create_revision: Revision,
    /// The revision of the last write to the key.
    pub mod_revision: Revision,
    /// How many times the key was written since it was created (1 after the create).
    pub version: i64,
    /// The lease attached to the key, 0 for none.
    pub lease: LeaseId,
}

impl KeyValue {
    /// What a delete event carries as its `kv`: the key, deleted at `revision` (no value,
    /// version or lease; the object as it was is the event's `prev_kv`).
    pub fn tombstone(key: impl Into<String>, revision: Revision) -> Self {
        KeyValue {
            key: key.into(),
            value: Bytes::new(),
            create_revision: 0,
            mod_revision: revision,
            version: 0,
            lease: 0,
        }
    }
}

/// A read of every key under a prefix, at one revision, in key order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeRequest {
    /// Only keys starting with this prefix. Must not be empty.
    pub prefix: String,
    /// Continuation: only keys strictly greater than this one.
    pub start_after: Option<String>,
    /// Read at this revision; 0 reads the latest.
    pub revision: Revision,
    /// At most this many keys; 0 means no limit.
    pub limit: usize,
}

impl RangeRequest {
    /// A request for every key under `prefix` at the latest revision.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        RangeRequest { prefix: prefix.into(), ..Default::default() }
    }

    /// Reads at `revision` (0 = latest).
    pub fn at_revision(mut self, revision: Revision) -> Self {
        self.revision = revision;
        self
    }

    /// Returns at most `limit` keys (0 = all).
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Continues after `key`, which was the last key of the previous page.
    pub fn after(mut self, key: impl Into<String>) -> Self {
        self.start_after = Some(key.into());
        self
    }
}

/// The answer to a [`RangeRequest`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeResponse {
    /// The keys found, in ascending key order.
    pub kvs: Vec<KeyValue>,
    /// The revision the read was served at (the current revision for a latest read).
    /// Continue with the same revision to get a consistent snapshot across pages.
    pub revision: Revision,
    /// Whether more keys matched than `limit` allowed.
    pub more: bool,
}

/// A single-key read result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GetResponse {
    /// The key's value at the revision, if it existed then.
    pub kv: Option<KeyValue>,
    /// The revision the read was served at.
    pub revision: Revision,
}

/// How a [`Compare`] relates the key's mod revision to the given one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal to.
    Equal,
    /// Not equal to.
    NotEqual,
    /// Greater than.
    Greater,
    /// Less than.
    Less,
}

/// A transaction guard on one key's mod revision (0 = the key is absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compare {
    /// The key to check.
    pub key: String,
    /// The relation.
    pub op: CompareOp,
    /// The mod revision to compare with.
    pub mod_revision: Revision,
}

impl Compare {
    /// The key must have exactly this mod revision (0: must be absent).
    pub fn mod_revision(key: impl Into<String>, mod_revision: Revision) -> Self {
        Compare { key: key.into(), op: CompareOp::Equal, mod_revision }
    }

    /// The key must be absent.
    pub fn absent(key: impl Into<String>) -> Self {
        Self::mod_revision(key, 0)
    }

    /// The key must exist.
    pub fn exists(key: impl Into<String>) -> Self {
        Compare { key: key.into(), op: CompareOp::NotEqual, mod_revision: 0 }
    }

    /// Whether a key with `actual` mod revision (0 = absent) passes this guard.
    pub fn holds(&self, actual: Revision) -> bool {
        match self.op {
            CompareOp::Equal => actual == self.mod_revision,
            CompareOp::NotEqual => actual != self.mod_revision,
            CompareOp::Greater => actual > self.mod_revision,
            CompareOp::Less => actual < self.mod_revision,
        }
    }
}

/// One operation of a transaction branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Write `value` under `key`, attached to `lease` (0 = none).
    Put {
        /// The key.
        key: String,
        /// The new value.
        value: Bytes,
        /// The lease to attach, 0 for none.
        lease: LeaseId,
    },
    /// Delete `key` (a no-op when absent).
    Delete {
        /// The key.
        key: String,
    },
    /// Read `key` at the transaction's revision.
    Get {
        /// The key.
        key: String,
    },
}

impl Op {
    /// A put without a lease.
    pub fn put(key: impl Into<String>, value: impl Into<Bytes>) -> Self {
        Op::Put { key: key.into(), value: value.into(), lease: 0 }
    }

    /// A delete.
    pub fn delete(key: impl Into<String>) -> Self {
        Op::Delete { key: key.into() }
    }

    /// A read.
    pub fn get(key: impl Into<String>) -> Self {
        Op::Get { key: key.into() }
    }

    /// The key the operation touches.
    pub fn key(&self) -> &str {
        match self {
            Op::Put { key, .. } | Op::Delete { key } | Op::Get { key } => key,
        }
    }
}

/// An etcd-style transaction: if every guard holds, run `success`, else run `failure`.
/// All writes of the branch that runs share one new revision; a branch that writes nothing
/// does not advance the revision. A branch may not write the same key twice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Txn {
    /// Guards, all of which must hold.
    pub compare: Vec<Compare>,
    /// Operations run when every guard holds.
    pub success: Vec<Op>,
    /// Operations run otherwise.
    pub failure: Vec<Op>,
}

impl Txn {
    /// An empty transaction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a guard.
    pub fn when(mut self, compare: Compare) -> Self {
        self.compare.push(compare);
        self
    }

    /// Adds an operation to the success branch.
    pub fn and_then(mut self, op: Op) -> Self {
        self.success.push(op);
        self
    }

    /// Adds an operation to the failure branch.
    pub fn or_else(mut self, op: Op) -> Self {
        self.failure.push(op);
        self
    }
}

/// The result of one [`Op`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpResult {
    /// A put: the stored key/value and what it replaced.
    Put {
        /// The key/value as stored (with its new revision).
        kv: KeyValue,
        /// The previous value, if the key existed.
        prev: Option<KeyValue>,
    },
    /// A delete: what was deleted, if anything.
    Delete {
        /// The deleted key/value; `None` when the key was absent.
        prev: Option<KeyValue>,
    },
    /// A read.
    Get {
        /// The key/value, if present.
        kv: Option<KeyValue>,
    },
}

/// The answer to a [`Txn`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnResponse {
    /// Whether every guard held (and so the success branch ran).
    pub succeeded: bool,
    /// The store revision after the transaction (its own revision if it wrote).
    pub revision: Revision,
    /// One result per operation of the branch that ran, in order.
    pub results: Vec<OpResult>,
}

/// What happened to a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// The key was created or updated.
    Put,
    /// The key was deleted (explicitly or by its lease expiring).
    Delete,
}

/// One change of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEvent {
    /// Put or delete.
    pub event_type: EventType,
    /// The key after the change. For a delete: the key with an empty value,
    /// `mod_revision` set to the delete's revision and other fields 0.
    pub kv: KeyValue,
    /// The key before the change, when the watch asked for it and the key existed.
    pub prev_kv: Option<KeyValue>,
}

impl WatchEvent {
    /// The revision of the change.
    pub fn revision(&self) -> Revision {
        self.kv.mod_revision
    }

    /// Whether this put created the key.
    pub fn is_create(&self) -> bool {
        self.event_type == EventType::Put && self.kv.create_revision == self.kv.mod_revision
    }
}

/// What a watch delivers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchMessage {
    /// A change under the watched prefix.
    Event(WatchEvent),
    /// No undelivered event with a revision at or below `revision` remains for this watch.
    /// Sent only when the watch asked for progress notifications.
    Progress {
        /// The revision the watch has caught up to.
        revision: Revision,
    },
}

/// A watch on every key under a prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchRequest {
    /// Keys starting with this prefix. Must not be empty.
    pub prefix: String,
    /// Deliver every change with revision >= this one; 0 means changes after the current
    /// revision only.
    pub start_revision: Revision,
    /// Fill [`WatchEvent::prev_kv`].
    pub prev_kv: bool,
    /// Send [`WatchMessage::Progress`] when the store moved on without events for this watch.
    pub progress_notify: bool,
}

impl WatchRequest {
    /// A watch of `prefix` from now on.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        WatchRequest { prefix: prefix.into(), ..Default::default() }
    }

    /// Starts at `revision` (inclusive).
    pub fn from_revision(mut self, revision: Revision) -> Self {
        self.start_revision = revision;
        self
    }

    /// Asks for previous values.
    pub fn with_prev_kv(mut self) -> Self {
        self.prev_kv = true;
        self
    }

    /// Asks for progress notifications.
    pub fn with_progress_notify(mut self) -> Self {
        self.progress_notify = true;
        self
    }
}
