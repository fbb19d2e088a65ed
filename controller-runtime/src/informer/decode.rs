//! Decoding objects without their `metadata.managedFields`: a deserializer adapter that
//! skips the field while parsing instead of building the entries and dropping them.
//!
//! [`WithoutManagedFields<K>`] deserializes as `K` from the same input, except that the
//! `managedFields` key of the object's top-level `metadata` is passed over unparsed
//! (`IgnoredAny`): nothing else changes — keys deeper down (an annotation or a label
//! named `managedFields`) and every other value reach `K`'s own `Deserialize` untouched.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
    value::{BorrowedStrDeserializer, StringDeserializer},
};

/// `K` decoded with its `metadata.managedFields` skipped (left `None`).
#[derive(Debug, Clone)]
pub struct WithoutManagedFields<K>(pub K);

impl<'de, K: de::Deserialize<'de>> de::Deserialize<'de> for WithoutManagedFields<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        K::deserialize(Filtered { inner: d, level: Level::Object }).map(WithoutManagedFields)
    }
}

/// Where a filtered map sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// The object itself: its `metadata` value is filtered.
    Object,
    /// The object's `metadata`: its `managedFields` entry is skipped.
    Metadata,
}

/// A deserializer whose maps (at `level`) are filtered; everything else is forwarded.
struct Filtered<D> {
    inner: D,
    level: Level,
}

/// A visitor wrapper that filters the map it is given.
struct FilterVisitor<V> {
    inner: V,
    level: Level,
}

/// A map access that skips `managedFields` (in metadata) or filters `metadata` (in the
/// object).
struct FilterMap<A> {
    inner: A,
    level: Level,
    /// The key just returned was `metadata` (at the object level).
    metadata_next: bool,
}

/// A seed that deserializes its value through [`Filtered`].
struct FilterSeed<S> {
    inner: S,
    level: Level,
}

/// A key read as borrowed or owned text.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_str(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v))
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for FilterMap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(key) = self.inner.next_key_seed(KeySeed)? else { return Ok(None) };
            match self.level {
                Level::Metadata if key.as_str() == "managedFields" => {
                    self.inner.next_value::<IgnoredAny>()?;
                    continue;
                }
                Level::Object => self.metadata_next = key.as_str() == "metadata",
                Level::Metadata => {}
            }
            return match key {
                Key::Borrowed(s) => seed.deserialize(BorrowedStrDeserializer::new(s)).map(Some),
                Key::Owned(s) => seed.deserialize(StringDeserializer::new(s)).map(Some),
            };
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        if std::mem::take(&mut self.metadata_next) {
            self.inner.next_value_seed(FilterSeed { inner: seed, level: Level::Metadata })
        } else {
            self.inner.next_value_seed(seed)
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for FilterSeed<S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Filtered { inner: d, level: self.level })
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for FilterVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(FilterMap { inner: map, level: self.level, metadata_next: false })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(seq)
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Filtered { inner: d, level: self.level })
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.inner.visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.inner.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.inner.visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.inner.visit_f64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.inner.visit_str(v)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.inner.visit_borrowed_str(v)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.inner.visit_string(v)
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<V::Value, E> {
        self.inner.visit_bytes(v)
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<V::Value, E> {
        self.inner.visit_borrowed_bytes(v)
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<V::Value, E> {
        self.inner.visit_byte_buf(v)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Filtered { inner: d, level: self.level })
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(data)
    }
}

