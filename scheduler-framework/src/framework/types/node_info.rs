//! `NodeInfo`: a node with its pods and precomputed requested/allocatable resources, ports and images.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use capstan_api_types::core::v1::{Node, Taint};

use super::host_ports::HostPortInfo;
use super::label_ids::{LabelId, LabelIds};
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

/// The figures Filter and Score read for every node they visit, kept together in a few
/// cache lines at the start of a [`NodeInfo`] (which derives them from its resources,
/// pods, node object and images after every change): filtering hundreds of nodes per
/// pod then touches one small record per node instead of its scattered parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
pub struct NodeRecord {
    /// Allocatable CPU in millicores.
    pub allocatable_milli_cpu: i64,
    /// Allocatable memory in bytes.
    pub allocatable_memory: i64,
    /// Allocatable ephemeral storage in bytes.
    pub allocatable_ephemeral_storage: i64,
    /// Allocatable pod count.
    pub allowed_pod_number: i64,
    /// Requested CPU in millicores.
    pub requested_milli_cpu: i64,
    /// Requested memory in bytes.
    pub requested_memory: i64,
    /// Requested ephemeral storage in bytes.
    pub requested_ephemeral_storage: i64,
    /// Requested CPU for scoring (100m for containers requesting none).
    pub non_zero_milli_cpu: i64,
    /// Requested memory for scoring (200 MiB for containers requesting none).
    pub non_zero_memory: i64,
    /// Pods on the node.
    pub pod_count: u32,
    /// `spec.unschedulable`.
    pub unschedulable: bool,
    /// Whether the node has taints.
    pub has_taints: bool,
    /// Whether the node reports images.
    pub has_images: bool,
    /// Whether the node object is present.
    pub has_node: bool,
}

impl NodeRecord {
    /// The amount of a core resource allocatable (`None` for scalar resources).
    pub fn allocatable(&self, name: &super::ResourceName) -> Option<i64> {
        use super::ResourceName as R;
        match name {
            R::Cpu => Some(self.allocatable_milli_cpu),
            R::Memory => Some(self.allocatable_memory),
            R::EphemeralStorage => Some(self.allocatable_ephemeral_storage),
            R::Pods => Some(self.allowed_pod_number),
            R::Scalar(_) => None,
        }
    }

    /// The amount of a core resource requested (`None` for scalar resources; pods
    /// count 0 as in [`Resource`]).
    pub fn requested(&self, name: &super::ResourceName) -> Option<i64> {
        use super::ResourceName as R;
        match name {
            R::Cpu => Some(self.requested_milli_cpu),
            R::Memory => Some(self.requested_memory),
            R::EphemeralStorage => Some(self.requested_ephemeral_storage),
            R::Pods => Some(0),
            R::Scalar(_) => None,
        }
    }
}

