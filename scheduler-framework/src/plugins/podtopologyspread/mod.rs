//! PodTopologySpread: Filter on hard spread constraints (maxSkew, minDomains), Score on soft ones, with system default constraints.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use capstan_api_types::core::v1::TopologySpreadConstraint;
use serde::Deserialize;

use crate::cache::Snapshot;
use crate::framework::cycle_state::CycleState;
use crate::framework::events::{ActionType, ClusterEventWithHint, EventResource};
use crate::framework::handle::{Handle, WorkloadSelectorLister};
use crate::framework::interface::{
    EnqueueExtensions, FilterPlugin, MAX_NODE_SCORE, NodeScore, Plugin, PreFilterExtensions,
    PreFilterPlugin, PreFilterResult, PreScorePlugin, ScoreExtensions, ScorePlugin,
};
use crate::framework::registry::{PluginError, decode_args};
use crate::framework::status::Status;
use crate::framework::types::{IdMap, LabelId, NodeInfo, PodInfo};
use crate::plugins::names::POD_TOPOLOGY_SPREAD;
use crate::plugins::node_memo::{Aggregate, NodeMemo, SumMemo};

pub use common::{Constraint, HOSTNAME_LABEL};

/// The reason for a node breaking a constraint's skew.
pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints";
/// The reason for a node without a constraint's topology label.
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// How default constraints are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum DefaultingType {
    /// Kubernetes' built-in defaults (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway).
    #[default]
    System,
    /// `defaultConstraints` from the args.
    List,
}

/// `PodTopologySpreadArgs`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodTopologySpreadArgs {
    /// Constraints for pods without their own (with `defaultingType: List`).
    #[serde(default)]
    pub default_constraints: Vec<TopologySpreadConstraint>,
    /// `System` (default) or `List`.
    #[serde(default)]
    pub defaulting_type: DefaultingType,
}

/// The PodTopologySpread plugin.
pub struct PodTopologySpread {
    defaults: Vec<TopologySpreadConstraint>,
    system_defaulted: bool,
    workloads: Arc<dyn WorkloadSelectorLister>,
    /// Matching pods per node and constraint, remembered across cycles by namespace
    /// and selectors (see [`NodeMemo`]).
    counts: NodeMemo<Vec<i32>>,
    /// PreFilter's matching pods per domain, kept across cycles (see [`SumMemo`]).
    domains: SumMemo<DomainCounts>,
}

/// Per constraint and domain (interned topology value): eligible nodes and matching pods.
#[derive(Debug, Clone, Default)]
struct DomainCounts {
    per_constraint: Vec<IdMap<(i32, i32)>>,
}

/// One node's share of [`DomainCounts`]: per constraint, when the node is an eligible
/// domain member, its topology value's id and matching pods (`None` for a node lacking
/// a constraint's topology key).
type NodeDomains = Option<Vec<Option<(LabelId, i32)>>>;

impl Aggregate for DomainCounts {
    type Node = NodeDomains;
    fn apply(&mut self, node: &NodeDomains, sign: i64) {
        let Some(per_constraint) = node else { return };
        if self.per_constraint.len() < per_constraint.len() {
            self.per_constraint.resize_with(per_constraint.len(), IdMap::default);
        }
        for (counts, member) in self.per_constraint.iter_mut().zip(per_constraint) {
            let Some((value, pods)) = *member else { continue };
            let entry = counts.entry(value).or_default();
            entry.0 += sign as i32;
            entry.1 += sign as i32 * pods;
            if entry.0 == 0 {
                counts.remove(&value);
            }
        }
    }
}

impl DomainCounts {
    /// Matching pods in domain `value` of constraint `i` (`None`: not a domain).
    fn get(&self, i: usize, value: LabelId) -> Option<i32> {
        self.per_constraint.get(i).and_then(|m| m.get(&value)).map(|(_, pods)| *pods)
    }

    /// Number of domains of constraint `i` and their least matching pods.
    fn domains_and_min(&self, i: usize) -> (i32, i32) {
        let Some(m) = self.per_constraint.get(i) else { return (0, 0) };
        (m.len() as i32, m.values().map(|(_, pods)| *pods).min().unwrap_or(0))
    }
}

/// The memo key of PreFilter's domain counts: the namespace, the constraints and what
/// decides a node's eligibility for the pod (its node affinity and tolerations).
fn domains_key(
    pod: &PodInfo,
    constraints: &[Constraint],
    affinity: &crate::plugins::helper::RequiredNodeAffinity,
) -> String {
    use std::fmt::Write;
    let mut key = format!("{:?}", pod.namespace());
    for c in constraints {
        let _ = write!(
            key,
            "|{:?}|{:?}|{}|{}",
            c.topology_key, c.selector, c.honor_node_affinity, c.honor_node_taints
        );
    }
    if constraints.iter().any(|c| c.honor_node_affinity) {
        let _ = write!(key, "|{affinity:?}");
    }
    if constraints.iter().any(|c| c.honor_node_taints) {
        let _ = write!(key, "|{:?}", crate::plugins::helper::pod_tolerations(&pod.pod));
    }
    key
}

