//! NodePorts: Filter rejecting nodes where a host port the pod needs is already taken.

use std::sync::Arc;

use crate::framework::cycle_state::CycleState;
use crate::framework::events::{ActionType, ClusterEventWithHint, EventResource};
use crate::framework::handle::Handle;
use crate::framework::interface::{EnqueueExtensions, FilterPlugin, Plugin};
use crate::framework::registry::PluginError;
use crate::framework::status::Status;
use crate::framework::types::{NodeInfo, PodInfo};
use crate::plugins::names::NODE_PORTS;

/// The reason for a port conflict.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

/// Checks host port conflicts (the pod's ports are precomputed in its `PodInfo`).
#[derive(Debug, Default, Clone, Copy)]
pub struct NodePorts;

/// Builds the plugin (no args).
pub fn factory(_: Option<&serde_json::Value>, _: &Handle) -> Result<Arc<dyn Plugin>, PluginError> {
    Ok(Arc::new(NodePorts))
}

impl Plugin for NodePorts {
    fn name(&self) -> &str {
        NODE_PORTS
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_enqueue_extensions(&self) -> Option<&dyn EnqueueExtensions> {
        Some(self)
    }
}

impl FilterPlugin for NodePorts {
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        if pod.host_ports.iter().any(|p| node.used_ports().conflicts(p)) {
            Status::unschedulable(ERR_REASON)
        } else {
            Status::success()
        }
    }
}

impl EnqueueExtensions for NodePorts {
    fn events_to_register(&self) -> Vec<ClusterEventWithHint> {
        vec![
            ClusterEventWithHint::new(EventResource::AssignedPod, ActionType::DELETE),
            ClusterEventWithHint::new(EventResource::Node, ActionType::ADD),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::core::v1::{Container, ContainerPort, Node, Pod, PodSpec};

    fn pod(name: &str, ports: &[(&str, i32)]) -> Arc<PodInfo> {
        let mut p = Pod {
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "c".into(),
                    ports: Some(
                        ports
                            .iter()
                            .map(|(ip, port)| ContainerPort {
                                container_port: 80,
                                host_port: Some(*port),
                                host_ip: (!ip.is_empty()).then(|| ip.to_string()),
                                ..Default::default()
                            })
                            .collect(),
                    ),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        p.metadata.name = Some(name.into());
        Arc::new(PodInfo::new(Arc::new(p)))
    }

    #[test]
    fn filter_table() {
        let cases = [
            ("no ports", vec![], vec![("", 80)], true),
            ("same port wildcard", vec![("", 80)], vec![("", 80)], false),
            ("different port", vec![("", 80)], vec![("", 81)], true),
            ("distinct ips", vec![("10.0.0.1", 80)], vec![("10.0.0.2", 80)], true),
            ("wildcard against ip", vec![("10.0.0.1", 80)], vec![("", 80)], false),
        ];
        for (name, existing, wanted, fits) in cases {
            let mut node = NodeInfo::new(Arc::new(Node::default()));
            node.add_pod(pod("existing", &existing));
            let s = NodePorts.filter(&CycleState::new(), &pod("new", &wanted), &node);
            assert_eq!(s.is_success(), fits, "{name}");
        }
    }
}
