//! NodeName: Filter accepting only the node named in `spec.nodeName`, when set.

use std::sync::Arc;

use crate::framework::cycle_state::CycleState;
use crate::framework::events::{ActionType, ClusterEventWithHint, EventResource};
use crate::framework::handle::Handle;
use crate::framework::interface::{EnqueueExtensions, FilterPlugin, Plugin};
use crate::framework::registry::PluginError;
use crate::framework::status::Status;
use crate::framework::types::{NodeInfo, PodInfo};
use crate::plugins::names::NODE_NAME;

/// The reason for a different node.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

/// Matches `spec.nodeName`.
#[derive(Debug, Default, Clone, Copy)]
pub struct NodeName;

/// Builds the plugin (no args).
pub fn factory(_: Option<&serde_json::Value>, _: &Handle) -> Result<Arc<dyn Plugin>, PluginError> {
    Ok(Arc::new(NodeName))
}

impl Plugin for NodeName {
    fn name(&self) -> &str {
        NODE_NAME
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_enqueue_extensions(&self) -> Option<&dyn EnqueueExtensions> {
        Some(self)
    }
}

impl FilterPlugin for NodeName {
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        match pod.node_name() {
            Some(n) if n != node.name() => Status::unresolvable(ERR_REASON),
            _ => Status::success(),
        }
    }
}

impl EnqueueExtensions for NodeName {
    fn events_to_register(&self) -> Vec<ClusterEventWithHint> {
        vec![ClusterEventWithHint::new(EventResource::Node, ActionType::ADD)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::core::v1::{Node, Pod, PodSpec};

    #[test]
    fn filter_table() {
        let mut n = Node::default();
        n.metadata.name = Some("a".into());
        let node = NodeInfo::new(Arc::new(n));
        let pod = |name: Option<&str>| {
            PodInfo::new(Arc::new(Pod {
                spec: Some(PodSpec { node_name: name.map(Into::into), ..Default::default() }),
                ..Default::default()
            }))
        };
        let st = CycleState::new();
        assert!(NodeName.filter(&st, &pod(None), &node).is_success());
        assert!(NodeName.filter(&st, &pod(Some("a")), &node).is_success());
        assert_eq!(NodeName.filter(&st, &pod(Some("b")), &node), Status::unresolvable(ERR_REASON));
    }
}
