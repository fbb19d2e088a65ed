//! scheduler_perf for Capstan: Kubernetes' scheduler benchmark workloads, run either
//! through the in-process API server — nodes and pods created through the API, the
//! scheduler on its informers binding through `pods/binding`, exactly as in a
//! cluster — or on the framework alone (events fed in directly, an in-memory binder).
//!
//! Throughput is measured as scheduler_perf's `SchedulingThroughput` average: the
//! pods of the measured phase scheduled in each full second, averaged. The time spent
//! per extension point during the measured phase comes from
//! [`crate::scheduler::ExtensionPointTimes`]. The `scheduler-perf` benchmark binary
//! and the integration tests both drive this module.

mod api;
mod cpu;
mod direct;
pub mod progress;
pub mod workload;

use std::time::Duration;

pub use api::run_api;
pub use cpu::process_cpu_seconds;
pub use direct::run_framework_only;
pub use workload::{Sizes, Workload};

use crate::scheduler::PointTotal;

/// Errors of a perf run.
#[derive(Debug, thiserror::Error)]
pub enum PerfError {
    /// The in-process API server did not start.
    #[error("starting the API server: {0}")]
    Env(#[from] capstan_controller_runtime::testenv::TestEnvError),
    /// An API request failed.
    #[error("API request: {0}")]
    Api(#[from] kube::Error),
    /// The scheduler could not be built or run.
    #[error("scheduler: {0}")]
    Runner(#[from] crate::api::RunnerError),
    /// The scheduler could not be built.
    #[error("scheduler: {0}")]
    Scheduler(#[from] crate::scheduler::SchedulerError),
    /// A phase stopped making progress.
    #[error("{phase} phase stalled at {done}/{target} pods scheduled")]
    Stalled {
        /// The phase.
        phase: String,
        /// Pods scheduled.
        done: usize,
        /// Pods to schedule.
        target: usize,
    },
}

/// How the scheduler is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Through the in-process API server.
    Api,
    /// The framework alone, with an in-memory binder.
    FrameworkOnly,
}

/// The figures of one run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The workload.
    pub workload: Workload,
    /// How it ran.
    pub mode: Mode,
    /// The sizes.
    pub sizes: Sizes,
    /// Measured pods scheduled.
    pub scheduled: usize,
    /// Wall time of the measured phase.
    pub elapsed: Duration,
    /// Pods scheduled in each full second of the measured phase.
    pub samples: Vec<f64>,
    /// Time per extension point during the measured phase.
    pub extension_points: Vec<PointTotal>,
    /// CPU seconds of the whole process (scheduler, API server and the pod creator
    /// alike) during the measured phase.
    pub cpu_seconds: f64,
}

impl Report {
    /// The average of the per-second samples (scheduler_perf's throughput); the
    /// overall rate when the phase lasted less than two seconds.
    pub fn pods_per_second(&self) -> f64 {
        if self.samples.len() < 2 {
            return self.overall_pods_per_second();
        }
        self.samples.iter().sum::<f64>() / self.samples.len() as f64
    }

    /// CPU microseconds of the whole process per measured pod.
    pub fn cpu_micros_per_pod(&self) -> f64 {
        self.cpu_seconds * 1e6 / self.scheduled.max(1) as f64
    }

    /// Measured pods over the measured phase's wall time.
    pub fn overall_pods_per_second(&self) -> f64 {
        self.scheduled as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}