/// `node`'s share of the domain counts of `pod`'s `constraints`.
fn domains_on(
    node: &NodeInfo,
    pod: &PodInfo,
    constraints: &[Constraint],
    affinity: &crate::plugins::helper::RequiredNodeAffinity,
) -> NodeDomains {
    if !common::node_labels_match(constraints, node) {
        return None;
    }
    Some(
        constraints
            .iter()
            .map(|c| {
                let v = c.domain_of(node)?;
                c.node_eligible(node, pod, affinity)
                    .then(|| (v, common::count_matching(node, pod.namespace(), &c.selector)))
            })
            .collect(),
    )
}

/// The memo key of counting `constraints`' selectors in `namespace`.
fn counts_key(namespace: &str, constraints: &[Constraint]) -> String {
    use std::fmt::Write;
    let mut key = format!("{namespace:?}");
    for c in constraints {
        let _ = write!(key, "|{:?}", c.selector);
    }
    key
}

/// Per constraint, the pods on `node` in `namespace` its selector matches.
fn counts_on(node: &NodeInfo, namespace: &str, constraints: &[Constraint]) -> Vec<i32> {
    constraints.iter().map(|c| common::count_matching(node, namespace, &c.selector)).collect()
}

/// Builds the plugin from `PodTopologySpreadArgs`.
pub fn factory(
    args: Option<&serde_json::Value>,
    handle: &Handle,
) -> Result<Arc<dyn Plugin>, PluginError> {
    let args: PodTopologySpreadArgs = decode_args(POD_TOPOLOGY_SPREAD, args)?;
    PodTopologySpread::new(args, handle.workloads.clone()).map(|p| Arc::new(p) as Arc<dyn Plugin>)
}

fn system_default_constraints() -> Vec<TopologySpreadConstraint> {
    vec![
        TopologySpreadConstraint {
            max_skew: 3,
            topology_key: HOSTNAME_LABEL.into(),
            when_unsatisfiable: "ScheduleAnyway".into(),
            ..Default::default()
        },
        TopologySpreadConstraint {
            max_skew: 5,
            topology_key: crate::cache::node_tree::LABEL_ZONE.into(),
            when_unsatisfiable: "ScheduleAnyway".into(),
            ..Default::default()
        },
    ]
}

impl PodTopologySpread {
    /// A plugin with validated `args`.
    pub fn new(
        args: PodTopologySpreadArgs,
        workloads: Arc<dyn WorkloadSelectorLister>,
    ) -> Result<Self, PluginError> {
        let invalid = |m: &str| PluginError::InvalidArgs {
            plugin: POD_TOPOLOGY_SPREAD.into(),
            message: m.into(),
        };
        let (defaults, system_defaulted) = match args.defaulting_type {
            DefaultingType::System => {
                if !args.default_constraints.is_empty() {
                    return Err(invalid(
                        "when .defaultingType is \"System\", .defaultConstraints must be empty",
                    ));
                }
                (system_default_constraints(), true)
            }
            DefaultingType::List => (args.default_constraints, false),
        };
        for c in &defaults {
            if c.max_skew <= 0 {
                return Err(invalid("defaultConstraints: maxSkew must be greater than zero"));
            }
            if c.label_selector.is_some() {
                return Err(invalid("defaultConstraints: constraints must not define a selector"));
            }
        }
        Ok(PodTopologySpread {
            defaults,
            system_defaulted,
            workloads,
            counts: NodeMemo::new(),
            domains: SumMemo::new(),
        })
    }

    /// The pod's constraints with `when_unsatisfiable` (or, when the pod has none and
    /// `soft` is asked, the default constraints with the workload selector).
    fn constraints(&self, pod: &PodInfo, action: &str) -> Result<(Vec<Constraint>, bool), Status> {
        let own = pod
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.topology_spread_constraints.as_deref())
            .unwrap_or(&[]);
        if !own.is_empty() {
            let mut out = Vec::new();
            for c in own.iter().filter(|c| c.when_unsatisfiable == action) {
                out.push(
                    Constraint::from_api(c, pod, None).map_err(|e| Status::error(e.to_string()))?,
                );
            }
            return Ok((out, false));
        }
        if action != "ScheduleAnyway" || self.defaults.is_empty() {
            return Ok((Vec::new(), false));
        }
        let selectors = self.workloads.selectors_for(&pod.pod);
        if selectors.is_empty() {
            return Ok((Vec::new(), false));
        }
        let mut reqs = Vec::new();
        for s in selectors {
            reqs.extend(s.requirements().iter().cloned());
        }
        let selector = capstan_api_types::labels::Selector::from_requirements(reqs);
        let mut out = Vec::new();
        for c in &self.defaults {
            out.push(
                Constraint::from_api(c, pod, Some(selector.clone()))
                    .map_err(|e| Status::error(e.to_string()))?,
            );
        }
        Ok((out, self.system_defaulted))
    }
}

