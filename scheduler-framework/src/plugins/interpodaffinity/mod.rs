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
use crate::plugins::node_memo::{Aggregate, SumMemo};

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
    memos: Memos,
}

/// Totals over the nodes kept across cycles (see [`SumMemo`]), by what the incoming
/// pod asks.
#[derive(Debug, Default)]
struct Memos {
    /// Existing pods' required anti-affinity terms matching the incoming pod.
    existing_anti_affinity: SumMemo<TopologyCounts>,
    /// Pods matching all the incoming pod's required affinity terms.
    affinity: SumMemo<TopologyCounts>,
    /// Pods matching each of the incoming pod's required anti-affinity terms.
    anti_affinity: SumMemo<TopologyCounts>,
    /// PreScore: the scores the nodes' pods add per topology pair.
    scores: SumMemo<ScoreTotals>,
}

impl InterPodAffinity {
    /// A plugin with `args` resolving `namespaceSelector`s through `namespaces`.
    pub fn new(args: InterPodAffinityArgs, namespaces: Arc<dyn NamespaceLister>) -> Self {
        InterPodAffinity { args, namespaces, memos: Memos::default() }
    }
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
    Ok(Arc::new(InterPodAffinity::new(args, handle.namespaces.clone())))
}

/// Pod counts by topology key, then value: looked up by `&str` without allocating.
/// Values are shared strings, so a copy (made when a cycle's state still holds the
/// memo's counts) allocates no string.
#[derive(Debug, Clone, Default)]
struct TopologyCounts {
    by_key: HashMap<String, HashMap<Arc<str>, i64>>,
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
            .any(|(k, m)| labels.get(k).is_some_and(|v| m.get(v.as_str()).is_some_and(|c| *c > 0)))
    }
}

/// One node's share of [`TopologyCounts`]: `(topology key, value, count)`.
type NodeCounts = Vec<(String, Arc<str>, i64)>;

impl Aggregate for TopologyCounts {
    type Node = NodeCounts;
    fn apply(&mut self, node: &NodeCounts, sign: i64) {
        for (key, value, count) in node {
            add_pair(self, key, value, Some(value), sign * count);
        }
    }
}

fn update_counts(counts: &mut TopologyCounts, node: &NodeInfo, key: &str, delta: i64) {
    if let Some(v) = node.labels().get(key) {
        add_pair(counts, key, v, None, delta);
    }
}

/// Adds `delta` to `key`=`v` (`shared`: `v` as a shared string, if at hand).
fn add_pair(
    counts: &mut TopologyCounts,
    key: &str,
    v: &str,
    shared: Option<&Arc<str>>,
    delta: i64,
) {
    let values = match counts.by_key.get_mut(key) {
        Some(m) => m,
        None => counts.by_key.entry(key.to_string()).or_default(),
    };
    let c = match values.get_mut(v) {
        Some(c) => c,
        None => values.entry(shared.cloned().unwrap_or_else(|| Arc::from(v))).or_insert(0),
    };
    *c += delta;
    if *c == 0 {
        values.remove(v);
        if values.is_empty() {
            counts.by_key.remove(key);
        }
    }
}

fn matches_all(terms: &[AffinityTerm], pod: &PodInfo) -> bool {
    !terms.is_empty() && terms.iter().all(|t| t.matches(pod, None))
}

/// Appends a key naming `term` (its namespaces sorted) to `out`.
fn push_term_key(out: &mut String, term: &AffinityTerm) {
    use std::fmt::Write;
    let mut ns: Vec<&String> = term.namespaces.iter().collect();
    ns.sort();
    let _ = write!(
        out,
        "{ns:?}|{:?}|{:?}|{:?};",
        term.selector, term.topology_key, term.namespace_selector
    );
}

/// Appends a key naming what terms of other pods see of `pod`: its namespace, the
/// namespace's labels and its own labels.
fn push_pod_key(out: &mut String, pod: &PodInfo, ns_labels: Option<&BTreeMap<String, String>>) {
    use std::fmt::Write;
    let _ = write!(out, "{:?}|{ns_labels:?}|{:?};", pod.namespace(), pod.pod.metadata.labels);
}

