//! The generic registry: one [`Resource`] per served resource, its storage keys, and how objects are encoded in the store.
//!
//! Stored bytes are the object's JSON without `metadata.resourceVersion` (as
//! Kubernetes' etcd3 store keeps them); the resource version of an object read back is
//! the store's mod revision of its key.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use capstan_api_types::catalogue::{self, ResourceInfo};
use capstan_api_types::{GroupResource, GroupVersionKind, GroupVersionResource};
use capstan_store::{KeyValue, Storage};
use serde_json::Value;

use super::keys;
use super::strategy::{self, Strategy};
use crate::status::{ApiError, StoreOperation};
use crate::watch_cache::{CacheResource, WatchCache};

/// One served resource: its catalogue entry, storage prefix and strategy.
pub struct Resource {
    /// The catalogue entry.
    pub info: &'static ResourceInfo,
    /// Its kind.
    pub gvk: GroupVersionKind,
    /// Its group and plural (for errors and tables).
    pub gr: GroupResource,
    /// The store key prefix (from [`keys::key_prefix`]).
    pub prefix: String,
    /// The registry strategy.
    pub strategy: Arc<dyn Strategy>,
    /// The watch cache serving lists and watches.
    pub cache: Arc<WatchCache>,
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource").field("gvk", &self.gvk).field("prefix", &self.prefix).finish()
    }
}

impl Resource {
    /// The registry of a catalogue entry, with its watch cache started (loaded).
    pub async fn start(
        store: Arc<dyn Storage>,
        info: &'static ResourceInfo,
    ) -> Result<Self, ApiError> {
        let prefix = keys::key_prefix(info.group, info.plural);
        let cache = WatchCache::start(
            store,
            CacheResource {
                group: info.group.to_string(),
                plural: info.plural.to_string(),
                namespaced: info.namespaced(),
                prefix: prefix.clone(),
            },
        )
        .await?;
        Ok(Resource {
            info,
            gvk: info.gvk(),
            gr: GroupResource::new(info.group, info.plural),
            prefix,
            strategy: strategy::for_resource(info),
            cache,
        })
    }

    /// Whether objects live in namespaces.
    pub fn namespaced(&self) -> bool {
        self.info.namespaced()
    }

    /// The key of an object.
    pub fn key(&self, namespace: &str, name: &str) -> String {
        keys::object_key(&self.prefix, self.namespaced().then_some(namespace), name)
    }

    /// The `apiVersion` of the objects.
    pub fn api_version(&self) -> String {
        self.gvk.api_version()
    }

    /// Reads an object: `None` when absent.
    pub async fn read(
        &self,
        store: &dyn Storage,
        namespace: &str,
        name: &str,
    ) -> Result<Option<(Value, KeyValue)>, ApiError> {
        let response = store
            .get(&self.key(namespace, name), 0)
            .await
            .map_err(|e| ApiError::from_store(StoreOperation::Get, &self.gr, name, e))?;
        match response.kv {
            None => Ok(None),
            Some(kv) => Ok(Some((decode_stored(&kv)?, kv))),
        }
    }

    /// Reads an object, `404` when absent.
    pub async fn read_existing(
        &self,
        store: &dyn Storage,
        namespace: &str,
        name: &str,
    ) -> Result<(Value, KeyValue), ApiError> {
        self.read(store, namespace, name).await?.ok_or_else(|| ApiError::not_found(&self.gr, name))
    }
}

/// The resources served: the preferred version of every group in the catalogue.
pub fn served() -> impl Iterator<Item = &'static ResourceInfo> {
    catalogue::all().iter().filter(|r| catalogue::preferred_version(r.group) == Some(r.version))
}

/// Builds the registry of every served resource.
pub(crate) async fn build_resources(
    store: &Arc<dyn Storage>,
) -> Result<HashMap<GroupVersionResource, Arc<Resource>>, ApiError> {
    let starts = served().map(|info| {
        let store = store.clone();
        async move { Resource::start(store, info).await.map(|r| (info.gvr(), Arc::new(r))) }
    });
    futures::future::try_join_all(starts).await.map(|v| v.into_iter().collect())
}

/// Decodes stored bytes, setting `metadata.resourceVersion` to the key's mod revision.
pub fn decode_stored(kv: &KeyValue) -> Result<Value, ApiError> {
    let mut obj: Value = serde_json::from_slice(&kv.value).map_err(|e| {
        ApiError::internal(format!("stored object at {} is not valid JSON: {e}", kv.key))
    })?;
    set_resource_version(&mut obj, kv.mod_revision);
    Ok(obj)
}

/// Sets `metadata.resourceVersion`.
pub fn set_resource_version(obj: &mut Value, revision: i64) {
    strategy::set_path(obj, &["metadata", "resourceVersion"], Value::String(revision.to_string()));
}

/// Encodes an object for the store, removing its `metadata.resourceVersion`. The bytes
/// own no spare capacity (the store, the watch cache and watch events keep this very
/// allocation for as long as the version lives).
pub fn encode_for_store(obj: &mut Value) -> Result<Bytes, ApiError> {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
    let mut bytes = serde_json::to_vec(obj).map_err(ApiError::internal)?;
    bytes.shrink_to_fit();
    Ok(Bytes::from(bytes))
}

/// The stored JSON of an object with `"resourceVersion":"<revision>"` spliced into its
/// top-level `metadata`, without parsing the object (the fast path of `GET`). `None`
/// when the bytes are not an object with a `metadata` object. The watch cache stamps
/// its objects the same way.
pub fn splice_resource_version(stored: &[u8], revision: i64) -> Option<Bytes> {
    crate::watch_cache::splice_resource_version(stored, revision)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_into_top_level_metadata() {
        let cases = [
            (
                r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}"#,
                r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"resourceVersion":"7","name":"a"}}"#,
            ),
            (
                r#"{"data":{"metadata":"x","q":"\"metadata\":{"},"metadata":{}}"#,
                r#"{"data":{"metadata":"x","q":"\"metadata\":{"},"metadata":{"resourceVersion":"7"}}"#,
            ),
            (
                r#"{"a":[1,{"b":[2]}],"n":-1.5e3,"t":true,"metadata":{"x":1}}"#,
                r#"{"a":[1,{"b":[2]}],"n":-1.5e3,"t":true,"metadata":{"resourceVersion":"7","x":1}}"#,
            ),
        ];
        for (input, want) in cases {
            let got = splice_resource_version(input.as_bytes(), 7).expect(input);
            assert_eq!(std::str::from_utf8(&got).unwrap(), want);
            let parsed: Value = serde_json::from_slice(&got).unwrap();
            assert_eq!(parsed["metadata"]["resourceVersion"], "7");
        }
        assert!(splice_resource_version(br#"{"kind":"X"}"#, 1).is_none());
        assert!(splice_resource_version(br#"[1]"#, 1).is_none());
    }
}
