//! `NodeInfo`: a node with its pods and precomputed requested/allocatable resources, ports and images.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use capstan_api_types::core::v1::{Node, Taint};

use super::host_ports::HostPortInfo;
use super::pod_info::PodInfo;
use super::resource::Resource;

static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

/// A fresh, process-wide increasing generation number.
pub fn next_generation() -> u64 {
    NEXT_GENERATION.fetch_add(1, Ordering::Relaxed)
}

/// What a node knows of one container image: its size and on how many nodes it is.
/// The node count is shared with the cache, so it stays current for every node.
#[derive(Debug, Clone)]
pub struct ImageStateSummary {
    /// Size in bytes.
    pub size: i64,
    nodes: Arc<AtomicUsize>,
}

impl ImageStateSummary {
    /// A summary whose node count is the shared counter `nodes`.
    pub fn new(size: i64, nodes: Arc<AtomicUsize>) -> Self {
        ImageStateSummary { size, nodes }
    }

    /// A summary with a fixed node count (tests, simulations).
    pub fn fixed(size: i64, num_nodes: usize) -> Self {
        ImageStateSummary { size, nodes: Arc::new(AtomicUsize::new(num_nodes)) }
    }

    /// Number of nodes holding the image.
    pub fn num_nodes(&self) -> usize {
        self.nodes.load(Ordering::Relaxed)
    }
}

/// A node and the pods assigned (or assumed) to it, with the aggregate values plugins
/// need precomputed: requested and allocatable resources, non-zero requests for
/// scoring, used host ports, pods with affinity terms and image states.
///
/// `NodeInfo` is shared as `Arc<NodeInfo>` between the cache and snapshots; the cache
/// copies a node before changing it if a snapshot still holds it.
#[derive(Debug, Clone, Default)]
pub struct NodeInfo {
    node: Option<Arc<Node>>,
    name: Arc<str>,
    pods: Vec<Arc<PodInfo>>,
    pods_with_affinity: Vec<Arc<PodInfo>>,
    pods_with_required_anti_affinity: Vec<Arc<PodInfo>>,
    used_ports: HostPortInfo,
    requested: Resource,
    non_zero_requested: Resource,
    allocatable: Resource,
    image_states: Arc<HashMap<String, ImageStateSummary>>,
    generation: u64,
    unschedulable: bool,
    has_taints: bool,
    has_images: bool,
}

/// Errors from changing a [`NodeInfo`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeInfoError {
    /// The pod is not on this node.
    #[error("no pod {pod} on node {node}")]
    PodNotFound {
        /// `namespace/name` of the pod.
        pod: String,
        /// The node.
        node: String,
    },
}

static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();

impl NodeInfo {
    /// A `NodeInfo` for `node` with no pods.
    pub fn new(node: Arc<Node>) -> Self {
        let mut n = NodeInfo::default();
        n.set_node(node);
        n
    }

    /// Replaces the node object, recomputing allocatable.
    pub fn set_node(&mut self, node: Arc<Node>) {
        self.name = Arc::from(node.metadata.name.as_deref().unwrap_or(""));
        self.allocatable = node
            .status
            .as_ref()
            .and_then(|s| s.allocatable.as_ref())
            .map(Resource::from_list)
            .unwrap_or_default();
        let spec = node.spec.as_ref();
        self.unschedulable = spec.and_then(|s| s.unschedulable).unwrap_or(false);
        self.has_taints = spec.and_then(|s| s.taints.as_ref()).is_some_and(|t| !t.is_empty());
        self.node = Some(node);
        self.generation = next_generation();
    }

    /// Forgets the node object (pods may remain until they are removed).
    pub fn remove_node(&mut self) {
        self.node = None;
        self.unschedulable = false;
        self.has_taints = false;
        self.generation = next_generation();
    }

    /// Sets the image states (done by the cache, which counts nodes per image).
    pub fn set_image_states(&mut self, states: HashMap<String, ImageStateSummary>) {
        self.has_images = !states.is_empty();
        self.image_states = Arc::new(states);
    }

    /// The node object (absent when only pods of a deleted node remain).
    pub fn node(&self) -> Option<&Node> {
        self.node.as_deref()
    }

    /// The node object as shared.
    pub fn node_arc(&self) -> Option<&Arc<Node>> {
        self.node.as_ref()
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node's name, shared.
    pub fn name_arc(&self) -> &Arc<str> {
        &self.name
    }

    /// The node's labels.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        self.node.as_ref().and_then(|n| n.metadata.labels.as_ref()).unwrap_or(&NO_LABELS)
    }

    /// The node's taints.
    pub fn taints(&self) -> &[Taint] {
        if !self.has_taints {
            return &[];
        }
        self.node
            .as_ref()
            .and_then(|n| n.spec.as_ref())
            .and_then(|s| s.taints.as_deref())
            .unwrap_or(&[])
    }

    /// `spec.unschedulable`.
    pub fn unschedulable(&self) -> bool {
        self.unschedulable
    }

