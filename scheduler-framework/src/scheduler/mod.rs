//! The scheduler as a library: profiles, cache, queue and the scheduling cycle
//! (`schedule_one`), with cluster events fed in through `event_handlers` and the bind
//! step behind the `Binder` trait. No API I/O happens here.

mod event_handlers;
mod fit_error;
mod metrics;
mod num_nodes;
mod schedule_one;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use parking_lot::Mutex;

pub use fit_error::{Diagnosis, FitError};
pub use metrics::{ExtensionPoint, ExtensionPointTimes, PointTotal};
pub use num_nodes::{
    MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, MIN_FEASIBLE_NODES_TO_FIND, num_feasible_nodes_to_find,
};
pub use schedule_one::{BindOutcome, ScheduleOutcome};

use crate::cache::{Cache, Snapshot};
use crate::clock::{Clock, RealClock};
use crate::framework::config::KubeSchedulerConfiguration;
use crate::framework::handle::Handle;
use crate::framework::parallelize::{Parallelizer, ParallelizerError};
use crate::framework::registry::{PluginError, Registry};
use crate::framework::runtime::Framework;
use crate::queue::{QueueOptions, SchedulingQueue};

/// Errors building a scheduler.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// A profile's plugins could not be built.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// The thread pool could not be created.
    #[error(transparent)]
    Pool(#[from] ParallelizerError),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] crate::framework::config::ConfigError),
}

/// A scheduler: one [`Framework`] per profile, the [`Cache`], the
/// [`SchedulingQueue`] and the cycle state (snapshot, round-robin start index, RNG).
///
/// Feed it cluster events with the `on_*` methods (from informers), then call
/// [`schedule_one`](Self::schedule_one) in a loop (or [`run`](Self::run)).
pub struct Scheduler {
    cache: Arc<Cache>,
    queue: Arc<SchedulingQueue>,
    profiles: HashMap<String, Arc<Framework>>,
    snapshot: Mutex<Snapshot>,
    next_start_node_index: AtomicUsize,
    percentage_of_nodes_to_score: i32,
    rng: Mutex<fastrand::Rng>,
    handle: Handle,
    times: Arc<ExtensionPointTimes>,
}

/// Builds a [`Scheduler`] from a configuration, a registry and a handle.
pub struct SchedulerBuilder {
    config: KubeSchedulerConfiguration,
    registry: Registry,
    handle: Handle,
    clock: Arc<dyn Clock>,
    seed: Option<u64>,
    threads: Option<usize>,
    min_parallel_work: Option<usize>,
    assumed_ttl: Option<Duration>,
}

impl SchedulerBuilder {
    /// Default configuration, the in-tree registry and a handle with a recording binder.
    pub fn new() -> Self {
        SchedulerBuilder {
            config: KubeSchedulerConfiguration::default(),
            registry: crate::plugins::in_tree_registry(),
            handle: Handle::default(),
            clock: Arc::new(RealClock),
            seed: None,
            threads: None,
            min_parallel_work: None,
            assumed_ttl: None,
        }
    }

    /// Uses `config`.
    pub fn config(mut self, config: KubeSchedulerConfiguration) -> Self {
        self.config = config;
        self
    }

