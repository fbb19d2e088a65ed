//! The [`Manager`]: runs controllers and other [`Runnable`]s over one shared informer
//! factory, with optional leader election ([`leader_election`]), a probe and metrics
//! server ([`health`]), and graceful shutdown.

pub mod health;
pub mod leader_election;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use parking_lot::Mutex;
use prometheus_client::registry::Registry;
use tokio::task::JoinSet;

use crate::controller::{ControllerBuilder, ReconcileMetrics};
use crate::informer::{ReflectorConfig, SharedInformerFactory};
use crate::shutdown::Shutdown;
use crate::workqueue::WorkQueueMetrics;
use health::{Check, HealthState};
use leader_election::{ElectionError, LeaderElectionConfig, LeaderElector, TermEnd};

/// What a [`Runnable`] gets when it starts.
#[derive(Clone)]
pub struct RunContext {
    /// The API client.
    pub client: kube::Client,
    /// The manager's shared informers.
    pub factory: SharedInformerFactory,
    /// Fires when the runnable must stop (shutdown, or leadership lost).
    pub shutdown: Shutdown,
}

impl std::fmt::Debug for RunContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunContext")
            .field("factory", &self.factory)
            .field("shutdown", &self.shutdown)
            .finish()
    }
}

/// Why a runnable stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunnableError {
    /// The runnable failed.
    #[error("{0}")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Anything a manager runs: controllers, and any other long-running task.
#[async_trait]
pub trait Runnable: Send + Sync + 'static {
    /// A name for logs.
    fn name(&self) -> &str;

    /// Whether it runs only while this manager is the leader (default `true`).
    fn needs_leader_election(&self) -> bool {
        true
    }

    /// Runs until `ctx.shutdown` fires.
    async fn start(&self, ctx: RunContext) -> Result<(), RunnableError>;
}

/// Why a manager stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    /// The lease could not be renewed: the controllers were stopped.
    #[error("leader election lost")]
    LeaderElectionLost,
    /// The leader election configuration is invalid.
    #[error(transparent)]
    Election(#[from] ElectionError),
    /// The health server could not bind.
    #[error("binding the health server: {0}")]
    Bind(#[source] std::io::Error),
    /// A runnable failed.
    #[error("runnable {name} failed: {source}")]
    Runnable {
        /// The runnable's name.
        name: String,
        /// Its error.
        #[source]
        source: RunnableError,
    },
}

/// Gives each controller its own client, by the controller's credential name (its
/// ServiceAccount in `kube-system`, e.g. `replicaset-controller`), as
/// `kube-controller-manager --use-service-account-credentials` does: the shared informers
/// keep the manager's client; each controller's writes go out with its own identity.
pub type ControllerClients = Arc<dyn Fn(&str) -> kube::Client + Send + Sync>;

/// Builds a [`Manager`].
pub struct ManagerBuilder {
    client: kube::Client,
    controller_clients: Option<ControllerClients>,
    leader_election: Option<LeaderElectionConfig>,
    health_addr: Option<SocketAddr>,
    reflector: ReflectorConfig,
}

impl std::fmt::Debug for ManagerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerBuilder")
            .field("leader_election", &self.leader_election)
            .field("health_addr", &self.health_addr)
            .finish()
    }
}

impl ManagerBuilder {
    /// Elect a leader with this configuration; only the leader runs runnables that need it.
    pub fn leader_election(mut self, config: LeaderElectionConfig) -> Self {
        self.leader_election = Some(config);
        self
    }

    /// Serve `/healthz`, `/readyz` and `/metrics` on `addr` (port 0 picks a free port;
    /// see [`Manager::health_address`]).
    pub fn health_address(mut self, addr: SocketAddr) -> Self {
        self.health_addr = Some(addr);
        self
    }

    /// How the shared informers list and watch (default: [`ReflectorConfig::default`]
    /// with `managedFields` stripped from cached objects, as kube-controller-manager does).
    pub fn reflector_config(mut self, config: ReflectorConfig) -> Self {
        self.reflector = config;
        self
    }

    /// Per-controller clients (see [`ControllerClients`] and [`Manager::client_for`]);
    /// without them every controller uses the manager's client.
    pub fn controller_clients(mut self, clients: ControllerClients) -> Self {
        self.controller_clients = Some(clients);
        self
    }

