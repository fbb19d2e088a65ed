//! [`EtcdStore`]: the connection pool, connecting, and the error context shared by the roles.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use etcd_client::{
    Client, ConnectOptions, GetOptions, KvClient, LeaseClient, WatchClient, WatchOptions,
};

use super::errors::{self, Failure};
use super::options::EtcdOptions;
use crate::error::{Result, StoreError};
use crate::traits::Storage;
use crate::types::Revision;

/// Largest response the store accepts from etcd (a page of large values).
const MAX_RESPONSE_BYTES: usize = 512 * 1024 * 1024;

/// A [`Storage`] backed by an etcd v3 cluster.
///
/// Cheap to clone; clones share the connections. Connect with every member's client URL
/// so that requests fail over when a member dies.
#[derive(Clone)]
pub struct EtcdStore {
    pub(crate) inner: Arc<Inner>,
}

/// The shared state of an [`EtcdStore`].
pub(crate) struct Inner {
    connections: Vec<Connection>,
    next: AtomicUsize,
    pub(crate) options: EtcdOptions,
    /// How many times a watch stream broke and was re-established.
    pub(crate) resumptions: AtomicU64,
}

/// One gRPC connection (balanced over every endpoint) and its service clients.
#[derive(Clone)]
pub(crate) struct Connection {
    pub(crate) kv: KvClient,
    pub(crate) watch: WatchClient,
    pub(crate) lease: LeaseClient,
}

impl EtcdStore {
    /// Connects to the etcd members at `endpoints` (`http://host:port` client URLs) and
    /// checks that the cluster answers.
    pub async fn connect(endpoints: &[String], options: EtcdOptions) -> Result<EtcdStore> {
        if endpoints.is_empty() {
            return Err(StoreError::InvalidRequest("no etcd endpoints given".to_owned()));
        }
        let connect_options = ConnectOptions::new()
            .with_connect_timeout(options.connect_timeout)
            .with_timeout(options.request_timeout)
            .with_keep_alive(Duration::from_secs(10), Duration::from_secs(10))
            .with_require_leader(true);
        let mut connections = Vec::new();
        for _ in 0..options.connections.max(1) {
            let client = Client::connect(endpoints, Some(connect_options.clone()))
                .await
                .map_err(|error| errors::generic("connect", error))?;
            connections.push(Connection {
                kv: client.kv_client().max_decoding_message_size(MAX_RESPONSE_BYTES),
                watch: client.watch_client().max_decoding_message_size(MAX_RESPONSE_BYTES),
                lease: client.lease_client(),
            });
        }
        let store = EtcdStore {
            inner: Arc::new(Inner {
                connections,
                next: AtomicUsize::new(0),
                options,
                resumptions: AtomicU64::new(0),
            }),
        };
        // Connections are lazy: make one request so that a wrong address fails here.
        store.inner.current_revision().await?;
        Ok(store)
    }

    /// How many times a watch of this store lost its stream (a member died, a leader
    /// election) and re-established it from its next revision.
    pub fn watch_resumptions(&self) -> u64 {
        self.inner.resumptions.load(Ordering::Relaxed)
    }

    /// The options the store was connected with.
    pub fn options(&self) -> &EtcdOptions {
        &self.inner.options
    }
}

impl Storage for EtcdStore {
    fn backend_name(&self) -> &'static str {
        "etcd"
    }
}

impl Inner {
    /// The next connection, round robin.
    pub(crate) fn connection(&self) -> &Connection {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        &self.connections[index]
    }

    /// Runs an idempotent request, retrying transient failures until the request timeout.
    pub(crate) async fn retrying<T, F, Fut>(&self, mut request: F) -> Result<T, etcd_client::Error>
    where
        F: FnMut(Connection) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let deadline = Instant::now() + self.options.request_timeout;
        let mut backoff = Duration::from_millis(20);
        loop {
            match request(self.connection().clone()).await {
                Err(error)
                    if errors::classify(&error) == Failure::Unavailable
                        && Instant::now() + backoff < deadline =>
                {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                }
                result => return result,
            }
        }
    }

    /// The revision of the last committed write (a linearizable read of a key that cannot
    /// exist, so it transfers nothing).
    pub(crate) async fn current_revision(&self) -> Result<Revision> {
        let response = self
            .retrying(|mut connection| async move {
                connection.kv.get(vec![0u8], Some(GetOptions::new().with_count_only())).await
            })
            .await
            .map_err(|error| errors::generic("read of the current revision", error))?;
        Ok(response.header().map_or(0, |header| header.revision()))
    }

    /// Maps a failure of a read at `requested` of `key`, looking up the revisions the
    /// caller needs to hear about.
    pub(crate) async fn read_error(
        &self,
        what: &str,
        error: etcd_client::Error,
        requested: Revision,
        key: &[u8],
    ) -> StoreError {
        match errors::classify(&error) {
            Failure::Compacted => StoreError::Compacted {
                requested,
                compacted: self.compaction_revision(key, requested).await,
            },
            Failure::FutureRevision => StoreError::FutureRevision {
                requested,
                current: self.current_revision().await.unwrap_or(requested - 1),
            },
            _ => errors::generic(what, error),
        }
    }

    /// The cluster's compaction revision, known to be above `compacted_revision`.
    ///
    /// etcd reports it only to watches: one started at a compacted revision is canceled
    /// with the compaction revision. Falls back to `compacted_revision + 1`.
    pub(crate) async fn compaction_revision(
        &self,
        key: &[u8],
        compacted_revision: Revision,
    ) -> Revision {
        let fallback = compacted_revision + 1;
        let mut client = self.connection().watch.clone();
        let options = WatchOptions::new().with_start_revision(compacted_revision.max(1));
        let lookup = async move {
            let mut stream = client.watch(key.to_vec(), Some(options)).await.ok()?;
            while let Ok(Some(response)) = stream.message().await {
                if response.compact_revision() != 0 {
                    return Some(response.compact_revision());
                }
                if response.canceled() || !response.events().is_empty() {
                    return None;
                }
            }
            None
        };
        match tokio::time::timeout(Duration::from_secs(5), lookup).await {
            Ok(Some(revision)) => revision,
            _ => fallback,
        }
    }
}
