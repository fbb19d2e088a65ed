//! The node agent: pod workers by UID, the PLEG loop and node status, fed by a
//! [`PodSource`] and reporting to a [`StatusSink`].

use crate::clock::Clock;
use crate::cni::NetworkPlugin;
use crate::container_logs::ContainerLogs;
use crate::cri::{ImageService, RuntimeService, v1};
use crate::node_status::{NodeConfig, NodeRuntimeInfo, Pressure, node_status};
use crate::pleg::GenericPleg;
use crate::pod_worker::{self, MailboxSender, WorkerMsg};
use crate::probe::{ProbeNetwork, Prober};
use crate::source::{PodEvent, PodKey, PodSource, StatusSink};
use crate::volumes::VolumeManager;
use k8s_openapi::api::core::v1::{NodeStatus, Pod};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What a node agent runs with.
pub struct NodeDeps {
    /// CRI runtime service.
    pub runtime: Arc<dyn RuntimeService>,
    /// CRI image service.
    pub images: Arc<dyn ImageService>,
    /// CNI plugin; `None` when the runtime sets up the network itself (containerd, CRI-O).
    pub network: Option<Arc<dyn NetworkPlugin>>,
    /// Network checks for probes.
    pub probe_network: Arc<dyn ProbeNetwork>,
    /// Volume plugins.
    pub volumes: VolumeManager,
    /// The node's container logs (the kubelet removes a pod's with the pod).
    pub logs: Arc<dyn ContainerLogs>,
    /// Where status goes.
    pub status: Arc<dyn StatusSink>,
    /// Wall clock for timestamps.
    pub clock: Arc<dyn Clock>,
}

/// Settings of a node agent.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The node.
    pub node: NodeConfig,
    /// PLEG relist period (1 s).
    pub pleg_period: Duration,
    /// Node status period (10 s): how often the status is computed, and written when it
    /// changed.
    pub node_status_period: Duration,
    /// How often an unchanged node status is written anyway (5 min, the kubelet's
    /// `nodeStatusReportFrequency`; the Lease is the heartbeat in between).
    pub node_status_report_period: Duration,
    /// Container log root (`/var/log/pods`); `None`: no log directory.
    pub log_root: Option<PathBuf>,
}

impl AgentConfig {
    /// Defaults for a node.
    pub fn new(node: NodeConfig) -> Self {
        Self {
            node,
            pleg_period: Duration::from_secs(1),
            node_status_period: Duration::from_secs(10),
            node_status_report_period: Duration::from_secs(300),
            log_root: None,
        }
    }
}

/// State shared by a node's pod workers.
pub struct NodeContext {
    /// The node.
    pub node: NodeConfig,
    /// CRI runtime service.
    pub runtime: Arc<dyn RuntimeService>,
    /// CRI image service.
    pub images: Arc<dyn ImageService>,
    /// CNI plugin.
    pub network: Option<Arc<dyn NetworkPlugin>>,
    /// Prober.
    pub prober: Prober,
    /// Volumes.
    pub volumes: VolumeManager,
    /// Container logs.
    pub logs: Arc<dyn ContainerLogs>,
    /// Status sink.
    pub status: Arc<dyn StatusSink>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// Container log root.
    pub log_root: Option<PathBuf>,
    workers: Mutex<HashMap<String, MailboxSender>>,
}

impl std::fmt::Debug for NodeContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeContext").field("node", &self.node.name).finish_non_exhaustive()
    }
}

impl NodeContext {
    pub(crate) fn forget(&self, uid: &str) {
        self.workers.lock().remove(uid);
    }
}

/// Whether two node statuses differ only in their conditions' heartbeat times (the
/// kubelet writes such a status only every report period).
fn same_but_heartbeats(a: &NodeStatus, b: &NodeStatus) -> bool {
    let strip = |s: &NodeStatus| {
        let mut s = s.clone();
        for c in s.conditions.iter_mut().flatten() {
            c.last_heartbeat_time = None;
        }
        s
    };
    strip(a) == strip(b)
}

/// One node's agent.
#[derive(Debug, Clone)]
pub struct NodeAgent {
    ctx: Arc<NodeContext>,
    config: Arc<AgentConfig>,
}

impl NodeAgent {
    /// An agent; nothing runs until [`NodeAgent::run`] or [`NodeAgent::apply`].
    pub fn new(config: AgentConfig, deps: NodeDeps) -> Self {
        let ctx = NodeContext {
            node: config.node.clone(),
            prober: Prober::new(deps.runtime.clone(), deps.probe_network),
            runtime: deps.runtime,
            images: deps.images,
            network: deps.network,
            volumes: deps.volumes,
            logs: deps.logs,
            status: deps.status,
            clock: deps.clock,
            log_root: config.log_root.clone(),
            workers: Mutex::new(HashMap::new()),
        };
        Self { ctx: Arc::new(ctx), config: Arc::new(config) }
    }

