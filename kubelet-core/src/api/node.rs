//! [`NodeRegistration`]: creates the Node object (labels, addresses, capacity and
//! allocatable, podCIDR) and renews the node's Lease `kube-node-lease/<node>`.

use super::{ApiError, is_code};
use crate::agent::NodeAgent;
use crate::node_status::NodeConfig;
use capstan_controller_runtime::Shutdown;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Namespace, Node, NodeSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

/// The namespace holding node Leases.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

/// How a node registers and heartbeats.
#[derive(Debug, Clone)]
pub struct RegistrationConfig {
    /// `kubernetes.io/arch` (`amd64`).
    pub arch: String,
    /// `node.kubernetes.io/instance-type`, when known.
    pub instance_type: Option<String>,
    /// Extra labels.
    pub labels: BTreeMap<String, String>,
    /// Lease renew interval (10 s, the kubelet's default).
    pub lease_renew_interval: Duration,
    /// `leaseDurationSeconds` (40, the kubelet's default).
    pub lease_duration_seconds: i32,
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        Self {
            arch: "amd64".into(),
            instance_type: None,
            labels: BTreeMap::new(),
            lease_renew_interval: Duration::from_secs(10),
            lease_duration_seconds: 40,
        }
    }
}

/// Registers a node and keeps its Lease fresh. Node status itself is written by the
/// agent's status loop through [`super::ApiStatusSink`].
#[derive(Clone)]
pub struct NodeRegistration {
    client: kube::Client,
    config: RegistrationConfig,
}

impl std::fmt::Debug for NodeRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeRegistration").field("config", &self.config).finish_non_exhaustive()
    }
}

fn now() -> MicroTime {
    MicroTime(Timestamp::now())
}

impl NodeRegistration {
    /// Registration on `client`.
    pub fn new(client: kube::Client, config: RegistrationConfig) -> Self {
        Self { client, config }
    }

    /// The Node object for `node` (status filled by the caller).
    pub fn node_object(&self, node: &NodeConfig) -> Node {
        let mut labels = self.config.labels.clone();
        labels.insert("kubernetes.io/hostname".into(), node.name.clone());
        labels.insert("kubernetes.io/os".into(), "linux".into());
        labels.insert("kubernetes.io/arch".into(), self.config.arch.clone());
        if let Some(t) = &self.config.instance_type {
            labels.insert("node.kubernetes.io/instance-type".into(), t.clone());
        }
        let cidr = (!node.pod_cidr.is_empty()).then(|| node.pod_cidr.clone());
        Node {
            metadata: ObjectMeta {
                name: Some(node.name.clone()),
                labels: Some(labels),
                ..ObjectMeta::default()
            },
            spec: Some(NodeSpec {
                pod_cidrs: cidr.clone().map(|c| vec![c]),
                pod_cidr: cidr,
                ..NodeSpec::default()
            }),
            status: None,
        }
    }

