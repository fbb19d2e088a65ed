//! NodeResourcesFit: Filter on requests vs allocatable (pods, cpu, memory, ephemeral storage, extended resources); Score by strategy.

use std::sync::Arc;

use serde::Deserialize;

use crate::framework::cycle_state::CycleState;
use crate::framework::events::{ActionType, ClusterEventWithHint, EventResource};
use crate::framework::handle::Handle;
use crate::framework::interface::{EnqueueExtensions, FilterPlugin, Plugin, ScorePlugin};
use crate::framework::registry::{PluginError, decode_args};
use crate::framework::status::{Code, Status};
use crate::framework::types::{NodeInfo, PodInfo};
use crate::plugins::names::NODE_RESOURCES_FIT;

use super::scoring::{ScoringStrategy, ScoringStrategyType};

/// `NodeResourcesFitArgs`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeResourcesFitArgs {
    /// Extended resources the filter ignores.
    #[serde(default)]
    pub ignored_resources: Vec<String>,
    /// Extended resource groups (`example.com` in `example.com/gpu`) the filter ignores.
    #[serde(default)]
    pub ignored_resource_groups: Vec<String>,
    /// How nodes are scored.
    #[serde(default)]
    pub scoring_strategy: ScoringStrategy,
}

/// The NodeResourcesFit plugin.
#[derive(Debug, Default)]
pub struct Fit {
    args: NodeResourcesFitArgs,
}

/// Builds the plugin from `NodeResourcesFitArgs`, validating them.
pub fn factory(
    args: Option<&serde_json::Value>,
    _: &Handle,
) -> Result<Arc<dyn Plugin>, PluginError> {
    let args: NodeResourcesFitArgs = decode_args(NODE_RESOURCES_FIT, args)?;
    Ok(Arc::new(Fit::new(args)?))
}

fn invalid(message: String) -> PluginError {
    PluginError::InvalidArgs { plugin: NODE_RESOURCES_FIT.into(), message }
}

impl Fit {
    /// A plugin with validated `args`.
    pub fn new(args: NodeResourcesFitArgs) -> Result<Self, PluginError> {
        let s = &args.scoring_strategy;
        if s.resources.iter().any(|r| !(1..=100).contains(&r.weight)) {
            return Err(invalid("resource weight must be in the range [1, 100]".into()));
        }
        if s.kind == ScoringStrategyType::RequestedToCapacityRatio {
            let shape =
                s.requested_to_capacity_ratio.as_ref().map(|p| p.shape.as_slice()).unwrap_or(&[]);
            if shape.is_empty() {
                return Err(invalid("scoringStrategy.requestedToCapacityRatio.shape: at least one point is required".into()));
            }
            if shape.windows(2).any(|w| w[0].utilization >= w[1].utilization) {
                return Err(invalid(
                    "shape utilization values must be sorted in increasing order".into(),
                ));
            }
            if shape
                .iter()
                .any(|p| !(0..=100).contains(&p.utilization) || !(0..=10).contains(&p.score))
            {
                return Err(invalid(
                    "shape utilization must be in [0, 100] and score in [0, 10]".into(),
                ));
            }
        }
        Ok(Fit { args })
    }

    fn ignored(&self, name: &str) -> bool {
        self.args.ignored_resources.iter().any(|r| r == name)
            || name.split_once('/').is_some_and(|(group, _)| {
                self.args.ignored_resource_groups.iter().any(|g| g == group)
            })
    }
}