    /// The node's name.
    pub fn node_name(&self) -> &str {
        &self.config.node.name
    }

    /// Number of pods with a live worker.
    pub fn pod_count(&self) -> usize {
        self.ctx.workers.lock().len()
    }

    /// Applies one pod change: starts a worker for a new pod, updates or terminates an
    /// existing one.
    pub fn apply(&self, event: PodEvent) {
        match event {
            PodEvent::Upsert(pod) => self.upsert(pod),
            PodEvent::Delete { pod, grace_period_seconds } => {
                let uid = pod.metadata.uid.as_deref().unwrap_or_default();
                match self.ctx.workers.lock().get(uid) {
                    Some(tx) => tx.send(WorkerMsg::Delete(grace_period_seconds)),
                    None => {
                        let status = self.ctx.status.clone();
                        let key = PodKey::of(&pod);
                        tokio::spawn(async move { status.pod_terminated(&key).await });
                    }
                }
            }
        }
    }

    fn upsert(&self, pod: Arc<Pod>) {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let mut workers = self.ctx.workers.lock();
        match workers.get(&uid) {
            Some(tx) => tx.send(WorkerMsg::Update(pod)),
            None => {
                let tx = pod_worker::spawn(self.ctx.clone(), pod);
                workers.insert(uid, tx);
            }
        }
    }

    /// Starts the PLEG and node-status loops in the background.
    pub fn start_background(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut pleg = GenericPleg::new(this.ctx.runtime.clone(), this.config.pleg_period);
            let mut pleg_tick = tokio::time::interval(this.config.pleg_period);
            let mut status_tick = tokio::time::interval(this.config.node_status_period);
            pleg_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            status_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut previous: Option<NodeStatus> = None;
            let mut reported: Option<(NodeStatus, tokio::time::Instant)> = None;
            loop {
                tokio::select! {
                    _ = pleg_tick.tick() => {
                        let events = pleg.relist().await;
                        let workers = this.ctx.workers.lock();
                        let mut seen = std::collections::HashSet::new();
                        for e in events {
                            if seen.insert(e.pod_uid().to_owned()) {
                                if let Some(tx) = workers.get(e.pod_uid()) {
                                    tx.send(WorkerMsg::Pleg);
                                }
                            }
                        }
                    }
                    _ = status_tick.tick() => {
                        let status = this.node_status(previous.as_ref()).await;
                        let now = tokio::time::Instant::now();
                        let due = reported.as_ref().is_none_or(|(last, at)| {
                            now.duration_since(*at) >= this.config.node_status_report_period
                                || !same_but_heartbeats(last, &status)
                        });
                        if due {
                            this.ctx.status.node_status(this.node_name(), status.clone()).await;
                            reported = Some((status.clone(), now));
                        }
                        previous = Some(status);
                    }
                }
            }
        })
    }

    /// Computes the node's status now.
    pub async fn node_status(&self, previous: Option<&NodeStatus>) -> NodeStatus {
        let version = self.ctx.runtime.version(v1::VersionRequest::default()).await.ok();
        let images = self
            .ctx
            .images
            .list_images(v1::ListImagesRequest::default())
            .await
            .map(|r| {
                r.images
                    .into_iter()
                    .map(|i| {
                        let names = i.repo_digests.into_iter().chain(i.repo_tags).collect();
                        (names, i.size as i64)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let info = NodeRuntimeInfo {
            runtime_ready: version.is_some(),
            runtime_version: version
                .map(|v| format!("{}://{}", v.runtime_name, v.runtime_version))
                .unwrap_or_default(),
            images,
            pressure: Pressure::from_memory_use(&self.config.node, self.memory_in_use().await),
        };
        node_status(&self.config.node, &info, previous, self.ctx.clock.now())
    }

    /// Memory working set of every ready sandbox, from the runtime's stats.
    pub async fn memory_in_use(&self) -> i64 {
        let rt = &self.ctx.runtime;
        let Ok(list) = rt.list_pod_sandbox(v1::ListPodSandboxRequest::default()).await else {
            return 0;
        };
        let mut used = 0i64;
        for sb in
            list.items.into_iter().filter(|s| s.state == v1::PodSandboxState::SandboxReady as i32)
        {
            if let Ok(r) =
                rt.pod_sandbox_stats(v1::PodSandboxStatsRequest { pod_sandbox_id: sb.id }).await
            {
                used += r
                    .stats
                    .and_then(|s| s.linux)
                    .and_then(|l| l.memory)
                    .and_then(|m| m.working_set_bytes)
                    .map_or(0, |v| v.value as i64);
            }
        }
        used
    }

    /// Runs the agent: background loops plus every event of `source` until it closes.
    pub async fn run(self, mut source: impl PodSource) {
        let background = self.start_background();
        while let Some(event) = source.next().await {
            self.apply(event);
        }
        background.abort();
    }
}
