//! A fake in-memory cluster: builders for nodes and pods, and a driver that feeds them to a scheduler and plays the API's part after binding.

use std::collections::BTreeMap;
use std::sync::Arc;

use capstan_api_types::core::v1::{
    Affinity, Container, ContainerImage, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement,
    NodeSelectorTerm, NodeSpec, NodeStatus, Pod, PodAffinityTerm, PodAntiAffinity,
    PodSchedulingGate, PodSpec, ResourceRequirements, Taint, Toleration, TopologySpreadConstraint,
};
use capstan_api_types::meta::v1::LabelSelector;
use capstan_scheduler_framework::clock::FakeClock;
use capstan_scheduler_framework::framework::{Handle, RecordingBinder};
use capstan_scheduler_framework::scheduler::{
    BindOutcome, ScheduleOutcome, Scheduler, SchedulerBuilder,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

pub const ZONE: &str = "topology.kubernetes.io/zone";
pub const HOSTNAME: &str = "kubernetes.io/hostname";

pub struct NodeBuilder(Node);

pub fn node(name: &str) -> NodeBuilder {
    let mut n = Node::default();
    n.metadata.name = Some(name.into());
    n.metadata.labels = Some(BTreeMap::from([(HOSTNAME.to_string(), name.to_string())]));
    n.spec = Some(NodeSpec::default());
    n.status = Some(NodeStatus {
        allocatable: Some(BTreeMap::from([
            ("cpu".to_string(), Quantity("4".into())),
            ("memory".to_string(), Quantity("16Gi".into())),
            ("pods".to_string(), Quantity("110".into())),
        ])),
        ..Default::default()
    });
    NodeBuilder(n)
}

impl NodeBuilder {
    pub fn alloc(mut self, name: &str, q: &str) -> Self {
        let st = self.0.status.as_mut().expect("status");
        st.allocatable.get_or_insert_with(Default::default).insert(name.into(), Quantity(q.into()));
        self
    }
    pub fn cpu(self, q: &str) -> Self {
        self.alloc("cpu", q)
    }
    pub fn label(mut self, k: &str, v: &str) -> Self {
        self.0.metadata.labels.get_or_insert_with(Default::default).insert(k.into(), v.into());
        self
    }
    pub fn zone(self, z: &str) -> Self {
        self.label(ZONE, z)
    }
    pub fn taint(mut self, k: &str, v: &str, effect: &str) -> Self {
        let spec = self.0.spec.as_mut().expect("spec");
        spec.taints.get_or_insert_with(Vec::new).push(Taint {
            key: k.into(),
            value: Some(v.into()),
            effect: effect.into(),
            time_added: None,
        });
        self
    }
    pub fn image(mut self, name: &str, size: i64) -> Self {
        let st = self.0.status.as_mut().expect("status");
        st.images
            .get_or_insert_with(Vec::new)
            .push(ContainerImage { names: Some(vec![name.into()]), size_bytes: Some(size) });
        self
    }
    pub fn build(self) -> Arc<Node> {
        Arc::new(self.0)
    }
}

pub struct PodBuilder(Pod);

pub fn pod(name: &str) -> PodBuilder {
    let mut p = Pod::default();
    p.metadata.name = Some(name.into());
    p.metadata.namespace = Some("default".into());
    p.metadata.uid = Some(format!("uid-{name}"));
    p.spec = Some(PodSpec {
        containers: vec![Container {
            name: "c".into(),
            image: Some("busybox:1".into()),
            ..Default::default()
        }],
        scheduler_name: Some("default-scheduler".into()),
        ..Default::default()
    });
    PodBuilder(p)
}

impl PodBuilder {
    fn spec(&mut self) -> &mut PodSpec {
        self.0.spec.as_mut().expect("spec")
    }
    pub fn req(mut self, name: &str, q: &str) -> Self {
        let c = &mut self.spec().containers[0];
        c.resources
            .get_or_insert_with(ResourceRequirements::default)
            .requests
            .get_or_insert_with(Default::default)
            .insert(name.into(), Quantity(q.into()));
        self
    }
    pub fn cpu(self, q: &str) -> Self {
        self.req("cpu", q)
    }
    pub fn image(mut self, image: &str) -> Self {
        self.spec().containers[0].image = Some(image.into());
        self
    }
    pub fn label(mut self, k: &str, v: &str) -> Self {
        self.0.metadata.labels.get_or_insert_with(Default::default).insert(k.into(), v.into());
        self
    }
    pub fn priority(mut self, p: i32) -> Self {
        self.spec().priority = Some(p);
        self
    }
    pub fn scheduler(mut self, name: &str) -> Self {
        self.spec().scheduler_name = Some(name.into());
        self
    }
    pub fn tolerate(mut self, k: &str, v: &str, effect: &str) -> Self {
        self.spec().tolerations.get_or_insert_with(Vec::new).push(Toleration {
            key: Some(k.into()),
            operator: Some("Equal".into()),
            value: Some(v.into()),
            effect: Some(effect.into()),
            toleration_seconds: None,
        });
        self
    }
    pub fn gate(mut self, name: &str) -> Self {
        self.spec()
            .scheduling_gates
            .get_or_insert_with(Vec::new)
            .push(PodSchedulingGate { name: name.into() });
        self
    }
    pub fn require_node_label(mut self, k: &str, values: &[&str]) -> Self {
        let term = NodeSelectorTerm {
            match_expressions: Some(vec![NodeSelectorRequirement {
                key: k.into(),
                operator: "In".into(),
                values: Some(values.iter().map(|s| s.to_string()).collect()),
            }]),
            match_fields: None,
        };
        self.spec().affinity.get_or_insert_with(Affinity::default).node_affinity =
            Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: vec![term],
                }),
                preferred_during_scheduling_ignored_during_execution: None,
            });
        self
    }
    pub fn anti_affinity(mut self, key: &str, value: &str, topology: &str) -> Self {
        let term = PodAffinityTerm {
            label_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(key.to_string(), value.to_string())])),
                match_expressions: None,
            }),
            topology_key: topology.into(),
            ..Default::default()
        };
        let aff = self.spec().affinity.get_or_insert_with(Affinity::default);
        aff.pod_anti_affinity
            .get_or_insert_with(PodAntiAffinity::default)
            .required_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(term);
        self
    }
    pub fn affinity(mut self, key: &str, value: &str, topology: &str) -> Self {
        let term = PodAffinityTerm {
            label_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(key.to_string(), value.to_string())])),
                match_expressions: None,
            }),
            topology_key: topology.into(),
            ..Default::default()
        };
        let aff = self.spec().affinity.get_or_insert_with(Affinity::default);
        aff.pod_affinity
            .get_or_insert_with(Default::default)
            .required_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(term);
        self
    }
    pub fn spread(
        mut self,
        topology: &str,
        max_skew: i32,
        hard: bool,
        key: &str,
        value: &str,
    ) -> Self {
        self.spec().topology_spread_constraints.get_or_insert_with(Vec::new).push(
            TopologySpreadConstraint {
                max_skew,
                topology_key: topology.into(),
                when_unsatisfiable: if hard { "DoNotSchedule" } else { "ScheduleAnyway" }.into(),
                label_selector: Some(LabelSelector {
                    match_labels: Some(BTreeMap::from([(key.to_string(), value.to_string())])),
                    match_expressions: None,
                }),
                ..Default::default()
            },
        );
        self
    }
    pub fn build(self) -> Arc<Pod> {
        Arc::new(self.0)
    }
}

