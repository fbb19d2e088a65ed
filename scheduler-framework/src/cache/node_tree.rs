//! `NodeTree`: nodes grouped by zone, listed zone-interleaved so consecutive nodes spread across zones.

use std::collections::HashMap;

use capstan_api_types::core::v1::Node;

/// `topology.kubernetes.io/zone`.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
/// `topology.kubernetes.io/region`.
pub const LABEL_REGION: &str = "topology.kubernetes.io/region";
const LABEL_ZONE_BETA: &str = "failure-domain.beta.kubernetes.io/zone";
const LABEL_REGION_BETA: &str = "failure-domain.beta.kubernetes.io/region";

/// The zone key of a node: `region:\0:zone` from its topology labels (empty when unlabeled).
pub fn zone_key(node: &Node) -> String {
    let labels = node.metadata.labels.as_ref();
    let get = |a: &str, b: &str| {
        labels.and_then(|l| l.get(a).or_else(|| l.get(b))).map(String::as_str).unwrap_or("")
    };
    let region = get(LABEL_REGION, LABEL_REGION_BETA);
    let zone = get(LABEL_ZONE, LABEL_ZONE_BETA);
    if region.is_empty() && zone.is_empty() {
        return String::new();
    }
    format!("{region}:\x00:{zone}")
}

/// Node names by zone, zones in the order first seen, nodes in insertion order.
#[derive(Debug, Clone, Default)]
pub struct NodeTree {
    tree: HashMap<String, Vec<String>>,
    /// Node name → zone key, for constant-time membership checks.
    zone_of: HashMap<String, String>,
    zones: Vec<String>,
    num_nodes: usize,
}

impl NodeTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a node (no-op if present).
    pub fn add_node(&mut self, node: &Node) {
        let zone = zone_key(node);
        let name = node.metadata.name.clone().unwrap_or_default();
        if self.zone_of.contains_key(&name) {
            return;
        }
        self.zone_of.insert(name.clone(), zone.clone());
        match self.tree.get_mut(&zone) {
            Some(names) => names.push(name),
            None => {
                self.zones.push(zone.clone());
                self.tree.insert(zone, vec![name]);
            }
        }
        self.num_nodes += 1;
    }

    /// Removes a node; `false` if it was not there.
    pub fn remove_node(&mut self, node: &Node) -> bool {
        let zone = zone_key(node);
        let name = node.metadata.name.as_deref().unwrap_or("");
        let Some(names) = self.tree.get_mut(&zone) else { return false };
        let Some(i) = names.iter().position(|n| n == name) else { return false };
        names.remove(i);
        self.zone_of.remove(name);
        if names.is_empty() {
            self.tree.remove(&zone);
            self.zones.retain(|z| *z != zone);
        }
        self.num_nodes -= 1;
        true
    }

    /// Moves a node whose zone may have changed.
    pub fn update_node(&mut self, old: &Node, new: &Node) {
        if zone_key(old) == zone_key(new) && old.metadata.name == new.metadata.name {
            return;
        }
        self.remove_node(old);
        self.add_node(new);
    }

    /// Number of nodes.
    pub fn num_nodes(&self) -> usize {
        self.num_nodes
    }

    /// Every node name, interleaving zones: the first node of each zone, then the
    /// second of each zone, and so on.
    pub fn list(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.num_nodes);
        let mut depth = 0;
        while out.len() < self.num_nodes {
            for z in &self.zones {
                if let Some(n) = self.tree[z].get(depth) {
                    out.push(n.clone());
                }
            }
            depth += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn node(name: &str, zone: &str) -> Node {
        let mut n = Node::default();
        n.metadata.name = Some(name.into());
        n.metadata.labels = Some(BTreeMap::from([(LABEL_ZONE.to_string(), zone.to_string())]));
        n
    }

    #[test]
    fn lists_zones_interleaved() {
        let mut t = NodeTree::new();
        for (n, z) in [("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("c1", "c"), ("c2", "c")]
        {
            t.add_node(&node(n, z));
        }
        assert_eq!(t.list(), ["a1", "b1", "c1", "a2", "c2", "a3"]);
        assert!(t.remove_node(&node("b1", "b")));
        assert!(!t.remove_node(&node("b1", "b")));
        t.update_node(&node("a1", "a"), &node("a1", "c"));
        assert_eq!(t.list(), ["a2", "c1", "a3", "c2", "a1"]);
        assert_eq!(t.num_nodes(), 5);
    }
}