    /// Uses `registry` (start from [`crate::plugins::in_tree_registry`] and merge yours).
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = registry;
        self
    }

    /// Merges out-of-tree plugins into the registry.
    pub fn with_out_of_tree(mut self, registry: Registry) -> Result<Self, SchedulerError> {
        self.registry.merge(registry)?;
        Ok(self)
    }

    /// Uses `handle` (binder, listers).
    pub fn handle(mut self, handle: Handle) -> Self {
        self.handle = handle;
        self
    }

    /// Uses `clock` for the queue and cache.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Seeds the RNG breaking score ties (deterministic tests).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Overrides the number of filter/score threads (default: `parallelism`, at most
    /// the CPUs available).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// The least work (nodes × plugins) a Filter or Score phase must have to run in
    /// parallel (default [`crate::framework::parallelize::DEFAULT_MIN_PARALLEL_WORK`]).
    pub fn min_parallel_work(mut self, work: usize) -> Self {
        self.min_parallel_work = Some(work);
        self
    }

    /// Expires assumed pods this long after their binding finished.
    pub fn assumed_pod_ttl(mut self, ttl: Duration) -> Self {
        self.assumed_ttl = Some(ttl);
        self
    }

    /// Builds the scheduler.
    pub fn build(self) -> Result<Scheduler, SchedulerError> {
        self.config.validate()?;
        let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let threads = self.threads.unwrap_or_else(|| (self.config.parallelism as usize).min(cpus));
        let mut pool = Parallelizer::new(threads)?;
        if let Some(w) = self.min_parallel_work {
            pool = pool.with_min_parallel_work(w);
        }
        let pool = Arc::new(pool);
        let defaults = crate::plugins::default_plugins();
        let mut profiles = HashMap::new();
        for p in &self.config.profiles {
            let fw =
                Framework::new(&self.registry, p, &defaults, self.handle.clone(), pool.clone())?;
            profiles.insert(p.scheduler_name.clone(), Arc::new(fw));
        }
        let options = QueueOptions {
            initial_backoff: Duration::from_secs(self.config.pod_initial_backoff_seconds as u64),
            max_backoff: Duration::from_secs(self.config.pod_max_backoff_seconds as u64),
            ..QueueOptions::default()
        };
        let queue = Arc::new(SchedulingQueue::new(profiles.clone(), self.clock.clone(), options));
        let cache = Arc::new(Cache::with_clock(self.clock.clone(), self.assumed_ttl));
        let rng = match self.seed {
            Some(s) => fastrand::Rng::with_seed(s),
            None => fastrand::Rng::new(),
        };
        Ok(Scheduler {
            cache,
            queue,
            profiles,
            snapshot: Mutex::new(Snapshot::new()),
            next_start_node_index: AtomicUsize::new(0),
            percentage_of_nodes_to_score: self.config.percentage_of_nodes_to_score,
            rng: Mutex::new(rng),
            handle: self.handle,
            times: Arc::new(ExtensionPointTimes::default()),
        })
    }
}

impl std::fmt::Debug for SchedulerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerBuilder")
            .field("profiles", &self.config.profiles.len())
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl Default for SchedulerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler {
    /// A builder.
    pub fn builder() -> SchedulerBuilder {
        SchedulerBuilder::new()
    }

    /// The cache.
    pub fn cache(&self) -> &Arc<Cache> {
        &self.cache
    }

    /// The queue.
    pub fn queue(&self) -> &Arc<SchedulingQueue> {
        &self.queue
    }

    /// The framework of the profile `scheduler_name`.
    pub fn profile(&self, scheduler_name: &str) -> Option<&Arc<Framework>> {
        self.profiles.get(scheduler_name)
    }

    /// The handle plugins were built with.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The time spent per extension point since the start (or the last reset).
    pub fn extension_point_times(&self) -> &Arc<ExtensionPointTimes> {
        &self.times
    }

    /// Schedules pods until the queue is closed, with the queue's periodic flushes
    /// and the cleanup of expired assumed pods every second.
    pub fn run(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        self.run_with(|_| {})
    }

    /// As [`run`](Self::run), handing every cycle's outcome to `on_outcome` (where
    /// the API wiring records `PodScheduled` conditions and events, or awaits bindings).
    pub fn run_with<F>(self: &Arc<Self>, on_outcome: F) -> tokio::task::JoinHandle<()>
    where
        F: Fn(ScheduleOutcome) + Send + Sync + 'static,
    {
        let s = self.clone();
        tokio::spawn(async move {
            let flusher = s.queue.run();
            let cache = s.cache.clone();
            let cleaner = tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    cache.cleanup_expired_assumed_pods();
                }
            });
            while let Some(outcome) = s.schedule_one().await {
                on_outcome(outcome);
            }
            flusher.abort();
            cleaner.abort();
        })
    }
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("profiles", &self.profiles.keys().collect::<Vec<_>>())
            .field("cache", &self.cache)
            .field("queue", &self.queue)
            .finish()
    }
}
