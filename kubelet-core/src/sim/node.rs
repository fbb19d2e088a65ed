//! A whole simulated node: a [`NodeAgent`] over a [`SimRuntime`] and a [`SimNetwork`].

use super::{LogStorage, SimConfig, SimNetwork, SimRuntime, VolumeStorage};
use crate::agent::{AgentConfig, NodeAgent, NodeDeps};
use crate::clock::{Clock, TokioClock};
use crate::ipam::IpamError;
use crate::node_status::NodeConfig;
use crate::source::{
    ConfigSource, MemoryConfigSource, StatusSink, TokenSource, UnsignedTokenSource,
};
use crate::volumes::VolumeManager;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A simulated node and handles on its parts.
#[derive(Debug, Clone)]
pub struct SimNode {
    /// The agent.
    pub agent: NodeAgent,
    /// Its runtime (CRI runtime, image service and probe answers).
    pub runtime: Arc<SimRuntime>,
    /// Its network plugin.
    pub network: Arc<SimNetwork>,
    /// Where its volumes' files are.
    pub volume_storage: VolumeStorage,
    /// Where its containers' logs are.
    pub log_storage: LogStorage,
}

/// Builds a [`SimNode`].
pub struct SimNodeBuilder {
    agent: AgentConfig,
    sim: SimConfig,
    volume_root: PathBuf,
    volume_storage: VolumeStorage,
    log_storage: LogStorage,
    status: Arc<dyn StatusSink>,
    config: Arc<dyn ConfigSource>,
    tokens: Arc<dyn TokenSource>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SimNodeBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimNodeBuilder").field("agent", &self.agent).finish_non_exhaustive()
    }
}

impl SimNodeBuilder {
    /// A node with volume directories under `volume_root`, reporting to `status`; its
    /// volumes' files are kept in memory unless [`Self::volume_storage`] says otherwise.
    pub fn new(
        node: NodeConfig,
        volume_root: impl Into<PathBuf>,
        status: Arc<dyn StatusSink>,
    ) -> Self {
        Self {
            agent: AgentConfig::new(node),
            sim: SimConfig::default(),
            volume_root: volume_root.into(),
            volume_storage: VolumeStorage::memory(),
            log_storage: LogStorage::memory(),
            status,
            config: MemoryConfigSource::new(),
            tokens: Arc::new(UnsignedTokenSource),
            clock: Arc::new(TokioClock::new()),
        }
    }

    /// Runtime settings.
    pub fn sim_config(mut self, sim: SimConfig) -> Self {
        self.sim = sim;
        self
    }

    /// Where the volumes' files go: [`VolumeStorage::Memory`] (the default, a new store
    /// per builder) or [`VolumeStorage::Disk`] (real files under the volume root).
    pub fn volume_storage(mut self, storage: VolumeStorage) -> Self {
        self.volume_storage = storage;
        self
    }

    /// Source of ConfigMaps and Secrets.
    pub fn config_source(mut self, config: Arc<dyn ConfigSource>) -> Self {
        self.config = config;
        self
    }

    /// Source of service-account tokens.
    pub fn token_source(mut self, tokens: Arc<dyn TokenSource>) -> Self {
        self.tokens = tokens;
        self
    }

    /// Where the containers' logs go: [`LogStorage::Memory`] (the default, a new store per
    /// builder) or [`LogStorage::Disk`] (real files under the log root).
    pub fn log_storage(mut self, storage: LogStorage) -> Self {
        self.log_storage = storage;
        self
    }

    /// Container log root (CRI logs are kept under it, in [`Self::log_storage`]).
    pub fn log_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.agent.log_root = Some(root.into());
        self
    }

    /// PLEG relist period.
    pub fn pleg_period(mut self, period: Duration) -> Self {
        self.agent.pleg_period = period;
        self
    }

    /// Node status period (how often the agent reports the node's status).
    pub fn node_status_period(mut self, period: Duration) -> Self {
        self.agent.node_status_period = period;
        self
    }

    /// How often an unchanged node status is written anyway.
    pub fn node_status_report_period(mut self, period: Duration) -> Self {
        self.agent.node_status_report_period = period;
        self
    }

    /// The clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the node (nothing runs until the agent does).
    pub fn build(self) -> Result<SimNode, IpamError> {
        let node = &self.agent.node;
        let logs = self.log_storage.logs();
        let runtime =
            SimRuntime::with_logs(node.name.clone(), self.sim, self.clock.clone(), logs.clone());
        let network = Arc::new(SimNetwork::new(&node.pod_cidr)?);
        let deps = NodeDeps {
            runtime: runtime.clone(),
            images: runtime.clone(),
            network: Some(network.clone()),
            probe_network: runtime.clone(),
            volumes: VolumeManager::with_in_tree(self.volume_root, self.config, self.tokens)
                .with_files(self.volume_storage.files()),
            logs,
            status: self.status,
            clock: self.clock,
        };
        let agent = NodeAgent::new(self.agent, deps);
        let (volume_storage, log_storage) = (self.volume_storage, self.log_storage);
        Ok(SimNode { agent, runtime, network, volume_storage, log_storage })
    }
}
