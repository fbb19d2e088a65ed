//! The reflector: list (paginated), then watch from the list's resourceVersion, resuming
//! from the last seen resourceVersion (bookmarks included) when a watch ends, and
//! relisting only when the server answers `410 Gone`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{AsyncBufReadExt, StreamExt};
use kube::api::{ListParams, WatchEvent, WatchParams};
use kube::core::ObjectList;
use parking_lot::Mutex;

use super::decode::{Whole, Wire, WithoutManagedFields};
use super::pool::{ObjectPool, PoolSpace};
use super::store::Store;
use super::watch_line::{Received, read_line};
use crate::object::{Object, ObjectKey};
use crate::shutdown::Shutdown;

/// How a reflector lists and watches.
#[derive(Clone, Debug)]
pub struct ReflectorConfig {
    /// Only this namespace (`None`: every namespace, or a cluster-scoped kind).
    pub namespace: Option<String>,
    /// A label selector applied to list and watch.
    pub label_selector: Option<String>,
    /// A field selector applied to list and watch.
    pub field_selector: Option<String>,
    /// Objects per page of the initial list (`limit`/`continue`); 0 lists in one page.
    pub page_size: u32,
    /// How long one watch request lasts before the server ends it and the reflector
    /// resumes (`timeoutSeconds`; Kubernetes' reflectors use 5 to 10 minutes).
    pub watch_timeout: Duration,
    /// Whether to ask for bookmarks (`allowWatchBookmarks`), which keep the resume
    /// point fresh when nothing matching changes.
    pub bookmarks: bool,
    /// Start by watching from this resourceVersion instead of listing (a position saved
    /// earlier); if the server has forgotten it (`410 Gone`) the reflector lists.
    pub initial_resource_version: Option<String>,
    /// The first delay after a failed list or watch.
    pub min_backoff: Duration,
    /// The longest delay after repeated failures.
    pub max_backoff: Duration,
    /// Drop every object's `metadata.managedFields` before it reaches the cache (what
    /// kube-scheduler's and kube-controller-manager's informers do: the entries are
    /// large, and controllers never read them). The field is skipped while decoding
    /// ([`WithoutManagedFields`]), never built. Off by default, as in client-go.
    pub strip_managed_fields: bool,
    /// Share decoded objects with the other reflectors of this pool (see
    /// [`ObjectPool`]): an object version another reflector already holds is cached as
    /// the same `Arc`, and a watch event carrying such a version is not decoded at all
    /// (its uid and resourceVersion are read from the raw line first). `None` (the
    /// default): every reflector keeps its own copies.
    pub object_pool: Option<ObjectPool>,
}

impl ReflectorConfig {
    /// This configuration with `metadata.managedFields` dropped from cached objects.
    pub fn stripping_managed_fields(mut self) -> Self {
        self.strip_managed_fields = true;
        self
    }

    /// This configuration sharing decoded objects through `pool`.
    pub fn sharing_objects(mut self, pool: &ObjectPool) -> Self {
        self.object_pool = Some(pool.clone());
        self
    }

    /// The name of what the reflector does to each object it decodes: reflectors share
    /// objects through a pool only when these are equal.
    fn transformation(&self) -> &'static str {
        if self.strip_managed_fields { "without-managed-fields" } else { "whole" }
    }
}

impl Default for ReflectorConfig {
    fn default() -> Self {
        ReflectorConfig {
            namespace: None,
            label_selector: None,
            field_selector: None,
            page_size: 500,
            watch_timeout: Duration::from_secs(300),
            bookmarks: true,
            initial_resource_version: None,
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(30),
            strip_managed_fields: false,
            object_pool: None,
        }
    }
}

/// What a reflector delivers to its [`Sink`].
#[derive(Debug)]
pub enum Update<K> {
    /// A complete list: the new content of the cache.
    Listed(Vec<Arc<K>>),
    /// An object was added or modified.
    Applied(Arc<K>),
    /// An object was deleted (its last state).
    Deleted(Arc<K>),
}

