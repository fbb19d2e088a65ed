//! `Binder`: the boundary between the scheduler and the API (`pods/binding`).

use async_trait::async_trait;
use capstan_api_types::core::v1::{Binding as ApiBinding, ObjectReference};
use capstan_api_types::meta::v1::ObjectMeta;
use parking_lot::Mutex;

/// One binding of a pod to a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub name: String,
    /// The pod's uid (a precondition of the API call when non-empty).
    pub uid: String,
    /// The node.
    pub node: String,
}

impl Binding {
    /// The `core/v1` `Binding` object to POST to `pods/{name}/binding`.
    pub fn to_api(&self) -> ApiBinding {
        ApiBinding {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                namespace: Some(self.namespace.clone()),
                uid: (!self.uid.is_empty()).then(|| self.uid.clone()),
                ..Default::default()
            },
            target: ObjectReference {
                kind: Some("Node".to_string()),
                name: Some(self.node.clone()),
                ..Default::default()
            },
        }
    }
}

/// Errors from binding.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BindError {
    /// The pod is gone or already bound (API 404/409): do not retry.
    #[error("binding {pod} to {node} conflicts: {message}")]
    Conflict {
        /// `namespace/name`.
        pod: String,
        /// The node.
        node: String,
        /// The API's message.
        message: String,
    },
    /// A transport or server failure: the pod is retried after backoff.
    #[error("binding failed: {0}")]
    Failed(String),
}

/// Performs the bind step. The scheduler's `DefaultBinder` plugin calls it; the
/// API-backed implementation POSTs `pods/binding`, tests use [`RecordingBinder`].
#[async_trait]
pub trait Binder: Send + Sync + 'static {
    /// Binds the pod to the node.
    async fn bind(&self, binding: &Binding) -> Result<(), BindError>;
}

/// A [`Binder`] that records bindings in memory (and can be told to fail).
#[derive(Debug, Default)]
pub struct RecordingBinder {
    bindings: Mutex<Vec<Binding>>,
    fail_pods: Mutex<Vec<String>>,
}

impl RecordingBinder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bindings so far, in order.
    pub fn bindings(&self) -> Vec<Binding> {
        self.bindings.lock().clone()
    }

    /// The node a pod (`namespace/name`) was bound to.
    pub fn node_of(&self, key: &str) -> Option<String> {
        self.bindings
            .lock()
            .iter()
            .rev()
            .find(|b| format!("{}/{}", b.namespace, b.name) == key)
            .map(|b| b.node.clone())
    }

    /// Makes the next binding of `key` (`namespace/name`) fail once.
    pub fn fail_next(&self, key: &str) {
        self.fail_pods.lock().push(key.to_string());
    }
}

#[async_trait]
impl Binder for RecordingBinder {
    async fn bind(&self, binding: &Binding) -> Result<(), BindError> {
        let key = format!("{}/{}", binding.namespace, binding.name);
        {
            let mut fail = self.fail_pods.lock();
            if let Some(i) = fail.iter().position(|k| *k == key) {
                fail.remove(i);
                return Err(BindError::Failed(format!("injected failure for {key}")));
            }
        }
        self.bindings.lock().push(binding.clone());
        Ok(())
    }
}
