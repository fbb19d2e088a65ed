//! The [`Reconciler`] trait: level-based controller logic. A [`Request`] names an object;
//! the reconciler reads the current state, acts, and returns an [`Action`] or an error
//! that says whether retrying can help ([`Retryable`]).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::object::ObjectKey;

/// The object to reconcile: only its name, never a diff — the reconciler reads the
/// current state itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Request {
    /// The namespace (`None` for cluster-scoped objects).
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

impl Request {
    /// A request for `name` in `namespace`.
    pub fn new(namespace: Option<&str>, name: &str) -> Self {
        Request { namespace: namespace.map(str::to_string), name: name.to_string() }
    }

    /// A request for a namespaced object.
    pub fn namespaced(namespace: &str, name: &str) -> Self {
        Request::new(Some(namespace), name)
    }

    /// A request for a cluster-scoped object.
    pub fn cluster(name: &str) -> Self {
        Request::new(None, name)
    }

    /// The request for `obj`.
    pub fn of<K: kube::Resource>(obj: &K) -> Self {
        let key = ObjectKey::of(obj);
        Request { namespace: key.namespace, name: key.name }
    }
}

impl From<ObjectKey> for Request {
    fn from(key: ObjectKey) -> Self {
        Request { namespace: key.namespace, name: key.name }
    }
}

impl From<&Request> for ObjectKey {
    fn from(r: &Request) -> Self {
        ObjectKey { namespace: r.namespace.clone(), name: r.name.clone() }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{ns}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// What to do after a successful reconcile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing until something changes (the backoff is reset).
    Done,
    /// Reconcile again after the rate limiter's delay (the backoff grows).
    Requeue,
    /// Reconcile again after this delay (the backoff is reset).
    RequeueAfter(Duration),
}

/// Whether an error is worth retrying: retryable errors are requeued with backoff,
/// terminal ones are logged and dropped until the object changes again.
pub trait Retryable {
    /// `true` to retry with backoff.
    fn is_retryable(&self) -> bool;
}

impl Retryable for kube::Error {
    /// API errors are terminal when the request itself is wrong (400, 403, 404, 405,
    /// 410, 422); everything else (conflicts, throttling, server and transport
    /// errors) is retried.
    fn is_retryable(&self) -> bool {
        match self {
            kube::Error::Api(status) => !matches!(status.code, 400 | 403 | 404 | 405 | 410 | 422),
            _ => true,
        }
    }
}

/// A ready-made error type for reconcilers: API errors classified by [`Retryable`] for
/// `kube::Error`, plus explicit retryable and terminal failures.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// An API request failed.
    #[error("API request failed: {0}")]
    Kube(#[from] kube::Error),
    /// A failure worth retrying.
    #[error("{0}")]
    Retryable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A failure retrying cannot fix.
    #[error("{0}")]
    Terminal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ReconcileError {
    /// A retryable failure with a message.
    pub fn retryable(message: impl Into<String>) -> Self {
        ReconcileError::Retryable(message.into().into())
    }

    /// A terminal failure with a message.
    pub fn terminal(message: impl Into<String>) -> Self {
        ReconcileError::Terminal(message.into().into())
    }
}

impl Retryable for ReconcileError {
    fn is_retryable(&self) -> bool {
        match self {
            ReconcileError::Kube(e) => e.is_retryable(),
            ReconcileError::Retryable(_) => true,
            ReconcileError::Terminal(_) => false,
        }
    }
}

/// Controller logic. Level-based: called with the name of an object whose state (or a
/// related object's) may have changed, any number of times; must converge.
#[async_trait]
pub trait Reconciler: Send + Sync + 'static {
    /// The error type; [`Retryable`] decides between backoff and dropping.
    type Error: std::error::Error + Retryable + Send + Sync + 'static;

    /// Makes the world match the desired state of `request`'s object.
    async fn reconcile(&self, request: Request) -> Result<Action, Self::Error>;
}
