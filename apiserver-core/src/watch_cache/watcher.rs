//! One watch: initial events or replay from the window, then live changes from the fan-out, filtered by namespace and selectors (with Kubernetes' selector transitions), with bookmarks.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use capstan_api_types::fields::FieldSelector;
use capstan_api_types::labels::Selector;
use futures::Stream;
use futures::stream::{BoxStream, StreamExt};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::request::ListOptions;
use crate::request::options::parse_resource_version;
use crate::status::ApiError;

use super::fanout::{Change, ChangeKind};
use super::state::State;
use super::{CacheEvent, CachedObject, Shared};

/// The events of one watch: `impl Stream<Item = CacheEvent> + Send + Unpin`.
///
/// The stream ends when the cache terminates the watch: the watcher fell more than
/// [`WatchCacheConfig::watcher_buffer`](super::WatchCacheConfig::watcher_buffer) changes
/// behind, the cache relisted after a compaction, or it shut down. Clients then watch
/// again from the last revision they saw (or get `410 Expired` and relist).
pub struct CacheWatch {
    inner: BoxStream<'static, CacheEvent>,
}

impl Stream for CacheWatch {
    type Item = CacheEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<CacheEvent>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for CacheWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheWatch").finish_non_exhaustive()
    }
}

/// Which objects a watch wants.
struct Filter {
    /// The key prefix of the namespace (or of the resource).
    scope: String,
    labels: Selector,
    fields: FieldSelector,
    /// No selector: every object in scope matches.
    everything: bool,
}

impl Filter {
    fn matches(&self, object: &CachedObject) -> bool {
        self.everything
            || (self.labels.matches(&object.labels) && self.fields.matches(&object.fields))
    }
}

/// Waiting for a fresh enough state before the initial events of `sendInitialEvents=true`.
struct Prelude {
    shared: Arc<Shared>,
    /// The revision to reach; `None`: the store's current one (a consistent read).
    target: Option<i64>,
}

struct Watcher {
    filter: Filter,
    bookmarks: bool,
    receiver: broadcast::Receiver<Arc<Change>>,
    prelude: Option<Prelude>,
    initial: std::vec::IntoIter<Arc<CachedObject>>,
    end_bookmark: Option<i64>,
    replay: std::vec::IntoIter<Arc<Change>>,
    /// Changes at or below this revision were delivered otherwise (or not asked for).
    after: i64,
    /// The revision of the last event delivered: bookmarks only move forward.
    last_sent: i64,
}

/// Starts a watch (see [`WatchCache::watch`](super::WatchCache::watch)).
pub(super) fn start(
    shared: &Arc<Shared>,
    namespace: Option<&str>,
    options: &ListOptions,
) -> Result<CacheWatch, ApiError> {
    let requested = parse_resource_version(options.resource_version.as_deref().unwrap_or(""))?
        .map(|rv| i64::try_from(rv).unwrap_or(i64::MAX));
    let filter = Filter {
        scope: shared.scope(namespace),
        labels: options.label_selector.clone(),
        fields: options.field_selector.clone(),
        everything: options.label_selector.is_empty() && options.field_selector.is_empty(),
    };
    let bookmarks = options.allow_watch_bookmarks;

    let state = shared.state.read();
    // Subscribing under the read lock: every change after `state.revision` reaches us.
    let receiver = state.fanout.subscribe(state.fanout.index_value(&filter.fields));
    let mut watcher = Watcher {
        filter,
        bookmarks,
        receiver,
        prelude: None,
        initial: Vec::new().into_iter(),
        end_bookmark: None,
        replay: Vec::new().into_iter(),
        after: state.revision,
        last_sent: state.revision,
    };
    match (options.send_initial_events, requested) {
        (Some(true), requested) => {
            let target = match requested {
                None => Some(None),
                Some(0) => None,
                Some(rv) if rv <= state.revision => None,
                Some(rv) => Some(Some(rv)),
            };
            match target {
                None => watcher.snapshot(&state),
                Some(target) => watcher.prelude = Some(Prelude { shared: shared.clone(), target }),
            }
        }
        (Some(false), None | Some(0)) => {}
        (None, None | Some(0)) => {
            watcher.initial = snapshot(&state, &watcher.filter).into_iter();
        }
        (_, Some(rv)) => {
            let since = state
                .history
                .since(rv)
                .map_err(|oldest| ApiError::too_old_resource_version(rv, oldest))?;
            let scope = &watcher.filter.scope;
            let replay: Vec<_> = since.filter(|c| c.key().starts_with(scope)).cloned().collect();
            watcher.replay = replay.into_iter();
            watcher.after = rv;
            watcher.last_sent = rv;
        }
    }
    drop(state);

    let stream = futures::stream::unfold(watcher, |mut watcher| async move {
        let event = watcher.next_event().await?;
        Some((event, watcher))
    });
    Ok(CacheWatch { inner: stream.fuse().boxed() })
}

