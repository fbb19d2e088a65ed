//! Work queue metrics as Kubernetes names them (`workqueue_depth`, `workqueue_adds_total`,
//! queue latency, work duration, retries, unfinished work, longest running processor),
//! one label `name` per queue, through `prometheus-client`.

use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;
type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    // 1 µs … 1000 s, as client-go's buckets.
    Histogram::new(exponential_buckets(1e-6, 10.0, 10))
}

/// The metric families of every work queue; register once, then hand
/// [`WorkQueueMetrics::for_queue`] to each queue.
#[derive(Clone, Debug)]
pub struct WorkQueueMetrics {
    depth: Family<Labels, Gauge>,
    adds: Family<Labels, Counter>,
    queue_duration: HistogramFamily,
    work_duration: HistogramFamily,
    retries: Family<Labels, Counter>,
    unfinished: Family<Labels, Gauge<f64, AtomicU64>>,
    longest: Family<Labels, Gauge<f64, AtomicU64>>,
}

impl Default for WorkQueueMetrics {
    fn default() -> Self {
        WorkQueueMetrics {
            depth: Family::default(),
            adds: Family::default(),
            queue_duration: Family::new_with_constructor(duration_histogram),
            work_duration: Family::new_with_constructor(duration_histogram),
            retries: Family::default(),
            unfinished: Family::default(),
            longest: Family::default(),
        }
    }
}

impl WorkQueueMetrics {
    /// New, unregistered families.
    pub fn new() -> Self {
        WorkQueueMetrics::default()
    }

    /// Registers the families in `registry` (names prefixed `workqueue_`).
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("workqueue");
        r.register("depth", "Current depth of the work queue", self.depth.clone());
        r.register("adds", "Total number of adds handled by the work queue", self.adds.clone());
        r.register(
            "queue_duration_seconds",
            "How long an item stays in the work queue before being requested",
            self.queue_duration.clone(),
        );
        r.register(
            "work_duration_seconds",
            "How long processing an item from the work queue takes",
            self.work_duration.clone(),
        );
        r.register(
            "retries",
            "Total number of retries handled by the work queue",
            self.retries.clone(),
        );
        r.register(
            "unfinished_work_seconds",
            "How many seconds of work has been done that is in progress",
            self.unfinished.clone(),
        );
        r.register(
            "longest_running_processor_seconds",
            "How many seconds the longest running processor has been running",
            self.longest.clone(),
        );
    }

    /// The metrics of the queue called `name`.
    pub fn for_queue(&self, name: &str) -> QueueMetrics {
        let labels = vec![("name".to_string(), name.to_string())];
        QueueMetrics {
            depth: self.depth.get_or_create_owned(&labels),
            adds: self.adds.get_or_create_owned(&labels),
            queue_duration: self.queue_duration.get_or_create_owned(&labels),
            work_duration: self.work_duration.get_or_create_owned(&labels),
            retries: self.retries.get_or_create_owned(&labels),
            unfinished: self.unfinished.get_or_create_owned(&labels),
            longest: self.longest.get_or_create_owned(&labels),
        }
    }
}

/// The metrics of one queue (clones share the values).
#[derive(Clone, Debug)]
pub struct QueueMetrics {
    /// Items waiting to be processed.
    pub depth: Gauge,
    /// Items added.
    pub adds: Counter,
    /// Seconds from add to `get`.
    pub queue_duration: Histogram,
    /// Seconds from `get` to `done`.
    pub work_duration: Histogram,
    /// Rate-limited re-adds.
    pub retries: Counter,
    /// Sum of the seconds every item in processing has been running.
    pub unfinished: Gauge<f64, AtomicU64>,
    /// Seconds the longest item in processing has been running.
    pub longest: Gauge<f64, AtomicU64>,
}
