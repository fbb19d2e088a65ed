//! [`SimCluster`]: N simulated nodes (`node-1`, `node-2`, … with podCIDRs
//! `10.244.<i>.0/24`, and `10.<i / 256>.<i % 256>.0/24` from node 256 on) connected to one
//! API server through one shared client or a client per node, with shutdown.

use super::ApiError;
use super::config::{ApiConfigSource, ApiTokenSource, OpaqueTokenSource};
use super::logs::{NodeLogs, NodeRegistry};
use super::node::{NodeRegistration, RegistrationConfig};
use super::pods::ApiPodSource;
use super::status::ApiStatusSink;
use crate::node_status::NodeConfig;
use crate::sim::{LogStorage, SimConfig, SimNode, SimNodeBuilder, VolumeStorage};
use crate::source::{ConfigSource, TokenSource};
use capstan_controller_runtime::Shutdown;
use capstan_controller_runtime::informer::ObjectPool;
use futures::{StreamExt, TryStreamExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Makes the client node `name` talks to the API server with (its own credentials,
/// `system:node:<name>` in `system:nodes`, as a kubelet's client certificate gives it).
pub type NodeClients = Arc<dyn Fn(&str) -> kube::Client + Send + Sync>;

/// How the nodes reach the API server: all through the shared client (with a shared
/// ConfigMap and Secret cache), or each through its own client.
enum NodeAccess {
    /// The shared client and one cache for every node.
    Shared(Arc<ApiConfigSource>),
    /// A client per node.
    PerNode(NodeClients),
}

/// Builds a [`SimCluster`].
pub struct SimClusterBuilder {
    client: kube::Client,
    node_clients: Option<NodeClients>,
    root: PathBuf,
    nodes: usize,
    registry: NodeRegistry,
    registration: RegistrationConfig,
    sim: SimConfig,
    volume_storage: VolumeStorage,
    log_storage: LogStorage,
    pleg_period: Duration,
    node_status_period: Duration,
    node_status_report_period: Duration,
    object_pool: Option<ObjectPool>,
}

/// How many nodes register with the API server at the same time.
const PARALLEL_REGISTRATIONS: usize = 16;

/// One running node of a [`SimCluster`].
#[derive(Debug)]
pub struct ClusterNode {
    /// The node's name.
    pub name: String,
    /// The node's configuration.
    pub config: NodeConfig,
    /// The simulated node (agent, runtime, network).
    pub sim: SimNode,
    /// Its status sink (write counters).
    pub status: Arc<ApiStatusSink>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Simulated nodes running against an API server.
#[derive(Debug)]
pub struct SimCluster {
    nodes: Vec<ClusterNode>,
    registry: NodeRegistry,
    volume_storage: VolumeStorage,
    log_storage: LogStorage,
    shutdown: Shutdown,
}

impl std::fmt::Debug for SimClusterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimClusterBuilder").field("nodes", &self.nodes).finish_non_exhaustive()
    }
}

impl SimClusterBuilder {
    /// `nodes` nodes on `client`, with their volume and log directories under `root` and
    /// their volumes' files and containers' logs in memory (see [`Self::volume_storage`]
    /// and [`Self::log_storage`]).
    pub fn new(client: kube::Client, root: impl Into<PathBuf>, nodes: usize) -> Self {
        Self {
            client,
            node_clients: None,
            root: root.into(),
            nodes,
            registry: NodeRegistry::new(),
            registration: RegistrationConfig::default(),
            sim: SimConfig::default(),
            volume_storage: VolumeStorage::memory(),
            log_storage: LogStorage::memory(),
            pleg_period: Duration::from_secs(1),
            node_status_period: Duration::from_secs(10),
            node_status_report_period: Duration::from_secs(300),
            object_pool: None,
        }
    }

    /// The registry the nodes join (give the same one to the API server's
    /// [`super::NodeLogProxy`] to serve `pods/log`).
    pub fn registry(mut self, registry: NodeRegistry) -> Self {
        self.registry = registry;
        self
    }

    /// Gives every node its own client: its pods, status, Node, Lease, the ConfigMaps and
    /// Secrets its volumes need (read one by one, no shared cache) and its service-account
    /// tokens (from TokenRequest) all go through it, so a Node authorizer confines each
    /// node to its own objects. The shared client then only checks the `kube-node-lease`
    /// namespace. Without this, every node uses the shared client, a shared ConfigMap and
    /// Secret cache and unsigned placeholder tokens.
    pub fn node_clients(mut self, clients: NodeClients) -> Self {
        self.node_clients = Some(clients);
        self
    }

    /// Labels and Lease settings.
    pub fn registration(mut self, registration: RegistrationConfig) -> Self {
        self.registration = registration;
        self
    }

    /// Simulated runtime settings.
    pub fn sim_config(mut self, sim: SimConfig) -> Self {
        self.sim = sim;
        self
    }

    /// Where the nodes keep their volumes' files (the projected `kube-api-access` token of
    /// every pod, configMaps, secrets, …). The default, [`VolumeStorage::Memory`], is one
    /// in-memory store shared by every node (keyed by pod UID and volume, read back with
    /// [`SimCluster::volume_storage`]) and costs no disk I/O per pod;
    /// [`VolumeStorage::Disk`] writes real files under `<root>/<node>/pods`, as real
    /// kubelets do.
    pub fn volume_storage(mut self, storage: VolumeStorage) -> Self {
        self.volume_storage = storage;
        self
    }

    /// Where the nodes keep their containers' logs (served by `pods/log` either way). The
    /// default, [`LogStorage::Memory`], is one in-memory store shared by every node and
    /// costs no disk I/O per container; [`LogStorage::Disk`] writes real files under
    /// `<root>/<node>/logs`, as CRI runtimes do.
    pub fn log_storage(mut self, storage: LogStorage) -> Self {
        self.log_storage = storage;
        self
    }

    /// PLEG relist period (1 s).
    pub fn pleg_period(mut self, period: Duration) -> Self {
        self.pleg_period = period;
        self
    }

    /// Node status period (10 s).
    pub fn node_status_period(mut self, period: Duration) -> Self {
        self.node_status_period = period;
        self
    }

    /// How often an unchanged node status is written anyway (5 min); the Lease is the
    /// heartbeat in between.
    pub fn node_status_report_period(mut self, period: Duration) -> Self {
        self.node_status_report_period = period;
        self
    }

    /// Shares the pods the nodes' informers decode through `pool` (with each other and
    /// with the other informers of the process on the same pool) instead of each node
    /// keeping its own copies.
    pub fn object_pool(mut self, pool: ObjectPool) -> Self {
        self.object_pool = Some(pool);
        self
    }

    /// The configuration of node `i` (1-based): pod CIDR `10.244.<i>.0/24` up to node 255,
    /// then `10.<i / 256>.<i % 256>.0/24` (below `10.244.0.0/16`, apart from the nodes'
    /// own `10.0.0.0/16` addresses) up to node 62,463.
    pub fn node_config(i: usize) -> NodeConfig {
        let pod_cidr = if i < 256 {
            format!("10.244.{i}.0/24")
        } else {
            format!("10.{}.{}.0/24", i / 256, i % 256)
        };
        NodeConfig::new(format!("node-{i}"), format!("10.0.{}.{}", i / 250, i % 250 + 1), pod_cidr)
    }

    /// Starts node `i`: its pod informer, its agent, then registers it and starts its
    /// Lease loop.
    async fn start_node(
        &self,
        i: usize,
        shared: &NodeRegistration,
        access: &NodeAccess,
        shutdown: &Shutdown,
    ) -> Result<ClusterNode, ApiError> {
        let nc = Self::node_config(i);
        let name = nc.name.clone();
        let log_root = self.root.join(&name).join("logs");
        let (client, config, tokens, own_registration): (
            kube::Client,
            Arc<dyn ConfigSource>,
            Arc<dyn TokenSource>,
            Option<NodeRegistration>,
        ) = match access {
            NodeAccess::PerNode(clients) => {
                let own = clients(&name);
                (
                    own.clone(),
                    ApiConfigSource::direct(own.clone()),
                    Arc::new(ApiTokenSource::new(own.clone())),
                    Some(NodeRegistration::new(own, self.registration.clone())),
                )
            }
            NodeAccess::Shared(config) => {
                (self.client.clone(), config.clone(), Arc::new(OpaqueTokenSource), None)
            }
        };
        let registration = own_registration.as_ref().unwrap_or(shared);
        let source =
            ApiPodSource::start_sharing(client.clone(), &name, self.object_pool.as_ref(), shutdown);
        let status = ApiStatusSink::new(client, Some(source.store()));
        let sim =
            SimNodeBuilder::new(nc.clone(), self.root.join(&name).join("pods"), status.clone())
                .config_source(config)
                .token_source(tokens)
                .log_root(&log_root)
                .pleg_period(self.pleg_period)
                .node_status_period(self.node_status_period)
                .node_status_report_period(self.node_status_report_period)
                .sim_config(self.sim.clone())
                .volume_storage(self.volume_storage.clone())
                .log_storage(self.log_storage.clone())
                .build()
                .map_err(|source| ApiError::Build { node: name.clone(), source })?;
        registration.register(&sim.agent, &nc).await?;
        let lease = registration.spawn_lease_loop(&name, shutdown);
        let logs =
            NodeLogs { log_root, runtime: sim.runtime.clone(), logs: sim.log_storage.logs() };
        self.registry.insert(&name, logs);
        let agent = tokio::spawn(sim.agent.clone().run(source));
        Ok(ClusterNode { name, config: nc, sim, status, tasks: vec![lease, agent] })
    }

    /// Registers and starts every node (a few at a time).
    pub async fn start(self) -> Result<SimCluster, ApiError> {
        let shutdown = Shutdown::new();
        let registration = NodeRegistration::new(self.client.clone(), self.registration.clone());
        registration.ensure_lease_namespace().await?;
        let access = match &self.node_clients {
            Some(clients) => NodeAccess::PerNode(clients.clone()),
            None => NodeAccess::Shared(ApiConfigSource::start(self.client.clone(), &shutdown)),
        };
        let this = &self;
        let (registration, access, stop) = (&registration, &access, &shutdown);
        let started: Result<Vec<ClusterNode>, ApiError> = futures::stream::iter(1..=self.nodes)
            .map(|i| async move { this.start_node(i, registration, access, stop).await })
            .buffer_unordered(PARALLEL_REGISTRATIONS)
            .try_collect()
            .await;
        let mut nodes = match started {
            Ok(nodes) => nodes,
            Err(e) => {
                // The nodes already started stop with their informers.
                shutdown.trigger();
                return Err(e);
            }
        };
        nodes.sort_by_key(|n| n.config.name.trim_start_matches("node-").parse::<usize>().ok());
        Ok(SimCluster {
            nodes,
            registry: self.registry,
            volume_storage: self.volume_storage,
            log_storage: self.log_storage,
            shutdown,
        })
    }
}

impl SimCluster {
    /// A builder.
    pub fn builder(
        client: kube::Client,
        root: impl Into<PathBuf>,
        nodes: usize,
    ) -> SimClusterBuilder {
        SimClusterBuilder::new(client, root, nodes)
    }

    /// The running nodes.
    pub fn nodes(&self) -> &[ClusterNode] {
        &self.nodes
    }

    /// Where the nodes keep their volumes' files.
    pub fn volume_storage(&self) -> &VolumeStorage {
        &self.volume_storage
    }

    /// Where the nodes keep their containers' logs.
    pub fn log_storage(&self) -> &LogStorage {
        &self.log_storage
    }

    /// A node by name.
    pub fn node(&self, name: &str) -> Option<&ClusterNode> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// Stops every node: informers and Lease loops end, agents are stopped and the nodes
    /// leave the registry.
    pub fn shutdown(self) {
        self.shutdown.trigger();
        for node in self.nodes {
            self.registry.remove(&node.name);
            for t in node.tasks {
                t.abort();
            }
        }
    }
}
