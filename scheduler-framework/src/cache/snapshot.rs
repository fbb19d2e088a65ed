//! `Snapshot`: the immutable view of nodes one scheduling cycle works on, refreshed incrementally from the cache.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use capstan_api_types::core::v1::{Node, Pod};

use super::node_tree::NodeTree;
use crate::framework::types::{NodeInfo, PodInfo, next_generation};

/// The most list changes a snapshot remembers for [`Snapshot::changed_since`].
pub const CHANGE_LOG_CAPACITY: usize = 8192;

/// The nodes of one cycle: a map by name and a list in zone-interleaved order, plus
/// the nodes holding pods with (anti-)affinity terms.
///
/// Each layout of the list has a process-wide unique epoch, and the positions replaced
/// since are logged with the new node's generation, so per-node work kept across cycles
/// (see `plugins::node_memo`) revisits only the nodes that changed.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub(crate) map: HashMap<String, Arc<NodeInfo>>,
    pub(crate) list: Vec<Arc<NodeInfo>>,
    pub(crate) index: HashMap<String, usize>,
    pub(crate) with_affinity: Vec<usize>,
    pub(crate) with_required_anti_affinity: Vec<usize>,
    pub(crate) generation: u64,
    epoch: u64,
    /// `(generation, position)` of the list's replaced nodes, in generation order.
    log: VecDeque<(u64, usize)>,
    /// The highest generation dropped from the log.
    log_floor: u64,
}

impl Clone for Snapshot {
    /// A copy with its own epoch: the two may change apart.
    fn clone(&self) -> Self {
        Snapshot {
            map: self.map.clone(),
            list: self.list.clone(),
            index: self.index.clone(),
            with_affinity: self.with_affinity.clone(),
            with_required_anti_affinity: self.with_required_anti_affinity.clone(),
            generation: self.generation,
            epoch: next_generation(),
            log: VecDeque::new(),
            log_floor: 0,
        }
    }
}

impl Snapshot {
    /// An empty snapshot.
    pub fn new() -> Self {
        Self::default()
    }

    /// A snapshot of `nodes` with `pods` placed by `spec.nodeName` (for tests and
    /// simulations; the scheduler refreshes its snapshot from the cache instead).
    pub fn from_objects(nodes: &[Arc<Node>], pods: &[Arc<Pod>]) -> Self {
        let mut tree = NodeTree::new();
        let mut map: HashMap<String, NodeInfo> = HashMap::new();
        for n in nodes {
            tree.add_node(n);
            map.insert(n.metadata.name.clone().unwrap_or_default(), NodeInfo::new(n.clone()));
        }
        for p in pods {
            let info = Arc::new(PodInfo::new(p.clone()));
            if let Some(node) = info.node_name().and_then(|n| map.get_mut(n)) {
                node.add_pod(info);
            }
        }
        let mut s = Snapshot {
            map: map.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
            ..Default::default()
        };
        s.rebuild_list(&tree);
        s
    }

    pub(crate) fn rebuild_list(&mut self, tree: &NodeTree) {
        self.epoch = next_generation();
        self.log.clear();
        self.log_floor = 0;
        self.list.clear();
        self.index.clear();
        for name in tree.list() {
            if let Some(info) = self.map.get(&name) {
                if info.node().is_some() {
                    self.index.insert(name, self.list.len());
                    self.list.push(info.clone());
                }
            }
        }
        self.rebuild_affinity_lists();
    }

    pub(crate) fn rebuild_affinity_lists(&mut self) {
        self.with_affinity.clear();
        self.with_required_anti_affinity.clear();
        for (i, n) in self.list.iter().enumerate() {
            if !n.pods_with_affinity().is_empty() {
                self.with_affinity.push(i);
            }
            if !n.pods_with_required_anti_affinity().is_empty() {
                self.with_required_anti_affinity.push(i);
            }
        }
    }

    /// Replaces the node at `position` of the list, logging the change.
    pub(crate) fn replace_at(&mut self, position: usize, info: Arc<NodeInfo>) {
        if self.log.len() >= CHANGE_LOG_CAPACITY {
            let drop = CHANGE_LOG_CAPACITY / 2;
            if let Some(&(g, _)) = self.log.get(drop - 1) {
                self.log_floor = self.log_floor.max(g);
            }
            self.log.drain(..drop);
        }
        self.log.push_back((info.generation(), position));
        self.list[position] = info;
    }

    /// The epoch of the list's layout: positions keep their meaning while it stays.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Positions of the list whose node was replaced after the snapshot reached
    /// `generation` in `epoch` (a position may repeat), or `None` when that is not known
    /// any more (another layout, or changes dropped from the log): then every position
    /// may have changed.
    pub fn changed_since(
        &self,
        epoch: u64,
        generation: u64,
    ) -> Option<impl Iterator<Item = usize> + '_> {
        if epoch != self.epoch || generation < self.log_floor || generation > self.generation {
            return None;
        }
        let start = self.log.partition_point(|&(g, _)| g <= generation);
        Some(self.log.range(start..).map(|&(_, p)| p))
    }

    /// Every node, in zone-interleaved order.
    pub fn list(&self) -> &[Arc<NodeInfo>] {
        &self.list
    }

    /// The node named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<NodeInfo>> {
        self.map.get(name)
    }

    /// Number of nodes in the list.
    pub fn num_nodes(&self) -> usize {
        self.list.len()
    }

    /// Nodes with at least one pod having pod (anti-)affinity terms.
    pub fn have_pods_with_affinity(&self) -> impl Iterator<Item = &Arc<NodeInfo>> {
        self.with_affinity.iter().map(|&i| &self.list[i])
    }

    /// Nodes with at least one pod having required anti-affinity terms.
    pub fn have_pods_with_required_anti_affinity(&self) -> impl Iterator<Item = &Arc<NodeInfo>> {
        self.with_required_anti_affinity.iter().map(|&i| &self.list[i])
    }

    /// Positions in [`list`](Self::list) of the nodes with pods having pod
    /// (anti-)affinity terms.
    pub fn positions_with_affinity(&self) -> &[usize] {
        &self.with_affinity
    }

    /// Positions in [`list`](Self::list) of the nodes with pods having required
    /// anti-affinity terms.
    pub fn positions_with_required_anti_affinity(&self) -> &[usize] {
        &self.with_required_anti_affinity
    }

    /// The highest node generation this snapshot has seen.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}
