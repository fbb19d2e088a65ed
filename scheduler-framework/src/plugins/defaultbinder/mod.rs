//! DefaultBinder: the Bind plugin calling the scheduler's `Binder` (the API's `pods/binding`).

use std::sync::Arc;

use async_trait::async_trait;

use crate::framework::binder::{BindError, Binder, Binding};
use crate::framework::cycle_state::CycleState;
use crate::framework::handle::Handle;
use crate::framework::interface::{BindPlugin, Plugin};
use crate::framework::registry::PluginError;
use crate::framework::status::Status;
use crate::framework::types::PodInfo;
use crate::plugins::names::DEFAULT_BINDER;

/// Binds through the handle's [`Binder`].
pub struct DefaultBinder {
    binder: Arc<dyn Binder>,
}

/// Builds the plugin (no args).
pub fn factory(
    _: Option<&serde_json::Value>,
    handle: &Handle,
) -> Result<Arc<dyn Plugin>, PluginError> {
    Ok(Arc::new(DefaultBinder { binder: handle.binder.clone() }))
}

impl Plugin for DefaultBinder {
    fn name(&self) -> &str {
        DEFAULT_BINDER
    }
    fn as_bind(&self) -> Option<&dyn BindPlugin> {
        Some(self)
    }
}

#[async_trait]
impl BindPlugin for DefaultBinder {
    async fn bind(&self, _: &CycleState, pod: &PodInfo, node_name: &str) -> Status {
        let b = Binding {
            namespace: pod.namespace().to_string(),
            name: pod.name().to_string(),
            uid: pod.uid().to_string(),
            node: node_name.to_string(),
        };
        match self.binder.bind(&b).await {
            Ok(()) => Status::success(),
            Err(e @ BindError::Conflict { .. }) | Err(e @ BindError::Failed(_)) => {
                Status::from_error(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::binder::RecordingBinder;
    use capstan_api_types::core::v1::Pod;

    #[tokio::test]
    async fn binds_through_the_binder_and_reports_failures() {
        let rec = Arc::new(RecordingBinder::new());
        let plugin = DefaultBinder { binder: rec.clone() };
        let mut p = Pod::default();
        p.metadata.name = Some("p".into());
        p.metadata.namespace = Some("ns".into());
        let info = PodInfo::new(Arc::new(p));
        assert!(plugin.bind(&CycleState::new(), &info, "n1").await.is_success());
        assert_eq!(rec.node_of("ns/p").as_deref(), Some("n1"));
        rec.fail_next("ns/p");
        let s = plugin.bind(&CycleState::new(), &info, "n2").await;
        assert_eq!(s.code(), crate::framework::Code::Error);
        assert_eq!(rec.bindings().len(), 1);
    }
}
