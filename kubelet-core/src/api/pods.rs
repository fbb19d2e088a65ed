//! [`ApiPodSource`]: the pods bound to this node, from an informer with the field selector
//! `spec.nodeName=<node>` (the kubelet watches only its own pods).

use crate::source::{PodEvent, PodSource};
use async_trait::async_trait;
use capstan_controller_runtime::Shutdown;
use capstan_controller_runtime::informer::{
    Change, FnHandler, ObjectPool, ReflectorConfig, SharedInformer, Store,
};
use k8s_openapi::api::core::v1::Pod;
use std::sync::Arc;
use tokio::sync::mpsc;

/// A [`PodSource`] over the API: every add or update of a pod bound to the node becomes an
/// upsert; a pod with `deletionTimestamp` becomes a delete with its
/// `deletionGracePeriodSeconds`; a pod removed from the API becomes a delete with grace 0.
pub struct ApiPodSource {
    rx: mpsc::UnboundedReceiver<PodEvent>,
    informer: Arc<SharedInformer<Pod>>,
}

impl std::fmt::Debug for ApiPodSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiPodSource").finish_non_exhaustive()
    }
}

/// The event a pod object maps to.
pub fn event_of(pod: &Arc<Pod>) -> PodEvent {
    if pod.metadata.deletion_timestamp.is_some() {
        PodEvent::Delete {
            pod: pod.clone(),
            grace_period_seconds: pod.metadata.deletion_grace_period_seconds,
        }
    } else {
        PodEvent::Upsert(pod.clone())
    }
}

impl ApiPodSource {
    /// Starts watching the pods of `node` until `shutdown` fires.
    pub fn start(client: kube::Client, node: &str, shutdown: &Shutdown) -> Self {
        Self::start_sharing(client, node, None, shutdown)
    }

    /// Starts watching the pods of `node` until `shutdown` fires, sharing decoded pods
    /// with the other informers of `pool` (the scheduler's and controller manager's in
    /// the same process) when given.
    pub fn start_sharing(
        client: kube::Client,
        node: &str,
        pool: Option<&ObjectPool>,
        shutdown: &Shutdown,
    ) -> Self {
        let config = ReflectorConfig {
            field_selector: Some(format!("spec.nodeName={node}")),
            object_pool: pool.cloned(),
            ..ReflectorConfig::default().stripping_managed_fields()
        };
        let informer = SharedInformer::<Pod>::new(client, (), config);
        let (tx, rx) = mpsc::unbounded_channel();
        informer.add_event_handler(Arc::new(FnHandler(move |change: Change<Pod>| {
            let event = match change {
                Change::Added(p) | Change::Updated { new: p, .. } => event_of(&p),
                Change::Deleted(p) => PodEvent::Delete { pod: p, grace_period_seconds: Some(0) },
            };
            let _ = tx.send(event);
        })));
        informer.start(shutdown);
        Self { rx, informer }
    }

    /// The informer's cache of the node's pods (shared with the status sink).
    pub fn store(&self) -> Store<Pod> {
        self.informer.store()
    }

    /// Waits until the initial list has been delivered.
    pub async fn wait_for_sync(&self) {
        self.informer.wait_for_sync().await;
    }
}

#[async_trait]
impl PodSource for ApiPodSource {
    async fn next(&mut self) -> Option<PodEvent> {
        self.rx.recv().await
    }
}