/// Where a reflector delivers updates (a [`Store`], or an informer that also notifies
/// handlers). Called from the reflector's task, one update at a time, in order.
pub trait Sink<K>: Send + Sync + 'static {
    /// Applies one update.
    fn apply(&self, update: Update<K>);
}

impl<K: kube::Resource + Send + Sync + 'static> Sink<K> for Store<K> {
    fn apply(&self, update: Update<K>) {
        match update {
            Update::Listed(objects) => {
                self.replace(objects);
            }
            Update::Applied(obj) => {
                self.upsert(obj);
            }
            Update::Deleted(obj) => {
                self.remove(&ObjectKey::of(obj.as_ref()));
            }
        }
    }
}

/// Counters of what a reflector did (for tests and metrics).
#[derive(Debug, Default)]
pub struct ReflectorStats {
    lists: AtomicU64,
    watches: AtomicU64,
    expired: AtomicU64,
    bookmarks: AtomicU64,
    events: AtomicU64,
    decoded: AtomicU64,
    undecoded: AtomicU64,
    errors: AtomicU64,
    resource_version: Mutex<Option<String>>,
}

impl ReflectorStats {
    /// Complete lists done (the first one and every relist).
    pub fn lists(&self) -> u64 {
        self.lists.load(Ordering::Relaxed)
    }
    /// Watch requests started (the first one and every resume).
    pub fn watches(&self) -> u64 {
        self.watches.load(Ordering::Relaxed)
    }
    /// `410 Gone` answers (each leads to a relist).
    pub fn expired(&self) -> u64 {
        self.expired.load(Ordering::Relaxed)
    }
    /// Bookmarks received.
    pub fn bookmarks(&self) -> u64 {
        self.bookmarks.load(Ordering::Relaxed)
    }
    /// Object events received from watches.
    pub fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }
    /// Objects of watch events decoded.
    pub fn decoded(&self) -> u64 {
        self.decoded.load(Ordering::Relaxed)
    }
    /// Objects of watch events taken from the object pool without decoding them.
    pub fn undecoded(&self) -> u64 {
        self.undecoded.load(Ordering::Relaxed)
    }
    /// Failed lists and watches (other than `410 Gone`).
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
    /// The resourceVersion the next watch resumes from.
    pub fn resource_version(&self) -> Option<String> {
        self.resource_version.lock().clone()
    }
}

/// Why one list or watch attempt ended.
#[derive(Debug, thiserror::Error)]
pub enum ReflectorError {
    /// The resourceVersion is older than the server remembers: relist.
    #[error("resourceVersion expired (410 Gone)")]
    Expired,
    /// A request failed.
    #[error("request failed: {0}")]
    Request(#[source] kube::Error),
    /// The watch closed within a second without delivering anything.
    #[error("very short watch: closed at once with no events")]
    ShortWatch,
    /// The server sent an error event on the watch.
    #[error("watch error event: {0}")]
    Status(String),
}

fn is_gone(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 410)
}

/// Whether a read error of a watch response only ends the watch (to be resumed), as
/// kube's event streams treat them: the connection cut mid-chunk, or a client timeout.
fn ends_watch(e: &std::io::Error) -> bool {
    if matches!(e.kind(), std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::TimedOut) {
        return true;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| matches!(io.kind(), std::io::ErrorKind::UnexpectedEof))
            || err.to_string().contains("unexpected EOF")
        {
            return true;
        }
        source = err.source();
    }
    false
}

/// Lists and watches one resource into a [`Sink`].
pub struct Reflector<K: Object> {
    client: kube::Client,
    url_path: String,
    config: ReflectorConfig,
    /// Where this reflector's objects are shared in `config.object_pool`.
    space: PoolSpace,
    stats: Arc<ReflectorStats>,
    _kind: std::marker::PhantomData<fn() -> K>,
}

