//! One object as the cache holds it: decoded once from the store's bytes, with its resourceVersion, labels and selectable fields.

use bytes::Bytes;
use serde_json::Value;

use super::CacheResource;

mod attrs;
mod json;
mod prune;
mod scan;

pub use attrs::{FieldValues, LabelValues};
pub use json::CachedJson;

pub(crate) use scan::splice_resource_version;

/// One object as the cache holds it, immutable and shared (`Arc`) by the index, the event
/// window and every watcher.
///
/// Built once per change: the stored JSON is kept as the store's bytes with where
/// `metadata.resourceVersion` goes ([`CachedJson`]), and the labels and selectable fields
/// ([`capstan_api_types::fields::field_values`]) extracted in compact form
/// ([`LabelValues`], [`FieldValues`]), so that lists and watches filter without parsing
/// anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedObject {
    /// The store key.
    pub key: String,
    /// `metadata.namespace` (`None` for cluster-scoped resources).
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// The mod revision, which is `metadata.resourceVersion`.
    pub revision: i64,
    /// The object's JSON with `metadata.resourceVersion` set (kept as the stored bytes,
    /// shared with the store, when they could be read without a full parse).
    pub json: CachedJson,
    /// `metadata.labels`.
    pub labels: LabelValues,
    /// The selectable fields of the object's resource with a non-empty value, by field path.
    pub fields: FieldValues,
}

/// Why a stored value could not be turned into a [`CachedObject`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    /// The value is not JSON.
    #[error("value of {key:?} is not valid JSON: {source}")]
    Json {
        /// The store key.
        key: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The value is JSON but not an object.
    #[error("value of {key:?} is not a JSON object")]
    NotObject {
        /// The store key.
        key: String,
    },
}

impl CachedObject {
    /// Decodes a stored value (JSON without `metadata.resourceVersion`) written at `revision`.
    ///
    /// The fast path parses only what the name, namespace, labels and selectable fields need
    /// (skipping everything else without allocating) and keeps the stored bytes themselves
    /// (the store's allocation) with where `"resourceVersion":"<revision>"` goes, instead of
    /// serializing again; values whose top-level `metadata` is not an object take the full
    /// parse.
    pub(crate) fn decode(
        resource: &CacheResource,
        key: &str,
        value: &Bytes,
        revision: i64,
    ) -> Result<Self, DecodeError> {
        let json_error = |source| DecodeError::Json { key: key.to_owned(), source };
        let pruned = prune::parse(value).map_err(json_error)?;
        let Some(at) = pruned.as_ref().and_then(|_| scan::top_level_metadata(value)) else {
            return Self::decode_full(resource, key, value, revision);
        };
        let object = pruned.unwrap_or(Value::Null);
        let json = CachedJson::spliced(value.clone(), at, revision);
        Ok(Self::from_parts(resource, key, revision, json, &object))
    }

    /// [`CachedObject::decode`] by parsing the whole value and serializing it again.
    fn decode_full(
        resource: &CacheResource,
        key: &str,
        value: &[u8],
        revision: i64,
    ) -> Result<Self, DecodeError> {
        let mut object: Value = serde_json::from_slice(value)
            .map_err(|source| DecodeError::Json { key: key.to_owned(), source })?;
        if !object.is_object() {
            return Err(DecodeError::NotObject { key: key.to_owned() });
        }
        set_resource_version(&mut object, revision);
        let json = CachedJson::complete(Bytes::from(
            serde_json::to_vec(&object)
                .map_err(|source| DecodeError::Json { key: key.to_owned(), source })?,
        ));
        Ok(Self::from_parts(resource, key, revision, json, &object))
    }

    /// The cached object from its JSON and a (possibly pruned) parse of it.
    fn from_parts(
        resource: &CacheResource,
        key: &str,
        revision: i64,
        json: CachedJson,
        object: &Value,
    ) -> Self {
        let metadata = object.get("metadata");
        let text = |field: &str| {
            metadata.and_then(|m| m.get(field)).and_then(Value::as_str).map(str::to_owned)
        };
        let name = text("name").unwrap_or_else(|| key.rsplit('/').next().unwrap_or("").to_owned());
        let namespace = if resource.namespaced { text("namespace") } else { None };
        let labels = metadata
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object)
            .map(LabelValues::from_json)
            .unwrap_or_default();
        let fields = FieldValues::new(capstan_api_types::fields::field_values(
            &resource.group,
            &resource.plural,
            object,
            resource.namespaced,
        ));
        CachedObject { key: key.to_owned(), namespace, name, revision, json, labels, fields }
    }

    /// The same object content re-stamped with another resourceVersion: what a DELETED event
    /// carries (the last state, at the delete's revision).
    pub(crate) fn with_revision(&self, revision: i64) -> Result<Self, DecodeError> {
        if let Some(json) = self.json.with_revision(revision) {
            return Ok(CachedObject { revision, json, ..self.clone() });
        }
        if let Some(json) = scan::restamp(&self.json, self.revision, revision) {
            return Ok(CachedObject { revision, json: CachedJson::complete(json), ..self.clone() });
        }
        let mut object: Value = serde_json::from_slice(&self.json)
            .map_err(|source| DecodeError::Json { key: self.key.clone(), source })?;
        set_resource_version(&mut object, revision);
        let json = serde_json::to_vec(&object)
            .map_err(|source| DecodeError::Json { key: self.key.clone(), source })?;
        Ok(CachedObject { revision, json: CachedJson::complete(Bytes::from(json)), ..self.clone() })
    }
}

/// Sets `metadata.resourceVersion` (creating `metadata` when absent).
fn set_resource_version(object: &mut Value, revision: i64) {
    let Some(map) = object.as_object_mut() else { return };
    let metadata = map.entry("metadata").or_insert_with(|| Value::Object(Default::default()));
    if !metadata.is_object() {
        *metadata = Value::Object(Default::default());
    }
    if let Some(metadata) = metadata.as_object_mut() {
        metadata.insert("resourceVersion".to_owned(), Value::String(revision.to_string()));
    }
}
