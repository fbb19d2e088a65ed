//! `Snapshot`: the immutable view of nodes one scheduling cycle works on, refreshed incrementally from the cache.

use std::collections::HashMap;
use std::sync::Arc;

use capstan_api_types::core::v1::{Node, Pod};

use super::node_tree::NodeTree;
use crate::framework::types::{NodeInfo, PodInfo};

/// The nodes of one cycle: a map by name and a list in zone-interleaved order, plus
/// the nodes holding pods with (anti-)affinity terms.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub(crate) map: HashMap<String, Arc<NodeInfo>>,
    pub(crate) list: Vec<Arc<NodeInfo>>,
    pub(crate) index: HashMap<String, usize>,
    pub(crate) with_affinity: Vec<usize>,
    pub(crate) with_required_anti_affinity: Vec<usize>,
    pub(crate) generation: u64,
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

    /// The highest node generation this snapshot has seen.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}
