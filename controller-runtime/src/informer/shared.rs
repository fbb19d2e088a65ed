//! [`SharedInformer`]: one reflector feeding one cache and any number of event handlers,
//! which may be added at any time and first get a replay of the cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use tokio::sync::watch;

use super::reflector::{Reflector, ReflectorConfig, ReflectorStats, Sink, Update};
use super::store::{Change, IndexFn, Store};
use crate::object::{Object, ObjectKey};
use crate::shutdown::Shutdown;

/// Reacts to the changes of an informer's cache. Called on the informer's task, in
/// order: handlers must be quick and must not block (enqueue a key and return).
pub trait EventHandler<K>: Send + Sync {
    /// An object appeared (or was replayed when the handler was added).
    fn on_add(&self, obj: &Arc<K>);
    /// An object changed.
    fn on_update(&self, old: &Arc<K>, new: &Arc<K>);
    /// An object was deleted (its last known state).
    fn on_delete(&self, obj: &Arc<K>);
}

/// An [`EventHandler`] from one closure over [`Change`]s.
pub struct FnHandler<F>(pub F);

impl<K, F> EventHandler<K> for FnHandler<F>
where
    F: Fn(Change<K>) + Send + Sync,
{
    fn on_add(&self, obj: &Arc<K>) {
        (self.0)(Change::Added(obj.clone()));
    }
    fn on_update(&self, old: &Arc<K>, new: &Arc<K>) {
        (self.0)(Change::Updated { old: old.clone(), new: new.clone() });
    }
    fn on_delete(&self, obj: &Arc<K>) {
        (self.0)(Change::Deleted(obj.clone()));
    }
}

fn dispatch<K>(handlers: &[Arc<dyn EventHandler<K>>], change: &Change<K>) {
    for h in handlers {
        match change {
            Change::Added(o) => h.on_add(o),
            Change::Updated { old, new } => h.on_update(old, new),
            Change::Deleted(o) => h.on_delete(o),
        }
    }
}

/// The cache and the handlers, changed together under one lock so a handler added
/// concurrently sees every object exactly once (replay, then live changes).
struct Distributor<K> {
    store: Store<K>,
    handlers: Mutex<Vec<Arc<dyn EventHandler<K>>>>,
    synced: watch::Sender<bool>,
}

impl<K: Object> Sink<K> for Distributor<K> {
    fn apply(&self, update: Update<K>) {
        let handlers = self.handlers.lock();
        match update {
            Update::Listed(objects) => {
                for change in self.store.replace(objects) {
                    dispatch(&handlers, &change);
                }
            }
            Update::Applied(obj) => {
                let change = match self.store.upsert(obj.clone()) {
                    Some(old) => Change::Updated { old, new: obj },
                    None => Change::Added(obj),
                };
                dispatch(&handlers, &change);
            }
            Update::Deleted(obj) => {
                let last = self.store.remove(&ObjectKey::of(obj.as_ref())).unwrap_or(obj);
                dispatch(&handlers, &Change::Deleted(last));
            }
        }
    }
}

/// One watch of a resource shared by every consumer: a cache ([`Store`]) and event
/// handlers. Created by a [`super::SharedInformerFactory`] (one per kind) or alone with
/// [`SharedInformer::new`].
pub struct SharedInformer<K: Object> {
    client: kube::Client,
    dt: K::DynamicType,
    config: ReflectorConfig,
    distributor: Arc<Distributor<K>>,
    stats: Mutex<Option<Arc<ReflectorStats>>>,
    started: AtomicBool,
}

impl<K: Object> std::fmt::Debug for SharedInformer<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedInformer")
            .field("kind", &K::kind(&self.dt))
            .field("objects", &self.distributor.store.len())
            .field("synced", &self.has_synced())
            .finish()
    }
}

impl<K: Object> SharedInformer<K> {
    /// An informer that is not running yet.
    pub fn new(client: kube::Client, dt: K::DynamicType, config: ReflectorConfig) -> Arc<Self> {
        let (synced, _) = watch::channel(false);
        Arc::new(SharedInformer {
            client,
            dt,
            config,
            distributor: Arc::new(Distributor {
                store: Store::new(),
                handlers: Mutex::new(Vec::new()),
                synced,
            }),
            stats: Mutex::new(None),
            started: AtomicBool::new(false),
        })
    }

    /// The cache (shared: clones see every later change).
    pub fn store(&self) -> Store<K> {
        self.distributor.store.clone()
    }

    /// Adds an index to the cache (objects already cached are indexed now).
    pub fn add_indexer(&self, name: &str, func: IndexFn<K>) {
        self.distributor.store.add_indexer(name, func);
    }

    /// Adds an event handler. It first gets `on_add` for every cached object, then every
    /// later change, with nothing missed or repeated in between.
    pub fn add_event_handler(&self, handler: Arc<dyn EventHandler<K>>) {
        let mut handlers = self.distributor.handlers.lock();
        for obj in self.distributor.store.list() {
            handler.on_add(&obj);
        }
        handlers.push(handler);
    }

    /// Whether the first complete list has been delivered.
    pub fn has_synced(&self) -> bool {
        *self.distributor.synced.borrow()
    }

    /// Waits until [`SharedInformer::has_synced`].
    pub async fn wait_for_sync(&self) {
        let mut receiver = self.distributor.synced.subscribe();
        let _ = receiver.wait_for(|s| *s).await;
    }

    /// The reflector's counters, once started.
    pub fn stats(&self) -> Option<Arc<ReflectorStats>> {
        self.stats.lock().clone()
    }

    /// Whether [`SharedInformer::start`] was called.
    pub fn is_started(&self) -> bool {
        self.started.load(Ordering::SeqCst)
    }

    /// Starts the reflector on a task (once; later calls do nothing) until `shutdown`.
    pub fn start(&self, shutdown: &Shutdown) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let reflector = Reflector::<K>::new(self.client.clone(), &self.dt, self.config.clone());
        *self.stats.lock() = Some(reflector.stats());
        let distributor = self.distributor.clone();
        let sink: Arc<dyn Sink<K>> = distributor.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            reflector
                .run(sink, shutdown, move || {
                    distributor.synced.send_replace(true);
                })
                .await;
        });
    }
}
