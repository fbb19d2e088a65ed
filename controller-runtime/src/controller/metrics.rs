//! Reconcile metrics as controller-runtime names them
//! (`controller_runtime_reconcile_total{controller,result}`,
//! `controller_runtime_reconcile_errors_total`, `controller_runtime_reconcile_time_seconds`).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

fn reconcile_histogram() -> Histogram {
    // 5 ms … ~80 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

/// The reconcile metric families of every controller; register once, then hand
/// [`ReconcileMetrics::for_controller`] to each controller.
#[derive(Clone, Debug)]
pub struct ReconcileMetrics {
    total: Family<Labels, Counter>,
    errors: Family<Labels, Counter>,
    time: Family<Labels, Histogram, fn() -> Histogram>,
}

impl Default for ReconcileMetrics {
    fn default() -> Self {
        ReconcileMetrics {
            total: Family::default(),
            errors: Family::default(),
            time: Family::new_with_constructor(reconcile_histogram),
        }
    }
}

impl ReconcileMetrics {
    /// New, unregistered families.
    pub fn new() -> Self {
        ReconcileMetrics::default()
    }

    /// Registers the families in `registry` (names prefixed `controller_runtime_`).
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("controller_runtime");
        r.register(
            "reconcile",
            "Total number of reconciliations per controller and result",
            self.total.clone(),
        );
        r.register(
            "reconcile_errors",
            "Total number of reconciliation errors per controller",
            self.errors.clone(),
        );
        r.register(
            "reconcile_time_seconds",
            "Length of time per reconciliation per controller",
            self.time.clone(),
        );
    }

    /// The metrics of the controller called `name`.
    pub fn for_controller(&self, name: &str) -> ControllerMetrics {
        let labels = vec![("controller".to_string(), name.to_string())];
        let result = |r: &str| {
            let mut l = labels.clone();
            l.push(("result".to_string(), r.to_string()));
            self.total.get_or_create_owned(&l)
        };
        ControllerMetrics {
            success: result("success"),
            requeue: result("requeue"),
            requeue_after: result("requeue_after"),
            error: result("error"),
            errors: self.errors.get_or_create_owned(&labels),
            time: self.time.get_or_create_owned(&labels),
        }
    }
}

/// The reconcile metrics of one controller.
#[derive(Clone, Debug)]
pub struct ControllerMetrics {
    /// Reconciles that returned `Action::Done`.
    pub success: Counter,
    /// Reconciles that returned `Action::Requeue`.
    pub requeue: Counter,
    /// Reconciles that returned `Action::RequeueAfter`.
    pub requeue_after: Counter,
    /// Reconciles that failed.
    pub error: Counter,
    /// Reconcile errors.
    pub errors: Counter,
    /// Seconds per reconcile.
    pub time: Histogram,
}
