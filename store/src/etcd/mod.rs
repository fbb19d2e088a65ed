//! The etcd v3 backend: [`EtcdStore`] maps the store's traits onto a real etcd cluster.
//!
//! Everything the traits promise is etcd's own behaviour (revisions, transactions, leases,
//! compaction, watches), so the mapping is thin:
//!
//! - reads are etcd ranges (prefix → `[prefix, prefix_end)`, continuation → start at the
//!   key after `start_after`), retried on transient failures;
//! - [`Txn`](crate::Txn) is an etcd transaction comparing mod revisions; puts ask for the
//!   previous key/value so the stored key/value can be reported without another read;
//! - watches re-establish themselves from the last delivered revision when their stream
//!   breaks (a member died, a leader election), so callers see every change exactly once;
//! - [`testing::EtcdCluster`] starts throwaway etcd processes for tests and benchmarks.

mod compact;
mod convert;
mod errors;
mod kv;
mod lease;
mod options;
mod store;
pub mod testing;
mod watch;

pub use options::EtcdOptions;
pub use store::EtcdStore;
