//! InterPodAffinity: required pod affinity and anti-affinity (Filter, including existing pods' anti-affinity) and preferred terms (Score), with `namespaceSelector`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;

use crate::cache::Snapshot;
use crate::framework::cycle_state::CycleState;
use crate::framework::events::{ActionType, ClusterEventWithHint, EventResource};
use crate::framework::handle::{Handle, NamespaceLister};
use crate::framework::interface::{
    EnqueueExtensions, FilterPlugin, MAX_NODE_SCORE, NodeScore, Plugin, PreFilterExtensions,
    PreFilterPlugin, PreFilterResult, PreScorePlugin, ScoreExtensions, ScorePlugin,
};
use crate::framework::registry::{PluginError, decode_args};
use crate::framework::status::Status;
use crate::framework::types::{AffinityTerm, NodeInfo, PodInfo, WeightedAffinityTerm};
use crate::plugins::names::INTER_POD_AFFINITY;

/// The reason for a node not satisfying the pod's affinity.
pub const ERR_REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
/// The reason for a node not satisfying the pod's anti-affinity.
pub const ERR_REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
/// The reason for a node where existing pods' anti-affinity excludes the pod.
pub const ERR_REASON_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";

/// `InterPodAffinityArgs`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InterPodAffinityArgs {
    /// Weight of existing pods' required affinity terms in scoring (0–100, default 1).
    #[serde(default = "one")]
    pub hard_pod_affinity_weight: i32,
    /// Ignore existing pods' preferred terms when scoring.
    #[serde(default)]
    pub ignore_preferred_terms_of_existing_pods: bool,
}

fn one() -> i32 {
    1
}

impl Default for InterPodAffinityArgs {
    fn default() -> Self {
        InterPodAffinityArgs {
            hard_pod_affinity_weight: 1,
            ignore_preferred_terms_of_existing_pods: false,
        }
    }
}

/// The InterPodAffinity plugin.
pub struct InterPodAffinity {
    args: InterPodAffinityArgs,
    namespaces: Arc<dyn NamespaceLister>,
}

/// Builds the plugin from `InterPodAffinityArgs`.
pub fn factory(
    args: Option<&serde_json::Value>,
    handle: &Handle,
) -> Result<Arc<dyn Plugin>, PluginError> {
    let args: InterPodAffinityArgs = decode_args(INTER_POD_AFFINITY, args)?;
    if !(0..=100).contains(&args.hard_pod_affinity_weight) {
        return Err(PluginError::InvalidArgs {
            plugin: INTER_POD_AFFINITY.into(),
            message: "hardPodAffinityWeight: must be in the range [0, 100]".into(),
        });
    }
    Ok(Arc::new(InterPodAffinity { args, namespaces: handle.namespaces.clone() }))
}

/// Pod counts by topology key, then value: looked up by `&str` without allocating.
#[derive(Debug, Clone, Default)]
struct TopologyCounts {
    by_key: HashMap<String, HashMap<String, i64>>,
}

impl TopologyCounts {
    fn get(&self, key: &str, value: &str) -> i64 {
        self.by_key.get(key).and_then(|m| m.get(value)).copied().unwrap_or(0)
    }

    fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Whether any of the node's labels names a pair with a positive count.
    fn any_positive(&self, labels: &BTreeMap<String, String>) -> bool {
        self.by_key
            .iter()
            .any(|(k, m)| labels.get(k).is_some_and(|v| m.get(v).is_some_and(|c| *c > 0)))
    }
}

fn update_counts(counts: &mut TopologyCounts, node: &NodeInfo, key: &str, delta: i64) {
    let Some(v) = node.labels().get(key) else { return };
    let values = match counts.by_key.get_mut(key) {
        Some(m) => m,
        None => counts.by_key.entry(key.to_string()).or_default(),
    };
    let c = match values.get_mut(v.as_str()) {
        Some(c) => c,
        None => values.entry(v.clone()).or_insert(0),
    };
    *c += delta;
    if *c == 0 {
        values.remove(v.as_str());
        if values.is_empty() {
            counts.by_key.remove(key);
        }
    }
}

fn matches_all(terms: &[AffinityTerm], pod: &PodInfo) -> bool {
    !terms.is_empty() && terms.iter().all(|t| t.matches(pod, None))
}

/// The PreFilter state.
#[derive(Debug, Clone, Default)]
struct FilterState {
    required_affinity: Vec<AffinityTerm>,
    required_anti_affinity: Vec<AffinityTerm>,
    namespace_labels: Option<BTreeMap<String, String>>,
    existing_anti_affinity: TopologyCounts,
    affinity: TopologyCounts,
    anti_affinity: TopologyCounts,
}

