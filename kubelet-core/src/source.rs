//! The boundary to the API: where pods come from and where status goes.
//!
//! The API side (watching pods bound to this node, patching `pods/status`, registering the
//! node, renewing its Lease) implements these traits; the in-memory implementations here
//! drive the node agent in tests and in simulations.

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{ConfigMap, NodeStatus, Pod, PodStatus, Secret};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Notify, mpsc};

/// A change to the set of pods bound to this node.
#[derive(Debug, Clone)]
pub enum PodEvent {
    /// A pod appeared or its spec/metadata changed (add and update are one event: the
    /// agent reconciles toward the latest object).
    Upsert(Arc<Pod>),
    /// The pod is being deleted (its `deletionTimestamp` is set): terminate it within
    /// `grace_period_seconds` (`None`: the pod's own `terminationGracePeriodSeconds`),
    /// then report it terminated. A pod the agent never ran is reported at once.
    Delete {
        /// The pod as last seen.
        pod: Arc<Pod>,
        /// Grace period override in seconds (the object's `deletionGracePeriodSeconds`).
        grace_period_seconds: Option<i64>,
    },
}

/// Where the agent's pods come from.
#[async_trait]
pub trait PodSource: Send {
    /// The next change, or `None` when the source is closed.
    async fn next(&mut self) -> Option<PodEvent>;
}

/// An in-memory pod source fed through a channel.
#[derive(Debug)]
pub struct ChannelPodSource {
    rx: mpsc::UnboundedReceiver<PodEvent>,
}

/// The sending side of a [`ChannelPodSource`].
#[derive(Debug, Clone)]
pub struct PodFeed {
    tx: mpsc::UnboundedSender<PodEvent>,
}

impl ChannelPodSource {
    /// A source and the feed that fills it.
    pub fn new() -> (PodFeed, Self) {
        let (tx, rx) = mpsc::unbounded_channel();
        (PodFeed { tx }, Self { rx })
    }
}

impl PodFeed {
    /// Adds or updates a pod.
    pub fn upsert(&self, pod: Pod) {
        let _ = self.tx.send(PodEvent::Upsert(Arc::new(pod)));
    }

    /// Deletes a pod gracefully.
    pub fn delete(&self, pod: Arc<Pod>, grace_period_seconds: Option<i64>) {
        let _ = self.tx.send(PodEvent::Delete { pod, grace_period_seconds });
    }
}

#[async_trait]
impl PodSource for ChannelPodSource {
    async fn next(&mut self) -> Option<PodEvent> {
        self.rx.recv().await
    }
}

/// Identity of a pod in status reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PodKey {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// UID.
    pub uid: String,
}

impl PodKey {
    /// The key of a pod object.
    pub fn of(pod: &Pod) -> Self {
        Self {
            namespace: pod.metadata.namespace.clone().unwrap_or_else(|| "default".into()),
            name: pod.metadata.name.clone().unwrap_or_default(),
            uid: pod.metadata.uid.clone().unwrap_or_default(),
        }
    }
}

/// A pod status the sink could not write (the API refused or failed it). The pod's
/// worker keeps the status and sends it again after a backoff, as Kubernetes' status
/// manager re-sends statuses that did not reach the API server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pod status not written: {0}")]
pub struct StatusNotWritten(pub String);

/// Where the agent reports status.
#[async_trait]
pub trait StatusSink: Send + Sync {
    /// The pod's status changed (`pods/status`). An error means it was not written: the
    /// worker retries it (a status that no longer needs writing, for a pod that is
    /// gone, is `Ok`).
    async fn pod_status(&self, pod: &PodKey, status: PodStatus) -> Result<(), StatusNotWritten>;
    /// Every container of the pod is stopped and its resources released: the API side may
    /// complete graceful deletion (delete with grace period 0).
    async fn pod_terminated(&self, pod: &PodKey);
    /// The node's status (`nodes/status`).
    async fn node_status(&self, node: &str, status: NodeStatus);
}

