//! A test store over `MemoryStore` whose watches can be blinded (dropping events, as a watcher that fell behind) and failed with `Compacted`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
#[derive(Default)]
pub(super) struct FaultyStore {
    inner: MemoryStore,
    blind: Arc<AtomicBool>,
    faults: Mutex<Vec<mpsc::UnboundedSender<StoreError>>>,
}

impl FaultyStore {
    /// While blind, open watches drop every message.
    pub(super) fn set_blind(&self, blind: bool) {
        self.blind.store(blind, Ordering::SeqCst);
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
        let visible = inner.filter(move |_: &Result<WatchMessage>| {
            let pass = !blind.load(Ordering::SeqCst);
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
