//! The node IPAM controller: gives every node without one a pod CIDR (`spec.podCIDR` and
//! `spec.podCIDRs`) cut from the cluster CIDR, never the same one twice; CIDRs nodes
//! already carry are kept and counted as used, and those of deleted nodes are reused.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::{Patch, PatchParams};
use parking_lot::Mutex;
use serde_json::json;

use crate::controller::{Controller, ControllerError};
use crate::informer::Store;
use crate::manager::Manager;
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/node-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "node-controller";

/// The one work item every node change maps to.
pub const IPAM_KEY: &str = "node-ipam";

/// Errors of CIDR parsing and allocation.
#[derive(Debug, thiserror::Error)]
pub enum IpamError {
    /// The text is not an IPv4 CIDR.
    #[error("invalid IPv4 CIDR {0:?}")]
    InvalidCidr(String),
    /// The node mask does not fit in the cluster CIDR.
    #[error("node mask /{node} does not fit in cluster CIDR /{cluster}")]
    InvalidMask {
        /// Prefix length of the cluster CIDR.
        cluster: u8,
        /// Prefix length of node CIDRs.
        node: u8,
    },
    /// Every node CIDR is in use.
    #[error("no pod CIDR left in the cluster CIDR")]
    Exhausted,
}

/// An IPv4 network: base address and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    /// The network address (host bits zero).
    pub base: u32,
    /// The prefix length.
    pub prefix: u8,
}

impl Ipv4Cidr {
    /// Parses `a.b.c.d/n`, clearing host bits.
    pub fn parse(text: &str) -> Result<Self, IpamError> {
        let bad = || IpamError::InvalidCidr(text.to_string());
        let (addr, prefix) = text.split_once('/').ok_or_else(bad)?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        if prefix > 32 {
            return Err(bad());
        }
        Ok(Ipv4Cidr { base: u32::from(addr) & mask(prefix), prefix })
    }
}

impl std::fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.prefix)
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) }
}

/// The node CIDRs of a cluster CIDR and which of them are used.
#[derive(Clone, Debug)]
pub struct CidrSet {
    cluster: Ipv4Cidr,
    node_prefix: u8,
    used: BTreeSet<u32>,
}

impl CidrSet {
    /// The node CIDRs of `/node_prefix` in `cluster`, none used.
    pub fn new(cluster: Ipv4Cidr, node_prefix: u8) -> Result<Self, IpamError> {
        if node_prefix < cluster.prefix || node_prefix > 32 || node_prefix - cluster.prefix > 24 {
            return Err(IpamError::InvalidMask { cluster: cluster.prefix, node: node_prefix });
        }
        Ok(CidrSet { cluster, node_prefix, used: BTreeSet::new() })
    }

    fn count(&self) -> u32 {
        1u32 << (self.node_prefix - self.cluster.prefix)
    }

    fn index_of(&self, cidr: &Ipv4Cidr) -> Option<u32> {
        if cidr.prefix != self.node_prefix
            || cidr.base & mask(self.cluster.prefix) != self.cluster.base
        {
            return None;
        }
        Some((cidr.base - self.cluster.base) >> (32 - u32::from(self.node_prefix)))
    }

    fn at(&self, index: u32) -> Ipv4Cidr {
        let shift = 32 - u32::from(self.node_prefix);
        let offset = if shift == 32 { 0 } else { index << shift };
        Ipv4Cidr { base: self.cluster.base + offset, prefix: self.node_prefix }
    }

    /// Marks `cidr` used; `false` if it is not a node CIDR of this set.
    pub fn occupy(&mut self, cidr: &Ipv4Cidr) -> bool {
        match self.index_of(cidr) {
            Some(i) => {
                self.used.insert(i);
                true
            }
            None => false,
        }
    }

    /// The lowest free node CIDR, marked used.
    pub fn allocate(&mut self) -> Result<Ipv4Cidr, IpamError> {
        let index =
            (0..self.count()).find(|i| !self.used.contains(i)).ok_or(IpamError::Exhausted)?;
        self.used.insert(index);
        Ok(self.at(index))
    }
}