/// An in-memory status sink remembering the latest reports, with a change notification
/// for waiting on a condition.
#[derive(Debug, Default)]
pub struct MemoryStatusSink {
    state: Mutex<SinkState>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct SinkState {
    pods: HashMap<String, (PodKey, PodStatus)>,
    phases: HashMap<String, Vec<String>>,
    waiting_reasons: HashMap<String, Vec<String>>,
    terminated: Vec<PodKey>,
    nodes: HashMap<String, NodeStatus>,
    updates: u64,
    /// Pod status writes still to refuse, and how many were refused.
    refuse: usize,
    refused: usize,
}

impl MemoryStatusSink {
    /// An empty sink.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Latest status of a pod by UID.
    pub fn pod(&self, uid: &str) -> Option<PodStatus> {
        self.state.lock().pods.get(uid).map(|(_, s)| s.clone())
    }

    /// The phases a pod was reported in, in order (consecutive repeats collapsed).
    pub fn phases(&self, uid: &str) -> Vec<String> {
        self.state.lock().phases.get(uid).cloned().unwrap_or_default()
    }

    /// Every distinct container waiting reason reported for a pod, in first-seen order.
    pub fn waiting_reasons(&self, uid: &str) -> Vec<String> {
        self.state.lock().waiting_reasons.get(uid).cloned().unwrap_or_default()
    }

    /// Latest statuses of every pod.
    pub fn pods(&self) -> Vec<(PodKey, PodStatus)> {
        self.state.lock().pods.values().cloned().collect()
    }

    /// Counts pods whose latest status satisfies `f`.
    pub fn count(&self, f: impl Fn(&PodStatus) -> bool) -> usize {
        self.state.lock().pods.values().filter(|(_, s)| f(s)).count()
    }

    /// Pods reported terminated, in report order.
    pub fn terminated(&self) -> Vec<PodKey> {
        self.state.lock().terminated.clone()
    }

    /// Latest status of a node.
    pub fn node(&self, name: &str) -> Option<NodeStatus> {
        self.state.lock().nodes.get(name).cloned()
    }

    /// Number of reports received.
    pub fn updates(&self) -> u64 {
        self.state.lock().updates
    }

    /// Refuses the next `n` pod status writes (as an API server answering `403` or failing
    /// would), to exercise the workers' retries.
    pub fn refuse_pod_statuses(&self, n: usize) {
        self.state.lock().refuse = n;
    }

    /// How many pod status writes were refused.
    pub fn refused(&self) -> usize {
        self.state.lock().refused
    }

    /// Waits until `f` holds over the sink (checked after every report).
    pub async fn wait_until(&self, mut f: impl FnMut(&Self) -> bool) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if f(self) {
                return;
            }
            notified.await;
        }
    }

    fn touch(&self) {
        self.changed.notify_waiters();
    }
}

#[async_trait]
impl StatusSink for MemoryStatusSink {
    async fn pod_status(&self, pod: &PodKey, status: PodStatus) -> Result<(), StatusNotWritten> {
        {
            let mut st = self.state.lock();
            if st.refuse > 0 {
                st.refuse -= 1;
                st.refused += 1;
                return Err(StatusNotWritten(format!("refused status of {}", pod.name)));
            }
            st.updates += 1;
            let phase = status.phase.clone().unwrap_or_default();
            let seen = st.phases.entry(pod.uid.clone()).or_default();
            if seen.last() != Some(&phase) {
                seen.push(phase);
            }
            let reasons = status
                .init_container_statuses
                .iter()
                .flatten()
                .chain(status.container_statuses.iter().flatten())
                .filter_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone())
                .collect::<Vec<_>>();
            let seen = st.waiting_reasons.entry(pod.uid.clone()).or_default();
            for r in reasons {
                if !seen.contains(&r) {
                    seen.push(r);
                }
            }
            st.pods.insert(pod.uid.clone(), (pod.clone(), status));
        }
        self.touch();
        Ok(())
    }

    async fn pod_terminated(&self, pod: &PodKey) {
        {
            let mut st = self.state.lock();
            st.updates += 1;
            st.terminated.push(pod.clone());
        }
        self.touch();
    }

    async fn node_status(&self, node: &str, status: NodeStatus) {
        {
            let mut st = self.state.lock();
            st.updates += 1;
            st.nodes.insert(node.to_owned(), status);
        }
        self.touch();
    }
}

