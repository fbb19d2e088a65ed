//! The scheduler against an API server: bindings out through `pods/binding`, cluster
//! state in through shared informers, failures reported as `PodScheduled` conditions
//! and Events, and a [`SchedulerRunner`] tying them together (with optional leader
//! election) until shutdown.
//!
//! - [`ApiBinder`] — the [`crate::framework::Binder`] that POSTs a `Binding`;
//! - [`informers`] — pods, nodes and namespaces from a `SharedInformerFactory` into the
//!   scheduler's `on_*` handlers, as kube-scheduler's event handlers;
//! - [`StatusReporter`] — `PodScheduled=False` conditions and `FailedScheduling` /
//!   `Scheduled` Events;
//! - [`SchedulerRunner`] — the builder and the run loop.

mod binder;
pub mod informers;
mod runner;
mod status;

pub use binder::ApiBinder;
pub use informers::{SchedulerInformers, wire_informers};
pub use runner::{
    KUBE_SCHEDULER_LEASE, KUBE_SCHEDULER_LEASE_NAMESPACE, RunnerError, SchedulerRunner,
    SchedulerRunnerBuilder,
};
pub use status::{FailureReason, StatusReporter, scheduled_condition_changed};