impl Plugin for Fit {
    fn name(&self) -> &str {
        NODE_RESOURCES_FIT
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

/// The reason for too many pods.
pub const TOO_MANY_PODS: &str = "Too many pods";

impl FilterPlugin for Fit {
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        let r = node.record();
        let want = &pod.requests;
        // The common case — the pod fits — reads the node's record only.
        let fits_core = i64::from(r.pod_count) < r.allowed_pod_number
            && (want.milli_cpu == 0
                || r.allocatable_milli_cpu >= want.milli_cpu + r.requested_milli_cpu)
            && (want.memory == 0 || r.allocatable_memory >= want.memory + r.requested_memory)
            && (want.ephemeral_storage == 0
                || r.allocatable_ephemeral_storage
                    >= want.ephemeral_storage + r.requested_ephemeral_storage);
        if fits_core && want.scalar_resources.is_empty() {
            return Status::success();
        }
        let mut status: Option<Status> = None;
        let mut add = |reason: std::borrow::Cow<'static, str>, unresolvable: bool| {
            let code =
                if unresolvable { Code::UnschedulableAndUnresolvable } else { Code::Unschedulable };
            status = Some(match status.take() {
                None => Status::new(code, reason),
                Some(s) => {
                    let code = if unresolvable { code } else { s.code() };
                    let mut n = Status::with_code(code);
                    for r in s.reasons() {
                        n = n.with_reason(r.clone());
                    }
                    n.with_reason(reason)
                }
            });
        };
        if i64::from(r.pod_count) + 1 > r.allowed_pod_number {
            add(TOO_MANY_PODS.into(), false);
        }
        if want.milli_cpu > 0 && r.allocatable_milli_cpu < want.milli_cpu + r.requested_milli_cpu {
            add("Insufficient cpu".into(), want.milli_cpu > r.allocatable_milli_cpu);
        }
        if want.memory > 0 && r.allocatable_memory < want.memory + r.requested_memory {
            add("Insufficient memory".into(), want.memory > r.allocatable_memory);
        }
        if want.ephemeral_storage > 0
            && r.allocatable_ephemeral_storage
                < want.ephemeral_storage + r.requested_ephemeral_storage
        {
            add(
                "Insufficient ephemeral-storage".into(),
                want.ephemeral_storage > r.allocatable_ephemeral_storage,
            );
        }
        if !want.scalar_resources.is_empty() {
            let alloc = node.allocatable();
            let used = node.requested();
            for (name, amount) in &want.scalar_resources {
                if *amount == 0 || self.ignored(name) {
                    continue;
                }
                let a = alloc.scalar(name);
                if a < amount + used.scalar(name) {
                    add(format!("Insufficient {name}").into(), *amount > a);
                }
            }
        }
        status.unwrap_or_else(Status::success)
    }
}

