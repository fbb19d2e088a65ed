//! [`Caches`]: what admission plugins read — objects from the API server's watch caches (no list per request), attached once the server is built.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use capstan_api_types::GroupVersionResource;
use capstan_store::Storage;
use serde_json::Value;

use crate::request::ListOptions;
use crate::server::ApiServer;
use crate::watch_cache::WatchCache;

struct Attached {
    store: Arc<dyn Storage>,
    caches: HashMap<GroupVersionResource, Arc<WatchCache>>,
}

/// The watch caches admission reads, shared by every plugin. Empty (every read finds
/// nothing) until [`Caches::attach`] is called with the built server.
#[derive(Clone, Default)]
pub struct Caches {
    attached: Arc<OnceLock<Attached>>,
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
        let caches = capstan_api_types::catalogue::all()
            .iter()
            .filter_map(|info| {
                let gvr = info.gvr();
                server.watch_cache(&gvr).map(|c| (gvr, c))
            })
            .collect();
        let _ = self.attached.set(Attached { store: server.store().clone(), caches });
    }

    /// Whether [`Caches::attach`] has been called.
    pub fn is_attached(&self) -> bool {
        self.attached.get().is_some()
    }

    /// The cache of one resource (by group and plural; any served version).
    pub fn cache(&self, group: &str, plural: &str) -> Option<&Arc<WatchCache>> {
        let attached = self.attached.get()?;
        attached
            .caches
            .iter()
            .find(|(g, _)| g.group == group && g.resource == plural)
            .map(|(_, c)| c)
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
        serde_json::from_slice(&cached.json).ok()
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
    /// cache has it now, with the cache's revision.
    pub async fn list(
        &self,
        group: &str,
        plural: &str,
        namespace: Option<&str>,
    ) -> (Vec<Value>, i64) {
        let Some(cache) = self.cache(group, plural) else { return (Vec::new(), 0) };
        let options = ListOptions { resource_version: Some("0".into()), ..ListOptions::default() };
        match cache.list(namespace, &options).await {
            Ok(page) => (
                page.items.iter().filter_map(|o| serde_json::from_slice(&o.json).ok()).collect(),
                page.revision,
            ),
            Err(_) => (Vec::new(), 0),
        }
    }

    /// The labels of a namespace (from the cache, else the store).
    pub async fn namespace(&self, name: &str) -> Option<Value> {
        self.get_fresh("", "namespaces", "", name).await
    }
}