/// The node CIDRs of `cluster` (`--cluster-cidr`, e.g. `10.244.0.0/16`) with
/// `/node_mask` per node (`--node-cidr-mask-size`).
pub fn cidr_set(cluster: &str, node_mask: u8) -> Result<CidrSet, IpamError> {
    CidrSet::new(Ipv4Cidr::parse(cluster)?, node_mask)
}

impl Default for CidrSet {
    /// `10.244.0.0/16` with /24 per node.
    fn default() -> Self {
        let cluster = Ipv4Cidr { base: u32::from(Ipv4Addr::new(10, 244, 0, 0)), prefix: 16 };
        CidrSet { cluster, node_prefix: 24, used: BTreeSet::new() }
    }
}

/// Allocates pod CIDRs to nodes.
pub struct NodeIpamReconciler {
    client: kube::Client,
    nodes: Store<Node>,
    /// The empty set every pass starts from.
    empty: CidrSet,
    /// CIDRs this controller handed out that the cache may not show yet (node name → CIDR).
    pending: Arc<Mutex<BTreeMap<String, Ipv4Cidr>>>,
}

impl std::fmt::Debug for NodeIpamReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeIpamReconciler")
            .field("cluster", &self.empty.cluster.to_string())
            .finish()
    }
}

/// The controller on `10.244.0.0/16` with /24 per node.
pub fn controller(manager: &Manager) -> Result<Controller<NodeIpamReconciler>, ControllerError> {
    controller_with(manager, CidrSet::default())
}

/// The controller handing out the node CIDRs of `cidrs` (see [`cidr_set`]); the CIDRs
/// marked used in it are never handed out.
pub fn controller_with(
    manager: &Manager,
    cidrs: CidrSet,
) -> Result<Controller<NodeIpamReconciler>, ControllerError> {
    let reconciler = NodeIpamReconciler {
        client: manager.client_for(CREDENTIALS),
        nodes: manager.factory().informer::<Node>().store(),
        empty: cidrs,
        pending: Arc::default(),
    };
    manager
        .controller("node-ipam")
        .watches::<Node>(|_: &Node| vec![Request::cluster(IPAM_KEY)])
        .build(reconciler)
}

fn pod_cidrs(node: &Node) -> Vec<String> {
    let spec = node.spec.as_ref();
    let mut cidrs: Vec<String> = spec.and_then(|s| s.pod_cidrs.clone()).unwrap_or_default();
    if let Some(c) = spec.and_then(|s| s.pod_cidr.clone()) {
        cidrs.push(c);
    }
    cidrs.retain(|c| !c.is_empty());
    cidrs
}

#[async_trait]
impl Reconciler for NodeIpamReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, _request: Request) -> Result<Action, ReconcileError> {
        let nodes = self.nodes.list();
        let mut set = self.empty.clone();
        let mut without = Vec::new();
        {
            let mut pending = self.pending.lock();
            let present: BTreeSet<&str> =
                nodes.iter().filter_map(|n| n.metadata.name.as_deref()).collect();
            pending.retain(|name, _| present.contains(name.as_str()));
            for node in &nodes {
                let name = node.metadata.name.clone().unwrap_or_default();
                let cidrs = pod_cidrs(node);
                if cidrs.is_empty() {
                    if let Some(c) = pending.get(&name) {
                        set.occupy(c);
                    } else {
                        without.push(name);
                    }
                } else {
                    pending.remove(&name);
                    for c in cidrs.iter().filter_map(|c| Ipv4Cidr::parse(c).ok()) {
                        set.occupy(&c);
                    }
                }
            }
        }
        without.sort();
        let api: Api<Node> = Api::all(self.client.clone());
        for name in without {
            let cidr = set.allocate().map_err(|e| ReconcileError::retryable(e.to_string()))?;
            let text = cidr.to_string();
            let patch = json!({"spec": {"podCIDR": text, "podCIDRs": [text]}});
            match api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(_) => {
                    self.pending.lock().insert(name, cidr);
                }
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Action::Done)
    }
}