impl<K: Object> std::fmt::Debug for Reflector<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reflector")
            .field("url_path", &self.url_path)
            .field("config", &self.config)
            .finish()
    }
}

impl<K: Object> Reflector<K> {
    /// A reflector for `K` (with its dynamic type `dt`; `&()` for `k8s-openapi` kinds).
    pub fn new(client: kube::Client, dt: &K::DynamicType, config: ReflectorConfig) -> Self {
        let url_path = K::url_path(dt, config.namespace.as_deref());
        let space = PoolSpace::new::<K>(&K::url_path(dt, None), config.transformation());
        Reflector {
            client,
            url_path,
            config,
            space,
            stats: Arc::default(),
            _kind: std::marker::PhantomData,
        }
    }

    /// The reflector's counters (shared; keep the `Arc` to watch them while it runs).
    pub fn stats(&self) -> Arc<ReflectorStats> {
        self.stats.clone()
    }

    /// A decoded object as the `Arc` to cache: the pool's copy of its version when
    /// sharing and another reflector holds it.
    fn share(&self, obj: K) -> Arc<K> {
        match &self.config.object_pool {
            Some(pool) => pool.intern(self.space, obj),
            None => Arc::new(obj),
        }
    }

    fn list_params(&self) -> ListParams {
        ListParams {
            label_selector: self.config.label_selector.clone(),
            field_selector: self.config.field_selector.clone(),
            limit: (self.config.page_size > 0).then_some(self.config.page_size),
            ..Default::default()
        }
    }

    /// One complete list, page by page. Returns the objects and the list's
    /// resourceVersion. With [`ReflectorConfig::strip_managed_fields`] the objects are
    /// decoded without `metadata.managedFields` (the field is skipped while parsing).
    async fn list(&self) -> Result<(Vec<Arc<K>>, String), ReflectorError> {
        if self.config.strip_managed_fields {
            self.list_as::<WithoutManagedFields<K>>().await
        } else {
            self.list_as::<Whole<K>>().await
        }
    }

