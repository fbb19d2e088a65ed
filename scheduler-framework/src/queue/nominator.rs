//! `Nominator`: pods nominated to nodes by preemption, which later pods must leave room for.

use std::collections::HashMap;
use std::sync::Arc;

use crate::framework::types::PodInfo;

/// Nominated pods by node.
#[derive(Debug, Default, Clone)]
pub struct Nominator {
    by_node: HashMap<String, Vec<Arc<PodInfo>>>,
    node_of: HashMap<String, String>,
}

impl Nominator {
    /// Nominates `pod` to `node`, replacing an earlier nomination.
    pub fn add(&mut self, pod: Arc<PodInfo>, node: &str) {
        self.delete(pod.key());
        self.node_of.insert(pod.key().to_string(), node.to_string());
        self.by_node.entry(node.to_string()).or_default().push(pod);
    }

    /// Drops the nomination of `key`, if any.
    pub fn delete(&mut self, key: &str) {
        let Some(node) = self.node_of.remove(key) else { return };
        if let Some(list) = self.by_node.get_mut(&node) {
            list.retain(|p| p.key() != key);
            if list.is_empty() {
                self.by_node.remove(&node);
            }
        }
    }

    /// The pods nominated to `node`.
    pub fn pods_for_node(&self, node: &str) -> &[Arc<PodInfo>] {
        self.by_node.get(node).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The node `key` is nominated to.
    pub fn node_of(&self, key: &str) -> Option<&str> {
        self.node_of.get(key).map(String::as_str)
    }

    /// Whether any pod is nominated.
    pub fn is_empty(&self) -> bool {
        self.node_of.is_empty()
    }
}
