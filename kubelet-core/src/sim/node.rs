//! A whole simulated node: a [`NodeAgent`] over a [`SimRuntime`] and a [`SimNetwork`].

use super::{SimConfig, SimNetwork, SimRuntime};
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
}

/// Builds a [`SimNode`].
pub struct SimNodeBuilder {
    agent: AgentConfig,
    sim: SimConfig,
    volume_root: PathBuf,
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
    /// A node writing volumes under `volume_root` and reporting to `status`.
    pub fn new(
        node: NodeConfig,
        volume_root: impl Into<PathBuf>,
        status: Arc<dyn StatusSink>,
    ) -> Self {
        Self {
            agent: AgentConfig::new(node),
            sim: SimConfig::default(),
            volume_root: volume_root.into(),
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

    /// Container log root (CRI log files are written under it).
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
        let runtime = SimRuntime::new(node.name.clone(), self.sim, self.clock.clone());
        let network = Arc::new(SimNetwork::new(&node.pod_cidr)?);
        let deps = NodeDeps {
            runtime: runtime.clone(),
            images: runtime.clone(),
            network: Some(network.clone()),
            probe_network: runtime.clone(),
            volumes: VolumeManager::with_in_tree(self.volume_root, self.config, self.tokens),
            status: self.status,
            clock: self.clock,
        };
        Ok(SimNode { agent: NodeAgent::new(self.agent, deps), runtime, network })
    }
}
