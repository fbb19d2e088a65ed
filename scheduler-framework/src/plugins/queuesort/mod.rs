//! PrioritySort: the default QueueSort — higher priority first, then earlier queue time.

use std::sync::Arc;

use crate::framework::handle::Handle;
use crate::framework::interface::{Plugin, QueueSortPlugin};
use crate::framework::registry::PluginError;
use crate::framework::types::QueuedPodInfo;
use crate::plugins::names::PRIORITY_SORT;

/// Orders pods by `spec.priority` (higher first), then by queue timestamp.
#[derive(Debug, Default, Clone, Copy)]
pub struct PrioritySort;

/// Builds the plugin (no args).
pub fn factory(_: Option<&serde_json::Value>, _: &Handle) -> Result<Arc<dyn Plugin>, PluginError> {
    Ok(Arc::new(PrioritySort))
}

impl Plugin for PrioritySort {
    fn name(&self) -> &str {
        PRIORITY_SORT
    }
    fn as_queue_sort(&self) -> Option<&dyn QueueSortPlugin> {
        Some(self)
    }
}

impl QueueSortPlugin for PrioritySort {
    fn less(&self, a: &QueuedPodInfo, b: &QueuedPodInfo) -> bool {
        let (pa, pb) = (a.pod_info.priority(), b.pod_info.priority());
        pa > pb || (pa == pb && a.timestamp < b.timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::types::PodInfo;
    use capstan_api_types::core::v1::{Pod, PodSpec};
    use std::time::{Duration, Instant};

    fn q(priority: i32, at: Instant) -> QueuedPodInfo {
        let pod = Pod {
            spec: Some(PodSpec { priority: Some(priority), ..Default::default() }),
            ..Default::default()
        };
        QueuedPodInfo::new(Arc::new(PodInfo::new(Arc::new(pod))), at)
    }

    #[test]
    fn less_table() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_secs(1);
        let cases = [
            (q(10, t1), q(1, t0), true),
            (q(1, t0), q(10, t1), false),
            (q(5, t0), q(5, t1), true),
            (q(5, t1), q(5, t0), false),
        ];
        for (i, (a, b, want)) in cases.iter().enumerate() {
            assert_eq!(PrioritySort.less(a, b), *want, "case {i}");
        }
    }
}
