//! [`ApiStatusSink`]: pod status through the `status` subresource, graceful deletion
//! completed with a UID-guarded delete, and node status through `nodes/<n>/status`.

use super::is_code;
use crate::source::{PodKey, StatusNotWritten, StatusSink};
use async_trait::async_trait;
use capstan_controller_runtime::informer::Store;
use k8s_openapi::api::core::v1::{Node, NodeStatus, Pod, PodStatus};
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How often a status patch is retried after a `409 Conflict`.
const CONFLICT_RETRIES: usize = 5;

/// A [`StatusSink`] writing to the API server.
///
/// A pod status is sent as a JSON merge patch of `status` computed against the pod as
/// last seen (the informer cache when given, else a GET); a status that changes nothing
/// is not sent. No copy of the statuses written is kept: the pod workers report only
/// statuses that changed, and the cached pod already holds the status last written. When
/// the agent reports a pod terminated and the pod carries a `deletionTimestamp`, it is
/// deleted with grace period 0 and a UID precondition, as the kubelet's status manager
/// does. The pod a status patch
/// returns is not decoded: the informer brings it.
pub struct ApiStatusSink {
    client: kube::Client,
    cache: Option<Store<Pod>>,
    pod_writes: AtomicU64,
    skipped: AtomicU64,
    node_writes: AtomicU64,
    deletes: AtomicU64,
}

impl std::fmt::Debug for ApiStatusSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiStatusSink")
            .field("pod_writes", &self.pod_writes())
            .field("skipped", &self.skipped())
            .finish_non_exhaustive()
    }
}

/// The JSON merge patch turning `old` into `new` (`None`: they are equal).
pub fn merge_diff(old: &Value, new: &Value) -> Option<Value> {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut out = Map::new();
            for (k, nv) in n {
                match o.get(k) {
                    Some(ov) => {
                        if let Some(d) = merge_diff(ov, nv) {
                            out.insert(k.clone(), d);
                        }
                    }
                    None if !nv.is_null() => {
                        out.insert(k.clone(), nv.clone());
                    }
                    None => {}
                }
            }
            for k in o.keys().filter(|k| !n.contains_key(*k)) {
                out.insert(k.clone(), Value::Null);
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        _ => (old != new).then(|| new.clone()),
    }
}

impl ApiStatusSink {
    /// A sink on `client`; `cache` is the node's pod informer cache, if any.
    pub fn new(client: kube::Client, cache: Option<Store<Pod>>) -> Arc<Self> {
        Arc::new(Self {
            client,
            cache,
            pod_writes: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            node_writes: AtomicU64::new(0),
            deletes: AtomicU64::new(0),
        })
    }

    /// Pod status patches sent.
    pub fn pod_writes(&self) -> u64 {
        self.pod_writes.load(Ordering::Relaxed)
    }

    /// Pod status reports not sent because they changed nothing.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Node status writes sent.
    pub fn node_writes(&self) -> u64 {
        self.node_writes.load(Ordering::Relaxed)
    }

    /// Final (grace period 0) pod deletions sent.
    pub fn deletes(&self) -> u64 {
        self.deletes.load(Ordering::Relaxed)
    }

    fn pods(&self, namespace: &str) -> Api<Pod> {
        Api::namespaced(self.client.clone(), namespace)
    }

    /// The pod as last seen: the cache unless `fresh`, else a GET (`None`: gone).
    async fn current(&self, key: &PodKey, fresh: bool) -> Result<Option<Arc<Pod>>, kube::Error> {
        if !fresh {
            if let Some(pod) = self.cache.as_ref().and_then(|c| {
                c.get_named(Some(&key.namespace), &key.name)
                    .filter(|p| p.metadata.uid.as_deref() == Some(&key.uid))
            }) {
                return Ok(Some(pod));
            }
        }
        match self.pods(&key.namespace).get(&key.name).await {
            Ok(p) => Ok(Some(Arc::new(p))),
            Err(e) if is_code(&e, 404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends a merge patch of `pods/<name>/status`, reading the answer only for its status
    /// code (an error answer becomes [`kube::Error::Api`]).
    async fn patch_pod_status(&self, key: &PodKey, patch: &Value) -> Result<(), kube::Error> {
        let path = format!("/api/v1/namespaces/{}/pods", key.namespace);
        let mut request = kube::core::Request::new(path)
            .patch_subresource("status", &key.name, &PatchParams::default(), &Patch::Merge(patch))
            .map_err(kube::Error::BuildRequest)?;
        request.extensions_mut().insert("patch_status");
        self.client.request_text(request).await.map(drop)
    }

    async fn write_pod_status(&self, key: &PodKey, status: &PodStatus) -> Result<(), kube::Error> {
        let new = serde_json::to_value(status).unwrap_or(Value::Null);
        for attempt in 0..CONFLICT_RETRIES {
            let Some(pod) = self.current(key, attempt > 0).await? else {
                return Ok(());
            };
            if pod.metadata.uid.as_deref() != Some(&key.uid) {
                // A different pod of the same name: this status is not its.
                return Ok(());
            }
            let old = serde_json::to_value(&pod.status).unwrap_or(Value::Null);
            let Some(diff) = merge_diff(&old, &new) else {
                self.skipped.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            };
            let patch = json!({ "status": diff });
            match self.patch_pod_status(key, &patch).await {
                Ok(_) => {
                    self.pod_writes.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Err(e) if is_code(&e, 409) => continue,
                Err(e) if is_code(&e, 404) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[async_trait]
impl StatusSink for ApiStatusSink {
    async fn pod_status(&self, pod: &PodKey, status: PodStatus) -> Result<(), StatusNotWritten> {
        self.write_pod_status(pod, &status).await.map_err(|e| {
            tracing::debug!(pod = %pod.name, error = %e, "writing pod status (retried)");
            StatusNotWritten(e.to_string())
        })
    }

    async fn pod_terminated(&self, pod: &PodKey) {
        let current = match self.current(pod, false).await {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(pod = %pod.name, error = %e, "reading terminated pod");
                return;
            }
        };
        if current.metadata.deletion_timestamp.is_none()
            || current.metadata.uid.as_deref() != Some(&pod.uid)
        {
            return;
        }
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: Some(pod.uid.clone()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match self.pods(&pod.namespace).delete(&pod.name, &params).await {
            Ok(_) => {
                self.deletes.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) if is_code(&e, 404) || is_code(&e, 409) => {}
            Err(e) => tracing::warn!(pod = %pod.name, error = %e, "deleting terminated pod"),
        }
    }

    async fn node_status(&self, node: &str, status: NodeStatus) {
        let nodes: Api<Node> = Api::all(self.client.clone());
        let patch = json!({ "status": status });
        match nodes.patch_status(node, &PatchParams::default(), &Patch::Merge(&patch)).await {
            Ok(_) => {
                self.node_writes.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::warn!(node, error = %e, "writing node status"),
        }
    }
}
