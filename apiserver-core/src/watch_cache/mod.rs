//! The watch cache: an in-memory copy of one resource fed by the store watch, serving lists and watches with Kubernetes' cacher semantics.
//!
//! Kubernetes' `storage/cacher` is the model: one cache per resource follows the store
//! (list, then watch with progress notifications; relist when the watch is compacted), and
//! every list and watch of that resource is served from memory.
//!
//! One concern per file:
//!
//! - [`object`](CachedObject): a stored value decoded once per change — JSON with
//!   `metadata.resourceVersion` set, labels and selectable fields precomputed;
//! - `ingest`: the task following the store (list, watch, progress, relist, bookmarks);
//! - `state`: the current objects (a `BTreeMap` by key: a namespace is a range scan), the
//!   revision, and views of the state at a recent revision;
//! - `history`: the bounded window of recent changes (watch resume, exact lists, continue
//!   tokens; outside it: `410 Expired`);
//! - `fanout`: broadcasts of `Arc`'ed changes — one for all watchers, one per
//!   `spec.nodeName` for pod watches requiring a node (so each kubelet's watch only sees its
//!   node's pods); each watcher filters for itself and a watcher a whole buffer behind is
//!   cut off rather than slowing ingest;
//! - `watcher`: one watch — initial events, replay, selector transitions, bookmarks;
//! - `list`: resourceVersion semantics, selectors, limit/continue, remainingItemCount;
//! - `continue_token`: Kubernetes' continue token encoding.

mod continue_token;
mod fanout;
mod history;
mod ingest;
mod list;
mod object;

pub(crate) use object::splice_resource_version;
mod state;
mod watcher;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use capstan_api_types::gvk::GroupResource;
use capstan_store::Storage;
use parking_lot::RwLock;
use tokio::sync::watch as signal;

use crate::request::ListOptions;
use crate::status::{ApiError, StoreOperation};

pub use object::{CachedJson, CachedObject, FieldValues, LabelValues};
pub use watcher::CacheWatch;

use state::State;

/// What a watch delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheEvent {
    /// The object was created, or (for a filtered watch) started matching, or is part of
    /// the initial state.
    Added(Arc<CachedObject>),
    /// The object was updated (and still matches).
    Modified(Arc<CachedObject>),
    /// The object was deleted, or stopped matching: its last state, with `revision` (and
    /// `metadata.resourceVersion`) set to the revision of the delete or of the update.
    Deleted(Arc<CachedObject>),
    /// A BOOKMARK: the watch has seen everything up to this revision.
    Bookmark(i64),
    /// The BOOKMARK that ends the initial events of a `sendInitialEvents=true` watch: it
    /// carries the annotation `k8s.io/initial-events-end: "true"`.
    InitialEventsEnd(i64),
}

impl CacheEvent {
    /// The watch event type on the wire: `ADDED`, `MODIFIED`, `DELETED` or `BOOKMARK`.
    pub fn type_name(&self) -> &'static str {
        match self {
            CacheEvent::Added(_) => "ADDED",
            CacheEvent::Modified(_) => "MODIFIED",
            CacheEvent::Deleted(_) => "DELETED",
            CacheEvent::Bookmark(_) | CacheEvent::InitialEventsEnd(_) => "BOOKMARK",
        }
    }

    /// The object, for ADDED, MODIFIED and DELETED.
    pub fn object(&self) -> Option<&Arc<CachedObject>> {
        match self {
            CacheEvent::Added(o) | CacheEvent::Modified(o) | CacheEvent::Deleted(o) => Some(o),
            CacheEvent::Bookmark(_) | CacheEvent::InitialEventsEnd(_) => None,
        }
    }

    /// The event's resourceVersion.
    pub fn revision(&self) -> i64 {
        match self {
            CacheEvent::Added(o) | CacheEvent::Modified(o) | CacheEvent::Deleted(o) => o.revision,
            CacheEvent::Bookmark(r) | CacheEvent::InitialEventsEnd(r) => *r,
        }
    }
}