/// The objects of `state` in the filter's scope that match it.
fn snapshot(state: &State, filter: &Filter) -> Vec<Arc<CachedObject>> {
    let mut overlay = None;
    match state.view_at(state.revision, &filter.scope, &filter.scope, &mut overlay) {
        Ok(view) => view.filter(|o| filter.matches(o)).cloned().collect(),
        Err(_) => Vec::new(),
    }
}

impl Watcher {
    /// Initial events from the current state, then the end bookmark when allowed.
    fn snapshot(&mut self, state: &State) {
        self.initial = snapshot(state, &self.filter).into_iter();
        self.after = state.revision;
        self.last_sent = state.revision;
        if self.bookmarks {
            self.end_bookmark = Some(state.revision);
        }
    }

    async fn next_event(&mut self) -> Option<CacheEvent> {
        if let Some(prelude) = self.prelude.take() {
            let target = match prelude.target {
                Some(rv) => Some(rv),
                None => prelude.shared.store.current_revision().await.ok(),
            };
            if let Some(target) = target {
                let timeout = prelude.shared.config.fresh_timeout;
                if let Err(error) = prelude.shared.wait_for(target, timeout).await {
                    tracing::warn!(%error, "watch cache: initial events not fresh enough");
                    if prelude.target.is_some() {
                        return None;
                    }
                }
            }
            let state = prelude.shared.state.read();
            self.snapshot(&state);
        }
        if let Some(object) = self.initial.next() {
            return Some(CacheEvent::Added(object));
        }
        if let Some(revision) = self.end_bookmark.take() {
            return Some(CacheEvent::InitialEventsEnd(revision));
        }
        for change in self.replay.by_ref() {
            if let Some(event) =
                convert(&self.filter, self.bookmarks, &mut self.last_sent, self.after, &change)
            {
                return Some(event);
            }
        }
        loop {
            match self.receiver.recv().await {
                Ok(change) => {
                    if let Some(event) = convert(
                        &self.filter,
                        self.bookmarks,
                        &mut self.last_sent,
                        self.after,
                        &change,
                    ) {
                        return Some(event);
                    }
                }
                Err(RecvError::Lagged(skipped)) => {
                    tracing::debug!(skipped, "watch cache: terminating a watcher that fell behind");
                    return None;
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// What a watcher delivers for one change, if anything.
fn convert(
    filter: &Filter,
    bookmarks: bool,
    last_sent: &mut i64,
    after: i64,
    change: &Change,
) -> Option<CacheEvent> {
    if change.kind == ChangeKind::Bookmark {
        if bookmarks && change.revision > *last_sent {
            *last_sent = change.revision;
            return Some(CacheEvent::Bookmark(change.revision));
        }
        return None;
    }
    if change.revision <= after {
        return None;
    }
    let object = change.object.as_ref()?;
    if !object.key.starts_with(&filter.scope) {
        return None;
    }
    let event = match change.kind {
        ChangeKind::Added => filter.matches(object).then(|| CacheEvent::Added(object.clone())),
        ChangeKind::Deleted => filter.matches(object).then(|| CacheEvent::Deleted(object.clone())),
        ChangeKind::Modified if filter.everything => Some(CacheEvent::Modified(object.clone())),
        ChangeKind::Modified => {
            let now = filter.matches(object);
            let before = change.prev.as_ref().is_some_and(|p| filter.matches(p));
            match (now, before) {
                (true, true) => Some(CacheEvent::Modified(object.clone())),
                (true, false) => Some(CacheEvent::Added(object.clone())),
                (false, true) => change.prev_at_revision().map(CacheEvent::Deleted),
                (false, false) => None,
            }
        }
        ChangeKind::Bookmark => None,
    };
    if event.is_some() {
        *last_sent = change.revision;
    }
    event
}
