//! NodeUnschedulable: Filter rejecting nodes with `spec.unschedulable` unless the pod tolerates it.

use std::sync::Arc;

use capstan_api_types::core::v1::Taint;

use crate::framework::cycle_state::CycleState;
use crate::framework::events::{ActionType, ClusterEventWithHint, EventResource};
use crate::framework::handle::Handle;
use crate::framework::interface::{EnqueueExtensions, FilterPlugin, Plugin};
use crate::framework::registry::PluginError;
use crate::framework::status::Status;
use crate::framework::types::{NodeInfo, PodInfo};
use crate::plugins::helper::{pod_tolerations, tolerates};
use crate::plugins::names::NODE_UNSCHEDULABLE;

/// The reason for an unschedulable node.
pub const ERR_REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";
/// The taint key standing for `spec.unschedulable`.
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// Rejects cordoned nodes.
#[derive(Debug, Default, Clone, Copy)]
pub struct NodeUnschedulable;

/// Builds the plugin (no args).
pub fn factory(_: Option<&serde_json::Value>, _: &Handle) -> Result<Arc<dyn Plugin>, PluginError> {
    Ok(Arc::new(NodeUnschedulable))
}

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &str {
        NODE_UNSCHEDULABLE
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_enqueue_extensions(&self) -> Option<&dyn EnqueueExtensions> {
        Some(self)
    }
}

impl FilterPlugin for NodeUnschedulable {
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        if !node.unschedulable() {
            return Status::success();
        }
        let taint = Taint {
            key: TAINT_NODE_UNSCHEDULABLE.to_string(),
            effect: "NoSchedule".to_string(),
            value: None,
            time_added: None,
        };
        if pod_tolerations(&pod.pod).iter().any(|t| tolerates(t, &taint)) {
            return Status::success();
        }
        Status::unresolvable(ERR_REASON_UNSCHEDULABLE)
    }
}

impl EnqueueExtensions for NodeUnschedulable {
    fn events_to_register(&self) -> Vec<ClusterEventWithHint> {
        vec![ClusterEventWithHint::new(
            EventResource::Node,
            ActionType::ADD | ActionType::UPDATE_NODE_TAINT,
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::core::v1::{Node, NodeSpec, Pod, PodSpec, Toleration};

    #[test]
    fn filter_table() {
        let node = |u: bool| {
            NodeInfo::new(Arc::new(Node {
                spec: Some(NodeSpec { unschedulable: Some(u), ..Default::default() }),
                ..Default::default()
            }))
        };
        let pod = |tolerate: bool| {
            let tol = tolerate.then(|| {
                vec![Toleration {
                    key: Some(TAINT_NODE_UNSCHEDULABLE.into()),
                    operator: Some("Exists".into()),
                    effect: Some("NoSchedule".into()),
                    ..Default::default()
                }]
            });
            PodInfo::new(Arc::new(Pod {
                spec: Some(PodSpec { tolerations: tol, ..Default::default() }),
                ..Default::default()
            }))
        };
        let st = CycleState::new();
        assert!(NodeUnschedulable.filter(&st, &pod(false), &node(false)).is_success());
        assert_eq!(
            NodeUnschedulable.filter(&st, &pod(false), &node(true)),
            Status::unresolvable(ERR_REASON_UNSCHEDULABLE)
        );
        assert!(NodeUnschedulable.filter(&st, &pod(true), &node(true)).is_success());
    }
}