    async fn list_as<W: Wire<K>>(&self) -> Result<(Vec<Arc<K>>, String), ReflectorError> {
        let request = kube::core::Request::new(self.url_path.clone());
        let base = self.list_params();
        let mut objects = Vec::new();
        let mut continue_token: Option<String> = None;
        loop {
            let mut lp = base.clone();
            lp.continue_token = continue_token.clone();
            let req = request
                .list(&lp)
                .map_err(|e| ReflectorError::Request(kube::Error::BuildRequest(e)))?;
            let page: ObjectList<W> = match self.client.request(req).await {
                Ok(page) => page,
                // A continue token outlived the server's window: start the list over.
                Err(e) if is_gone(&e) && continue_token.is_some() => {
                    objects.clear();
                    continue_token = None;
                    continue;
                }
                Err(e) if is_gone(&e) => return Err(ReflectorError::Expired),
                Err(e) => return Err(ReflectorError::Request(e)),
            };
            objects.extend(page.items.into_iter().map(|o| self.share(o.into_object())));
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(token) => continue_token = Some(token),
                None => {
                    let rv = page.metadata.resource_version.unwrap_or_default();
                    return Ok((objects, rv));
                }
            }
        }
    }

    /// One watch from `rv` until the server ends it; updates `rv` as events arrive.
    async fn watch(
        &self,
        rv: &mut String,
        sink: &dyn Sink<K>,
        shutdown: &Shutdown,
    ) -> Result<(), ReflectorError> {
        if self.config.strip_managed_fields {
            self.watch_as::<WithoutManagedFields<K>>(rv, sink, shutdown).await
        } else {
            self.watch_as::<Whole<K>>(rv, sink, shutdown).await
        }
    }

    async fn watch_as<W: Wire<K>>(
        &self,
        rv: &mut String,
        sink: &dyn Sink<K>,
        shutdown: &Shutdown,
    ) -> Result<(), ReflectorError> {
        let request = kube::core::Request::new(self.url_path.clone());
        let wp = WatchParams {
            label_selector: self.config.label_selector.clone(),
            field_selector: self.config.field_selector.clone(),
            bookmarks: self.config.bookmarks,
            timeout: Some(self.config.watch_timeout.as_secs().clamp(1, 295 * 60) as u32),
            ..Default::default()
        };
        let mut req = request
            .watch(&wp, rv)
            .map_err(|e| ReflectorError::Request(kube::Error::BuildRequest(e)))?;
        req.extensions_mut().insert("watch");
        self.stats.watches.fetch_add(1, Ordering::Relaxed);
        if let Some(pool) = &self.config.object_pool {
            return self.watch_lines::<W>(req, pool, rv, sink, shutdown).await;
        }
        let started = tokio::time::Instant::now();
        let mut received = false;
        let stream = match self.client.request_events::<W>(req).await {
            Ok(s) => s,
            Err(e) if is_gone(&e) => return Err(ReflectorError::Expired),
            Err(e) => return Err(ReflectorError::Request(e)),
        };
        let mut stream = std::pin::pin!(stream);
        loop {
            let next = tokio::select! {
                () = shutdown.wait() => return Ok(()),
                next = stream.next() => next,
            };
            let Some(event) = next else {
                // A watch closed at once with nothing in it is a server in trouble: back off.
                if !received && started.elapsed() < Duration::from_secs(1) {
                    return Err(ReflectorError::ShortWatch);
                }
                return Ok(());
            };
            received = true;
            let event = match event.map_err(ReflectorError::Request)? {
                WatchEvent::Added(obj) | WatchEvent::Modified(obj) => {
                    self.stats.decoded.fetch_add(1, Ordering::Relaxed);
                    Received::Applied(self.share(obj.into_object()))
                }
                WatchEvent::Deleted(obj) => {
                    self.stats.decoded.fetch_add(1, Ordering::Relaxed);
                    Received::Deleted(self.share(obj.into_object()))
                }
                WatchEvent::Bookmark(b) => Received::Bookmark(b.metadata.resource_version),
                WatchEvent::Error(status) => Received::Error(status),
            };
            self.deliver(event, rv, sink)?;
        }
    }

    /// [`Reflector::watch_as`] with an object pool: the response is read line by line,
    /// and an event whose object version the pool holds is not decoded
    /// ([`read_line`]).
    async fn watch_lines<W: Wire<K>>(
        &self,
        mut req: http::Request<Vec<u8>>,
        pool: &ObjectPool,
        rv: &mut String,
        sink: &dyn Sink<K>,
        shutdown: &Shutdown,
    ) -> Result<(), ReflectorError> {
        // One event per line, uncompressed (as kube's event streams ask).
        req.headers_mut()
            .entry(http::header::ACCEPT_ENCODING)
            .or_insert(http::HeaderValue::from_static("identity"));
        let started = tokio::time::Instant::now();
        let mut received = false;
        let body = match self.client.request_stream(req).await {
            Ok(body) => body,
            Err(e) if is_gone(&e) => return Err(ReflectorError::Expired),
            Err(e) => return Err(ReflectorError::Request(e)),
        };
        let mut body = Box::pin(body);
        let mut line = Vec::new();
        loop {
            line.clear();
            let read = tokio::select! {
                () = shutdown.wait() => return Ok(()),
                read = body.read_until(b'\n', &mut line) => read,
            };
            let ended = match read {
                Ok(n) => n == 0,
                Err(e) if ends_watch(&e) => true,
                Err(e) => return Err(ReflectorError::Request(kube::Error::ReadEvents(e))),
            };
            if ended {
                // A watch closed at once with nothing in it is a server in trouble: back off.
                if !received && started.elapsed() < Duration::from_secs(1) {
                    return Err(ReflectorError::ShortWatch);
                }
                return Ok(());
            }
            let Some(read) = read_line::<K, W>(&line, Some((pool, self.space))) else {
                continue;
            };
            received = true;
            let read = read.map_err(ReflectorError::Request)?;
            let counter = match (&read.event, read.decoded) {
                (Received::Applied(_) | Received::Deleted(_), true) => Some(&self.stats.decoded),
                (Received::Applied(_) | Received::Deleted(_), false) => Some(&self.stats.undecoded),
                _ => None,
            };
            if let Some(counter) = counter {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            self.deliver(read.event, rv, sink)?;
        }
    }

    /// Applies one watch event to `sink` and moves the resume point `rv`.
    fn deliver(
        &self,
        event: Received<K>,
        rv: &mut String,
        sink: &dyn Sink<K>,
    ) -> Result<(), ReflectorError> {
        match event {
            Received::Applied(obj) => {
                self.stats.events.fetch_add(1, Ordering::Relaxed);
                if let Some(v) = &obj.meta().resource_version {
                    rv.clone_from(v);
                }
                sink.apply(Update::Applied(obj));
            }
            Received::Deleted(obj) => {
                self.stats.events.fetch_add(1, Ordering::Relaxed);
                if let Some(v) = &obj.meta().resource_version {
                    rv.clone_from(v);
                }
                sink.apply(Update::Deleted(obj));
            }
            Received::Bookmark(v) => {
                self.stats.bookmarks.fetch_add(1, Ordering::Relaxed);
                *rv = v;
            }
            Received::Error(status) if status.code == 410 => return Err(ReflectorError::Expired),
            Received::Error(status) => return Err(ReflectorError::Status(status.message.clone())),
        }
        *self.stats.resource_version.lock() = Some(rv.clone());
        Ok(())
    }

    /// Runs until `shutdown`: list, watch, resume, relist on `410 Gone`, back off on
    /// failures. `on_synced` is called after every complete list has been delivered.
    pub async fn run(
        self,
        sink: Arc<dyn Sink<K>>,
        shutdown: Shutdown,
        on_synced: impl Fn() + Send + Sync,
    ) {
        let mut rv: Option<String> = self.config.initial_resource_version.clone();
        let mut backoff = self.config.min_backoff;
        while !shutdown.is_triggered() {
            let current = match rv.take() {
                Some(v) => v,
                None => {
                    let listed = tokio::select! {
                        () = shutdown.wait() => return,
                        r = self.list() => r,
                    };
                    match listed {
                        Ok((objects, list_rv)) => {
                            self.stats.lists.fetch_add(1, Ordering::Relaxed);
                            sink.apply(Update::Listed(objects));
                            on_synced();
                            *self.stats.resource_version.lock() = Some(list_rv.clone());
                            list_rv
                        }
                        Err(e) => {
                            self.stats.errors.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(resource = %self.url_path, error = %e, "list failed");
                            if !sleep_or_shutdown(backoff, &shutdown).await {
                                return;
                            }
                            backoff = (backoff * 2).min(self.config.max_backoff);
                            continue;
                        }
                    }
                }
            };
            let mut position = current;
            match self.watch(&mut position, sink.as_ref(), &shutdown).await {
                Ok(()) => {
                    backoff = self.config.min_backoff;
                    rv = Some(position);
                }
                Err(ReflectorError::Expired) => {
                    self.stats.expired.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(resource = %self.url_path, "resourceVersion expired, relisting");
                    rv = None;
                }
                Err(e) => {
                    self.stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(resource = %self.url_path, error = %e, "watch failed");
                    rv = Some(position);
                    if !sleep_or_shutdown(backoff, &shutdown).await {
                        return;
                    }
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
            }
        }
    }
}

/// Sleeps `d` unless `shutdown` fires first; `false` if it did.
async fn sleep_or_shutdown(d: Duration, shutdown: &Shutdown) -> bool {
    tokio::select! {
        () = shutdown.wait() => false,
        () = tokio::time::sleep(d) => true,
    }
}
