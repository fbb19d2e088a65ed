//! NodeAffinity: `nodeSelector` and required node affinity (Filter, with a PreFilter node-name subset for `matchFields`), preferred terms (Score).

use std::collections::HashSet;
use std::sync::Arc;

use capstan_api_types::core::v1::{NodeAffinity as ApiNodeAffinity, PreferredSchedulingTerm};
use serde::Deserialize;

use crate::cache::Snapshot;
use crate::framework::cycle_state::CycleState;
use crate::framework::events::{ActionType, ClusterEventWithHint, EventResource, QueueingHint};
use crate::framework::handle::Handle;
use crate::framework::interface::{
    EnqueueExtensions, FilterPlugin, MAX_NODE_SCORE, NodeScore, Plugin, PreFilterPlugin,
    PreFilterResult, PreScorePlugin, ScoreExtensions, ScorePlugin,
};
use crate::framework::registry::{PluginError, decode_args};
use crate::framework::status::Status;
use crate::framework::types::{NodeInfo, PodInfo};
use crate::plugins::helper::{RequiredNodeAffinity, default_normalize_score, term_matches};
use crate::plugins::names::NODE_AFFINITY;

/// The reason for a node not matching the pod's selector or required affinity.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
/// The reason for a node not matching `addedAffinity`.
pub const ERR_REASON_ENFORCED: &str = "node(s) didn't match scheduler-enforced node affinity";

/// `NodeAffinityArgs`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeAffinityArgs {
    /// Affinity applied to every pod of the profile, on top of the pod's own.
    #[serde(default)]
    pub added_affinity: Option<ApiNodeAffinity>,
}

/// The NodeAffinity plugin.
#[derive(Debug, Default)]
pub struct NodeAffinity {
    added_required: Option<RequiredNodeAffinity>,
    added_preferred: Vec<PreferredSchedulingTerm>,
}

/// Builds the plugin from `NodeAffinityArgs`.
pub fn factory(
    args: Option<&serde_json::Value>,
    _: &Handle,
) -> Result<Arc<dyn Plugin>, PluginError> {
    let args: NodeAffinityArgs = decode_args(NODE_AFFINITY, args)?;
    Ok(Arc::new(NodeAffinity::new(args)))
}

#[derive(Clone)]
struct PreFilterState(RequiredNodeAffinity);

#[derive(Clone)]
struct PreScoreState(Vec<PreferredSchedulingTerm>);

