//! TaintToleration: Filter on NoSchedule/NoExecute taints, Score on PreferNoSchedule taints.

use std::sync::Arc;

use crate::framework::cycle_state::CycleState;
use crate::framework::events::{ActionType, ClusterEventWithHint, EventResource};
use crate::framework::handle::Handle;
use crate::framework::interface::{
    EnqueueExtensions, FilterPlugin, MAX_NODE_SCORE, NodeScore, Plugin, ScoreExtensions,
    ScorePlugin,
};
use crate::framework::registry::PluginError;
use crate::framework::status::Status;
use crate::framework::types::{NodeInfo, PodInfo};
use crate::plugins::helper::{
    default_normalize_score, find_untolerated_taint, pod_tolerations, tolerates,
};
use crate::plugins::names::TAINT_TOLERATION;

/// Filters on hard taints; scores fewer untolerated soft taints higher.
#[derive(Debug, Default, Clone, Copy)]
pub struct TaintToleration;

/// Builds the plugin (no args).
pub fn factory(_: Option<&serde_json::Value>, _: &Handle) -> Result<Arc<dyn Plugin>, PluginError> {
    Ok(Arc::new(TaintToleration))
}

impl Plugin for TaintToleration {
    fn name(&self) -> &str {
        TAINT_TOLERATION
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
    fn as_enqueue_extensions(&self) -> Option<&dyn EnqueueExtensions> {
        Some(self)
    }
}

impl FilterPlugin for TaintToleration {
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        let taint = find_untolerated_taint(node.taints(), pod_tolerations(&pod.pod), |t| {
            t.effect == "NoSchedule" || t.effect == "NoExecute"
        });
        match taint {
            None => Status::success(),
            Some(t) => Status::unresolvable(format!(
                "node(s) had untolerated taint {{{}: {}}}",
                t.key,
                t.value.as_deref().unwrap_or("")
            )),
        }
    }
}

impl ScorePlugin for TaintToleration {
    fn score(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Result<i64, Status> {
        let tolerations = pod_tolerations(&pod.pod);
        let soft = |t: &&capstan_api_types::core::v1::Toleration| {
            matches!(t.effect.as_deref(), None | Some("") | Some("PreferNoSchedule"))
        };
        Ok(node
            .taints()
            .iter()
            .filter(|t| t.effect == "PreferNoSchedule")
            .filter(|taint| !tolerations.iter().filter(soft).any(|t| tolerates(t, taint)))
            .count() as i64)
    }
    fn score_extensions(&self) -> Option<&dyn ScoreExtensions> {
        Some(self)
    }
}

impl ScoreExtensions for TaintToleration {
    fn normalize_score(&self, _: &CycleState, _: &PodInfo, scores: &mut [NodeScore]) -> Status {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
        Status::success()
    }
}

impl EnqueueExtensions for TaintToleration {
    fn events_to_register(&self) -> Vec<ClusterEventWithHint> {
        vec![
            ClusterEventWithHint::new(
                EventResource::Node,
                ActionType::ADD | ActionType::UPDATE_NODE_TAINT,
            ),
            ClusterEventWithHint::new(
                EventResource::UnscheduledPod,
                ActionType::UPDATE_POD_TOLERATIONS,
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::core::v1::{Node, NodeSpec, Pod, PodSpec, Taint, Toleration};

    fn node(taints: &[(&str, &str, &str)]) -> NodeInfo {
        let t = taints
            .iter()
            .map(|(k, v, e)| Taint {
                key: k.to_string(),
                value: Some(v.to_string()),
                effect: e.to_string(),
                time_added: None,
            })
            .collect();
        NodeInfo::new(Arc::new(Node {
            spec: Some(NodeSpec { taints: Some(t), ..Default::default() }),
            ..Default::default()
        }))
    }

    fn pod(tols: &[(&str, &str, &str)]) -> PodInfo {
        let t = tols
            .iter()
            .map(|(k, v, e)| Toleration {
                key: Some(k.to_string()),
                value: Some(v.to_string()),
                operator: Some("Equal".into()),
                effect: (!e.is_empty()).then(|| e.to_string()),
                ..Default::default()
            })
            .collect();
        PodInfo::new(Arc::new(Pod {
            spec: Some(PodSpec { tolerations: Some(t), ..Default::default() }),
            ..Default::default()
        }))
    }

    #[test]
    fn filter_table() {
        let st = CycleState::new();
        let cases = [
            ("no taints", node(&[]), pod(&[]), None),
            (
                "untolerated",
                node(&[("dedicated", "gpu", "NoSchedule")]),
                pod(&[]),
                Some("node(s) had untolerated taint {dedicated: gpu}"),
            ),
            (
                "tolerated",
                node(&[("dedicated", "gpu", "NoSchedule")]),
                pod(&[("dedicated", "gpu", "NoSchedule")]),
                None,
            ),
            ("soft taint ignored", node(&[("a", "b", "PreferNoSchedule")]), pod(&[]), None),
            (
                "NoExecute",
                node(&[("a", "b", "NoExecute")]),
                pod(&[("a", "b", "NoSchedule")]),
                Some("node(s) had untolerated taint {a: b}"),
            ),
        ];
        for (name, n, p, want) in cases {
            let s = TaintToleration.filter(&st, &p, &n);
            assert_eq!(s.is_success(), want.is_none(), "{name}");
            if let Some(msg) = want {
                assert_eq!(s.message(), msg, "{name}");
            }
        }
    }

    #[test]
    fn score_counts_untolerated_soft_taints_and_reverses() {
        let st = CycleState::new();
        let p = pod(&[("a", "1", "PreferNoSchedule")]);
        let nodes = [
            node(&[]),
            node(&[("a", "1", "PreferNoSchedule")]),
            node(&[("b", "1", "PreferNoSchedule"), ("c", "1", "PreferNoSchedule")]),
        ];
        let mut scores: Vec<NodeScore> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| NodeScore {
                name: i.to_string().into(),
                score: TaintToleration.score(&st, &p, n).expect("score"),
            })
            .collect();
        assert_eq!(scores.iter().map(|s| s.score).collect::<Vec<_>>(), vec![0, 0, 2]);
        TaintToleration.normalize_score(&st, &p, &mut scores);
        assert_eq!(scores.iter().map(|s| s.score).collect::<Vec<_>>(), vec![100, 100, 0]);
    }
}
