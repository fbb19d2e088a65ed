//! `SchedulerRunner`: a scheduler wired to an API server — informers in, bindings,
//! conditions and Events out — running until shutdown, optionally behind leader
//! election on the Lease `kube-system/kube-scheduler`.

use std::sync::Arc;

use capstan_api_types::core::v1::Pod;
use capstan_controller_runtime::Shutdown;
use capstan_controller_runtime::informer::{ReflectorConfig, SharedInformerFactory, Store};
use capstan_controller_runtime::manager::leader_election::{
    ElectionError, LeaderElectionConfig, LeaderElector, TermEnd,
};
use kube::Api;

use super::binder::ApiBinder;
use super::informers::{Listers, SchedulerInformers, wire_informers};
use super::preemptor::ApiPreemptor;
use super::status::{FailureReason, StatusReporter};
use super::volumes::ApiVolumeBinder;
use crate::framework::binder::Binder;
use crate::framework::config::{ConfigError, KubeSchedulerConfiguration, Profile};
use crate::framework::handle::Handle;
use crate::framework::preemptor::Preemptor;
use crate::framework::registry::Registry;
use crate::scheduler::{BindOutcome, ScheduleOutcome, Scheduler, SchedulerError};

/// The Lease kube-scheduler elects its leader on.
pub const KUBE_SCHEDULER_LEASE: &str = "kube-scheduler";
/// The namespace of [`KUBE_SCHEDULER_LEASE`].
pub const KUBE_SCHEDULER_LEASE_NAMESPACE: &str = "kube-system";

/// Errors building or running a [`SchedulerRunner`].
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The configuration YAML is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The scheduler could not be built.
    #[error(transparent)]
    Scheduler(#[from] SchedulerError),
    /// Leader election is misconfigured.
    #[error(transparent)]
    Election(#[from] ElectionError),
    /// The lease could not be renewed: this instance must stop scheduling.
    #[error("leader election lost")]
    LeadershipLost,
}

/// Builds a [`SchedulerRunner`].
pub struct SchedulerRunnerBuilder {
    client: kube::Client,
    config: Option<KubeSchedulerConfiguration>,
    config_yaml: Option<String>,
    names: Vec<String>,
    registry: Option<Registry>,
    binder: Option<Arc<dyn Binder>>,
    preemptor: Option<Arc<dyn Preemptor>>,
    election: Option<LeaderElectionConfig>,
    identity: Option<String>,
    seed: Option<u64>,
    factory: Option<SharedInformerFactory>,
}

impl std::fmt::Debug for SchedulerRunnerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerRunnerBuilder")
            .field("names", &self.names)
            .field("election", &self.election)
            .finish_non_exhaustive()
    }
}

fn default_identity() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "capstan-scheduler".into());
    format!("{host}_{:016x}", fastrand::u64(..))
}

impl SchedulerRunnerBuilder {
    /// Uses `config` (default: one profile, `default-scheduler`, default plugins).
    pub fn config(mut self, config: KubeSchedulerConfiguration) -> Self {
        self.config = Some(config);
        self
    }

    /// Uses a `KubeSchedulerConfiguration` read from YAML (checked by `build`).
    pub fn config_yaml(mut self, yaml: &str) -> Self {
        self.config_yaml = Some(yaml.to_string());
        self
    }