    /// The manager (binds the health address now).
    pub async fn build(self) -> Result<Manager, ManagerError> {
        let elector = match self.leader_election {
            Some(config) => Some(Arc::new(LeaderElector::new(self.client.clone(), config)?)),
            None => None,
        };
        let listener = match self.health_addr {
            Some(addr) => Some(health::bind(addr).await.map_err(ManagerError::Bind)?),
            None => None,
        };
        let health_address = listener.as_ref().and_then(|l| l.local_addr().ok());
        let mut registry = Registry::default();
        let workqueue_metrics = WorkQueueMetrics::new();
        workqueue_metrics.register(&mut registry);
        let reconcile_metrics = ReconcileMetrics::new();
        reconcile_metrics.register(&mut registry);
        Ok(Manager {
            factory: SharedInformerFactory::with_config(self.client.clone(), self.reflector),
            client: self.client,
            controller_clients: self.controller_clients,
            runnables: Vec::new(),
            elector,
            listener: Mutex::new(listener),
            health_address,
            registry: Arc::new(Mutex::new(registry)),
            workqueue_metrics,
            reconcile_metrics,
            leading: Arc::new(AtomicBool::new(false)),
            readiness: Vec::new(),
        })
    }
}

/// Runs runnables with one shared informer factory, leader election, and a health
/// server.
pub struct Manager {
    client: kube::Client,
    controller_clients: Option<ControllerClients>,
    factory: SharedInformerFactory,
    runnables: Vec<Arc<dyn Runnable>>,
    elector: Option<Arc<LeaderElector>>,
    listener: Mutex<Option<tokio::net::TcpListener>>,
    health_address: Option<SocketAddr>,
    registry: Arc<Mutex<Registry>>,
    workqueue_metrics: WorkQueueMetrics,
    reconcile_metrics: ReconcileMetrics,
    leading: Arc<AtomicBool>,
    readiness: Vec<(String, Check)>,
}

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager")
            .field(
                "runnables",
                &self.runnables.iter().map(|r| r.name().to_string()).collect::<Vec<_>>(),
            )
            .field("leader_election", &self.elector.is_some())
            .field("health_address", &self.health_address)
            .finish()
    }
}

impl Manager {
    /// A builder for a manager using `client`.
    pub fn builder(client: kube::Client) -> ManagerBuilder {
        ManagerBuilder {
            client,
            controller_clients: None,
            leader_election: None,
            health_addr: None,
            reflector: ReflectorConfig::default().stripping_managed_fields(),
        }
    }

    /// The client.
    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    /// The client the controller whose credentials are named `credential` writes with:
    /// its own when [`ManagerBuilder::controller_clients`] was given, else the manager's.
    pub fn client_for(&self, credential: &str) -> kube::Client {
        match &self.controller_clients {
            Some(clients) => clients(credential),
            None => self.client.clone(),
        }
    }

    /// The shared informer factory every runnable gets.
    pub fn factory(&self) -> &SharedInformerFactory {
        &self.factory
    }

    /// The metrics registry served at `/metrics` (register your own metrics here).
    pub fn registry(&self) -> Arc<Mutex<Registry>> {
        self.registry.clone()
    }

    /// The work queue metric families (pass to [`ControllerBuilder::metrics`]).
    pub fn workqueue_metrics(&self) -> &WorkQueueMetrics {
        &self.workqueue_metrics
    }

    /// The reconcile metric families (pass to [`ControllerBuilder::reconcile_metrics`]).
    pub fn reconcile_metrics(&self) -> &ReconcileMetrics {
        &self.reconcile_metrics
    }

    /// A controller builder whose queue and reconciles report in this manager's metrics.
    pub fn controller(&self, name: &str) -> ControllerBuilder {
        ControllerBuilder::new(name)
            .metrics(&self.workqueue_metrics)
            .reconcile_metrics(&self.reconcile_metrics)
    }

    /// The health server's bound address.
    pub fn health_address(&self) -> Option<SocketAddr> {
        self.health_address
    }

    /// Whether this manager currently leads (always `true` once running without leader
    /// election).
    pub fn is_leader(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }

    /// A shared flag mirroring [`Manager::is_leader`], usable after `run` took the manager.
    pub fn leader_flag(&self) -> Arc<AtomicBool> {
        self.leading.clone()
    }

    /// Adds a runnable (a controller, or anything else).
    pub fn add(&mut self, runnable: impl Runnable) {
        self.runnables.push(Arc::new(runnable));
    }

