//! SchedulingGates: PreEnqueue keeping pods with `spec.schedulingGates` out of the active queue.

use std::sync::Arc;

use crate::framework::events::{ActionType, ClusterEventWithHint, EventResource, QueueingHint};
use crate::framework::handle::Handle;
use crate::framework::interface::{EnqueueExtensions, Plugin, PreEnqueuePlugin};
use crate::framework::registry::PluginError;
use crate::framework::status::Status;
use crate::framework::types::PodInfo;
use crate::plugins::names::SCHEDULING_GATES;

/// Gates pods until their scheduling gates are removed.
#[derive(Debug, Default, Clone, Copy)]
pub struct SchedulingGates;

/// Builds the plugin (no args).
pub fn factory(_: Option<&serde_json::Value>, _: &Handle) -> Result<Arc<dyn Plugin>, PluginError> {
    Ok(Arc::new(SchedulingGates))
}

impl Plugin for SchedulingGates {
    fn name(&self) -> &str {
        SCHEDULING_GATES
    }
    fn as_pre_enqueue(&self) -> Option<&dyn PreEnqueuePlugin> {
        Some(self)
    }
    fn as_enqueue_extensions(&self) -> Option<&dyn EnqueueExtensions> {
        Some(self)
    }
}

impl PreEnqueuePlugin for SchedulingGates {
    fn pre_enqueue(&self, pod: &PodInfo) -> Status {
        let gates =
            pod.pod.spec.as_ref().and_then(|s| s.scheduling_gates.as_deref()).unwrap_or(&[]);
        if gates.is_empty() {
            return Status::success();
        }
        let names: Vec<&str> = gates.iter().map(|g| g.name.as_str()).collect();
        Status::unresolvable(format!("waiting for scheduling gates: [{}]", names.join(" ")))
    }
}

impl EnqueueExtensions for SchedulingGates {
    fn events_to_register(&self) -> Vec<ClusterEventWithHint> {
        vec![
            ClusterEventWithHint::new(
                EventResource::UnscheduledPod,
                ActionType::UPDATE_POD_SCHEDULING_GATES_ELIMINATED,
            )
            .with_hint(|_, _, _| Ok(QueueingHint::Queue)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::core::v1::{Pod, PodSchedulingGate, PodSpec};

    #[test]
    fn gates_table() {
        let pod = |gates: &[&str]| {
            let g = gates.iter().map(|n| PodSchedulingGate { name: n.to_string() }).collect();
            PodInfo::new(Arc::new(Pod {
                spec: Some(PodSpec { scheduling_gates: Some(g), ..Default::default() }),
                ..Default::default()
            }))
        };
        assert!(SchedulingGates.pre_enqueue(&pod(&[])).is_success());
        let s = SchedulingGates.pre_enqueue(&pod(&["a", "b"]));
        assert_eq!(s.code(), crate::framework::Code::UnschedulableAndUnresolvable);
        assert_eq!(s.message(), "waiting for scheduling gates: [a b]");
    }
}
