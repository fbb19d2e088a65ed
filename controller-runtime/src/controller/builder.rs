//! [`ControllerBuilder`]: `for_kind`, `owns`, `watches`, predicates and concurrency,
//! assembled into a [`Controller`] from the public primitives (sources, queue, workers).

use std::sync::Arc;

use super::metrics::ReconcileMetrics;
use super::source::{EnqueueController, EnqueueSelf, KindSource, Mapper, Source};
use super::{Controller, ControllerError};
use crate::object::Object;
use crate::predicate::Predicate;
use crate::reconciler::Reconciler;
use crate::workqueue::{RateLimiter, WorkQueueMetrics, default_controller_rate_limiter};

/// The kind a controller is for, as owner mapping needs it.
#[derive(Clone, Debug)]
struct ForKind {
    mapper: EnqueueController,
}

type OwnedSource = Box<dyn FnOnce(&ForKind) -> Box<dyn Source> + Send>;

/// Builds a [`Controller`].
pub struct ControllerBuilder {
    name: String,
    for_kind: Option<ForKind>,
    sources: Vec<Box<dyn Source>>,
    owned: Vec<OwnedSource>,
    concurrency: usize,
    rate_limiter: Option<Box<dyn RateLimiter<crate::Request>>>,
    metrics: Option<WorkQueueMetrics>,
    reconcile_metrics: Option<ReconcileMetrics>,
}

impl std::fmt::Debug for ControllerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControllerBuilder")
            .field("name", &self.name)
            .field("sources", &(self.sources.len() + self.owned.len()))
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

impl ControllerBuilder {
    /// A builder for the controller called `name` (the queue's and the metrics' name).
    pub fn new(name: &str) -> Self {
        ControllerBuilder {
            name: name.to_string(),
            for_kind: None,
            sources: Vec::new(),
            owned: Vec::new(),
            concurrency: 1,
            rate_limiter: None,
            metrics: None,
            reconcile_metrics: None,
        }
    }

    /// The kind this controller reconciles: its events enqueue the object itself.
    pub fn for_kind<K: Object>(self) -> Self
    where
        K::DynamicType: Default,
    {
        self.for_kind_inner::<K>(K::DynamicType::default(), None)
    }

    /// [`ControllerBuilder::for_kind`] with a predicate filtering its events.
    pub fn for_kind_with<K: Object>(self, predicate: impl Predicate<K> + 'static) -> Self
    where
        K::DynamicType: Default,
    {
        self.for_kind_inner::<K>(K::DynamicType::default(), Some(Arc::new(predicate)))
    }

    /// [`ControllerBuilder::for_kind`] for a dynamic kind.
    pub fn for_dynamic_kind<K: Object>(
        self,
        dt: K::DynamicType,
        predicate: Option<Arc<dyn Predicate<K>>>,
    ) -> Self {
        self.for_kind_inner::<K>(dt, predicate)
    }

    fn for_kind_inner<K: Object>(
        mut self,
        dt: K::DynamicType,
        predicate: Option<Arc<dyn Predicate<K>>>,
    ) -> Self {
        self.for_kind = Some(ForKind { mapper: EnqueueController::of::<K>(&dt) });
        self.sources.push(Box::new(KindSource::<K>::new(dt, Arc::new(EnqueueSelf), predicate)));
        self
    }

    /// Objects of kind `K` controlled by the for-kind (controller owner reference):
    /// their events enqueue their owner.
    pub fn owns<K: Object>(self) -> Self
    where
        K::DynamicType: Default,
    {
        self.owns_inner::<K>(None)
    }

    /// [`ControllerBuilder::owns`] with a predicate filtering the owned objects' events.
    pub fn owns_with<K: Object>(self, predicate: impl Predicate<K> + 'static) -> Self
    where
        K::DynamicType: Default,
    {
        self.owns_inner::<K>(Some(Arc::new(predicate)))
    }

    fn owns_inner<K: Object>(mut self, predicate: Option<Arc<dyn Predicate<K>>>) -> Self
    where
        K::DynamicType: Default,
    {
        self.owned.push(Box::new(move |for_kind: &ForKind| {
            let mapper: Arc<dyn Mapper<K>> = Arc::new(for_kind.mapper.clone());
            Box::new(KindSource::<K>::new(K::DynamicType::default(), mapper, predicate))
                as Box<dyn Source>
        }));
        self
    }

    /// Objects of kind `K` mapped to requests by `mapper`.
    pub fn watches<K: Object>(self, mapper: impl Mapper<K> + 'static) -> Self
    where
        K::DynamicType: Default,
    {
        self.source(KindSource::<K>::new(K::DynamicType::default(), Arc::new(mapper), None))
    }

    /// [`ControllerBuilder::watches`] with a predicate.
    pub fn watches_with<K: Object>(
        self,
        mapper: impl Mapper<K> + 'static,
        predicate: impl Predicate<K> + 'static,
    ) -> Self
    where
        K::DynamicType: Default,
    {
        self.source(KindSource::<K>::new(
            K::DynamicType::default(),
            Arc::new(mapper),
            Some(Arc::new(predicate)),
        ))
    }

    /// Any other [`Source`].
    pub fn source(mut self, source: impl Source + 'static) -> Self {
        self.sources.push(Box::new(source));
        self
    }

    /// How many requests are reconciled at once (default 1; never two for one object).
    pub fn concurrency(mut self, workers: usize) -> Self {
        self.concurrency = workers.max(1);
        self
    }

    /// Replaces the retry pacing (default: 5 ms → 1000 s per object, 10 qps burst 100).
    pub fn rate_limiter(mut self, limiter: impl RateLimiter<crate::Request> + 'static) -> Self {
        self.rate_limiter = Some(Box::new(limiter));
        self
    }

    /// Reports the controller's queue in these metrics (a manager passes its own).
    pub fn metrics(mut self, metrics: &WorkQueueMetrics) -> Self {
        self.metrics = Some(metrics.clone());
        self
    }

    /// Reports reconcile counts, errors and durations in these metrics (a manager
    /// passes its own).
    pub fn reconcile_metrics(mut self, metrics: &ReconcileMetrics) -> Self {
        self.reconcile_metrics = Some(metrics.clone());
        self
    }

    /// The controller running `reconciler`. Fails when `owns` was used without
    /// `for_kind`, or no source was given.
    pub fn build<R: Reconciler>(mut self, reconciler: R) -> Result<Controller<R>, ControllerError> {
        if !self.owned.is_empty() {
            let for_kind = self.for_kind.clone().ok_or(ControllerError::OwnsWithoutFor)?;
            for owned in self.owned.drain(..) {
                self.sources.push(owned(&for_kind));
            }
        }
        if self.sources.is_empty() {
            return Err(ControllerError::NoSources);
        }
        let limiter =
            self.rate_limiter.unwrap_or_else(|| Box::new(default_controller_rate_limiter()));
        Ok(Controller::new(
            &self.name,
            Arc::new(reconciler),
            self.sources,
            self.concurrency,
            limiter,
            self.metrics.map(|m| m.for_queue(&self.name)),
            self.reconcile_metrics.map(|m| m.for_controller(&self.name)),
        ))
    }
}
