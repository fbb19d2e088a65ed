//! `capstan up`: the API server on the chosen store, served over HTTPS on the listen
//! address with authentication, RBAC and the admission chain (see [`crate::secure`]), with
//! an admin kubeconfig for `kubectl` in the data directory; the controller manager (the
//! built-in controllers, elected on the `kube-system/kube-controller-manager` Lease), the
//! scheduler (elected on `kube-system/kube-scheduler`) and N simulated nodes, each on its
//! own in-process client with its own identity; the store is compacted every 5 minutes,
//! as kube-apiserver does. The components' informers share the objects they decode
//! through one [`ObjectPool`]: a pod version is held once in the process, not once per
//! component.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use capstan_apiserver_core::serve::{self, Acceptor, PlainTcp};
use capstan_apiserver_core::server::{ApiServer, ServerError};
use capstan_controller_runtime::controller::ControllerError;
use capstan_controller_runtime::informer::{ObjectPool, ReflectorConfig, SharedInformerFactory};
use capstan_controller_runtime::manager::ManagerError;
use capstan_controller_runtime::manager::leader_election::LeaderElectionConfig;
use capstan_controller_runtime::{Manager, Shutdown, controllers};
use capstan_kubelet_core::api::{ApiError as NodeError, NodeLogProxy, NodeRegistry, SimCluster};
use capstan_scheduler_framework::api::{RunnerError, SchedulerRunner};
use capstan_store::{Storage, StoreError};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::StoreChoice;
use crate::kubeconfig;
use crate::secure::{Clients, ClusterSecurity, Identity, SecureError};

/// What `capstan up` was asked to run.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// Where the state (SQLite database) and the kubeconfig live.
    pub data_dir: PathBuf,
    /// `ADDR:PORT` to listen on (port 0 picks a free one).
    pub listen: String,
    /// The store backend.
    pub store: StoreChoice,
    /// How many simulated nodes to run (`node-1` … `node-N`); 0 runs none.
    pub nodes: usize,
    /// How often the store is compacted to the revision it had one interval before, as
    /// kube-apiserver's `--etcd-compaction-interval` (5 min, [`COMPACTION_INTERVAL`]).
    pub compaction_interval: Duration,
    /// Serve plain HTTP without authentication, authorization or admission (every
    /// request acts as the cluster admin), for embedding and comparisons; `false` (the
    /// default of `capstan up`) serves HTTPS with all of them.
    pub plain_http: bool,
    /// An audit policy file (kube-apiserver's `--audit-policy-file`): every request is
    /// then audited to `DATA_DIR/audit.log` at the policy's level. Needs the security
    /// (ignored with `plain_http`).
    pub audit_policy: Option<PathBuf>,
}

/// The default store compaction interval, kube-apiserver's (5 min).
pub const COMPACTION_INTERVAL: Duration = Duration::from_secs(300);

/// Compacts `store` every `interval` to the revision it was at one interval earlier (so
/// that history a watch cache may still resume from is kept), until `shutdown`.
fn start_compactor(
    store: Arc<dyn Storage>,
    interval: Duration,
    shutdown: Shutdown,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut previous = None;
        loop {
            tokio::select! {
                () = shutdown.wait() => return,
                () = tokio::time::sleep(interval) => {}
            }
            if let Some(revision) = previous
                && let Err(error) = store.compact(revision).await
            {
                tracing::warn!(revision, %error, "compacting the store");
            }
            previous = store.current_revision().await.ok();
        }
    })
}

