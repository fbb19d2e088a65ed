//! Controllers: [`Controller`] runs a [`Reconciler`] over a work queue fed by
//! [`Source`]s; [`ControllerBuilder`] is the sugar (`for_kind`, `owns`, `watches`,
//! predicates, concurrency) over those public primitives.

mod builder;
mod metrics;
mod source;
mod worker;

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

pub use builder::ControllerBuilder;
pub use metrics::{ControllerMetrics, ReconcileMetrics};
pub use source::{EnqueueController, EnqueueHandler, EnqueueSelf, KindSource, Mapper, Source};
pub use worker::{ReconcileStats, process, worker};

use crate::informer::SharedInformerFactory;
use crate::manager::{RunContext, Runnable, RunnableError};
use crate::reconciler::{Reconciler, Request};
use crate::shutdown::Shutdown;
use crate::workqueue::{QueueMetrics, RateLimiter, WorkQueue};

/// Why a controller could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    /// `owns` needs the owner kind, given by `for_kind`.
    #[error("owns() needs for_kind(): the owner kind is unknown")]
    OwnsWithoutFor,
    /// A controller with nothing to watch would never reconcile.
    #[error("the controller has no sources")]
    NoSources,
    /// A controller runs once (its queue is shut down when it stops).
    #[error("the controller {0} was already started")]
    AlreadyStarted(String),
}

/// A running unit of reconciliation: sources → queue → workers → reconciler.
pub struct Controller<R: Reconciler> {
    name: Arc<str>,
    reconciler: Arc<R>,
    sources: Mutex<Option<Vec<Box<dyn Source>>>>,
    queue: WorkQueue<Request>,
    concurrency: usize,
    stats: Arc<ReconcileStats>,
}

impl<R: Reconciler> std::fmt::Debug for Controller<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("name", &self.name)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

/// A builder for the controller called `name` (same as [`ControllerBuilder::new`]).
pub fn builder(name: &str) -> ControllerBuilder {
    ControllerBuilder::new(name)
}

impl<R: Reconciler> Controller<R> {
    /// A controller from its parts (what the builder produces).
    pub fn new(
        name: &str,
        reconciler: Arc<R>,
        sources: Vec<Box<dyn Source>>,
        concurrency: usize,
        limiter: Box<dyn RateLimiter<Request>>,
        metrics: Option<QueueMetrics>,
        reconcile_metrics: Option<ControllerMetrics>,
    ) -> Self {
        Controller {
            name: Arc::from(name),
            reconciler,
            sources: Mutex::new(Some(sources)),
            queue: WorkQueue::with_rate_limiter(name, limiter, metrics),
            concurrency: concurrency.max(1),
            stats: Arc::new(ReconcileStats::with_metrics(reconcile_metrics)),
        }
    }

    /// The controller's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The controller's work queue (to enqueue requests from elsewhere, or inspect it).
    pub fn queue(&self) -> &WorkQueue<Request> {
        &self.queue
    }

    /// The reconcile counters.
    pub fn stats(&self) -> Arc<ReconcileStats> {
        self.stats.clone()
    }

    /// The reconciler.
    pub fn reconciler(&self) -> &Arc<R> {
        &self.reconciler
    }

    /// Registers the sources on `factory` (starting it if it is not running), waits for
    /// their caches, then runs the workers until `shutdown`; the requests in hand are
    /// finished before it returns.
    pub async fn run(
        &self,
        factory: &SharedInformerFactory,
        shutdown: &Shutdown,
    ) -> Result<(), ControllerError> {
        let sources = self
            .sources
            .lock()
            .take()
            .ok_or_else(|| ControllerError::AlreadyStarted(self.name.to_string()))?;
        let synced: Vec<_> = sources.iter().map(|s| s.register(factory, &self.queue)).collect();
        factory.start(shutdown);
        tokio::select! {
            () = shutdown.wait() => {
                self.queue.shutdown();
                return Ok(());
            }
            _ = futures::future::join_all(synced) => {}
        }
        tracing::info!(controller = %self.name, workers = self.concurrency, "caches synced; starting workers");
        let workers: Vec<_> = (0..self.concurrency)
            .map(|_| {
                tokio::spawn(worker::worker(
                    self.name.clone(),
                    self.reconciler.clone(),
                    self.queue.clone(),
                    self.stats.clone(),
                    shutdown.clone(),
                ))
            })
            .collect();
        // The in-flight gauges move with time, not only on get/done.
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
        loop {
            tokio::select! {
                () = shutdown.wait() => break,
                _ = tick.tick() => self.queue.update_in_flight_metrics(),
            }
        }
        self.queue.shutdown();
        for w in workers {
            let _ = w.await;
        }
        Ok(())
    }
}

#[async_trait]
impl<R: Reconciler> Runnable for Controller<R> {
    fn name(&self) -> &str {
        &self.name
    }

    async fn start(&self, ctx: RunContext) -> Result<(), RunnableError> {
        self.run(&ctx.factory, &ctx.shutdown).await.map_err(|e| RunnableError::Failed(Box::new(e)))
    }
}