/// Adds `delta` to the entry for `key`=`value` of a short per-node list.
fn add_to(list: &mut NodeCounts, key: &str, value: &str, delta: i64) {
    match list.iter_mut().find(|(k, v, _)| k == key && &**v == value) {
        Some((_, _, c)) => *c += delta,
        None => list.push((key.to_string(), Arc::from(value), delta)),
    }
}

/// Per topology pair of `node`, how many of its pods' required anti-affinity terms
/// select the incoming `pod`.
fn existing_anti_affinity_on(
    node: &NodeInfo,
    pod: &PodInfo,
    ns_labels: Option<&BTreeMap<String, String>>,
) -> NodeCounts {
    let mut out = Vec::new();
    for existing in node.pods_with_required_anti_affinity() {
        for t in &existing.required_anti_affinity_terms {
            if let Some(v) = node.labels().get(&t.topology_key) {
                if t.matches(pod, ns_labels) {
                    add_to(&mut out, &t.topology_key, v, 1);
                }
            }
        }
    }
    out
}

/// Per term's topology pair of `node`, its pods matching all `terms`.
fn affinity_on(node: &NodeInfo, terms: &[AffinityTerm]) -> NodeCounts {
    let all = node.pods().iter().filter(|p| matches_all(terms, p)).count() as i64;
    if all == 0 {
        return Vec::new();
    }
    terms
        .iter()
        .filter_map(|t| {
            let v = node.labels().get(&t.topology_key)?;
            Some((t.topology_key.clone(), Arc::from(v.as_str()), all))
        })
        .collect()
}

/// Per term's topology pair of `node`, its pods matching the term.
fn anti_affinity_on(node: &NodeInfo, terms: &[AffinityTerm]) -> NodeCounts {
    terms
        .iter()
        .filter_map(|t| {
            let v = node.labels().get(&t.topology_key)?;
            let n = node.pods().iter().filter(|p| t.matches(p, None)).count() as i64;
            (n > 0).then(|| (t.topology_key.clone(), Arc::from(v.as_str()), n))
        })
        .collect()
}