impl ScorePlugin for Fit {
    fn score(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Result<i64, Status> {
        Ok(self.args.scoring_strategy.score(node, pod))
    }
}

impl EnqueueExtensions for Fit {
    fn events_to_register(&self) -> Vec<ClusterEventWithHint> {
        vec![
            ClusterEventWithHint::new(
                EventResource::AssignedPod,
                ActionType::DELETE | ActionType::UPDATE_POD_SCALE_DOWN,
            ),
            ClusterEventWithHint::new(
                EventResource::Node,
                ActionType::ADD
                    | ActionType::UPDATE_NODE_ALLOCATABLE
                    | ActionType::UPDATE_NODE_TAINT
                    | ActionType::UPDATE_NODE_LABEL,
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::noderesources::scoring::{
        RequestedToCapacityRatioParam, UtilizationShapePoint,
    };
    use capstan_api_types::core::v1::{
        Container, Node, NodeStatus, Pod, PodSpec, ResourceRequirements,
    };
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity as Q;
    use std::collections::BTreeMap;

    fn list(items: &[(&str, &str)]) -> BTreeMap<String, Q> {
        items.iter().map(|(k, v)| (k.to_string(), Q(v.to_string()))).collect()
    }

    fn pod(name: &str, req: &[(&str, &str)]) -> Arc<PodInfo> {
        let mut p = Pod {
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "c".into(),
                    resources: Some(ResourceRequirements {
                        requests: Some(list(req)),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        p.metadata.name = Some(name.into());
        Arc::new(PodInfo::new(Arc::new(p)))
    }

    fn node(alloc: &[(&str, &str)], pods: &[Arc<PodInfo>]) -> NodeInfo {
        let mut n = Node::default();
        n.metadata.name = Some("n".into());
        n.status = Some(NodeStatus { allocatable: Some(list(alloc)), ..Default::default() });
        let mut info = NodeInfo::new(Arc::new(n));
        for p in pods {
            info.add_pod(p.clone());
        }
        info
    }

    type Case = (&'static str, Arc<PodInfo>, Vec<Arc<PodInfo>>, Option<(Code, Vec<&'static str>)>);

    #[test]
    fn filter_table() {
        let fit = Fit::new(NodeResourcesFitArgs {
            ignored_resource_groups: vec!["ignored.io".into()],
            ..Default::default()
        })
        .expect("valid");
        let base = [("cpu", "4"), ("memory", "8Gi"), ("pods", "3"), ("example.com/gpu", "1")];
        let used = [pod("u1", &[("cpu", "3"), ("memory", "2Gi")])];
        let cases: Vec<Case> = vec![
            ("fits", pod("p", &[("cpu", "1")]), used.to_vec(), None),
            (
                "cpu short",
                pod("p", &[("cpu", "2")]),
                used.to_vec(),
                Some((Code::Unschedulable, vec!["Insufficient cpu"])),
            ),
            (
                "cpu and memory short",
                pod("p", &[("cpu", "2"), ("memory", "7Gi")]),
                used.to_vec(),
                Some((Code::Unschedulable, vec!["Insufficient cpu", "Insufficient memory"])),
            ),
            (
                "larger than the node",
                pod("p", &[("cpu", "5")]),
                vec![],
                Some((Code::UnschedulableAndUnresolvable, vec!["Insufficient cpu"])),
            ),
            (
                "extended resource",
                pod("p", &[("example.com/gpu", "2")]),
                vec![],
                Some((Code::UnschedulableAndUnresolvable, vec!["Insufficient example.com/gpu"])),
            ),
            ("ignored group", pod("p", &[("ignored.io/foo", "2")]), vec![], None),
            (
                "too many pods",
                pod("p", &[]),
                vec![pod("a", &[]), pod("b", &[]), pod("c", &[])],
                Some((Code::Unschedulable, vec![TOO_MANY_PODS])),
            ),
        ];
        for (name, p, existing, want) in cases {
            let s = fit.filter(&CycleState::new(), &p, &node(&base, &existing));
            match want {
                None => assert!(s.is_success(), "{name}: {s:?}"),
                Some((code, reasons)) => {
                    assert_eq!(s.code(), code, "{name}");
                    assert_eq!(
                        s.reasons().iter().map(|r| r.as_ref()).collect::<Vec<_>>(),
                        reasons,
                        "{name}"
                    );
                }
            }
        }
    }

    #[test]
    fn score_strategies() {
        let n = node(
            &[("cpu", "4"), ("memory", "4Gi")],
            &[pod("u", &[("cpu", "1"), ("memory", "1Gi")])],
        );
        let p = pod("p", &[("cpu", "1"), ("memory", "1Gi")]);
        let strat = |kind, shape: Option<Vec<UtilizationShapePoint>>| {
            Fit::new(NodeResourcesFitArgs {
                scoring_strategy: ScoringStrategy {
                    kind,
                    requested_to_capacity_ratio: shape
                        .map(|shape| RequestedToCapacityRatioParam { shape }),
                    ..Default::default()
                },
                ..Default::default()
            })
            .expect("valid")
        };
        let st = CycleState::new();
        assert_eq!(
            strat(ScoringStrategyType::LeastAllocated, None).score(&st, &p, &n).expect("ok"),
            50
        );
        assert_eq!(
            strat(ScoringStrategyType::MostAllocated, None).score(&st, &p, &n).expect("ok"),
            50
        );
        let shape = vec![
            UtilizationShapePoint { utilization: 0, score: 0 },
            UtilizationShapePoint { utilization: 100, score: 10 },
        ];
        assert_eq!(
            strat(ScoringStrategyType::RequestedToCapacityRatio, Some(shape))
                .score(&st, &p, &n)
                .expect("ok"),
            50
        );
        // Pods without requests count as 100m / 200Mi for scoring.
        let empty = pod("e", &[]);
        let least =
            strat(ScoringStrategyType::LeastAllocated, None).score(&st, &empty, &n).expect("ok");
        assert_eq!(least, ((4000 - 1100) * 100 / 4000 + (4096 - 1024 - 200) * 100 / 4096) / 2);
    }

    #[test]
    fn invalid_args_are_rejected() {
        let v = serde_json::json!({"scoringStrategy": {"type": "RequestedToCapacityRatio"}});
        assert!(matches!(
            factory(Some(&v), &Handle::default()),
            Err(PluginError::InvalidArgs { .. })
        ));
        let v = serde_json::json!({"scoringStrategy": {"type": "Bogus"}});
        assert!(matches!(factory(Some(&v), &Handle::default()), Err(PluginError::Args { .. })));
    }
}
