//! [`ObjectLookup`]: single-object reads for the security stages (does this ServiceAccount or pod still exist, with this uid?) from the API server's watch caches, with the store behind a miss.

use std::sync::{Arc, OnceLock};

use capstan_api_types::GroupVersionResource;
use capstan_store::Storage;
use serde_json::Value;

use crate::server::ApiServer;
use crate::server::keys;
use crate::server::registry::decode_stored;
use crate::watch_cache::WatchCache;

/// Reads single objects: from the watch cache once [`ObjectLookup::attach`]ed to a
/// server, else (and on a cache miss, so a just-created object is found) from the store.
#[derive(Clone)]
pub struct ObjectLookup {
    store: Arc<dyn Storage>,
    server: Arc<OnceLock<ApiServer>>,
}

impl std::fmt::Debug for ObjectLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectLookup").field("attached", &self.server.get().is_some()).finish()
    }
}

impl ObjectLookup {
    /// A lookup over `store`.
    pub fn new(store: Arc<dyn Storage>) -> Self {
        ObjectLookup { store, server: Arc::new(OnceLock::new()) }
    }

    /// Serves reads from `server`'s watch caches from now on.
    pub fn attach(&self, server: &ApiServer) {
        let _ = self.server.set(server.clone());
    }

    /// The watch cache of a resource, once attached.
    pub fn cache(&self, group: &str, version: &str, plural: &str) -> Option<Arc<WatchCache>> {
        self.server.get()?.watch_cache(&GroupVersionResource::new(group, version, plural))
    }

    /// The object `namespace/name` (namespace empty for cluster-scoped) of a resource.
    pub async fn get(
        &self,
        group: &str,
        plural: &str,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        let prefix = keys::key_prefix(group, plural);
        let key = keys::object_key(&prefix, Some(namespace).filter(|n| !n.is_empty()), name);
        let version = capstan_api_types::catalogue::preferred_version(group).unwrap_or("v1");
        if let Some(cache) = self.cache(group, version, plural)
            && let Some(object) = cache.get(&key)
        {
            return object.json.to_value().ok();
        }
        let kv = self.store.get(&key, 0).await.ok()?.kv?;
        decode_stored(&kv).ok()
    }

    /// The object's `metadata.uid`, when it exists.
    pub async fn uid(
        &self,
        group: &str,
        plural: &str,
        namespace: &str,
        name: &str,
    ) -> Option<String> {
        let object = self.get(group, plural, namespace, name).await?;
        object.pointer("/metadata/uid").and_then(Value::as_str).map(str::to_string)
    }
}
