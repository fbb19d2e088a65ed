//! [`SharedInformerFactory`]: one [`SharedInformer`] (one watch) per resource, shared by
//! every consumer that asks for it.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use futures::future::join_all;
use parking_lot::Mutex;

use super::reflector::ReflectorConfig;
use super::shared::SharedInformer;
use crate::object::Object;
use crate::shutdown::Shutdown;

/// The type-erased view of an informer the factory needs.
trait AnyInformer: Send + Sync {
    fn start(&self, shutdown: &Shutdown);
    fn has_synced(&self) -> bool;
    fn wait_for_sync(&self) -> futures::future::BoxFuture<'_, ()>;
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

impl<K: Object> AnyInformer for SharedInformer<K> {
    fn start(&self, shutdown: &Shutdown) {
        SharedInformer::start(self, shutdown);
    }
    fn has_synced(&self) -> bool {
        SharedInformer::has_synced(self)
    }
    fn wait_for_sync(&self) -> futures::future::BoxFuture<'_, ()> {
        Box::pin(SharedInformer::wait_for_sync(self))
    }
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

struct State {
    informers: HashMap<(TypeId, String), Arc<dyn AnyInformer>>,
    /// Set once started: informers created later start at once.
    running: Option<Shutdown>,
}

/// Hands out one shared informer per resource. Cheap to clone; clones share the
/// informers.
#[derive(Clone)]
pub struct SharedInformerFactory {
    client: kube::Client,
    config: ReflectorConfig,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for SharedInformerFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock();
        f.debug_struct("SharedInformerFactory")
            .field("informers", &state.informers.keys().map(|(_, p)| p.clone()).collect::<Vec<_>>())
            .field("started", &state.running.is_some())
            .finish()
    }
}

impl SharedInformerFactory {
    /// A factory whose informers watch every namespace with the default configuration.
    pub fn new(client: kube::Client) -> Self {
        SharedInformerFactory::with_config(client, ReflectorConfig::default())
    }

    /// A factory whose informers use `config` (namespace, selectors, page size, watch
    /// length).
    pub fn with_config(client: kube::Client, config: ReflectorConfig) -> Self {
        SharedInformerFactory {
            client,
            config,
            state: Arc::new(Mutex::new(State { informers: HashMap::new(), running: None })),
        }
    }

    /// The client informers use.
    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    /// The informer for `K` (created on first use; started at once if the factory runs).
    pub fn informer<K: Object>(&self) -> Arc<SharedInformer<K>>
    where
        K::DynamicType: Default,
    {
        self.informer_with::<K>(K::DynamicType::default())
    }

    /// The informer for a dynamic kind described by `dt`.
    pub fn informer_with<K: Object>(&self, dt: K::DynamicType) -> Arc<SharedInformer<K>> {
        let key = (TypeId::of::<K>(), K::url_path(&dt, self.config.namespace.as_deref()));
        let mut state = self.state.lock();
        if let Some(existing) = state.informers.get(&key) {
            return existing
                .clone()
                .as_any()
                .downcast::<SharedInformer<K>>()
                .expect("keyed by TypeId");
        }
        let informer = SharedInformer::<K>::new(self.client.clone(), dt, self.config.clone());
        if let Some(shutdown) = &state.running {
            informer.start(shutdown);
        }
        state.informers.insert(key, informer.clone());
        informer
    }

    /// Starts every informer created so far, and those created later, until `shutdown`.
    /// Once started, later calls do nothing.
    pub fn start(&self, shutdown: &Shutdown) {
        let mut state = self.state.lock();
        if state.running.is_some() {
            return;
        }
        for informer in state.informers.values() {
            informer.start(shutdown);
        }
        state.running = Some(shutdown.clone());
    }

    /// Whether [`SharedInformerFactory::start`] was called.
    pub fn is_started(&self) -> bool {
        self.state.lock().running.is_some()
    }

    /// How many informers (watches) the factory holds.
    pub fn len(&self) -> usize {
        self.state.lock().informers.len()
    }

    /// Whether the factory holds no informer.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every informer created so far has synced.
    pub fn has_synced(&self) -> bool {
        self.state.lock().informers.values().all(|i| i.has_synced())
    }

    /// Waits until every informer created so far has synced.
    pub async fn wait_for_cache_sync(&self) {
        let informers: Vec<Arc<dyn AnyInformer>> =
            self.state.lock().informers.values().cloned().collect();
        join_all(informers.iter().map(|i| i.wait_for_sync())).await;
    }
}
