//! Sources: how informer events become [`Request`]s in a controller's queue — a
//! [`Mapper`] from an object to requests ([`EnqueueSelf`], [`EnqueueController`],
//! closures), an [`EnqueueHandler`] applying a predicate then the mapper, and
//! [`KindSource`], which registers that handler on the shared informer of a kind.

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::informer::{EventHandler, SharedInformerFactory};
use crate::object::{Object, is_cluster_scoped};
use crate::predicate::Predicate;
use crate::reconciler::Request;
use crate::workqueue::WorkQueue;

/// Maps an object to the requests its change should trigger.
pub trait Mapper<K>: Send + Sync {
    /// The requests for `obj`.
    fn map(&self, obj: &K) -> Vec<Request>;
}

impl<K, F: Fn(&K) -> Vec<Request> + Send + Sync> Mapper<K> for F {
    fn map(&self, obj: &K) -> Vec<Request> {
        self(obj)
    }
}

/// Maps an object to itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct EnqueueSelf;

impl<K: kube::Resource> Mapper<K> for EnqueueSelf {
    fn map(&self, obj: &K) -> Vec<Request> {
        vec![Request::of(obj)]
    }
}

/// Maps an object to its controller: the owner reference with `controller: true` whose
/// API group and kind are the owner kind's (the version may differ).
#[derive(Clone, Debug)]
pub struct EnqueueController {
    group: String,
    kind: String,
    cluster_scoped: bool,
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

impl EnqueueController {
    /// Maps to controllers of kind `O`.
    pub fn of<O: Object>(dt: &O::DynamicType) -> Self {
        EnqueueController {
            group: O::group(dt).to_string(),
            kind: O::kind(dt).to_string(),
            cluster_scoped: is_cluster_scoped::<O>(),
        }
    }

    /// Maps to controllers of the given API group and kind.
    pub fn new(group: &str, kind: &str, cluster_scoped: bool) -> Self {
        EnqueueController { group: group.to_string(), kind: kind.to_string(), cluster_scoped }
    }
}

impl<K: kube::Resource> Mapper<K> for EnqueueController {
    fn map(&self, obj: &K) -> Vec<Request> {
        let meta = obj.meta();
        meta.owner_references
            .iter()
            .flatten()
            .filter(|r| {
                r.controller == Some(true)
                    && r.kind == self.kind
                    && group_of(&r.api_version) == self.group
            })
            .map(|r| {
                let namespace = if self.cluster_scoped { None } else { meta.namespace.clone() };
                Request { namespace, name: r.name.clone() }
            })
            .collect()
    }
}

/// An informer handler: predicate, then mapper, then enqueue.
pub struct EnqueueHandler<K> {
    mapper: Arc<dyn Mapper<K>>,
    predicate: Option<Arc<dyn Predicate<K>>>,
    queue: WorkQueue<Request>,
}

impl<K> EnqueueHandler<K> {
    /// A handler adding `mapper`'s requests to `queue` for events `predicate` passes.
    pub fn new(
        mapper: Arc<dyn Mapper<K>>,
        predicate: Option<Arc<dyn Predicate<K>>>,
        queue: WorkQueue<Request>,
    ) -> Self {
        EnqueueHandler { mapper, predicate, queue }
    }

    fn enqueue(&self, obj: &K) {
        for request in self.mapper.map(obj) {
            self.queue.add(request);
        }
    }
}

impl<K: Send + Sync> EventHandler<K> for EnqueueHandler<K> {
    fn on_add(&self, obj: &Arc<K>) {
        if self.predicate.as_ref().is_none_or(|p| p.create(obj)) {
            self.enqueue(obj);
        }
    }

    fn on_update(&self, old: &Arc<K>, new: &Arc<K>) {
        if self.predicate.as_ref().is_none_or(|p| p.update(old, new)) {
            // Both: an owner or a mapped key may have changed (each request once).
            let fresh = self.mapper.map(new);
            for request in self.mapper.map(old) {
                if !fresh.contains(&request) {
                    self.queue.add(request);
                }
            }
            for request in fresh {
                self.queue.add(request);
            }
        }
    }

    fn on_delete(&self, obj: &Arc<K>) {
        if self.predicate.as_ref().is_none_or(|p| p.delete(obj)) {
            self.enqueue(obj);
        }
    }
}

/// Something that feeds a controller's queue.
pub trait Source: Send + Sync {
    /// Starts feeding `queue` (informers from `factory`); the future resolves once the
    /// source's caches have synced.
    fn register(
        &self,
        factory: &SharedInformerFactory,
        queue: &WorkQueue<Request>,
    ) -> BoxFuture<'static, ()>;
}

/// Events of kind `K` from the factory's shared informer, filtered and mapped.
pub struct KindSource<K: Object> {
    dt: K::DynamicType,
    mapper: Arc<dyn Mapper<K>>,
    predicate: Option<Arc<dyn Predicate<K>>>,
}

impl<K: Object> KindSource<K> {
    /// A source of `K` (dynamic type `dt`) through `mapper`, filtered by `predicate`.
    pub fn new(
        dt: K::DynamicType,
        mapper: Arc<dyn Mapper<K>>,
        predicate: Option<Arc<dyn Predicate<K>>>,
    ) -> Self {
        KindSource { dt, mapper, predicate }
    }
}

impl<K: Object> Source for KindSource<K> {
    fn register(
        &self,
        factory: &SharedInformerFactory,
        queue: &WorkQueue<Request>,
    ) -> BoxFuture<'static, ()> {
        let informer = factory.informer_with::<K>(self.dt.clone());
        informer.add_event_handler(Arc::new(EnqueueHandler::new(
            self.mapper.clone(),
            self.predicate.clone(),
            queue.clone(),
        )));
        Box::pin(async move { informer.wait_for_sync().await })
    }
}