/// Why `capstan up` could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum UpError {
    /// The data directory cannot be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The store cannot be opened.
    #[error("cannot open the {store} store: {source}")]
    Store {
        /// The `--store` value.
        store: StoreChoice,
        /// Why.
        source: StoreError,
    },
    /// The API server failed to start on the store.
    #[error("the API server cannot start: {0}")]
    Server(#[from] ServerError),
    /// The listen address cannot be bound.
    #[error("cannot listen on {listen}: {source}")]
    Listen {
        /// The `--listen` value.
        listen: String,
        /// Why.
        source: io::Error,
    },
    /// The kubeconfig cannot be written.
    #[error("cannot write {path}: {source}")]
    Kubeconfig {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Serving failed.
    #[error("serving the API failed: {0}")]
    Serve(io::Error),
    /// The cluster credentials, authentication or authorization could not be set up.
    #[error(transparent)]
    Security(#[from] SecureError),
    /// The scheduler could not be built.
    #[error("the scheduler cannot start: {0}")]
    Scheduler(#[from] RunnerError),
    /// The simulated nodes could not start.
    #[error("the nodes cannot start: {0}")]
    Nodes(#[from] NodeError),
    /// The controller manager could not be built.
    #[error("the controller manager cannot start: {0}")]
    Manager(#[from] ManagerError),
    /// A built-in controller could not be built.
    #[error("a controller cannot start: {0}")]
    Controller(#[from] ControllerError),
}

/// The Lease the controller manager is elected on (namespace, name), as in Kubernetes.
pub const CONTROLLER_MANAGER_LEASE: (&str, &str) = ("kube-system", "kube-controller-manager");

/// A component (controller manager, scheduler) running on a task until its shutdown.
struct Component<E> {
    shutdown: Shutdown,
    task: JoinHandle<Result<(), E>>,
}

impl<E> Component<E>
where
    UpError: From<E>,
{
    /// Stops the component (releasing its Lease) and waits for it.
    async fn stop(self) -> Result<(), UpError> {
        self.shutdown.trigger();
        match self.task.await {
            Ok(result) => result.map_err(UpError::from),
            Err(join) => Err(UpError::Serve(io::Error::other(join))),
        }
    }
}

/// Runs a component built by `start` until `shutdown`; when it stops because it lost its
/// leader election (an overloaded API server can make a renewal miss its deadline), it is
/// built and started again, as a restarted `kube-controller-manager` or `kube-scheduler`
/// process would be: it then waits for the Lease like any candidate.
fn supervise<E, F, Fut>(
    name: &'static str,
    shutdown: Shutdown,
    lost: fn(&E) -> bool,
    mut start: F,
) -> JoinHandle<Result<(), E>>
where
    E: std::fmt::Display + Send + 'static,
    F: FnMut(Shutdown) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), E>> + Send,
{
    tokio::spawn(async move {
        loop {
            let result = start(shutdown.clone()).await;
            match result {
                Err(e) if lost(&e) && !shutdown.is_triggered() => {
                    tracing::warn!(component = name, error = %e, "restarting");
                }
                other => return other,
            }
        }
    })
}

/// How the controller manager runs: on which API server, whether it is secure (then its
/// identities apply and it publishes the CA bundle), and its leader-election identity.
#[derive(Clone)]
struct ControllerManagerConfig {
    clients: Clients,
    ca_bundle: Option<Arc<str>>,
    identity: String,
    pool: Option<ObjectPool>,
}

/// Builds the controller manager with every built-in controller on an in-process client
/// of `api` and runs it until `shutdown`, elected on [`CONTROLLER_MANAGER_LEASE`]. On a
/// secure cluster it acts as `system:kube-controller-manager`, each controller writes as
/// its own ServiceAccount, and the root-CA publisher puts the CA bundle in every
/// namespace.
async fn run_controller_manager(
    config: ControllerManagerConfig,
    shutdown: Shutdown,
) -> Result<(), UpError> {
    let ControllerManagerConfig { clients, ca_bundle, identity, pool } = config;
    let client = clients.client(Identity::ControllerManager, "default");
    let (namespace, name) = CONTROLLER_MANAGER_LEASE;
    let mut builder = Manager::builder(client)
        .leader_election(LeaderElectionConfig::new(namespace, name, &identity))
        .reflector_config(reflector_config(pool.as_ref()));
    if clients.secure() {
        builder = builder.controller_clients(Arc::new(move |credentials: &str| {
            clients.client(Identity::Controller(credentials), "default")
        }));
    }
    let mut manager = builder.build().await?;
    controllers::add_all(&mut manager)?;
    if let Some(bundle) = ca_bundle {
        let publisher = controllers::root_ca::controller(&manager, bundle)?;
        manager.add(publisher);
    }
    Ok(manager.run(shutdown).await?)
}

/// Starts the controller manager (see [`run_controller_manager`]), restarted when it loses
/// its Lease.
fn start_controller_manager(config: ControllerManagerConfig) -> Component<UpError> {
    let shutdown = Shutdown::new();
    let lost = |e: &UpError| matches!(e, UpError::Manager(ManagerError::LeaderElectionLost));
    let task = supervise("controller-manager", shutdown.clone(), lost, move |stop| {
        run_controller_manager(config.clone(), stop)
    });
    Component { shutdown, task }
}

/// How the controller manager's and the scheduler's informers list and watch: without
/// `managedFields` (as kube-controller-manager and kube-scheduler), sharing decoded
/// objects through `pool` when given.
fn reflector_config(pool: Option<&ObjectPool>) -> ReflectorConfig {
    let config = ReflectorConfig::default().stripping_managed_fields();
    match pool {
        Some(pool) => config.sharing_objects(pool),
        None => config,
    }
}

/// Starts the default scheduler on an in-process client of `api` (as
/// `system:kube-scheduler` when `secure`), elected on the `kube-system/kube-scheduler`
/// Lease, restarted when it loses it; its informers share objects through `pool`.
fn start_scheduler(
    clients: &Clients,
    identity: &str,
    pool: Option<&ObjectPool>,
) -> Component<UpError> {
    let shutdown = Shutdown::new();
    let (clients, identity) = (clients.clone(), identity.to_owned());
    let config = reflector_config(pool);
    let lost = |e: &UpError| matches!(e, UpError::Scheduler(RunnerError::LeadershipLost));
    let task = supervise("scheduler", shutdown.clone(), lost, move |stop| {
        let client = clients.client(Identity::Scheduler, "default");
        let identity = identity.clone();
        let factory = SharedInformerFactory::with_config(client.clone(), config.clone());
        async move {
            let runner = SchedulerRunner::builder(client)
                .leader_election(Some(&identity))
                .informer_factory(factory)
                .build()?;
            Ok(runner.run(stop).await?)
        }
    });
    Component { shutdown, task }
}

/// This process's identity in leader elections.
fn identity() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("capstan-{}-{nanos:x}", std::process::id())
}

/// A running `capstan up`: the API server serving on [`Cluster::addr`]. Dropping it
/// stops serving in the background; [`Cluster::stop`] waits for that.
pub struct Cluster {
    addr: SocketAddr,
    server_url: String,
    kubeconfig: PathBuf,
    store: Arc<dyn Storage>,
    api: ApiServer,
    clients: Clients,
    security: Option<ClusterSecurity>,
    stop: oneshot::Sender<()>,
    serving: JoinHandle<io::Result<()>>,
    controllers: Component<UpError>,
    scheduler: Component<UpError>,
    nodes: Option<SimCluster>,
    compactor: (Shutdown, JoinHandle<()>),
    pool: Option<ObjectPool>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("addr", &self.addr)
            .field("store", &self.store.backend_name())
            .field("kubeconfig", &self.kubeconfig)
            .finish()
    }
}

impl Cluster {
    /// Opens the store, loads (or creates) the cluster credentials in `DATA_DIR/pki`,
    /// builds the API server on the store with authentication, RBAC and admission (its
    /// watch caches loaded, the bootstrap policy written), binds the listen address,
    /// writes `DATA_DIR/kubeconfig` (the CA and the admin's client certificate), starts
    /// serving HTTPS and starts the controller manager, the scheduler and the nodes. With
    /// [`UpOptions::plain_http`] it serves plain HTTP without any of the security. When
    /// this returns the server answers requests (and `/readyz`); the controllers start
    /// acting once their caches have synced.
    ///
    /// The components' informers share decoded objects through a new [`ObjectPool`]
    /// ([`Cluster::start_sharing`] chooses).
    pub async fn start(options: &UpOptions) -> Result<Cluster, UpError> {
        Cluster::start_sharing(options, Some(ObjectPool::new())).await
    }

    /// [`Cluster::start`] with the informers of the controller manager, the scheduler and
    /// the nodes sharing decoded objects through `pool`, or, with `None`, each keeping its
    /// own copies (what a cluster of separate processes does).
    pub async fn start_sharing(
        options: &UpOptions,
        pool: Option<ObjectPool>,
    ) -> Result<Cluster, UpError> {
        std::fs::create_dir_all(&options.data_dir)
            .map_err(|source| UpError::DataDir { path: options.data_dir.clone(), source })?;
        let store = options
            .store
            .open(&options.data_dir)
            .await
            .map_err(|source| UpError::Store { store: options.store.clone(), source })?;
        let listener = TcpListener::bind(&options.listen)
            .await
            .map_err(|source| UpError::Listen { listen: options.listen.clone(), source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| UpError::Listen { listen: options.listen.clone(), source })?;
        let security = if options.plain_http {
            None
        } else {
            let hosts = vec![addr.ip().to_string()];
            let audit = options.audit_policy.as_deref();
            Some(ClusterSecurity::open(&options.data_dir, hosts, Arc::clone(&store), audit)?)
        };
        // `pods/log` is served by the node the pod runs on.
        let registry = NodeRegistry::new();
        let mut builder = ApiServer::builder()
            .store(Arc::clone(&store))
            .node_proxy(Arc::new(NodeLogProxy::new(registry.clone())));
        if let Some(security) = &security {
            builder = security.configure(builder);
        }
        let api = builder.build().await?;
        if let Some(security) = &security {
            security.start(&api).await?;
        }
        let kubeconfig = options.data_dir.join("kubeconfig");
        let (server_url, written) = match &security {
            Some(security) => {
                let url = kubeconfig::server_url("https", addr);
                let written = security.write_kubeconfig(&kubeconfig, &url);
                (url, written)
            }
            None => {
                let url = kubeconfig::server_url("http", addr);
                let written = kubeconfig::write(&kubeconfig, &url);
                (url, written)
            }
        };
        if let Err(source) = written {
            // Nothing serves yet: stop what the security started on the server.
            if let Some(security) = &security {
                security.shutdown().await;
            }
            api.shutdown();
            return Err(UpError::Kubeconfig { path: kubeconfig, source });
        }

        let (stop, stopped) = oneshot::channel::<()>();
        let serving = match &security {
            Some(security) => match security.audit() {
                Some(audit) => {
                    let audited = audit.service(api.clone());
                    spawn_serving(listener, audited, &api, security.acceptor(), stopped)
                }
                None => spawn_serving(listener, api.clone(), &api, security.acceptor(), stopped),
            },
            None => spawn_serving(listener, api.clone(), &api, PlainTcp, stopped),
        };
        let compaction = Shutdown::new();
        let compactor = (
            compaction.clone(),
            start_compactor(Arc::clone(&store), options.compaction_interval, compaction),
        );
        let identity = identity();
        let clients = Clients::new(&api, security.as_ref());
        let controllers = start_controller_manager(ControllerManagerConfig {
            clients: clients.clone(),
            ca_bundle: security.as_ref().map(|s| Arc::from(s.ca_pem())),
            identity: identity.clone(),
            pool: pool.clone(),
        });
        let scheduler = start_scheduler(&clients, &identity, pool.as_ref());
        let nodes = if options.nodes == 0 {
            None
        } else {
            let client = clients.client(Identity::Admin, "default");
            let root = options.data_dir.join("nodes");
            let mut nodes = SimCluster::builder(client, root, options.nodes).registry(registry);
            if let Some(pool) = &pool {
                nodes = nodes.object_pool(pool.clone());
            }
            if clients.secure() {
                let clients = clients.clone();
                nodes = nodes.node_clients(Arc::new(move |node: &str| {
                    clients.client(Identity::Node(node), "default")
                }));
            }
            Some(nodes.start().await?)
        };
        Ok(Cluster {
            addr,
            server_url,
            kubeconfig,
            store,
            api,
            clients,
            security,
            stop,
            serving,
            controllers,
            scheduler,
            nodes,
            compactor,
            pool,
        })
    }

    /// The pool the components' informers share decoded objects through, if any.
    pub fn object_pool(&self) -> Option<&ObjectPool> {
        self.pool.as_ref()
    }

    /// The address the API server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL clients reach it at (`http://127.0.0.1:6443`).
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The kubeconfig written for `kubectl`.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The store the API server runs on.
    pub fn store(&self) -> &Arc<dyn Storage> {
        &self.store
    }

    /// The API server (for in-process clients; on a secure cluster a request without an
    /// in-process identity is anonymous and refused: use [`Cluster::client`]).
    pub fn api(&self) -> &ApiServer {
        &self.api
    }

    /// An in-process client of the cluster in `namespace`, acting as the cluster admin
    /// (`system:masters`).
    pub fn client(&self, namespace: &str) -> kube::Client {
        self.clients.client(Identity::Admin, namespace)
    }

    /// Whether the cluster serves HTTPS with authentication, RBAC and admission.
    pub fn is_secure(&self) -> bool {
        self.security.is_some()
    }

    /// The cluster CA bundle (PEM), on a secure cluster.
    pub fn ca_pem(&self) -> Option<&str> {
        self.security.as_ref().map(ClusterSecurity::ca_pem)
    }

    /// Stops the nodes, the scheduler and the controller manager (their Leases
    /// released), then serving: ends the
    /// watches, lets requests in flight finish, closes the connections, and returns once
    /// the server has stopped.
    pub async fn stop(self) -> Result<(), UpError> {
        if let Some(nodes) = self.nodes {
            nodes.shutdown();
        }
        self.compactor.0.trigger();
        let _ = self.compactor.1.await;
        let scheduled = self.scheduler.stop().await;
        let managed = self.controllers.stop().await.and(scheduled);
        let _ = self.stop.send(());
        let served = match self.serving.await {
            Ok(result) => result.map_err(UpError::Serve),
            Err(join) => Err(UpError::Serve(io::Error::other(join))),
        };
        if let Some(security) = &self.security {
            security.shutdown().await;
        }
        managed.and(served)
    }
}

/// Serves `service` (the API server `api`, perhaps audited) on `listener` through
/// `acceptor` until `stopped` fires (or its sender is dropped with the [`Cluster`]); then
/// every watch of `api` ends first so that connections can finish gracefully. The API
/// server applies request deadlines itself (60 s, or `?timeout=`).
fn spawn_serving<S, A>(
    listener: TcpListener,
    service: S,
    api: &ApiServer,
    acceptor: A,
    stopped: oneshot::Receiver<()>,
) -> JoinHandle<io::Result<()>>
where
    S: tower::Service<
            http::Request<hyper::body::Incoming>,
            Response = http::Response<capstan_apiserver_core::server::Body>,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    A: Acceptor,
{
    let watches = api.clone();
    tokio::spawn(serve::serve(listener, service, acceptor, async move {
        let _ = stopped.await;
        watches.shutdown();
    }))
}