    /// Creates the Node (or, if it exists, merges its labels) and writes its first status
    /// (addresses, capacity, allocatable, conditions, nodeInfo).
    pub async fn register(&self, agent: &NodeAgent, node: &NodeConfig) -> Result<Node, ApiError> {
        let nodes: Api<Node> = Api::all(self.client.clone());
        let object = self.node_object(node);
        match nodes.create(&PostParams::default(), &object).await {
            Ok(_) => {}
            Err(e) if is_code(&e, 409) => {
                let patch = json!({ "metadata": { "labels": object.metadata.labels } });
                nodes
                    .patch(&node.name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map_err(|e| ApiError::request(format!("updating node {}", node.name), e))?;
            }
            Err(e) => return Err(ApiError::request(format!("creating node {}", node.name), e)),
        }
        let status = agent.node_status(None).await;
        let patch = json!({ "status": status });
        nodes
            .patch_status(&node.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| ApiError::request(format!("writing status of node {}", node.name), e))
    }

    /// Waits until the Node has `spec.podCIDR` (set by the node IPAM controller when the
    /// node registered without one), polling every 100 ms up to `timeout`.
    pub async fn wait_for_pod_cidr(
        &self,
        name: &str,
        timeout: Duration,
    ) -> Result<Option<String>, ApiError> {
        let nodes: Api<Node> = Api::all(self.client.clone());
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let node = nodes
                .get(name)
                .await
                .map_err(|e| ApiError::request(format!("reading node {name}"), e))?;
            if let Some(cidr) = node.spec.and_then(|s| s.pod_cidr).filter(|c| !c.is_empty()) {
                return Ok(Some(cidr));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Makes sure `kube-node-lease` exists (the API server bootstraps it; a server started
    /// without bootstrap gets it created here).
    pub async fn ensure_lease_namespace(&self) -> Result<(), ApiError> {
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        match namespaces.get(NODE_LEASE_NAMESPACE).await {
            Ok(_) => return Ok(()),
            Err(e) if is_code(&e, 404) => {}
            Err(e) => return Err(ApiError::request("reading namespace kube-node-lease", e)),
        }
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(NODE_LEASE_NAMESPACE.into()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        match namespaces.create(&PostParams::default(), &ns).await {
            Ok(_) => Ok(()),
            Err(e) if is_code(&e, 409) => Ok(()),
            Err(e) => Err(ApiError::request("creating namespace kube-node-lease", e)),
        }
    }

    /// Creates or renews the node's Lease once (`renewTime` = now), owned by the Node.
    pub async fn renew_lease(&self, node: &str) -> Result<Lease, ApiError> {
        let leases: Api<Lease> = Api::namespaced(self.client.clone(), NODE_LEASE_NAMESPACE);
        match leases.get(node).await {
            Ok(mut lease) => {
                let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
                spec.holder_identity = Some(node.to_owned());
                spec.lease_duration_seconds = Some(self.config.lease_duration_seconds);
                spec.renew_time = Some(now());
                leases
                    .replace(node, &PostParams::default(), &lease)
                    .await
                    .map_err(|e| ApiError::request(format!("renewing lease {node}"), e))
            }
            Err(e) if is_code(&e, 404) => {
                let nodes: Api<Node> = Api::all(self.client.clone());
                let owner = nodes.get(node).await.ok().and_then(|n| {
                    Some(OwnerReference {
                        api_version: "v1".into(),
                        kind: "Node".into(),
                        name: node.to_owned(),
                        uid: n.metadata.uid?,
                        ..OwnerReference::default()
                    })
                });
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(node.to_owned()),
                        namespace: Some(NODE_LEASE_NAMESPACE.into()),
                        owner_references: owner.map(|o| vec![o]),
                        ..ObjectMeta::default()
                    },
                    spec: Some(LeaseSpec {
                        holder_identity: Some(node.to_owned()),
                        lease_duration_seconds: Some(self.config.lease_duration_seconds),
                        renew_time: Some(now()),
                        ..LeaseSpec::default()
                    }),
                };
                leases
                    .create(&PostParams::default(), &lease)
                    .await
                    .map_err(|e| ApiError::request(format!("creating lease {node}"), e))
            }
            Err(e) => Err(ApiError::request(format!("reading lease {node}"), e)),
        }
    }

    /// Renews a Lease as last written by this node (`renewTime` = now) with one update,
    /// without reading it first, as the kubelet's lease controller does; `None` when the
    /// update failed (a conflict, or the Lease is gone) and a fresh read is needed.
    pub async fn renew_cached_lease(&self, node: &str, mut lease: Lease) -> Option<Lease> {
        let leases: Api<Lease> = Api::namespaced(self.client.clone(), NODE_LEASE_NAMESPACE);
        lease.spec.get_or_insert_with(LeaseSpec::default).renew_time = Some(now());
        leases.replace(node, &PostParams::default(), &lease).await.ok()
    }

    /// Creates the Lease now, then renews it every renew interval until `shutdown` fires
    /// (failures are logged and retried at the next tick). Renewals of different nodes are
    /// spread over the interval by a fixed offset derived from the node's name, so that
    /// many nodes started together do not all write at the same instant.
    pub fn spawn_lease_loop(&self, node: &str, shutdown: &Shutdown) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        let node = node.to_owned();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let interval = this.config.lease_renew_interval;
            let mut last: Option<Lease> = None;
            let mut first = true;
            let start = tokio::time::Instant::now() + spread(&node, interval);
            let mut tick = tokio::time::interval_at(start, interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                if !first {
                    tokio::select! {
                        _ = shutdown.wait() => return,
                        _ = tick.tick() => {}
                    }
                }
                first = false;
                if let Some(lease) = last.take() {
                    last = this.renew_cached_lease(&node, lease).await;
                    if last.is_some() {
                        continue;
                    }
                }
                match this.renew_lease(&node).await {
                    Ok(lease) => last = Some(lease),
                    Err(e) => tracing::warn!(node, error = %e, "renewing node lease"),
                }
            }
        })
    }
}

/// A fixed offset in `[0, interval)` for `node`, from a hash of its name.
fn spread(node: &str, interval: Duration) -> Duration {
    use std::hash::{Hash, Hasher};
    // `DefaultHasher::new` has fixed keys: the same node always gets the same offset.
    let mut hasher = std::hash::DefaultHasher::new();
    node.hash(&mut hasher);
    interval.mul_f64((hasher.finish() % 1024) as f64 / 1024.0)
}