    /// Replaces the configuration's profiles with one default profile per name: the
    /// runner schedules exactly the pods whose `spec.schedulerName` is one of them.
    pub fn scheduler_names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.names = names.into_iter().map(Into::into).collect();
        self
    }

    /// Uses `registry` (start from [`crate::plugins::in_tree_registry`]).
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Binds through `binder` instead of an [`ApiBinder`] on the client.
    pub fn binder(mut self, binder: Arc<dyn Binder>) -> Self {
        self.binder = Some(binder);
        self
    }

    /// Evicts preemption victims through `preemptor` instead of an [`ApiPreemptor`]
    /// on the client.
    pub fn preemptor(mut self, preemptor: Arc<dyn Preemptor>) -> Self {
        self.preemptor = Some(preemptor);
        self
    }

    /// Schedules only while holding the Lease `kube-system/kube-scheduler` (Kubernetes'
    /// timings), as candidate `identity` (default: `$HOSTNAME_<random>`).
    pub fn leader_election(mut self, identity: Option<&str>) -> Self {
        let identity = identity.map(str::to_string).unwrap_or_else(default_identity);
        self.election = Some(LeaderElectionConfig::new(
            KUBE_SCHEDULER_LEASE_NAMESPACE,
            KUBE_SCHEDULER_LEASE,
            &identity,
        ));
        self.identity = Some(identity);
        self
    }

    /// Schedules only while holding the Lease described by `config`.
    pub fn leader_election_config(mut self, config: LeaderElectionConfig) -> Self {
        self.identity = Some(config.identity.clone());
        self.election = Some(config);
        self
    }

    /// Seeds the RNG breaking score ties.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Shares the informers of `factory` (e.g. a controller manager's) instead of a
    /// factory of its own on the client (which, as kube-scheduler's, strips
    /// `managedFields` from cached objects).
    pub fn informer_factory(mut self, factory: SharedInformerFactory) -> Self {
        self.factory = Some(factory);
        self
    }

    /// Builds the scheduler and registers its informer handlers (nothing runs yet).
    pub fn build(self) -> Result<SchedulerRunner, RunnerError> {
        let mut config = match (self.config, self.config_yaml) {
            (_, Some(yaml)) => KubeSchedulerConfiguration::from_yaml(&yaml)?,
            (Some(c), None) => c,
            (None, None) => KubeSchedulerConfiguration::default(),
        };
        if !self.names.is_empty() {
            config.profiles = self.names.iter().map(|n| Profile::named(n)).collect();
        }
        let listers = Listers::default();
        let binder = self.binder.unwrap_or_else(|| Arc::new(ApiBinder::new(self.client.clone())));
        let preemptor =
            self.preemptor.unwrap_or_else(|| Arc::new(ApiPreemptor::new(self.client.clone())));
        let handle = Handle::new(binder)
            .with_namespaces(listers.namespaces.clone())
            .with_pdbs(listers.pdbs.clone())
            .with_preemptor(preemptor)
            .with_volumes(listers.volumes.clone())
            .with_volume_binder(Arc::new(ApiVolumeBinder::new(self.client.clone())));
        let mut builder = Scheduler::builder().config(config).handle(handle);
        if let Some(r) = self.registry {
            builder = builder.registry(r);
        }
        if let Some(s) = self.seed {
            builder = builder.seed(s);
        }
        let scheduler = Arc::new(builder.build()?);
        let factory = self.factory.unwrap_or_else(|| {
            SharedInformerFactory::with_config(
                self.client.clone(),
                ReflectorConfig::default().stripping_managed_fields(),
            )
        });
        let informers = wire_informers(&scheduler, &factory, listers);
        let identity = self.identity.unwrap_or_else(default_identity);
        let reporter = Arc::new(StatusReporter::new(self.client.clone(), &identity));
        Ok(SchedulerRunner {
            client: self.client,
            scheduler,
            factory,
            informers,
            reporter,
            election: self.election,
        })
    }
}

/// A scheduler wired to an API server. [`run`](Self::run) starts the informers, waits
/// for their caches, then schedules until shutdown (or until leadership is lost).
///
/// In-process, hand it a client on the in-process server; standalone, a client from a
/// kubeconfig (`capstan_controller_runtime::client::infer`).
pub struct SchedulerRunner {
    client: kube::Client,
    scheduler: Arc<Scheduler>,
    factory: SharedInformerFactory,
    informers: SchedulerInformers,
    reporter: Arc<StatusReporter>,
    election: Option<LeaderElectionConfig>,
}

impl std::fmt::Debug for SchedulerRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerRunner")
            .field("scheduler", &self.scheduler)
            .field("election", &self.election)
            .finish_non_exhaustive()
    }
}

fn assigned(pod: &Pod) -> bool {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty())
}

/// What the outcome handler needs.
struct Reporting {
    client: kube::Client,
    scheduler: Arc<Scheduler>,
    pods: Store<Pod>,
    reporter: Arc<StatusReporter>,
}

fn split_key(key: &str) -> (&str, &str) {
    key.split_once('/').unwrap_or(("default", key))
}

impl Reporting {
    fn cached(&self, key: &str) -> Option<Arc<Pod>> {
        let (ns, name) = split_key(key);
        self.pods.get_named(Some(ns), name)
    }

    /// The pod as the API has it now (`None` when gone or unreadable).
    async fn fresh(&self, key: &str) -> Option<Pod> {
        let (ns, name) = split_key(key);
        let api: Api<Pod> = Api::namespaced(self.client.clone(), ns);
        api.get_opt(name).await.ok().flatten()
    }

    async fn failed(&self, key: &str, reason: FailureReason, message: &str) {
        let Some(pod) = self.cached(key) else { return };
        if assigned(&pod) {
            return;
        }
        self.reporter.report_failure(&pod, reason, message).await;
    }

    /// Writes `status.nominatedNodeName` (cleared when `node` is empty) unless the pod
    /// already says so.
    async fn nominate(&self, key: &str, node: &str) {
        let Some(pod) = self.cached(key) else { return };
        if assigned(&pod) {
            return;
        }
        if let Err(e) = self.reporter.set_nominated_node(&pod, node).await {
            tracing::warn!(error = %e, pod = key, "writing nominatedNodeName failed");
        }
    }