impl FilterState {
    fn update_with_pod(
        &mut self,
        existing: &PodInfo,
        node: &NodeInfo,
        incoming: &PodInfo,
        delta: i64,
    ) {
        for t in &existing.required_anti_affinity_terms {
            if t.matches(incoming, self.namespace_labels.as_ref()) {
                update_counts(&mut self.existing_anti_affinity, node, &t.topology_key, delta);
            }
        }
        if matches_all(&self.required_affinity, existing) {
            for t in &self.required_affinity {
                update_counts(&mut self.affinity, node, &t.topology_key, delta);
            }
        }
        for t in &self.required_anti_affinity {
            if t.matches(existing, None) {
                update_counts(&mut self.anti_affinity, node, &t.topology_key, delta);
            }
        }
    }
}

impl InterPodAffinity {
    /// Resolves `namespaceSelector`s of the incoming pod's terms into namespace names.
    fn merge_namespaces(&self, terms: &[AffinityTerm]) -> Vec<AffinityTerm> {
        let needs = terms
            .iter()
            .any(|t| !t.namespace_selector.is_nothing() && !t.namespace_selector.is_empty());
        let all = if needs { self.namespaces.namespaces() } else { Vec::new() };
        terms
            .iter()
            .map(|t| {
                let mut t = t.clone();
                if !t.namespace_selector.is_nothing() && !t.namespace_selector.is_empty() {
                    for (name, labels) in &all {
                        if t.namespace_selector.matches(labels) {
                            t.namespaces.insert(name.clone());
                        }
                    }
                    t.namespace_selector = capstan_api_types::labels::Selector::nothing();
                }
                t
            })
            .collect()
    }

    fn merge_weighted(&self, terms: &[WeightedAffinityTerm]) -> Vec<WeightedAffinityTerm> {
        let plain: Vec<AffinityTerm> = terms.iter().map(|w| w.term.clone()).collect();
        self.merge_namespaces(&plain)
            .into_iter()
            .zip(terms)
            .map(|(term, w)| WeightedAffinityTerm { term, weight: w.weight })
            .collect()
    }
}

impl Plugin for InterPodAffinity {
    fn name(&self) -> &str {
        INTER_POD_AFFINITY
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

impl PreFilterPlugin for InterPodAffinity {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        if let Some(e) = &pod.parse_error {
            return (None, Status::error(e.clone()));
        }
        let any_existing = snapshot.have_pods_with_required_anti_affinity().next().is_some();
        if pod.required_affinity_terms.is_empty()
            && pod.required_anti_affinity_terms.is_empty()
            && !any_existing
        {
            return (None, Status::skip());
        }
        let mut st = FilterState {
            required_affinity: self.merge_namespaces(&pod.required_affinity_terms),
            required_anti_affinity: self.merge_namespaces(&pod.required_anti_affinity_terms),
            namespace_labels: self.namespaces.labels(pod.namespace()),
            ..Default::default()
        };
        for node in snapshot.have_pods_with_required_anti_affinity() {
            for existing in node.pods_with_required_anti_affinity() {
                for t in &existing.required_anti_affinity_terms {
                    if t.matches(pod, st.namespace_labels.as_ref()) {
                        update_counts(&mut st.existing_anti_affinity, node, &t.topology_key, 1);
                    }
                }
            }
        }
        if !st.required_affinity.is_empty() || !st.required_anti_affinity.is_empty() {
            for node in snapshot.list() {
                for existing in node.pods() {
                    if matches_all(&st.required_affinity, existing) {
                        for t in &st.required_affinity {
                            update_counts(&mut st.affinity, node, &t.topology_key, 1);
                        }
                    }
                    for t in &st.required_anti_affinity {
                        if t.matches(existing, None) {
                            update_counts(&mut st.anti_affinity, node, &t.topology_key, 1);
                        }
                    }
                }
            }
        }
        state.write(st);
        (None, Status::success())
    }

    fn pre_filter_extensions(&self) -> Option<&dyn PreFilterExtensions> {
        Some(self)
    }
}

impl PreFilterExtensions for InterPodAffinity {
    fn add_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        add: &Arc<PodInfo>,
        node: &NodeInfo,
    ) -> Status {
        if let Some(st) = state.get_mut::<FilterState>() {
            st.update_with_pod(add, node, pod, 1);
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
            st.update_with_pod(remove, node, pod, -1);
        }
        Status::success()
    }
}

impl FilterPlugin for InterPodAffinity {
    fn filter(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        let Some(st) = state.read::<FilterState>() else {
            return Status::error("InterPodAffinity: no PreFilter state");
        };
        let labels = node.labels();
        // Required affinity: every term's topology must exist and hold a matching pod
        // (or, for the first pod of a group matching its own terms, no pod anywhere).
        let mut pods_exist = true;
        for t in &st.required_affinity {
            let Some(v) = labels.get(&t.topology_key) else {
                return Status::unresolvable(ERR_REASON_AFFINITY);
            };
            if st.affinity.get(&t.topology_key, v) <= 0 {
                pods_exist = false;
            }
        }
        if !(pods_exist || st.affinity.is_empty() && matches_all(&st.required_affinity, pod)) {
            return Status::unresolvable(ERR_REASON_AFFINITY);
        }
        for t in &st.required_anti_affinity {
            if let Some(v) = labels.get(&t.topology_key) {
                if st.anti_affinity.get(&t.topology_key, v) > 0 {
                    return Status::unschedulable(ERR_REASON_ANTI_AFFINITY);
                }
            }
        }
        if !st.existing_anti_affinity.is_empty() && st.existing_anti_affinity.any_positive(labels) {
            return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
        }
        Status::success()
    }
}