/// The resource a cache holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheResource {
    /// The API group (`""` for core).
    pub group: String,
    /// The plural resource name.
    pub plural: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// The store key prefix of the resource (`/registry/pods/`); a trailing `/` is added
    /// when missing.
    pub prefix: String,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    /// The objects, in key order.
    pub items: Vec<Arc<CachedObject>>,
    /// The list's resourceVersion.
    pub revision: i64,
    /// The token for the next page, when the list was limited and more objects match.
    pub continue_token: Option<String>,
    /// How many objects follow this page, when it was limited and no selector was given
    /// (as Kubernetes, which cannot count matches without reading them).
    pub remaining_item_count: Option<i64>,
}

/// Tuning of a [`WatchCache`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchCacheConfig {
    /// How many recent changes are kept for watch resume, exact lists and continue tokens.
    pub history_capacity: usize,
    /// How many changes a watcher may fall behind before its watch is ended.
    pub watcher_buffer: usize,
    /// The same for a watcher indexed by the value of a field (a pod watch with
    /// `spec.nodeName=<node>`), at most `watcher_buffer`: such a watcher is sent only the
    /// changes of its value, and each value's buffer is allocated up front.
    pub indexed_watcher_buffer: usize,
    /// How often watchers that allow bookmarks get one.
    pub bookmark_interval: Duration,
    /// How long a read waits for the cache to reach a requested or the store's current
    /// revision before answering `504 Timeout` (Kubernetes: 3 s).
    pub fresh_timeout: Duration,
}

impl Default for WatchCacheConfig {
    fn default() -> Self {
        WatchCacheConfig {
            history_capacity: 10_000,
            watcher_buffer: 4096,
            indexed_watcher_buffer: 512,
            bookmark_interval: Duration::from_secs(1),
            fresh_timeout: Duration::from_secs(3),
        }
    }
}

/// What the cache and its ingest task share.
struct Shared {
    resource: CacheResource,
    group_resource: GroupResource,
    store: Arc<dyn Storage>,
    config: WatchCacheConfig,
    /// Written only by the ingest task.
    state: RwLock<State>,
    /// The revision of `state`, for waiters; updated after `state`.
    revision: signal::Sender<i64>,
}

impl Shared {
    /// Waits until the cache is at `revision` or later.
    async fn wait_for(&self, revision: i64, timeout: Duration) -> Result<(), ApiError> {
        if *self.revision.borrow() >= revision {
            return Ok(());
        }
        // The store tells the cache about writes to other resources only when asked (or
        // after a while).
        self.store.request_progress();
        let mut receiver = self.revision.subscribe();
        let reached = tokio::time::timeout(timeout, receiver.wait_for(|r| *r >= revision)).await;
        match reached {
            Ok(Ok(_)) => Ok(()),
            _ => Err(ApiError::too_large_resource_version(revision, *self.revision.borrow(), 1)),
        }
    }

    /// The store's current revision, as an API error on failure.
    async fn store_revision(&self, op: StoreOperation) -> Result<i64, ApiError> {
        self.store
            .current_revision()
            .await
            .map_err(|e| ApiError::from_store(op, &self.group_resource, "", e))
    }

    /// The key prefix of a namespace (or of the whole resource for `None`).
    fn scope(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) if self.resource.namespaced => format!("{}{ns}/", self.resource.prefix),
            _ => self.resource.prefix.clone(),
        }
    }
}

/// The watch cache of one resource.
///
/// Dropping it (or calling [`WatchCache::shutdown`]) stops following the store and ends
/// every watch it serves.
pub struct WatchCache {
    shared: Arc<Shared>,
    /// Dropped to stop the ingest task.
    stop: signal::Sender<bool>,
}

impl WatchCache {
    /// Lists the prefix from the store, then follows its watch (with progress notify),
    /// forever (relists on Compacted). Ready when the initial list is loaded.
    pub async fn start(
        store: Arc<dyn Storage>,
        resource: CacheResource,
    ) -> Result<Arc<WatchCache>, ApiError> {
        Self::start_with(store, resource, WatchCacheConfig::default()).await
    }