    async fn binding_done(&self, key: &str, outcome: BindOutcome) {
        match outcome {
            BindOutcome::Bound { node } => {
                let Some(pod) = self.cached(key) else { return };
                if let Err(e) = self.reporter.scheduled(&pod, &node).await {
                    tracing::warn!(error = %e, pod = key, "recording Scheduled failed");
                }
            }
            BindOutcome::Failed(status) => match self.fresh(key).await {
                // Bound elsewhere or gone: it must not be retried.
                Some(pod) if assigned(&pod) => self.scheduler.queue().delete(&pod),
                None => {
                    if let Some(pod) = self.cached(key) {
                        self.scheduler.queue().delete(&pod);
                    }
                }
                Some(_) => {
                    let message = format!("Binding rejected: {}", status.message());
                    self.failed(key, FailureReason::SchedulerError, &message).await;
                }
            },
        }
    }

    fn handle(self: &Arc<Self>, outcome: ScheduleOutcome) {
        let this = self.clone();
        match outcome {
            ScheduleOutcome::Scheduled { pod, binding, .. } => {
                tokio::spawn(async move {
                    match binding.await {
                        Ok(outcome) => this.binding_done(&pod, outcome).await,
                        Err(e) => tracing::warn!(error = %e, pod, "binding cycle panicked"),
                    }
                });
            }
            ScheduleOutcome::Unschedulable { error, nominated_node } => {
                tokio::spawn(async move {
                    if let Some(node) = nominated_node {
                        this.nominate(&error.pod, &node).await;
                    }
                    let message = error.to_string();
                    this.failed(&error.pod, FailureReason::Unschedulable, &message).await;
                });
            }
            ScheduleOutcome::Error { pod, status } => {
                tokio::spawn(async move {
                    this.failed(&pod, FailureReason::SchedulerError, &status.message()).await;
                });
            }
            ScheduleOutcome::Skipped { .. } => {}
        }
    }
}

impl SchedulerRunner {
    /// A builder for a runner talking to the API through `client`.
    pub fn builder(client: kube::Client) -> SchedulerRunnerBuilder {
        SchedulerRunnerBuilder {
            client,
            config: None,
            config_yaml: None,
            names: Vec::new(),
            registry: None,
            binder: None,
            preemptor: None,
            election: None,
            identity: None,
            seed: None,
            factory: None,
        }
    }

    /// The scheduler (cache, queue, profiles).
    pub fn scheduler(&self) -> &Arc<Scheduler> {
        &self.scheduler
    }

    /// The informer caches (pods, nodes, namespaces).
    pub fn informers(&self) -> &SchedulerInformers {
        &self.informers
    }

    /// The informer factory (others may share its informers).
    pub fn factory(&self) -> &SharedInformerFactory {
        &self.factory
    }

    /// Runs on a new task until `shutdown` fires.
    pub fn spawn(self, shutdown: Shutdown) -> tokio::task::JoinHandle<Result<(), RunnerError>> {
        tokio::spawn(self.run(shutdown))
    }

    /// Starts the informers, waits for their caches to sync and for leadership (if
    /// elected), then schedules until `shutdown` fires (`Ok`) or the lease is lost
    /// ([`RunnerError::LeadershipLost`]). A leader that stops frees the lease. Informers
    /// of a factory started elsewhere keep running after the runner stops. The runner
    /// is consumed: its queue is closed when it returns.
    pub async fn run(self, shutdown: Shutdown) -> Result<(), RunnerError> {
        let elector = match &self.election {
            Some(config) => Some(LeaderElector::new(self.client.clone(), config.clone())?),
            None => None,
        };
        // As kube-scheduler: caches are warm before leadership is sought, so a new
        // leader schedules at once.
        let informers_stop = shutdown.child();
        self.factory.start(&informers_stop);
        let mut ready = tokio::select! {
            () = self.factory.wait_for_cache_sync() => true,
            () = shutdown.wait() => false,
        };
        if ready {
            if let Some(e) = &elector {
                ready = e.acquire(&shutdown).await;
            }
        }
        let mut result = Ok(());
        if ready {
            tracing::info!(scheduler = ?self.scheduler, "caches synced; scheduling");
            let reporting = Arc::new(Reporting {
                client: self.client.clone(),
                scheduler: self.scheduler.clone(),
                pods: self.informers.pods.clone(),
                reporter: self.reporter.clone(),
            });
            let task = self.scheduler.run_with(move |outcome| reporting.handle(outcome));
            let end = match &elector {
                Some(e) => e.renew(&shutdown).await,
                None => {
                    shutdown.wait().await;
                    TermEnd::Cancelled
                }
            };
            self.scheduler.queue().close();
            let _ = task.await;
            if end == TermEnd::Lost {
                result = Err(RunnerError::LeadershipLost);
            }
        }
        informers_stop.trigger();
        if let Some(e) = elector.filter(|_| ready) {
            if result.is_ok() {
                if let Err(err) = e.release().await {
                    tracing::warn!(error = %err, "releasing the lease failed");
                }
            }
        }
        result
    }
}
