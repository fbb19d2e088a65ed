//! The workloads of Kubernetes' scheduler_perf that Capstan runs: sizes, node and pod templates.

use std::collections::BTreeMap;

use capstan_api_types::core::v1::{Node, Pod};
use serde_json::json;

/// The label marking measured pods (the throughput counts only these).
pub const PHASE_LABEL: &str = "perf.capstan.dev/phase";
/// The zone label nodes carry.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// A scheduler_perf workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Plain pods (100m CPU, 500Mi) on plain nodes.
    SchedulingBasic,
    /// Pods with a required anti-affinity to each other per hostname.
    SchedulingPodAntiAffinity,
    /// Pods with a required affinity to each other per zone (one zone).
    SchedulingPodAffinity,
    /// Pods with a required node affinity to `zone1`/`zone2` (every node in `zone1`).
    SchedulingNodeAffinity,
    /// Pods spread over three zones with `maxSkew: 5`, after plain pods.
    TopologySpreading,
    /// High-priority pods (3 CPU) preempting low-priority ones (900m, four per node).
    Preemption,
}

/// The sizes of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Nodes.
    pub nodes: usize,
    /// Pods scheduled before measuring.
    pub init_pods: usize,
    /// Pods measured.
    pub measured_pods: usize,
}

impl Workload {
    /// Every workload.
    pub const ALL: [Workload; 6] = [
        Workload::SchedulingBasic,
        Workload::SchedulingPodAntiAffinity,
        Workload::SchedulingPodAffinity,
        Workload::SchedulingNodeAffinity,
        Workload::TopologySpreading,
        Workload::Preemption,
    ];

    /// The workload's name.
    pub fn name(self) -> &'static str {
        match self {
            Workload::SchedulingBasic => "SchedulingBasic",
            Workload::SchedulingPodAntiAffinity => "SchedulingPodAntiAffinity",
            Workload::SchedulingPodAffinity => "SchedulingPodAffinity",
            Workload::SchedulingNodeAffinity => "SchedulingNodeAffinity",
            Workload::TopologySpreading => "TopologySpreading",
            Workload::Preemption => "Preemption",
        }
    }

    /// The workload named `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name().eq_ignore_ascii_case(name))
    }

    /// The 5000-node sizes.
    pub fn default_sizes(self) -> Sizes {
        let (init_pods, measured_pods) = match self {
            Workload::SchedulingBasic => (1000, 10000),
            Workload::SchedulingPodAntiAffinity => (1000, 2000),
            Workload::SchedulingPodAffinity => (5000, 5000),
            Workload::SchedulingNodeAffinity => (5000, 10000),
            Workload::TopologySpreading => (5000, 2000),
            Workload::Preemption => (20000, 5000),
        };
        Sizes { nodes: 5000, init_pods, measured_pods }
    }

    /// Kubernetes' CI floor for the workload (pods/s on its machines), if it has one.
    pub fn kubernetes_floor(self) -> Option<f64> {
        match self {
            Workload::SchedulingBasic => Some(680.0),
            Workload::SchedulingPodAntiAffinity => Some(60.0),
            Workload::SchedulingPodAffinity => Some(35.0),
            Workload::SchedulingNodeAffinity => Some(220.0),
            Workload::TopologySpreading => Some(570.0),
            Workload::Preemption => None,
        }
    }

    /// The namespaces the workload creates (pods of the init phase go to the first,
    /// measured pods to the last).
    pub fn namespaces(self) -> &'static [&'static str] {
        match self {
            Workload::SchedulingPodAntiAffinity | Workload::SchedulingPodAffinity => {
                &["sched-0", "sched-1"]
            }
            _ => &["default"],
        }
    }

    /// Node `i`: 4 CPU, 32Gi, 110 pods, Ready; hostname label; a zone label where the
    /// workload uses zones (`zone1`, or `moon-1..3` round robin for spreading).
    pub fn node(self, i: usize) -> Node {
        let name = format!("scheduler-perf-{i}");
        let mut labels = BTreeMap::from([("kubernetes.io/hostname".to_string(), name.clone())]);
        match self {
            Workload::SchedulingPodAffinity | Workload::SchedulingNodeAffinity => {
                labels.insert(ZONE_LABEL.into(), "zone1".into());
            }
            Workload::TopologySpreading => {
                labels.insert(ZONE_LABEL.into(), format!("moon-{}", i % 3 + 1));
            }
            _ => {}
        }
        let resources = json!({"pods": "110", "cpu": "4", "memory": "32Gi"});
        serde_json::from_value(json!({
            "metadata": {"name": name, "labels": labels},
            "spec": {},
            "status": {
                "capacity": resources,
                "allocatable": resources,
                "conditions": [{"type": "Ready", "status": "True"}],
                "phase": "Running",
            },
        }))
        .expect("node template")
    }

    /// Pod `i` of the init phase (`measured == false`) or of the measured phase.
    pub fn pod(self, i: usize, measured: bool) -> Pod {
        let ns = self.namespaces();
        let namespace = if measured { ns[ns.len() - 1] } else { ns[0] };
        let phase = if measured { "measure" } else { "init" };
        let name = format!("{phase}-pod-{i}");
        let (cpu, priority) = match (self, measured) {
            (Workload::Preemption, false) => ("900m", Some(1)),
            (Workload::Preemption, true) => ("3000m", Some(10)),
            _ => ("100m", None),
        };
        let mut labels = serde_json::Map::new();
        labels.insert(PHASE_LABEL.into(), json!(phase));
        let mut spec = json!({
            "containers": [{
                "name": "pause",
                "image": "registry.k8s.io/pause:3.10",
                "ports": [{"containerPort": 80}],
                "resources": {
                    "limits": {"cpu": cpu, "memory": "500Mi"},
                    "requests": {"cpu": cpu, "memory": "500Mi"},
                },
            }],
        });
        if let Some(p) = priority {
            spec["priority"] = json!(p);
            spec["terminationGracePeriodSeconds"] = json!(0);
        }
        let both = json!(["sched-0", "sched-1"]);
        match self {
            Workload::SchedulingPodAntiAffinity => {
                labels.insert("color".into(), json!("green"));
                spec["affinity"] = json!({"podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [{
                        "labelSelector": {"matchLabels": {"color": "green"}},
                        "topologyKey": "kubernetes.io/hostname",
                        "namespaces": both,
                    }],
                }});
            }
            Workload::SchedulingPodAffinity => {
                labels.insert("color".into(), json!("blue"));
                spec["affinity"] = json!({"podAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [{
                        "labelSelector": {"matchLabels": {"color": "blue"}},
                        "topologyKey": ZONE_LABEL,
                        "namespaces": both,
                    }],
                }});
            }
            Workload::SchedulingNodeAffinity => {
                spec["affinity"] = json!({"nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": [{
                            "key": ZONE_LABEL, "operator": "In", "values": ["zone1", "zone2"],
                        }]}],
                    },
                }});
            }
            Workload::TopologySpreading if measured => {
                labels.insert("color".into(), json!("blue"));
                spec["topologySpreadConstraints"] = json!([{
                    "maxSkew": 5,
                    "topologyKey": ZONE_LABEL,
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {"matchLabels": {"color": "blue"}},
                }]);
            }
            _ => {}
        }
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": spec,
        }))
        .expect("pod template")
    }
}