/// The PreScore state: score per topology pair.
#[derive(Debug, Clone, Default)]
struct ScoreState {
    scores: HashMap<String, HashMap<String, i64>>,
}

impl ScoreState {
    fn process(
        &mut self,
        term: &AffinityTerm,
        weight: i64,
        pod: &PodInfo,
        ns: Option<&BTreeMap<String, String>>,
        node: &NodeInfo,
        mult: i64,
    ) {
        if !term.matches(pod, ns) {
            return;
        }
        let Some(v) = node.labels().get(&term.topology_key) else { return };
        let values = match self.scores.get_mut(&term.topology_key) {
            Some(m) => m,
            None => self.scores.entry(term.topology_key.clone()).or_default(),
        };
        match values.get_mut(v.as_str()) {
            Some(c) => *c += weight * mult,
            None => {
                values.insert(v.clone(), weight * mult);
            }
        }
    }
}

impl PreScorePlugin for InterPodAffinity {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status {
        let has_constraints = !pod.preferred_affinity_terms.is_empty()
            || !pod.preferred_anti_affinity_terms.is_empty();
        let any_existing = snapshot.have_pods_with_affinity().next().is_some();
        if !has_constraints && !any_existing {
            return Status::skip();
        }
        let preferred = self.merge_weighted(&pod.preferred_affinity_terms);
        let preferred_anti = self.merge_weighted(&pod.preferred_anti_affinity_terms);
        let ns_labels = self.namespaces.labels(pod.namespace());
        let mut st = ScoreState::default();
        let mut visit = |node: &NodeInfo, existing: &PodInfo| {
            if node.labels().is_empty() {
                return;
            }
            for w in &preferred {
                st.process(&w.term, w.weight as i64, existing, None, node, 1);
            }
            for w in &preferred_anti {
                st.process(&w.term, w.weight as i64, existing, None, node, -1);
            }
            if self.args.hard_pod_affinity_weight > 0 {
                for t in &existing.required_affinity_terms {
                    st.process(
                        t,
                        self.args.hard_pod_affinity_weight as i64,
                        pod,
                        ns_labels.as_ref(),
                        node,
                        1,
                    );
                }
            }
            if !self.args.ignore_preferred_terms_of_existing_pods {
                for w in &existing.preferred_affinity_terms {
                    st.process(&w.term, w.weight as i64, pod, ns_labels.as_ref(), node, 1);
                }
                for w in &existing.preferred_anti_affinity_terms {
                    st.process(&w.term, w.weight as i64, pod, ns_labels.as_ref(), node, -1);
                }
            }
        };
        if has_constraints {
            for node in snapshot.list() {
                for existing in node.pods() {
                    visit(node, existing);
                }
            }
        } else {
            for node in snapshot.have_pods_with_affinity() {
                for existing in node.pods_with_affinity() {
                    visit(node, existing);
                }
            }
        }
        if st.scores.is_empty() {
            return Status::skip();
        }
        state.write(st);
        Status::success()
    }
}

impl ScorePlugin for InterPodAffinity {
    fn score(&self, state: &CycleState, _: &PodInfo, node: &NodeInfo) -> Result<i64, Status> {
        let Some(st) = state.read::<ScoreState>() else {
            return Err(Status::error("InterPodAffinity: no PreScore state"));
        };
        let labels = node.labels();
        Ok(st
            .scores
            .iter()
            .filter_map(|(k, values)| labels.get(k).and_then(|v| values.get(v)))
            .sum())
    }

    fn score_extensions(&self) -> Option<&dyn ScoreExtensions> {
        Some(self)
    }
}

impl ScoreExtensions for InterPodAffinity {
    fn normalize_score(&self, _: &CycleState, _: &PodInfo, scores: &mut [NodeScore]) -> Status {
        let min = scores.iter().map(|s| s.score).min().unwrap_or(0);
        let max = scores.iter().map(|s| s.score).max().unwrap_or(0);
        let diff = max - min;
        for s in scores.iter_mut() {
            s.score = if diff > 0 { MAX_NODE_SCORE * (s.score - min) / diff } else { 0 };
        }
        Status::success()
    }
}

impl EnqueueExtensions for InterPodAffinity {
    fn events_to_register(&self) -> Vec<ClusterEventWithHint> {
        vec![
            ClusterEventWithHint::new(
                EventResource::AssignedPod,
                ActionType::ADD | ActionType::DELETE | ActionType::UPDATE_POD_LABEL,
            ),
            ClusterEventWithHint::new(
                EventResource::Node,
                ActionType::ADD | ActionType::UPDATE_NODE_LABEL,
            ),
        ]
    }
}

#[cfg(test)]
mod tests;