/// Forwards `deserialize_*` methods to the inner deserializer with the visitor wrapped.
macro_rules! forward_wrapped {
    ($($method:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                self.inner.$method(FilterVisitor { inner: visitor, level: self.level })
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Filtered<D> {
    type Error = D::Error;

    forward_wrapped!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any,
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_unit_struct(name, FilterVisitor { inner: visitor, level: self.level })
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_newtype_struct(name, FilterVisitor { inner: visitor, level: self.level })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_tuple(len, FilterVisitor { inner: visitor, level: self.level })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_tuple_struct(
            name,
            len,
            FilterVisitor { inner: visitor, level: self.level },
        )
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_struct(
            name,
            fields,
            FilterVisitor { inner: visitor, level: self.level },
        )
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_enum(name, variants, visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// What an informer decodes from the wire and turns into the cached `K`.
pub(crate) trait Wire<K>: de::DeserializeOwned + Clone + Send + 'static {
    /// The decoded object.
    fn into_object(self) -> K;
}

/// `K` decoded as is.
#[derive(Debug, Clone)]
pub(crate) struct Whole<K>(pub K);

impl<'de, K: de::Deserialize<'de>> de::Deserialize<'de> for Whole<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        K::deserialize(d).map(Whole)
    }
}

impl<K: de::DeserializeOwned + Clone + Send + 'static> Wire<K> for Whole<K> {
    fn into_object(self) -> K {
        self.0
    }
}

impl<K: de::DeserializeOwned + Clone + Send + 'static> Wire<K> for WithoutManagedFields<K> {
    fn into_object(self) -> K {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{DynamicObject, WatchEvent};
    use kube::core::ObjectList;
    use serde_json::json;

    fn pod_json() -> serde_json::Value {
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": "p", "namespace": "d", "uid": "u-1", "resourceVersion": "7",
                "labels": {"managedFields": "label", "app": "web"},
                "annotations": {"managedFields": "{\"not\": [\"this\"]}", "a\"b": "c\\d"},
                "managedFields": [{
                    "manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                    "time": "2024-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                                 "f:spec": {"f:containers": {"k:{\"name\":\"c\"}": {".": {}}}}}
                }],
                "finalizers": ["x/y"]
            },
            "spec": {"containers": [{"name": "c", "image": "i",
                "env": [{"name": "managedFields", "value": "{]"}]}]},
            "status": {"phase": "Pending"}
        })
    }

    fn expected(v: &serde_json::Value) -> Pod {
        let mut pod: Pod = serde_json::from_value(v.clone()).expect("pod");
        assert!(pod.metadata.managed_fields.is_some(), "the input has managedFields");
        pod.metadata.managed_fields = None;
        pod
    }

    #[test]
    fn skips_only_the_metadata_managed_fields() {
        let v = pod_json();
        let text = serde_json::to_string(&v).expect("json");
        let got: WithoutManagedFields<Pod> = serde_json::from_str(&text).expect("decode");
        assert_eq!(got.0, expected(&v));
        assert_eq!(got.0.metadata.labels.as_ref().unwrap()["managedFields"], "label");
        // From a slice and from a value (owned keys) too.
        let got: WithoutManagedFields<Pod> =
            serde_json::from_slice(text.as_bytes()).expect("slice");
        assert_eq!(got.0, expected(&v));
        let got: WithoutManagedFields<Pod> = serde_json::from_value(v.clone()).expect("value");
        assert_eq!(got.0, expected(&v));
    }

    #[test]
    fn keys_with_escapes_and_objects_without_managed_fields() {
        // An escaped key is delivered owned; a pod without the field decodes as is.
        let text = r#"{"apiVersion":"v1","kind":"Pod","metad\u0061ta":{"name":"e","m\u0061nagedFields":[{"manager":"m"}]}}"#;
        let got: WithoutManagedFields<Pod> = serde_json::from_str(text).expect("decode");
        assert_eq!(got.0.metadata.name.as_deref(), Some("e"));
        assert_eq!(got.0.metadata.managed_fields, None);
        let mut v = pod_json();
        v["metadata"].as_object_mut().unwrap().remove("managedFields");
        let got: WithoutManagedFields<Pod> = serde_json::from_value(v.clone()).expect("plain");
        assert_eq!(got.0, serde_json::from_value::<Pod>(v).expect("pod"));
    }

    #[test]
    fn watch_events_lists_and_dynamic_objects() {
        let v = pod_json();
        let line = serde_json::to_string(&json!({"type": "MODIFIED", "object": v})).unwrap();
        match serde_json::from_str::<WatchEvent<WithoutManagedFields<Pod>>>(&line).unwrap() {
            WatchEvent::Modified(p) => assert_eq!(p.0, expected(&v)),
            other => panic!("unexpected event {other:?}"),
        }
        let bookmark = r#"{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12"}}}"#;
        match serde_json::from_str::<WatchEvent<WithoutManagedFields<Pod>>>(bookmark).unwrap() {
            WatchEvent::Bookmark(b) => assert_eq!(b.metadata.resource_version, "12"),
            other => panic!("unexpected event {other:?}"),
        }
        let list = json!({"apiVersion": "v1", "kind": "PodList",
            "metadata": {"resourceVersion": "9", "continue": "c"}, "items": [v.clone(), v.clone()]});
        let list: ObjectList<WithoutManagedFields<Pod>> =
            serde_json::from_str(&list.to_string()).expect("list");
        assert_eq!(list.items.len(), 2);
        assert!(list.items.iter().all(|p| p.0 == expected(&v)));
        assert_eq!(list.metadata.continue_.as_deref(), Some("c"));
        let dynamic: WithoutManagedFields<DynamicObject> =
            serde_json::from_str(&v.to_string()).expect("dynamic");
        let mut whole: DynamicObject = serde_json::from_value(v.clone()).expect("whole");
        whole.metadata.managed_fields = None;
        assert_eq!(dynamic.0.metadata, whole.metadata);
        assert_eq!(dynamic.0.data, whole.data);
    }
}