    /// [`WatchCache::start`] with explicit tuning.
    pub async fn start_with(
        store: Arc<dyn Storage>,
        mut resource: CacheResource,
        config: WatchCacheConfig,
    ) -> Result<Arc<WatchCache>, ApiError> {
        if !resource.prefix.ends_with('/') {
            resource.prefix.push('/');
        }
        let group_resource = GroupResource::new(resource.group.clone(), resource.plural.clone());
        let (objects, revision) = ingest::load(&*store, &resource)
            .await
            .map_err(|e| ApiError::from_store(StoreOperation::List, &group_resource, "", e))?;
        let fanout = fanout::Fanout::new(
            config.watcher_buffer,
            fanout::indexed_field(&resource.group, &resource.plural),
            config.indexed_watcher_buffer,
        );
        let state = State::new(objects, revision, config.history_capacity, fanout);
        let (revision_tx, _) = signal::channel(revision);
        let shared = Arc::new(Shared {
            resource,
            group_resource,
            store,
            config,
            state: RwLock::new(state),
            revision: revision_tx,
        });
        let (stop, stopped) = signal::channel(false);
        let follow = ingest::follow(shared.clone(), stopped);
        match ingest::runtime() {
            Some(runtime) => drop(runtime.spawn(follow)),
            None => drop(tokio::spawn(follow)),
        }
        Ok(Arc::new(WatchCache { shared, stop }))
    }

    /// The resource this cache holds.
    pub fn resource(&self) -> &CacheResource {
        &self.shared.resource
    }

    /// The cache's current revision.
    pub fn revision(&self) -> i64 {
        *self.shared.revision.borrow()
    }

    /// Waits until the cache is at `revision` or later; `504 Timeout` ("Too large resource
    /// version") after `timeout`.
    pub async fn wait_for(&self, revision: i64, timeout: Duration) -> Result<(), ApiError> {
        self.shared.wait_for(revision, timeout).await
    }

    /// The latest state of the object at `key`.
    pub fn get(&self, key: &str) -> Option<Arc<CachedObject>> {
        self.shared.state.read().objects.get(key).cloned()
    }

    /// Kubernetes list semantics over the cache: namespace (None = all), label/field
    /// selectors, limit + continue (Kubernetes' continue token: revision + next key),
    /// `resourceVersion` ""/"0"/N with `resourceVersionMatch` NotOlderThan/Exact (exact
    /// reads and continue tokens are served from the window of recent changes, else
    /// `410 Expired`), remainingItemCount when limited without selectors.
    ///
    /// `""` is a consistent read (the cache first catches up with the store's current
    /// revision); N with `NotOlderThan` waits for the cache to reach N (`504` after
    /// [`WatchCacheConfig::fresh_timeout`]); N with a limit and no match is `Exact`, as in
    /// Kubernetes.
    pub async fn list(
        &self,
        namespace: Option<&str>,
        options: &ListOptions,
    ) -> Result<ListPage, ApiError> {
        list::list(&self.shared, namespace, options).await
    }

    /// Events after `resourceVersion` (""/"0" = ADDED for every current object first, like
    /// Kubernetes; N = every change after N from the window, `410 Expired` "too old
    /// resource version: N (oldest)" if N is older), filtered by namespace and selectors (an
    /// object that stops matching is delivered as DELETED, one that starts as ADDED),
    /// bookmarks when allowed (periodically, and [`CacheEvent::InitialEventsEnd`] after the
    /// initial events of `sendInitialEvents=true`). A watcher that falls
    /// [`WatchCacheConfig::watcher_buffer`] changes behind is terminated (its stream ends).
    pub fn watch(
        &self,
        namespace: Option<&str>,
        options: &ListOptions,
    ) -> Result<CacheWatch, ApiError> {
        watcher::start(&self.shared, namespace, options)
    }

    /// How many watches are open.
    pub fn watchers(&self) -> usize {
        self.shared.state.read().fanout.watchers()
    }

    /// Stops following the store and ends every watch (each stream ends after the events it
    /// was already sent). Lists and gets keep answering from the last state.
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
        self.shared.state.write().fanout.close();
    }
}

impl std::fmt::Debug for WatchCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchCache")
            .field("resource", &self.shared.resource)
            .field("revision", &self.revision())
            .finish()
    }
}