impl NodeAffinity {
    /// A plugin with `args`.
    pub fn new(args: NodeAffinityArgs) -> Self {
        let added_required = args.added_affinity.as_ref().and_then(|a| {
            a.required_during_scheduling_ignored_during_execution.as_ref().map(|ns| {
                let pod = capstan_api_types::core::v1::Pod {
                    spec: Some(capstan_api_types::core::v1::PodSpec {
                        affinity: Some(capstan_api_types::core::v1::Affinity {
                            node_affinity: Some(ApiNodeAffinity {
                                required_during_scheduling_ignored_during_execution: Some(
                                    ns.clone(),
                                ),
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                RequiredNodeAffinity::from_pod(&pod)
            })
        });
        let added_preferred = args
            .added_affinity
            .and_then(|a| a.preferred_during_scheduling_ignored_during_execution)
            .unwrap_or_default();
        NodeAffinity { added_required, added_preferred }
    }

    fn preferred_terms(&self, pod: &PodInfo) -> Vec<PreferredSchedulingTerm> {
        let mut terms = self.added_preferred.clone();
        if let Some(p) = pod
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.affinity.as_ref())
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|na| na.preferred_during_scheduling_ignored_during_execution.as_ref())
        {
            terms.extend(p.iter().cloned());
        }
        terms
    }
}

impl Plugin for NodeAffinity {
    fn name(&self) -> &str {
        NODE_AFFINITY
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

/// The node names a set of terms is restricted to, when every term names nodes with
/// `matchFields metadata.name In`.
fn node_names_of_terms(
    terms: &[capstan_api_types::core::v1::NodeSelectorTerm],
) -> Option<HashSet<String>> {
    let mut out = HashSet::new();
    for t in terms {
        let names = t
            .match_fields
            .iter()
            .flatten()
            .find(|r| r.key == "metadata.name" && r.operator == "In")?;
        out.extend(names.values.iter().flatten().cloned());
    }
    Some(out)
}

impl PreFilterPlugin for NodeAffinity {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        let required = RequiredNodeAffinity::from_pod(&pod.pod);
        if required.is_empty() && self.added_required.is_none() {
            return (None, Status::skip());
        }
        let names = required.terms().and_then(node_names_of_terms);
        state.write(PreFilterState(required));
        match names {
            Some(n) if n.is_empty() => (None, Status::unresolvable(ERR_REASON_POD)),
            Some(n) => (Some(PreFilterResult { node_names: Some(n) }), Status::success()),
            None => (None, Status::success()),
        }
    }
}

impl FilterPlugin for NodeAffinity {
    fn filter(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        if let Some(added) = &self.added_required {
            if !added.matches(node) {
                return Status::unresolvable(ERR_REASON_ENFORCED);
            }
        }
        let ok = match state.read::<PreFilterState>() {
            Some(s) => s.0.matches(node),
            None => RequiredNodeAffinity::from_pod(&pod.pod).matches(node),
        };
        if ok { Status::success() } else { Status::unresolvable(ERR_REASON_POD) }
    }
}

impl PreScorePlugin for NodeAffinity {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &[Arc<NodeInfo>],
        _: &Snapshot,
    ) -> Status {
        let terms = self.preferred_terms(pod);
        if terms.is_empty() {
            return Status::skip();
        }
        state.write(PreScoreState(terms));
        Status::success()
    }
}

impl ScorePlugin for NodeAffinity {
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Result<i64, Status> {
        let owned;
        let terms = match state.read::<PreScoreState>() {
            Some(s) => &s.0,
            None => {
                owned = self.preferred_terms(pod);
                &owned
            }
        };
        Ok(terms
            .iter()
            .filter(|t| t.weight != 0 && term_matches(&t.preference, node.labels(), node.name()))
            .map(|t| t.weight as i64)
            .sum())
    }
    fn score_extensions(&self) -> Option<&dyn ScoreExtensions> {
        Some(self)
    }
}

impl ScoreExtensions for NodeAffinity {
    fn normalize_score(&self, _: &CycleState, _: &PodInfo, scores: &mut [NodeScore]) -> Status {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
        Status::success()
    }
}

impl EnqueueExtensions for NodeAffinity {
    fn events_to_register(&self) -> Vec<ClusterEventWithHint> {
        vec![
            ClusterEventWithHint::new(
                EventResource::Node,
                ActionType::ADD | ActionType::UPDATE_NODE_LABEL,
            )
            .with_hint(|pod, _, new| {
                let Some(node) = new.and_then(|o| o.as_node()) else {
                    return Ok(QueueingHint::Queue);
                };
                let labels = node.metadata.labels.clone().unwrap_or_default();
                let name = node.metadata.name.as_deref().unwrap_or("");
                Ok(if RequiredNodeAffinity::from_pod(pod).matches_labels(&labels, name) {
                    QueueingHint::Queue
                } else {
                    QueueingHint::QueueSkip
                })
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::core::v1::{
        Affinity, Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodSpec,
    };
    use std::collections::BTreeMap;

    fn node(name: &str, labels: &[(&str, &str)]) -> NodeInfo {
        let mut n = Node::default();
        n.metadata.name = Some(name.into());
        n.metadata.labels =
            Some(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        NodeInfo::new(Arc::new(n))
    }

    fn req(key: &str, op: &str, vals: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(vals.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn pod(
        selector: &[(&str, &str)],
        required: Option<Vec<NodeSelectorTerm>>,
        preferred: Vec<PreferredSchedulingTerm>,
    ) -> PodInfo {
        PodInfo::new(Arc::new(Pod {
            spec: Some(PodSpec {
                node_selector: Some(
                    selector
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect::<BTreeMap<_, _>>(),
                ),
                affinity: Some(Affinity {
                    node_affinity: Some(ApiNodeAffinity {
                        required_during_scheduling_ignored_during_execution: required
                            .map(|t| NodeSelector { node_selector_terms: t }),
                        preferred_during_scheduling_ignored_during_execution: Some(preferred),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }))
    }

    fn run_filter(p: &PodInfo, n: &NodeInfo) -> Status {
        let plugin = NodeAffinity::default();
        let mut st = CycleState::new();
        let (_, s) = plugin.pre_filter(&mut st, p, &Snapshot::new());
        if s.is_skip() {
            return Status::success();
        }
        if !s.is_success() {
            return s;
        }
        plugin.filter(&st, p, n)
    }

    #[test]
    fn filter_table() {
        let term = |rs: Vec<NodeSelectorRequirement>| NodeSelectorTerm {
            match_expressions: Some(rs),
            match_fields: None,
        };
        let n = node("n1", &[("zone", "a"), ("disk", "ssd")]);
        let cases = [
            ("nothing required", pod(&[], None, vec![]), true),
            ("selector matches", pod(&[("zone", "a")], None, vec![]), true),
            ("selector mismatch", pod(&[("zone", "b")], None, vec![]), false),
            (
                "one of two terms",
                pod(
                    &[],
                    Some(vec![
                        term(vec![req("zone", "In", &["b"])]),
                        term(vec![req("disk", "In", &["ssd"])]),
                    ]),
                    vec![],
                ),
                true,
            ),
            (
                "no term matches",
                pod(&[], Some(vec![term(vec![req("zone", "In", &["b"])])]), vec![]),
                false,
            ),
            (
                "selector and affinity both needed",
                pod(&[("zone", "b")], Some(vec![term(vec![req("disk", "Exists", &[])])]), vec![]),
                false,
            ),
        ];
        for (name, p, fits) in cases {
            let s = run_filter(&p, &n);
            assert_eq!(s.is_success(), fits, "{name}: {s:?}");
            if !fits {
                assert_eq!(s.message(), ERR_REASON_POD);
            }
        }
    }

    #[test]
    fn match_fields_restrict_prefilter_to_named_nodes() {
        let term = NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![req("metadata.name", "In", &["n2", "n3"])]),
        };
        let p = pod(&[], Some(vec![term]), vec![]);
        let mut st = CycleState::new();
        let (r, s) = NodeAffinity::default().pre_filter(&mut st, &p, &Snapshot::new());
        assert!(s.is_success());
        assert_eq!(r, Some(PreFilterResult::only(["n2", "n3"])));
        assert!(NodeAffinity::default().filter(&st, &p, &node("n2", &[])).is_success());
        assert!(!NodeAffinity::default().filter(&st, &p, &node("n1", &[])).is_success());
    }

    #[test]
    fn score_sums_matching_preferred_weights() {
        let pref = |w: i32, r: NodeSelectorRequirement| PreferredSchedulingTerm {
            weight: w,
            preference: NodeSelectorTerm { match_expressions: Some(vec![r]), match_fields: None },
        };
        let p = pod(
            &[],
            None,
            vec![pref(5, req("zone", "In", &["a"])), pref(2, req("disk", "In", &["ssd"]))],
        );
        let plugin = NodeAffinity::default();
        let mut st = CycleState::new();
        let nodes = [
            node("a", &[("zone", "a"), ("disk", "ssd")]),
            node("b", &[("zone", "a")]),
            node("c", &[]),
        ];
        assert!(plugin.pre_score(&mut st, &p, &[], &Snapshot::new()).is_success());
        let mut scores: Vec<NodeScore> = nodes
            .iter()
            .map(|n| NodeScore {
                name: n.name_arc().clone(),
                score: plugin.score(&st, &p, n).expect("ok"),
            })
            .collect();
        assert_eq!(scores.iter().map(|s| s.score).collect::<Vec<_>>(), vec![7, 5, 0]);
        plugin.normalize_score(&st, &p, &mut scores);
        assert_eq!(scores.iter().map(|s| s.score).collect::<Vec<_>>(), vec![100, 71, 0]);
    }
}
