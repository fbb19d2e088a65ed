//! List from the cache: resourceVersion semantics (""/"0"/N, NotOlderThan/Exact), namespace and selectors on precomputed labels and fields, limit/continue with a consistent snapshot, remainingItemCount.

use std::sync::Arc;

use crate::request::ListOptions;
use crate::request::options::{ResourceVersionMatch, parse_resource_version};
use crate::status::{ApiError, StoreOperation};

use super::continue_token;
use super::{CachedObject, ListPage, Shared};

/// Which state a list reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// The cache's current state.
    Latest,
    /// The state at exactly this revision.
    Exact(i64),
}

/// Serves one list request.
pub(super) async fn list(
    shared: &Shared,
    namespace: Option<&str>,
    options: &ListOptions,
) -> Result<ListPage, ApiError> {
    let scope = shared.scope(namespace);
    let requested = parse_resource_version(options.resource_version.as_deref().unwrap_or(""))?;
    let requested = requested.map(|rv| i64::try_from(rv).unwrap_or(i64::MAX));
    let timeout = shared.config.fresh_timeout;

    let mut from = scope.clone();
    let continuing = options.continue_token.is_some();
    let read = if let Some(token) = &options.continue_token {
        if requested.is_some_and(|rv| rv != 0) {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        let (start, revision) = continue_token::decode(token, &scope)
            .map_err(|e| ApiError::bad_request(format!("invalid continue token: {e}")))?;
        from = start;
        if revision > 0 {
            shared.wait_for(revision, timeout).await?;
            Read::Exact(revision)
        } else {
            Read::Latest
        }
    } else {
        match (requested, options.resource_version_match) {
            // Most recent: a consistent read, as Kubernetes' ConsistentListFromCache.
            (None, _) => {
                let current = shared.store_revision(StoreOperation::List).await?;
                shared.wait_for(current, timeout).await?;
                Read::Latest
            }
            // Any: whatever the cache has.
            (Some(0), _) => Read::Latest,
            (Some(rv), match_) => {
                shared.wait_for(rv, timeout).await?;
                // A limited list at N without a match is Exact (legacy paging semantics).
                let exact = match_ == Some(ResourceVersionMatch::Exact)
                    || (match_.is_none() && options.limit > 0);
                if exact { Read::Exact(rv) } else { Read::Latest }
            }
        }
    };

    let state = shared.state.read();
    let revision = match read {
        Read::Latest => state.revision,
        Read::Exact(rv) => rv,
    };
    let mut overlay = None;
    let view = state.view_at(revision, &scope, &from, &mut overlay).map_err(|_oldest| {
        if continuing {
            ApiError::continue_expired(continue_token::encode(&from, &scope, -1))
        } else {
            ApiError::list_expired()
        }
    })?;

    let labels = &options.label_selector;
    let fields = &options.field_selector;
    let everything = labels.is_empty() && fields.is_empty();
    let matches =
        |o: &CachedObject| everything || (labels.matches(&o.labels) && fields.matches(&o.fields));
    let limit = usize::try_from(options.limit).unwrap_or(0);

    let mut items: Vec<Arc<CachedObject>> = Vec::new();
    let mut view = view.filter(|o| matches(o));
    if limit == 0 {
        items.extend(view.cloned());
        return Ok(ListPage { items, revision, continue_token: None, remaining_item_count: None });
    }
    items.extend(view.by_ref().take(limit).cloned());
    // Only hand out a token when another object matches: no empty last page.
    let more = if everything {
        let rest = view.count();
        (rest > 0).then_some(rest)
    } else {
        view.next().map(|_| 0)
    };
    let (continue_token, remaining_item_count) = match (more, items.last()) {
        (Some(rest), Some(last)) => {
            // Continue strictly after the last key, as Kubernetes (`lastKey + "\x00"`).
            let next = format!("{}\u{0}", last.key);
            let token = continue_token::encode(&next, &scope, revision);
            (token, everything.then_some(rest as i64))
        }
        _ => (None, None),
    };
    Ok(ListPage { items, revision, continue_token, remaining_item_count })
}
