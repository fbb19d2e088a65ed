//! The scheduler against an API server: bindings out through `pods/binding`, cluster
//! state in through shared informers, failures reported as `PodScheduled` conditions
//! and Events, and a [`SchedulerRunner`] tying them together (with optional leader
//! election) until shutdown.
//!
//! - [`ApiBinder`] — the [`crate::framework::Binder`] that POSTs a `Binding`;
//! - [`informers`] — pods, nodes, namespaces, PodDisruptionBudgets, claims, volumes
//!   and storage classes from a `SharedInformerFactory` into the
//!   scheduler's `on_*` handlers, as kube-scheduler's event handlers;
//! - [`ApiPreemptor`] — preemption victims marked and deleted, stale nominations
//!   cleared;
//! - [`ApiVolumeBinder`] — `VolumeBinding`'s decisions written to volumes and claims;
//! - [`StatusReporter`] — `PodScheduled=False` conditions and `FailedScheduling` /
//!   `Scheduled` Events;
//! - [`SchedulerRunner`] — the builder and the run loop.

mod binder;
pub mod informers;
mod preemptor;
mod runner;
mod status;
mod volumes;

pub use binder::ApiBinder;
pub use informers::{Listers, SchedulerInformers, wire_informers};
pub use preemptor::ApiPreemptor;
pub use runner::{
    KUBE_SCHEDULER_LEASE, KUBE_SCHEDULER_LEASE_NAMESPACE, RunnerError, SchedulerRunner,
    SchedulerRunnerBuilder,
};
pub use status::{FailureReason, StatusReporter, scheduled_condition_changed};
pub use volumes::{ApiVolumeBinder, SELECTED_NODE_ANNOTATION};
