//! NodeResourcesBalancedAllocation: Score favouring nodes whose resource fractions stay balanced with the pod added.

use std::sync::Arc;

use serde::Deserialize;

use crate::cache::Snapshot;
use crate::framework::cycle_state::CycleState;
use crate::framework::handle::Handle;
use crate::framework::interface::{MAX_NODE_SCORE, Plugin, PreScorePlugin, ScorePlugin};
use crate::framework::registry::{PluginError, decode_args};
use crate::framework::status::Status;
use crate::framework::types::{NodeInfo, PodInfo};
use crate::plugins::names::NODE_RESOURCES_BALANCED_ALLOCATION;

use super::scoring::{ResourceSpec, allocatable_and_requested, default_resources};

/// `NodeResourcesBalancedAllocationArgs`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalancedAllocationArgs {
    /// Resources considered (default cpu and memory).
    #[serde(default = "default_resources")]
    pub resources: Vec<ResourceSpec>,
}

impl Default for BalancedAllocationArgs {
    fn default() -> Self {
        BalancedAllocationArgs { resources: default_resources() }
    }
}

/// The NodeResourcesBalancedAllocation plugin.
#[derive(Debug, Default)]
pub struct BalancedAllocation {
    args: BalancedAllocationArgs,
}

/// Builds the plugin.
pub fn factory(
    args: Option<&serde_json::Value>,
    _: &Handle,
) -> Result<Arc<dyn Plugin>, PluginError> {
    let args: BalancedAllocationArgs = decode_args(NODE_RESOURCES_BALANCED_ALLOCATION, args)?;
    Ok(Arc::new(BalancedAllocation { args }))
}

impl Plugin for BalancedAllocation {
    fn name(&self) -> &str {
        NODE_RESOURCES_BALANCED_ALLOCATION
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl PreScorePlugin for BalancedAllocation {
    fn pre_score(
        &self,
        _: &mut CycleState,
        pod: &PodInfo,
        _: &[Arc<NodeInfo>],
        _: &Snapshot,
    ) -> Status {
        if self.args.resources.iter().all(|r| pod.requests.get_resolved(r.resolved()) == 0) {
            return Status::skip();
        }
        Status::success()
    }
}

impl ScorePlugin for BalancedAllocation {
    fn score(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Result<i64, Status> {
        // Population standard deviation of the requested fractions, in one pass.
        let (mut n, mut sum, mut sum_sq) = (0f64, 0f64, 0f64);
        for r in &self.args.resources {
            let (alloc, req) = allocatable_and_requested(node, pod, r.resolved(), true);
            if alloc == 0 {
                continue;
            }
            let f = (req as f64 / alloc as f64).min(1.0);
            n += 1.0;
            sum += f;
            sum_sq += f * f;
        }
        let std = if n < 2.0 {
            0.0
        } else {
            let mean = sum / n;
            (sum_sq / n - mean * mean).max(0.0).sqrt()
        };
        Ok(((1.0 - std) * MAX_NODE_SCORE as f64) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::core::v1::{
        Container, Node, NodeStatus, Pod, PodSpec, ResourceRequirements,
    };
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity as Q;
    use std::collections::BTreeMap;

    fn list(items: &[(&str, &str)]) -> BTreeMap<String, Q> {
        items.iter().map(|(k, v)| (k.to_string(), Q(v.to_string()))).collect()
    }

    fn pod(req: &[(&str, &str)]) -> PodInfo {
        PodInfo::new(Arc::new(Pod {
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
        }))
    }

    #[test]
    fn score_table() {
        let n = NodeInfo::new(Arc::new(Node {
            status: Some(NodeStatus {
                allocatable: Some(list(&[("cpu", "4"), ("memory", "4Gi")])),
                ..Default::default()
            }),
            ..Default::default()
        }));
        let b = BalancedAllocation::default();
        let st = CycleState::new();
        let cases = [
            (pod(&[("cpu", "2"), ("memory", "2Gi")]), 100),
            (pod(&[("cpu", "4"), ("memory", "0")]), 50),
            (pod(&[("cpu", "1"), ("memory", "3Gi")]), 75),
        ];
        for (p, want) in cases {
            assert_eq!(b.score(&st, &p, &n).expect("ok"), want);
        }
        let mut st = CycleState::new();
        assert!(b.pre_score(&mut st, &pod(&[]), &[], &Snapshot::new()).is_skip());
    }
}