impl Plugin for PodTopologySpread {
    fn name(&self) -> &str {
        POD_TOPOLOGY_SPREAD
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
    fn as_enqueue_extensions(&self) -> Option<&dyn EnqueueExtensions> {
        Some(self)
    }
}

/// The Filter state: per constraint, matching pods per domain and the global minimum.
#[derive(Debug, Clone)]
struct FilterState {
    constraints: Vec<Constraint>,
    counts: Arc<DomainCounts>,
    min: Vec<i32>,
    /// Per constraint, 1 when its selector matches the pod being scheduled (the same
    /// for every node, so decided once).
    self_match: Vec<i32>,
}

impl FilterState {
    fn recompute_min(&mut self) {
        for (i, c) in self.constraints.iter().enumerate() {
            let (domains, m) = self.counts.domains_and_min(i);
            self.min[i] = if domains < c.min_domains { 0 } else { m };
        }
    }

    fn update(
        &mut self,
        pod_to_schedule: &PodInfo,
        changed: &PodInfo,
        node: &NodeInfo,
        delta: i32,
    ) {
        if changed.namespace() != pod_to_schedule.namespace() {
            return;
        }
        if !common::node_labels_match(&self.constraints, node) {
            return;
        }
        for (i, c) in self.constraints.iter().enumerate() {
            if !c.selector.matches(&changed.pod.metadata.labels) {
                continue;
            }
            let Some(v) = c.domain_of(node) else { continue };
            if self.counts.get(i, v).is_some() {
                let counts = Arc::make_mut(&mut self.counts);
                if let Some(n) = counts.per_constraint[i].get_mut(&v) {
                    n.1 += delta;
                }
            }
        }
        self.recompute_min();
    }
}

impl PreFilterPlugin for PodTopologySpread {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        let constraints = match self.constraints(pod, "DoNotSchedule") {
            Ok((c, _)) => c,
            Err(s) => return (None, s),
        };
        if constraints.is_empty() {
            return (None, Status::skip());
        }
        let affinity = crate::plugins::helper::RequiredNodeAffinity::from_pod(&pod.pod);
        let key = domains_key(pod, &constraints, &affinity);
        let counts = self
            .domains
            .total(&key, snapshot, |node| domains_on(node, pod, &constraints, &affinity));
        let self_match = constraints
            .iter()
            .map(|c| i32::from(c.selector.matches(&pod.pod.metadata.labels)))
            .collect();
        let mut st =
            FilterState { min: vec![0; constraints.len()], constraints, counts, self_match };
        st.recompute_min();
        state.write(st);
        (None, Status::success())
    }

    fn pre_filter_extensions(&self) -> Option<&dyn PreFilterExtensions> {
        Some(self)
    }
}

impl PreFilterExtensions for PodTopologySpread {
    fn add_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        add: &Arc<PodInfo>,
        node: &NodeInfo,
    ) -> Status {
        if let Some(st) = state.get_mut::<FilterState>() {
            st.update(pod, add, node, 1);
        }
        Status::success()
    }
    fn remove_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        remove: &Arc<PodInfo>,
        node: &NodeInfo,
    ) -> Status {
        if let Some(st) = state.get_mut::<FilterState>() {
            st.update(pod, remove, node, -1);
        }
        Status::success()
    }
}

impl FilterPlugin for PodTopologySpread {
    fn filter(&self, state: &CycleState, _: &PodInfo, node: &NodeInfo) -> Status {
        let Some(st) = state.read::<FilterState>() else {
            return Status::error("PodTopologySpread: no PreFilter state");
        };
        for (i, c) in st.constraints.iter().enumerate() {
            let Some(v) = c.domain_of(node) else {
                return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
            };
            let matched = st.counts.get(i, v).unwrap_or(0);
            if matched + st.self_match[i] - st.min[i] > c.max_skew {
                return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
            }
        }
        Status::success()
    }
}

/// The Score state.
#[derive(Debug, Clone)]
struct ScoreState {
    constraints: Vec<Constraint>,
    ignored: HashSet<Arc<str>>,
    /// Per constraint (non-hostname keys): matching pods per domain.
    counts: Vec<HashMap<String, i64>>,
    weights: Vec<f64>,
}