/// A failed lookup at the API side.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The object does not exist.
    #[error("{kind} {namespace}/{name} not found")]
    NotFound {
        /// Kind looked up.
        kind: &'static str,
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
    /// The lookup failed; retryable.
    #[error("lookup failed: {0}")]
    Unavailable(String),
}

/// ConfigMaps and Secrets for volumes (the API side reads them from its informer cache).
#[async_trait]
pub trait ConfigSource: Send + Sync {
    /// A ConfigMap by namespace and name.
    async fn config_map(&self, namespace: &str, name: &str) -> Result<Arc<ConfigMap>, SourceError>;
    /// A Secret by namespace and name.
    async fn secret(&self, namespace: &str, name: &str) -> Result<Arc<Secret>, SourceError>;
}

/// An in-memory [`ConfigSource`].
#[derive(Debug, Default)]
pub struct MemoryConfigSource {
    config_maps: Mutex<HashMap<(String, String), Arc<ConfigMap>>>,
    secrets: Mutex<HashMap<(String, String), Arc<Secret>>>,
}

fn ns_name(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> (String, String) {
    (
        meta.namespace.clone().unwrap_or_else(|| "default".into()),
        meta.name.clone().unwrap_or_default(),
    )
}

impl MemoryConfigSource {
    /// An empty source.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Stores a ConfigMap.
    pub fn put_config_map(&self, cm: ConfigMap) {
        self.config_maps.lock().insert(ns_name(&cm.metadata), Arc::new(cm));
    }

    /// Stores a Secret.
    pub fn put_secret(&self, secret: Secret) {
        self.secrets.lock().insert(ns_name(&secret.metadata), Arc::new(secret));
    }
}

#[async_trait]
impl ConfigSource for MemoryConfigSource {
    async fn config_map(&self, namespace: &str, name: &str) -> Result<Arc<ConfigMap>, SourceError> {
        self.config_maps.lock().get(&(namespace.to_owned(), name.to_owned())).cloned().ok_or_else(
            || SourceError::NotFound {
                kind: "configmap",
                namespace: namespace.into(),
                name: name.into(),
            },
        )
    }

    async fn secret(&self, namespace: &str, name: &str) -> Result<Arc<Secret>, SourceError> {
        self.secrets.lock().get(&(namespace.to_owned(), name.to_owned())).cloned().ok_or_else(
            || SourceError::NotFound {
                kind: "secret",
                namespace: namespace.into(),
                name: name.into(),
            },
        )
    }
}

/// A request for a service-account token (`serviceaccounts/token`, TokenRequest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// Namespace of the pod and service account.
    pub namespace: String,
    /// Service account name.
    pub service_account: String,
    /// Audience (empty: the API server's).
    pub audience: String,
    /// Requested lifetime in seconds.
    pub expiration_seconds: i64,
    /// Pod the token is bound to.
    pub pod_name: String,
    /// UID of that pod.
    pub pod_uid: String,
}

/// Service-account tokens for projected volumes.
#[async_trait]
pub trait TokenSource: Send + Sync {
    /// A token for the request.
    async fn token(&self, req: &TokenRequest) -> Result<String, SourceError>;
}

/// A token source minting unsigned, readable tokens (`header.claims.`) naming the service
/// account, audience and pod; for tests and simulations.
#[derive(Debug, Default)]
pub struct UnsignedTokenSource;

#[async_trait]
impl TokenSource for UnsignedTokenSource {
    async fn token(&self, req: &TokenRequest) -> Result<String, SourceError> {
        Ok(format!(
            "unsigned.system:serviceaccount:{}:{}.aud={}.pod={}.uid={}.exp={}",
            req.namespace,
            req.service_account,
            req.audience,
            req.pod_name,
            req.pod_uid,
            req.expiration_seconds
        ))
    }
}
