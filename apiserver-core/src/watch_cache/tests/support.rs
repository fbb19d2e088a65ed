//! A test store over `MemoryStore` whose watches can be blinded to a span of revisions (dropping their messages, as a watcher that fell behind) and failed with `Compacted`.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use capstan_store::memory::MemoryStore;
use capstan_store::{
    Compactor, GetResponse, KvRead, KvWrite, LeaseId, Leases, RangeRequest, RangeResponse, Result,
    Revision, Storage, StoreError, Txn, TxnResponse, WatchMessage, WatchRequest, WatchStream,
    Watchable,
};
use futures::StreamExt;
use futures::channel::mpsc;
use parking_lot::Mutex;

/// `MemoryStore` with controllable watch faults.
pub(super) struct FaultyStore {
    inner: MemoryStore,
    /// Watches drop the messages of revisions above the first and up to the second.
    blind: Arc<(AtomicI64, AtomicI64)>,
    faults: Mutex<Vec<mpsc::UnboundedSender<StoreError>>>,
}

impl Default for FaultyStore {
    fn default() -> Self {
        FaultyStore {
            inner: MemoryStore::default(),
            blind: Arc::new((AtomicI64::new(0), AtomicI64::new(0))),
            faults: Mutex::default(),
        }
    }
}

impl FaultyStore {
    /// Open watches drop every message (events and progress notifications) of a revision
    /// above `after`, until [`FaultyStore::see_after`]. Decided by the message's revision,
    /// not by when a watcher reads it, so a watcher running late misses the same messages.
    pub(super) fn blind_after(&self, after: Revision) {
        self.blind.1.store(Revision::MAX, Ordering::SeqCst);
        self.blind.0.store(after, Ordering::SeqCst);
    }

    /// Ends the blindness of [`FaultyStore::blind_after`] with the messages up to
    /// `through`: later revisions pass again.
    pub(super) fn see_after(&self, through: Revision) {
        self.blind.1.store(through, Ordering::SeqCst);
    }

    /// Ends every open watch with `Compacted`.
    pub(super) fn fail_watches_compacted(&self, compacted: Revision) {
        for sender in self.faults.lock().drain(..) {
            let _ = sender.unbounded_send(StoreError::Compacted { requested: 1, compacted });
        }
    }
}

#[async_trait]
impl KvRead for FaultyStore {
    async fn get(&self, key: &str, revision: Revision) -> Result<GetResponse> {
        self.inner.get(key, revision).await
    }
    async fn range(&self, request: RangeRequest) -> Result<RangeResponse> {
        self.inner.range(request).await
    }
    async fn current_revision(&self) -> Result<Revision> {
        self.inner.current_revision().await
    }
}

#[async_trait]
impl KvWrite for FaultyStore {
    async fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        self.inner.txn(txn).await
    }
}

#[async_trait]
impl Watchable for FaultyStore {
    async fn watch(&self, request: WatchRequest) -> Result<WatchStream> {
        let inner = self.inner.watch(request).await?;
        let blind = self.blind.clone();
        let visible = inner.filter(move |message: &Result<WatchMessage>| {
            let revision = match message {
                Ok(WatchMessage::Event(event)) => event.revision(),
                Ok(WatchMessage::Progress { revision }) => *revision,
                Err(_) => 0,
            };
            let (after, through) = (blind.0.load(Ordering::SeqCst), blind.1.load(Ordering::SeqCst));
            let pass = revision <= after || revision > through;
            async move { pass }
        });
        let (sender, receiver) = mpsc::unbounded();
        self.faults.lock().push(sender);
        Ok(futures::stream::select(visible, receiver.map(Err)).boxed())
    }

    fn request_progress(&self) {
        self.inner.request_progress();
    }
}

#[async_trait]
impl Leases for FaultyStore {
    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId> {
        self.inner.grant_lease(ttl).await
    }
    async fn revoke_lease(&self, lease: LeaseId) -> Result<()> {
        self.inner.revoke_lease(lease).await
    }
}

#[async_trait]
impl Compactor for FaultyStore {
    async fn compact(&self, revision: Revision) -> Result<()> {
        self.inner.compact(revision).await
    }
}

impl Storage for FaultyStore {
    fn backend_name(&self) -> &'static str {
        "faulty-memory"
    }
}