    /// The pods on the node.
    pub fn pods(&self) -> &[Arc<PodInfo>] {
        &self.pods
    }

    /// Pods on the node with any pod (anti-)affinity term.
    pub fn pods_with_affinity(&self) -> &[Arc<PodInfo>] {
        &self.pods_with_affinity
    }

    /// Pods on the node with required anti-affinity terms.
    pub fn pods_with_required_anti_affinity(&self) -> &[Arc<PodInfo>] {
        &self.pods_with_required_anti_affinity
    }

    /// Host ports in use.
    pub fn used_ports(&self) -> &HostPortInfo {
        &self.used_ports
    }

    /// Sum of the pods' effective requests.
    pub fn requested(&self) -> &Resource {
        &self.requested
    }

    /// Sum of the pods' requests with 100m/200 MiB for containers requesting none (for scoring).
    pub fn non_zero_requested(&self) -> &Resource {
        &self.non_zero_requested
    }

    /// The node's allocatable resources.
    pub fn allocatable(&self) -> &Resource {
        &self.allocatable
    }

    /// Images on the node, by every name the node reports for them.
    pub fn image_states(&self) -> &HashMap<String, ImageStateSummary> {
        &self.image_states
    }

    /// Whether the node reports any image (checked before touching the image map).
    pub fn has_images(&self) -> bool {
        self.has_images
    }

    /// The generation: increases on every change.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Adds a pod, updating requested resources, ports and affinity lists.
    pub fn add_pod(&mut self, pod: Arc<PodInfo>) {
        self.requested.add(&pod.requests);
        self.requested.allowed_pod_number = 0;
        self.non_zero_requested.milli_cpu += pod.non_zero_milli_cpu;
        self.non_zero_requested.memory += pod.non_zero_memory;
        for p in &pod.host_ports {
            self.used_ports.add(p);
        }
        if pod.has_affinity() {
            self.pods_with_affinity.push(pod.clone());
        }
        if pod.has_required_anti_affinity() {
            self.pods_with_required_anti_affinity.push(pod.clone());
        }
        self.pods.push(pod);
        self.generation = next_generation();
    }

    /// Removes the pod with `key` (`namespace/name`), returning it.
    pub fn remove_pod(&mut self, key: &str) -> Result<Arc<PodInfo>, NodeInfoError> {
        let Some(i) = self.pods.iter().position(|p| p.key() == key) else {
            return Err(NodeInfoError::PodNotFound {
                pod: key.to_string(),
                node: self.name.to_string(),
            });
        };
        let pod = self.pods.swap_remove(i);
        if let Some(j) = self.pods_with_affinity.iter().position(|p| p.key() == key) {
            self.pods_with_affinity.swap_remove(j);
        }
        if let Some(j) = self.pods_with_required_anti_affinity.iter().position(|p| p.key() == key) {
            self.pods_with_required_anti_affinity.swap_remove(j);
        }
        self.requested.sub(&pod.requests);
        self.requested.allowed_pod_number = 0;
        self.non_zero_requested.milli_cpu -= pod.non_zero_milli_cpu;
        self.non_zero_requested.memory -= pod.non_zero_memory;
        for p in &pod.host_ports {
            self.used_ports.remove(p);
        }
        self.generation = next_generation();
        Ok(pod)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::core::v1::{Container, NodeStatus, Pod, PodSpec, ResourceRequirements};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity as Q;

    fn pod(name: &str, cpu: &str) -> Arc<PodInfo> {
        let mut p = Pod {
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "c".into(),
                    resources: Some(ResourceRequirements {
                        requests: Some(BTreeMap::from([("cpu".into(), Q(cpu.into()))])),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        p.metadata.name = Some(name.into());
        p.metadata.namespace = Some("default".into());
        Arc::new(PodInfo::new(Arc::new(p)))
    }

    #[test]
    fn add_and_remove_pods_keep_aggregates_and_bump_generation() {
        let mut node = Node::default();
        node.metadata.name = Some("n1".into());
        node.status = Some(NodeStatus {
            allocatable: Some(BTreeMap::from([
                ("cpu".into(), Q("4".into())),
                ("pods".into(), Q("110".into())),
            ])),
            ..Default::default()
        });
        let mut info = NodeInfo::new(Arc::new(node));
        assert_eq!(info.allocatable().milli_cpu, 4000);
        assert_eq!(info.allocatable().allowed_pod_number, 110);
        let g0 = info.generation();
        info.add_pod(pod("a", "1"));
        info.add_pod(pod("b", "500m"));
        assert!(info.generation() > g0);
        assert_eq!(info.requested().milli_cpu, 1500);
        assert_eq!(info.non_zero_requested().memory, 2 * 200 * 1024 * 1024);
        info.remove_pod("default/a").expect("present");
        assert_eq!(info.requested().milli_cpu, 500);
        assert_eq!(info.pods().len(), 1);
        assert!(matches!(info.remove_pod("default/a"), Err(NodeInfoError::PodNotFound { .. })));
    }
}
