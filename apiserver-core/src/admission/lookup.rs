//! [`Caches`]: what admission plugins read — objects from the API server's watch caches (no list per request), attached once the server is built.
//!
//! [`Caches::list`] lists and parses a resource's objects once per change of its cache:
//! the parsed form is kept with the cache's revision read before listing (a watch cache
//! applies a change before it publishes the change's revision, so an unchanged revision
//! means an unchanged list), so a create that looks for quotas, limit ranges, policies or
//! webhooks neither lists nor parses anything when those did not change.

use std::sync::{Arc, OnceLock};

use foldhash::HashMap;

use parking_lot::Mutex;

use capstan_store::Storage;
use serde_json::Value;

use crate::request::ListOptions;
use crate::server::ApiServer;
use crate::watch_cache::WatchCache;

struct Attached {
    store: Arc<dyn Storage>,
    /// By group, then plural.
    caches: HashMap<String, HashMap<String, Arc<WatchCache>>>,
}

/// A parsed list: the cache's revision read before listing, the objects parsed, and the
/// revision the list answered with.
type ParsedList = (i64, Arc<Vec<Value>>, i64);

/// Parsed lists by group, plural and namespace ([`ALL_NAMESPACES`] for all), nested so
/// a lookup borrows its key instead of building one.
type ParsedLists = HashMap<String, HashMap<String, HashMap<String, ParsedList>>>;

/// The namespace key of a list of all namespaces (no namespace name contains a NUL).
const ALL_NAMESPACES: &str = "\0all";

/// The parsed lists and how many there are.
#[derive(Default)]
struct Parsed {
    lists: ParsedLists,
    count: usize,
}

impl Parsed {
    fn get(&self, group: &str, plural: &str, namespace: &str) -> Option<&ParsedList> {
        self.lists.get(group)?.get(plural)?.get(namespace)
    }

    fn insert(&mut self, group: &str, plural: &str, namespace: &str, list: ParsedList) {
        if self.count >= PARSED_CAPACITY {
            self.lists.clear();
            self.count = 0;
        }
        let lists = self.lists.entry(group.to_string()).or_default();
        let previous = lists.entry(plural.to_string()).or_default().insert(namespace.into(), list);
        if previous.is_none() {
            self.count += 1;
        }
    }
}

/// How many parsed lists are kept (all are dropped when more are needed).
const PARSED_CAPACITY: usize = 1024;

/// The watch caches admission reads, shared by every plugin. Empty (every read finds
/// nothing) until [`Caches::attach`] is called with the built server.
#[derive(Clone, Default)]
pub struct Caches {
    attached: Arc<OnceLock<Attached>>,
    parsed: Arc<Mutex<Parsed>>,
}

impl std::fmt::Debug for Caches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caches").field("attached", &self.attached.get().is_some()).finish()
    }
}

impl Caches {
    /// Caches that read nothing until attached.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the watch caches of every served resource from `server` (the first call
    /// wins).
    pub fn attach(&self, server: &ApiServer) {
        let mut caches: HashMap<String, HashMap<String, Arc<WatchCache>>> = HashMap::default();
        for info in capstan_api_types::catalogue::all() {
            let gvr = info.gvr();
            if let Some(cache) = server.watch_cache(&gvr) {
                caches.entry(gvr.group).or_default().entry(gvr.resource).or_insert(cache);
            }
        }
        let _ = self.attached.set(Attached { store: server.store().clone(), caches });
    }

    /// Whether [`Caches::attach`] has been called.
    pub fn is_attached(&self) -> bool {
        self.attached.get().is_some()
    }

    /// The cache of one resource (by group and plural; any served version).
    pub fn cache(&self, group: &str, plural: &str) -> Option<&Arc<WatchCache>> {
        self.attached.get()?.caches.get(group)?.get(plural)
    }

    /// The store (for plugins that write, such as quota charging).
    pub fn store(&self) -> Option<&Arc<dyn Storage>> {
        self.attached.get().map(|a| &a.store)
    }

    /// The store key of an object of a resource.
    pub fn key(&self, group: &str, plural: &str, namespace: &str, name: &str) -> Option<String> {
        let cache = self.cache(group, plural)?;
        let prefix = &cache.resource().prefix;
        let prefix = if prefix.ends_with('/') { prefix.clone() } else { format!("{prefix}/") };
        Some(if namespace.is_empty() || !cache.resource().namespaced {
            format!("{prefix}{name}")
        } else {
            format!("{prefix}{namespace}/{name}")
        })
    }

    /// One object as the cache has it.
    pub fn get(&self, group: &str, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        let key = self.key(group, plural, namespace, name)?;
        let cached = self.cache(group, plural)?.get(&key)?;
        cached.json.to_value().ok()
    }

    /// One object from the cache, or from the store when the cache has not seen it yet
    /// (an object created a moment ago).
    pub async fn get_fresh(
        &self,
        group: &str,
        plural: &str,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        if let Some(found) = self.get(group, plural, namespace, name) {
            return Some(found);
        }
        let key = self.key(group, plural, namespace, name)?;
        let kv = self.store()?.get(&key, 0).await.ok()?.kv?;
        serde_json::from_slice(&kv.value).ok()
    }

    /// Every object of a resource (in `namespace`, or all for `None`) as the
    /// cache has it now, with the cache's revision. The objects are parsed once per
    /// change of the list (see the [module documentation](self)).
    pub async fn list(
        &self,
        group: &str,
        plural: &str,
        namespace: Option<&str>,
    ) -> (Arc<Vec<Value>>, i64) {
        static EMPTY: OnceLock<Arc<Vec<Value>>> = OnceLock::new();
        let empty = || EMPTY.get_or_init(Arc::default).clone();
        let Some(cache) = self.cache(group, plural) else { return (empty(), 0) };
        // Read before listing: the list is at least this new, and while the cache stays
        // at this revision nothing in it changes.
        let seen = cache.revision();
        let all_or_one = namespace.unwrap_or(ALL_NAMESPACES);
        if let Some((at, parsed, revision)) = self.parsed.lock().get(group, plural, all_or_one)
            && *at == seen
        {
            return (parsed.clone(), *revision);
        }
        let options = ListOptions { resource_version: Some("0".into()), ..ListOptions::default() };
        let Ok(page) = cache.list(namespace, &options).await else { return (empty(), 0) };
        let parsed: Arc<Vec<Value>> = if page.items.is_empty() {
            empty()
        } else {
            Arc::new(page.items.iter().filter_map(|o| o.json.to_value().ok()).collect())
        };
        self.parsed.lock().insert(group, plural, all_or_one, (seen, parsed.clone(), page.revision));
        (parsed, page.revision)
    }

    /// The labels of a namespace (from the cache, else the store).
    pub async fn namespace(&self, name: &str) -> Option<Value> {
        self.get_fresh("", "namespaces", "", name).await
    }
}