/// A node and the pods assigned (or assumed) to it, with the aggregate values plugins
/// need precomputed: requested and allocatable resources, non-zero requests for
/// scoring, used host ports, pods with affinity terms, image states, and the node's
/// labels as interned ids ([`LabelIds`]).
///
/// `NodeInfo` is shared as `Arc<NodeInfo>` between the cache and snapshots; the cache
/// copies a node before changing it if a snapshot still holds it. Its [`NodeRecord`]
/// comes first so the per-node hot path reads adjacent memory.
#[derive(Debug, Clone, Default)]
#[repr(C)]
pub struct NodeInfo {
    record: NodeRecord,
    name: Arc<str>,
    label_ids: LabelIds,
    pods: Vec<Arc<PodInfo>>,
    node: Option<Arc<Node>>,
    pods_with_affinity: Vec<Arc<PodInfo>>,
    pods_with_required_anti_affinity: Vec<Arc<PodInfo>>,
    used_ports: HostPortInfo,
    requested: Resource,
    non_zero_requested: Resource,
    allocatable: Resource,
    image_states: Arc<HashMap<String, ImageStateSummary>>,
    generation: u64,
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
        self.record.unschedulable = spec.and_then(|s| s.unschedulable).unwrap_or(false);
        self.record.has_taints =
            spec.and_then(|s| s.taints.as_ref()).is_some_and(|t| !t.is_empty());
        self.label_ids = node.metadata.labels.as_ref().map(LabelIds::new).unwrap_or_default();
        self.node = Some(node);
        self.generation = next_generation();
        self.refresh_record();
    }

    /// Derives the [`NodeRecord`]'s figures from the resources and pods.
    fn refresh_record(&mut self) {
        let r = &mut self.record;
        r.allocatable_milli_cpu = self.allocatable.milli_cpu;
        r.allocatable_memory = self.allocatable.memory;
        r.allocatable_ephemeral_storage = self.allocatable.ephemeral_storage;
        r.allowed_pod_number = self.allocatable.allowed_pod_number;
        r.requested_milli_cpu = self.requested.milli_cpu;
        r.requested_memory = self.requested.memory;
        r.requested_ephemeral_storage = self.requested.ephemeral_storage;
        r.non_zero_milli_cpu = self.non_zero_requested.milli_cpu;
        r.non_zero_memory = self.non_zero_requested.memory;
        r.pod_count = u32::try_from(self.pods.len()).unwrap_or(u32::MAX);
        r.has_node = self.node.is_some();
    }

    /// Forgets the node object (pods may remain until they are removed).
    pub fn remove_node(&mut self) {
        self.node = None;
        self.record.unschedulable = false;
        self.record.has_taints = false;
        self.label_ids = LabelIds::default();
        self.generation = next_generation();
        self.refresh_record();
    }

    /// Sets the image states (done by the cache, which counts nodes per image).
    pub fn set_image_states(&mut self, states: HashMap<String, ImageStateSummary>) {
        self.record.has_images = !states.is_empty();
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

    /// The node's labels as interned ids.
    pub fn label_ids(&self) -> &LabelIds {
        &self.label_ids
    }

    /// The value id of the node's label with key id `key`.
    pub fn label_value_id(&self, key: LabelId) -> Option<LabelId> {
        self.label_ids.get(key)
    }

    /// The figures the per-node hot path reads (see [`NodeRecord`]).
    pub fn record(&self) -> &NodeRecord {
        &self.record
    }

    /// The node's taints.
    pub fn taints(&self) -> &[Taint] {
        if !self.record.has_taints {
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
        self.record.unschedulable
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
        self.record.has_images
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
        self.refresh_record();
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
        self.refresh_record();
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

    /// The record as it must read, derived from the public accessors.
    fn derived(info: &NodeInfo) -> NodeRecord {
        let (a, r, z) = (info.allocatable(), info.requested(), info.non_zero_requested());
        NodeRecord {
            allocatable_milli_cpu: a.milli_cpu,
            allocatable_memory: a.memory,
            allocatable_ephemeral_storage: a.ephemeral_storage,
            allowed_pod_number: a.allowed_pod_number,
            requested_milli_cpu: r.milli_cpu,
            requested_memory: r.memory,
            requested_ephemeral_storage: r.ephemeral_storage,
            non_zero_milli_cpu: z.milli_cpu,
            non_zero_memory: z.memory,
            pod_count: info.pods().len() as u32,
            unschedulable: info.unschedulable(),
            has_taints: !info.taints().is_empty(),
            has_images: !info.image_states().is_empty(),
            has_node: info.node().is_some(),
        }
    }

    fn labelled_node(cpu: &str, zone: &str, unschedulable: bool, taints: usize) -> Arc<Node> {
        use capstan_api_types::core::v1::NodeSpec;
        let mut node = Node::default();
        node.metadata.name = Some("n1".into());
        node.metadata.labels = Some(BTreeMap::from([
            ("kubernetes.io/hostname".into(), "n1".into()),
            ("topology.kubernetes.io/zone".into(), zone.into()),
        ]));
        node.spec = Some(NodeSpec {
            unschedulable: Some(unschedulable),
            taints: Some(
                (0..taints)
                    .map(|i| Taint {
                        key: format!("t{i}"),
                        effect: "NoSchedule".into(),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        });
        node.status = Some(NodeStatus {
            allocatable: Some(BTreeMap::from([
                ("cpu".into(), Q(cpu.into())),
                ("memory".into(), Q("8Gi".into())),
                ("ephemeral-storage".into(), Q("10Gi".into())),
                ("pods".into(), Q("110".into())),
            ])),
            ..Default::default()
        });
        Arc::new(node)
    }

    #[test]
    fn record_and_label_ids_follow_every_change() {
        use super::super::label_ids;
        let zone = label_ids::intern("topology.kubernetes.io/zone");
        let mut info = NodeInfo::new(labelled_node("4", "z1", false, 0));
        assert_eq!(*info.record(), derived(&info));
        assert_eq!(info.label_value_id(zone), Some(label_ids::intern("z1")));
        assert_eq!(info.label_ids().len(), 2);
        let mut live = Vec::new();
        for i in 0..12 {
            let p = pod(&format!("p{i}"), if i % 3 == 0 { "0" } else { "250m" });
            live.push(p.key().to_string());
            info.add_pod(p);
            assert_eq!(*info.record(), derived(&info), "after adding p{i}");
            if i % 4 == 3 {
                let key = live.remove(i % live.len());
                info.remove_pod(&key).expect("present");
                assert_eq!(*info.record(), derived(&info), "after removing {key}");
            }
        }
        assert_eq!(info.record().pod_count as usize, live.len());
        let before = info.clone();
        info.set_node(labelled_node("8", "z2", true, 2));
        assert_eq!(*info.record(), derived(&info));
        assert_eq!(info.record().allocatable_milli_cpu, 8000);
        assert!(info.record().unschedulable && info.record().has_taints);
        assert_eq!(info.label_value_id(zone), Some(label_ids::intern("z2")));
        // The copy a snapshot holds keeps its own record and labels.
        assert_eq!(before.record().allocatable_milli_cpu, 4000);
        assert_eq!(before.label_value_id(zone), Some(label_ids::intern("z1")));
        info.set_image_states(HashMap::from([(
            "img:1".to_string(),
            ImageStateSummary::fixed(1 << 20, 1),
        )]));
        assert_eq!(*info.record(), derived(&info));
        info.remove_node();
        assert_eq!(*info.record(), derived(&info));
        assert!(!info.record().has_node && !info.record().unschedulable);
        assert_eq!(info.label_value_id(zone), None);
    }
}