/// The PreFilter state.
#[derive(Debug, Clone, Default)]
struct FilterState {
    required_affinity: Vec<AffinityTerm>,
    required_anti_affinity: Vec<AffinityTerm>,
    namespace_labels: Option<BTreeMap<String, String>>,
    existing_anti_affinity: Arc<TopologyCounts>,
    affinity: Arc<TopologyCounts>,
    anti_affinity: Arc<TopologyCounts>,
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
                update_counts(
                    Arc::make_mut(&mut self.existing_anti_affinity),
                    node,
                    &t.topology_key,
                    delta,
                );
            }
        }
        if matches_all(&self.required_affinity, existing) {
            for t in &self.required_affinity {
                update_counts(Arc::make_mut(&mut self.affinity), node, &t.topology_key, delta);
            }
        }
        for t in &self.required_anti_affinity {
            if t.matches(existing, None) {
                update_counts(Arc::make_mut(&mut self.anti_affinity), node, &t.topology_key, delta);
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
        if any_existing {
            let mut key = String::new();
            push_pod_key(&mut key, pod, st.namespace_labels.as_ref());
            let ns_labels = st.namespace_labels.as_ref();
            st.existing_anti_affinity =
                self.memos
                    .existing_anti_affinity
                    .total(&key, snapshot, |node| existing_anti_affinity_on(node, pod, ns_labels));
        }
        if !st.required_affinity.is_empty() {
            let mut key = String::new();
            for t in &st.required_affinity {
                push_term_key(&mut key, t);
            }
            let terms = &st.required_affinity;
            st.affinity =
                self.memos.affinity.total(&key, snapshot, |node| affinity_on(node, terms));
        }
        if !st.required_anti_affinity.is_empty() {
            let mut key = String::new();
            for t in &st.required_anti_affinity {
                push_term_key(&mut key, t);
            }
            let terms = &st.required_anti_affinity;
            st.anti_affinity = self
                .memos
                .anti_affinity
                .total(&key, snapshot, |node| anti_affinity_on(node, terms));
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

/// Scores per topology pair, with how many nodes add to each (a pair stays while any
/// node's terms matched, even if the scores cancel out).
#[derive(Debug, Clone, Default)]
struct ScoreTotals {
    scores: HashMap<String, HashMap<Arc<str>, (i64, i64)>>,
}

impl Aggregate for ScoreTotals {
    type Node = NodeCounts;
    fn apply(&mut self, node: &NodeCounts, sign: i64) {
        for (key, value, score) in node {
            let values = match self.scores.get_mut(key.as_str()) {
                Some(m) => m,
                None => self.scores.entry(key.clone()).or_default(),
            };
            let entry = match values.get_mut(&**value) {
                Some(e) => e,
                None => values.entry(value.clone()).or_default(),
            };
            entry.0 += sign * score;
            entry.1 += sign;
            if entry.1 == 0 {
                values.remove(&**value);
                if values.is_empty() {
                    self.scores.remove(key.as_str());
                }
            }
        }
    }
}

/// The PreScore state: score per topology pair.
#[derive(Debug, Clone, Default)]
struct ScoreState {
    totals: Arc<ScoreTotals>,
}

/// What the PreScore of one pod asks of every node (the scores a node's pods add).
struct ScoreQuery<'a> {
    pod: &'a PodInfo,
    ns_labels: Option<&'a BTreeMap<String, String>>,
    preferred: &'a [WeightedAffinityTerm],
    preferred_anti: &'a [WeightedAffinityTerm],
    /// Whether every pod counts (the incoming pod has preferred terms), not only
    /// pods with terms of their own.
    all_pods: bool,
    hard_weight: i64,
    ignore_preferred_of_existing: bool,
}

impl ScoreQuery<'_> {
    /// The memo key: everything the answer depends on besides the node.
    fn key(&self) -> String {
        use std::fmt::Write;
        let mut key = String::new();
        let _ = write!(
            key,
            "{}|{}|{}|",
            self.all_pods, self.hard_weight, self.ignore_preferred_of_existing
        );
        for w in self.preferred {
            let _ = write!(key, "{}:", w.weight);
            push_term_key(&mut key, &w.term);
        }
        key.push('/');
        for w in self.preferred_anti {
            let _ = write!(key, "{}:", w.weight);
            push_term_key(&mut key, &w.term);
        }
        key.push('/');
        push_pod_key(&mut key, self.pod, self.ns_labels);
        key
    }

    /// Per topology pair of `node`, the score its pods add (a pair is listed once any
    /// term matched, even if the sum is zero).
    fn node_scores(&self, node: &NodeInfo) -> NodeCounts {
        let mut out = Vec::new();
        let labels = node.labels();
        if labels.is_empty() {
            return out;
        }
        let mut process = |term: &AffinityTerm,
                           weight: i64,
                           target: &PodInfo,
                           ns: Option<&BTreeMap<String, String>>,
                           mult: i64| {
            if let Some(v) = labels.get(&term.topology_key) {
                if term.matches(target, ns) {
                    add_to(&mut out, &term.topology_key, v, weight * mult);
                }
            }
        };
        let pods = if self.all_pods { node.pods() } else { node.pods_with_affinity() };
        for existing in pods {
            for w in self.preferred {
                process(&w.term, w.weight as i64, existing, None, 1);
            }
            for w in self.preferred_anti {
                process(&w.term, w.weight as i64, existing, None, -1);
            }
            if self.hard_weight > 0 {
                for t in &existing.required_affinity_terms {
                    process(t, self.hard_weight, self.pod, self.ns_labels, 1);
                }
            }
            if !self.ignore_preferred_of_existing {
                for w in &existing.preferred_affinity_terms {
                    process(&w.term, w.weight as i64, self.pod, self.ns_labels, 1);
                }
                for w in &existing.preferred_anti_affinity_terms {
                    process(&w.term, w.weight as i64, self.pod, self.ns_labels, -1);
                }
            }
        }
        out
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
        let query = ScoreQuery {
            pod,
            ns_labels: ns_labels.as_ref(),
            preferred: &preferred,
            preferred_anti: &preferred_anti,
            all_pods: has_constraints,
            hard_weight: self.args.hard_pod_affinity_weight as i64,
            ignore_preferred_of_existing: self.args.ignore_preferred_terms_of_existing_pods,
        };
        let st = ScoreState {
            totals: self.memos.scores.total(&query.key(), snapshot, |node| query.node_scores(node)),
        };
        if st.totals.scores.is_empty() {
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
            .totals
            .scores
            .iter()
            .filter_map(|(k, values)| labels.get(k).and_then(|v| values.get(v.as_str())))
            .map(|(score, _)| score)
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