/// What happened to one pod in [`Cluster::schedule_pending`].
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    Bound(String),
    Unschedulable(String),
    BindFailed(String),
    Error(String),
    Skipped,
}

/// A scheduler over a fake cluster, with a recording binder and a fake clock.
pub struct Cluster {
    pub sched: Arc<Scheduler>,
    pub binder: Arc<RecordingBinder>,
    pub clock: FakeClock,
    pods: parking_lot::Mutex<BTreeMap<String, Arc<Pod>>>,
}

impl Cluster {
    pub fn new() -> Self {
        Self::with(|b| b)
    }

    pub fn with(f: impl FnOnce(SchedulerBuilder) -> SchedulerBuilder) -> Self {
        let binder = Arc::new(RecordingBinder::new());
        let clock = FakeClock::new();
        let builder = Scheduler::builder()
            .handle(Handle::new(binder.clone()))
            .clock(Arc::new(clock.clone()))
            .seed(7)
            .threads(2)
            // Small clusters: run Filter and Score on the pool anyway, to exercise it.
            .min_parallel_work(0);
        let sched = Arc::new(f(builder).build().expect("scheduler builds"));
        Cluster { sched, binder, clock, pods: parking_lot::Mutex::new(BTreeMap::new()) }
    }

    pub fn add_node(&self, n: NodeBuilder) {
        self.sched.on_node_add(n.build());
    }

    pub fn add_pod(&self, p: PodBuilder) {
        let p = p.build();
        let key = format!("default/{}", p.metadata.name.as_deref().unwrap_or(""));
        self.pods.lock().insert(key, p.clone());
        // Distinct queue timestamps keep the PrioritySort order deterministic.
        self.clock.advance(std::time::Duration::from_millis(1));
        self.sched.on_pod_add(p);
    }

    pub fn pod(&self, key: &str) -> Arc<Pod> {
        self.pods.lock().get(key).cloned().expect("known pod")
    }

    /// Replaces a pod as the API would after an update.
    pub fn update_pod(&self, new: PodBuilder) {
        let new = new.build();
        let key = format!("default/{}", new.metadata.name.as_deref().unwrap_or(""));
        let old = self.pods.lock().insert(key, new.clone()).expect("known pod");
        self.sched.on_pod_update(old, new);
    }

    /// Schedules every active pod; bound pods are confirmed back to the scheduler as
    /// the API's watch would (the pod with `spec.nodeName` set).
    pub async fn schedule_pending(&self) -> BTreeMap<String, Placement> {
        let mut out = BTreeMap::new();
        while let Some(p) = self.sched.queue().try_pop() {
            let outcome = self.sched.schedule_pod(p);
            let key = outcome.pod().to_string();
            let placement = match outcome {
                ScheduleOutcome::Scheduled { binding, .. } => {
                    match binding.await.expect("binding task") {
                        BindOutcome::Bound { node } => {
                            let old = self.pod(&key);
                            let mut new = (*old).clone();
                            new.spec.as_mut().expect("spec").node_name = Some(node.clone());
                            let new = Arc::new(new);
                            self.pods.lock().insert(key.clone(), new.clone());
                            self.sched.on_pod_update(old, new);
                            Placement::Bound(node)
                        }
                        BindOutcome::Failed(s) => Placement::BindFailed(s.message()),
                    }
                }
                ScheduleOutcome::Unschedulable { error, .. } => {
                    Placement::Unschedulable(error.to_string())
                }
                ScheduleOutcome::Error { status, .. } => Placement::Error(status.message()),
                ScheduleOutcome::Skipped { .. } => Placement::Skipped,
            };
            out.insert(key, placement);
        }
        out
    }
}

pub fn bound(node: &str) -> Placement {
    Placement::Bound(node.to_string())
}
