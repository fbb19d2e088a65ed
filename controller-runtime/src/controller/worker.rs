//! The worker loop: take a request from the queue, reconcile it, and requeue, back off or
//! forget according to the outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::metrics::ControllerMetrics;
use crate::reconciler::{Action, Reconciler, Request, Retryable};
use crate::shutdown::Shutdown;
use crate::workqueue::WorkQueue;

/// Counters of a controller's reconciles.
#[derive(Debug, Default)]
pub struct ReconcileStats {
    succeeded: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    metrics: Option<ControllerMetrics>,
}

impl ReconcileStats {
    /// Counters that also report to `metrics`.
    pub fn with_metrics(metrics: Option<ControllerMetrics>) -> Self {
        ReconcileStats { metrics, ..Default::default() }
    }

    /// Reconciles that returned `Ok`.
    pub fn succeeded(&self) -> u64 {
        self.succeeded.load(Ordering::Relaxed)
    }
    /// Reconciles that failed with a retryable error (requeued with backoff).
    pub fn retried(&self) -> u64 {
        self.retried.load(Ordering::Relaxed)
    }
    /// Reconciles that failed with a terminal error (dropped).
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }
}

/// Processes one request: reconcile, then requeue per the outcome, then `done`.
pub async fn process<R: Reconciler>(
    name: &str,
    reconciler: &R,
    queue: &WorkQueue<Request>,
    request: Request,
    stats: &ReconcileStats,
) {
    let started = tokio::time::Instant::now();
    let outcome = reconciler.reconcile(request.clone()).await;
    if let Some(m) = &stats.metrics {
        m.time.observe(started.elapsed().as_secs_f64());
        match &outcome {
            Ok(Action::Done) => m.success.inc(),
            Ok(Action::Requeue) => m.requeue.inc(),
            Ok(Action::RequeueAfter(_)) => m.requeue_after.inc(),
            Err(_) => {
                m.errors.inc();
                m.error.inc()
            }
        };
    }
    match outcome {
        Ok(action) => {
            stats.succeeded.fetch_add(1, Ordering::Relaxed);
            match action {
                Action::Done => queue.forget(&request),
                Action::Requeue => queue.add_rate_limited(request.clone()),
                Action::RequeueAfter(delay) => {
                    queue.forget(&request);
                    queue.add_after(request.clone(), delay);
                }
            }
        }
        Err(e) if e.is_retryable() => {
            stats.retried.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(controller = name, %request, error = %e, "reconcile failed; retrying with backoff");
            queue.add_rate_limited(request.clone());
        }
        Err(e) => {
            stats.failed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(controller = name, %request, error = %e, "reconcile failed; not retrying");
            queue.forget(&request);
        }
    }
    queue.done(&request);
}

/// Runs one worker until the queue shuts down or `shutdown` fires (the request in hand
/// is finished first).
pub async fn worker<R: Reconciler>(
    name: Arc<str>,
    reconciler: Arc<R>,
    queue: WorkQueue<Request>,
    stats: Arc<ReconcileStats>,
    shutdown: Shutdown,
) {
    loop {
        let next = tokio::select! {
            () = shutdown.wait() => return,
            next = queue.get() => next,
        };
        let Some(request) = next else { return };
        if shutdown.is_triggered() {
            queue.done(&request);
            return;
        }
        process(&name, reconciler.as_ref(), &queue, request, &stats).await;
    }
}
