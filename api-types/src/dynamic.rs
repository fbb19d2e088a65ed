//! `DynamicObject`: any Kubernetes object with typed `apiVersion`, `kind` and `metadata`, and every other field kept as JSON.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::gvk::{GroupVersionKind, GvkError, KubeResource};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// Errors converting between dynamic and typed objects.
#[derive(Debug, thiserror::Error)]
pub enum DynamicObjectError {
    /// `apiVersion`/`kind` were missing or malformed.
    #[error("object has an invalid apiVersion/kind: {0}")]
    Gvk(#[from] GvkError),
    /// The object did not match the typed shape (or could not be serialized).
    #[error("object does not convert to/from {kind}: {source}")]
    Json {
        /// The kind being converted.
        kind: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// The object's `apiVersion`/`kind` differ from the target type's.
    #[error("object is {found}, expected {expected}")]
    KindMismatch {
        /// What the object says it is.
        found: String,
        /// What the target type is.
        expected: String,
    },
}

/// Any object: typed header and metadata, the rest (`spec`, `status`, `data`…) as JSON.
///
/// Serializing writes `apiVersion`, `kind`, `metadata` (omitted when empty)
/// and every other field unchanged, so a deserialize/serialize round trip keeps all fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DynamicObject {
    /// The `apiVersion` (`v1`, `apps/v1`).
    #[serde(rename = "apiVersion", default)]
    pub api_version: String,
    /// The `kind`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default, skip_serializing_if = "meta_is_empty")]
    pub metadata: ObjectMeta,
    /// Every other top-level field.
    #[serde(flatten)]
    pub data: Map<String, Value>,
}

fn meta_is_empty(m: &ObjectMeta) -> bool {
    *m == ObjectMeta::default()
}

impl DynamicObject {
    /// An empty object of the given kind.
    pub fn new(gvk: &GroupVersionKind, name: &str) -> Self {
        DynamicObject {
            api_version: gvk.api_version(),
            kind: gvk.kind.clone(),
            metadata: ObjectMeta { name: Some(name.to_string()), ..Default::default() },
            data: Map::new(),
        }
    }

    /// Sets the namespace (builder style).
    pub fn within(mut self, namespace: &str) -> Self {
        self.metadata.namespace = Some(namespace.to_string());
        self
    }

    /// The group/version/kind from `apiVersion` and `kind`.
    pub fn gvk(&self) -> Result<GroupVersionKind, GvkError> {
        GroupVersionKind::from_api_version_kind(&self.api_version, &self.kind)
    }

    /// `metadata.name`, or `""`.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or("")
    }

    /// `metadata.namespace`, if set.
    pub fn namespace(&self) -> Option<&str> {
        self.metadata.namespace.as_deref()
    }

    /// A top-level field other than the header and metadata.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.data.get(field)
    }

    /// Reads a nested value with a JSON pointer relative to the object, e.g. `/spec/replicas`.
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        let mut parts = pointer.strip_prefix('/')?.splitn(2, '/');
        let first = parts.next()?;
        let root = self.data.get(first)?;
        match parts.next() {
            None => Some(root),
            Some(rest) => root.pointer(&format!("/{rest}")),
        }
    }

    /// Converts a typed object (any serializable value with `apiVersion`/`kind`).
    pub fn from_typed<T: Serialize>(obj: &T) -> Result<Self, DynamicObjectError> {
        let v = serde_json::to_value(obj).map_err(|source| DynamicObjectError::Json {
            kind: std::any::type_name::<T>().into(),
            source,
        })?;
        serde_json::from_value(v).map_err(|source| DynamicObjectError::Json {
            kind: std::any::type_name::<T>().into(),
            source,
        })
    }

    /// Converts to a typed built-in object, checking `apiVersion` and `kind` first.
    pub fn to_typed<T: KubeResource + DeserializeOwned>(&self) -> Result<T, DynamicObjectError> {
        if self.api_version != T::API_VERSION || self.kind != T::KIND {
            return Err(DynamicObjectError::KindMismatch {
                found: format!("{}/{}", self.api_version, self.kind),
                expected: format!("{}/{}", T::API_VERSION, T::KIND),
            });
        }
        let v = serde_json::to_value(self)
            .map_err(|source| DynamicObjectError::Json { kind: T::KIND.into(), source })?;
        serde_json::from_value(v)
            .map_err(|source| DynamicObjectError::Json { kind: T::KIND.into(), source })
    }

    /// The whole object as JSON.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_all_fields() {
        let cases = [
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "d", "labels": {"a": "b"}}, "data": {"k": "v"}, "binaryData": {}}),
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "resourceVersion": "5"}, "spec": {"size": 3, "nested": [1, {"x": null}]}, "status": {"ok": true}}),
            json!({"apiVersion": "v1", "kind": "Status", "status": "Failure", "code": 404}),
        ];
        for v in cases {
            let d: DynamicObject = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(serde_json::to_value(&d).unwrap(), v);
        }
    }

    #[test]
    fn gvk_and_accessors() {
        let d: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "prod"},
            "spec": {"replicas": 3}
        }))
        .unwrap();
        assert_eq!(d.gvk().unwrap(), GroupVersionKind::new("apps", "v1", "Deployment"));
        assert_eq!(d.name(), "web");
        assert_eq!(d.namespace(), Some("prod"));
        assert_eq!(d.pointer("/spec/replicas"), Some(&json!(3)));
        assert_eq!(d.pointer("/spec"), Some(&json!({"replicas": 3})));
        let typed: k8s_openapi::api::apps::v1::Deployment = d.to_typed().unwrap();
        assert_eq!(typed.spec.unwrap().replicas, Some(3));
        let wrong = d.to_typed::<k8s_openapi::api::core::v1::Pod>();
        assert!(matches!(wrong, Err(DynamicObjectError::KindMismatch { .. })));
        let bad =
            DynamicObject { api_version: "a/b/c".into(), kind: "X".into(), ..Default::default() };
        assert!(bad.gvk().is_err());
    }

    #[test]
    fn from_typed() {
        let pod = k8s_openapi::api::core::v1::Pod {
            metadata: ObjectMeta { name: Some("p".into()), ..Default::default() },
            ..Default::default()
        };
        let d = DynamicObject::from_typed(&pod).unwrap();
        assert_eq!(d.kind, "Pod");
        assert_eq!(d.api_version, "v1");
        assert_eq!(d.name(), "p");
        let made =
            DynamicObject::new(&GroupVersionKind::new("", "v1", "ConfigMap"), "x").within("ns");
        assert_eq!(
            made.to_value(),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "ns"}})
        );
    }
}