impl PreScorePlugin for PodTopologySpread {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        feasible: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status {
        let (constraints, system) = match self.constraints(pod, "ScheduleAnyway") {
            Ok(c) => c,
            Err(s) => return s,
        };
        if constraints.is_empty() {
            return Status::skip();
        }
        let require_all = !system;
        let mut ignored = HashSet::new();
        let mut counts: Vec<HashMap<String, i64>> = vec![HashMap::new(); constraints.len()];
        let mut domains: Vec<HashSet<&str>> = vec![HashSet::new(); constraints.len()];
        for node in feasible {
            if require_all && !common::node_labels_match(&constraints, node) {
                ignored.insert(node.name_arc().clone());
                continue;
            }
            for (i, c) in constraints.iter().enumerate() {
                if let Some(v) = node.labels().get(&c.topology_key) {
                    if c.topology_key != HOSTNAME_LABEL {
                        counts[i].entry(v.clone()).or_insert(0);
                    }
                    domains[i].insert(v.as_str());
                }
            }
        }
        let weights: Vec<f64> = constraints
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let n = if c.topology_key == HOSTNAME_LABEL {
                    feasible.len() - ignored.len()
                } else {
                    domains[i].len()
                };
                ((n + 2) as f64).ln()
            })
            .collect();
        let affinity = crate::plugins::helper::RequiredNodeAffinity::from_pod(&pod.pod);
        if constraints.iter().any(|c| c.topology_key != HOSTNAME_LABEL) {
            let ns = pod.namespace();
            let mut table = self.counts.table(&counts_key(ns, &constraints), snapshot.num_nodes());
            for (p, node) in snapshot.list().iter().enumerate() {
                let matching = table.get(p, node, |node| counts_on(node, ns, &constraints));
                for (i, c) in constraints.iter().enumerate() {
                    if c.topology_key == HOSTNAME_LABEL {
                        continue;
                    }
                    let Some(v) = node.labels().get(&c.topology_key) else { continue };
                    if !c.node_eligible(node, pod, &affinity) {
                        continue;
                    }
                    if let Some(n) = counts[i].get_mut(v) {
                        *n += matching[i] as i64;
                    }
                }
            }
        }
        state.write(ScoreState { constraints, ignored, counts, weights });
        Status::success()
    }
}

impl ScorePlugin for PodTopologySpread {
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Result<i64, Status> {
        let Some(st) = state.read::<ScoreState>() else {
            return Err(Status::error("PodTopologySpread: no PreScore state"));
        };
        if st.ignored.contains(node.name()) {
            return Ok(0);
        }
        let mut score = 0f64;
        for (i, c) in st.constraints.iter().enumerate() {
            let Some(v) = node.labels().get(&c.topology_key) else { continue };
            let cnt = if c.topology_key == HOSTNAME_LABEL {
                common::count_matching(node, pod.namespace(), &c.selector) as i64
            } else {
                st.counts[i].get(v).copied().unwrap_or(0)
            };
            score += cnt as f64 * st.weights[i] + (c.max_skew - 1) as f64;
        }
        Ok(score.round() as i64)
    }

    fn score_extensions(&self) -> Option<&dyn ScoreExtensions> {
        Some(self)
    }
}

impl ScoreExtensions for PodTopologySpread {
    fn normalize_score(&self, state: &CycleState, _: &PodInfo, scores: &mut [NodeScore]) -> Status {
        let Some(st) = state.read::<ScoreState>() else {
            return Status::error("PodTopologySpread: no PreScore state");
        };
        let valid = |s: &NodeScore| !st.ignored.contains(&s.name);
        let min = scores.iter().filter(|s| valid(s)).map(|s| s.score).min().unwrap_or(0);
        let max = scores.iter().filter(|s| valid(s)).map(|s| s.score).max().unwrap_or(0);
        for s in scores.iter_mut() {
            s.score = if !valid(s) {
                0
            } else if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - s.score) / max
            };
        }
        Status::success()
    }
}

impl EnqueueExtensions for PodTopologySpread {
    fn events_to_register(&self) -> Vec<ClusterEventWithHint> {
        vec![
            ClusterEventWithHint::new(
                EventResource::AssignedPod,
                ActionType::ADD | ActionType::DELETE | ActionType::UPDATE_POD_LABEL,
            ),
            ClusterEventWithHint::new(
                EventResource::Node,
                ActionType::ADD
                    | ActionType::DELETE
                    | ActionType::UPDATE_NODE_LABEL
                    | ActionType::UPDATE_NODE_TAINT,
            ),
        ]
    }
}

#[cfg(test)]
mod tests;