    /// Adds a shared runnable.
    pub fn add_shared(&mut self, runnable: Arc<dyn Runnable>) {
        self.runnables.push(runnable);
    }

    /// Adds a named readiness check to `/readyz`.
    pub fn add_readiness_check(&mut self, name: &str, check: Check) {
        self.readiness.push((name.to_string(), check));
    }

    fn spawn_all(
        &self,
        set: &mut JoinSet<(String, Result<(), RunnableError>)>,
        leader: bool,
        shutdown: &Shutdown,
    ) {
        for r in self.runnables.iter().filter(|r| r.needs_leader_election() == leader) {
            let ctx = RunContext {
                client: self.client.clone(),
                factory: self.factory.clone(),
                shutdown: shutdown.clone(),
            };
            let r = r.clone();
            set.spawn(async move { (r.name().to_string(), r.start(ctx).await) });
        }
    }

    /// Runs until `shutdown` fires (then stops every runnable, waits for them, and
    /// releases the lease) or leadership is lost (then stops the runnables and returns
    /// [`ManagerError::LeaderElectionLost`]).
    pub async fn run(self, shutdown: Shutdown) -> Result<(), ManagerError> {
        let all = shutdown.child();
        self.factory.start(&all);
        if let Some(listener) = self.listener.lock().take() {
            let factory = self.factory.clone();
            let mut readiness = self.readiness.clone();
            readiness
                .insert(0, ("informers-synced".into(), Arc::new(move || factory.has_synced())));
            let state = HealthState {
                registry: self.registry.clone(),
                liveness: vec![("ping".into(), Arc::new(|| true))],
                readiness,
            };
            tokio::spawn(health::serve(listener, state, all.clone()));
        }
        let mut always = JoinSet::new();
        self.spawn_all(&mut always, false, &all);
        let result = self.lead(&all, &shutdown).await;
        all.trigger();
        while let Some(joined) = always.join_next().await {
            if let Ok((name, Err(e))) = joined {
                tracing::warn!(runnable = %name, error = %e, "runnable failed");
            }
        }
        result
    }

    /// Acquires leadership (if elected) and runs the leader runnables for one term.
    async fn lead(&self, all: &Shutdown, shutdown: &Shutdown) -> Result<(), ManagerError> {
        let Some(elector) = self.elector.clone() else {
            self.leading.store(true, Ordering::SeqCst);
            let mut leaders = JoinSet::new();
            self.spawn_all(&mut leaders, true, all);
            let outcome = wait_for_runnables(&mut leaders, shutdown).await;
            all.trigger();
            drain(&mut leaders).await;
            self.leading.store(false, Ordering::SeqCst);
            return outcome;
        };
        if !elector.acquire(shutdown).await {
            return Ok(());
        }
        self.leading.store(true, Ordering::SeqCst);
        let term = all.child();
        let mut leaders = JoinSet::new();
        self.spawn_all(&mut leaders, true, &term);
        let never = Shutdown::new();
        let outcome = tokio::select! {
            end = elector.renew(shutdown) => match end {
                TermEnd::Lost => Err(ManagerError::LeaderElectionLost),
                TermEnd::Cancelled => Ok(()),
            },
            failed = wait_for_runnables(&mut leaders, &never) => failed,
        };
        term.trigger();
        drain(&mut leaders).await;
        self.leading.store(false, Ordering::SeqCst);
        if outcome.is_ok() && elector.config().release_on_cancel {
            if let Err(e) = elector.release().await {
                tracing::warn!(error = %e, "releasing the lease failed");
            }
        }
        outcome
    }
}

/// Waits for `shutdown`, or the first runnable to fail.
async fn wait_for_runnables(
    set: &mut JoinSet<(String, Result<(), RunnableError>)>,
    shutdown: &Shutdown,
) -> Result<(), ManagerError> {
    loop {
        tokio::select! {
            () = shutdown.wait() => return Ok(()),
            joined = set.join_next() => match joined {
                None => {
                    shutdown.wait().await;
                    return Ok(());
                }
                Some(Ok((name, Err(source)))) => return Err(ManagerError::Runnable { name, source }),
                Some(_) => {}
            },
        }
    }
}

async fn drain(set: &mut JoinSet<(String, Result<(), RunnableError>)>) {
    while let Some(joined) = set.join_next().await {
        if let Ok((name, Err(e))) = joined {
            tracing::warn!(runnable = %name, error = %e, "runnable failed while stopping");
        }
    }
}
