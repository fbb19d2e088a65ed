//! A partial parse of a stored object: only what the cache indexes (name, namespace, labels, the selectable fields' values) becomes a `Value`; everything else is skipped without allocating.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Top-level members kept: `metadata` and every object or value a selectable field of
/// [`capstan_api_types::fields::field_set`] reads (their scalar members only, plus
/// `status.podIPs`).
const TOP: &[&str] = &[
    "metadata",
    "spec",
    "status",
    "involvedObject",
    "source",
    "reason",
    "reportingComponent",
    "type",
];

/// Members of `metadata` kept.
const METADATA: &[&str] = &["name", "namespace", "labels"];

/// Members below the top level kept whole although not scalars.
const WHOLE: &[&str] = &["podIPs"];

/// Parses `value` (which must be valid JSON as a whole), keeping only the members the cache
/// indexes. `Ok(None)` when the value is valid JSON but not an object.
pub(super) fn parse(value: &[u8]) -> Result<Option<Value>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(value);
    let object = Prune(Level::Root).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(object)
}

/// Where in the object a value is, which decides what of it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// The object itself: members in [`TOP`].
    Root,
    /// `metadata`: members in [`METADATA`].
    Metadata,
    /// Another kept top-level member: scalar members, and those in [`WHOLE`].
    Child,
    /// Kept only when a scalar.
    Scalar,
    /// Kept whole.
    Whole,
}

impl Level {
    /// The level of member `key` of a map at this level, `None` when skipped.
    fn member(self, key: &str) -> Option<Level> {
        match self {
            Level::Root if key == "metadata" => Some(Level::Metadata),
            Level::Root => TOP.contains(&key).then_some(Level::Child),
            Level::Metadata if key == "labels" => Some(Level::Whole),
            Level::Metadata => METADATA.contains(&key).then_some(Level::Scalar),
            Level::Child if WHOLE.contains(&key) => Some(Level::Whole),
            Level::Child => Some(Level::Scalar),
            Level::Scalar => None,
            Level::Whole => Some(Level::Whole),
        }
    }
}

/// Deserializes a value at a level: `None` when nothing of it is kept.
struct Prune(Level);

impl<'de> DeserializeSeed<'de> for Prune {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        if self.0 == Level::Whole {
            return serde::Deserialize::deserialize(deserializer).map(Some);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Prune {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(self.keep(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.keep(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.keep(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.keep(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.keep(Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(self.keep(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(self.keep(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(self.keep(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if self.0 == Level::Scalar {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(None);
        }
        let mut kept = Map::new();
        while let Some(member) = map.next_key_seed(Key(self.0))? {
            match member {
                Some((key, level)) => {
                    if let Some(value) = map.next_value_seed(Prune(level))? {
                        kept.insert(key, value);
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(Value::Object(kept)))
    }
}

impl Prune {
    /// A scalar is kept except as the whole object.
    fn keep(&self, value: Value) -> Option<Value> {
        (self.0 != Level::Root).then_some(value)
    }
}

/// Deserializes a member name of a map at a level: the name (allocated only when kept) and
/// the member's level, `None` when the member is skipped.
struct Key(Level);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<(String, Level)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Option<(String, Level)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.member(v).map(|level| (v.to_owned(), level)))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::parse;

    /// The pruned parse gives `field_set` exactly what the full parse gives it.
    #[test]
    fn keeps_what_field_set_reads() {
        let objects = [
            json!({"metadata": {"name": "web", "namespace": "default", "labels": {"a": "b", "n": 1},
                "annotations": {"x": "y"}, "managedFields": [{"m": 1}]},
                "spec": {"nodeName": "n1", "restartPolicy": "Always", "schedulerName": "s",
                    "serviceAccountName": "sa", "hostNetwork": true, "containers": [{"name": "c"}],
                    "unschedulable": true, "clusterIP": "10.0.0.1", "type": "ClusterIP",
                    "signerName": "x/y"},
                "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.5"}], "podIP": "10.0.0.5",
                    "nominatedNodeName": "n2", "replicas": 3, "succeeded": 2.5,
                    "conditions": [{"type": "Ready"}]},
                "data": {"k": "v"}, "type": "Opaque"}),
            json!({"metadata": {"name": "e", "namespace": "ns"},
                "involvedObject": {"kind": "Pod", "namespace": "ns", "name": "p", "uid": "u",
                    "apiVersion": "v1", "resourceVersion": "5", "fieldPath": "spec"},
                "reason": "Started", "reportingComponent": "kubelet",
                "source": {"component": "kubelet", "host": "h"}, "type": "Normal"}),
            json!({"metadata": "odd", "spec": [1, 2], "status": "x"}),
            json!({"status": {"podIP": "1.2.3.4", "podIPs": []}}),
        ];
        let kinds = [
            ("", "pods"),
            ("", "nodes"),
            ("", "events"),
            ("", "secrets"),
            ("", "namespaces"),
            ("", "replicationcontrollers"),
            ("apps", "replicasets"),
            ("", "services"),
            ("batch", "jobs"),
            ("certificates.k8s.io", "certificatesigningrequests"),
            ("", "configmaps"),
        ];
        for object in &objects {
            let bytes = serde_json::to_vec(object).expect("json");
            let pruned = parse(&bytes).expect("parse").expect("object");
            for (group, plural) in kinds {
                for namespaced in [false, true] {
                    assert_eq!(
                        capstan_api_types::fields::field_set(group, plural, &pruned, namespaced),
                        capstan_api_types::fields::field_set(group, plural, object, namespaced),
                        "{group}/{plural} of {object}"
                    );
                }
            }
            assert_eq!(pruned["metadata"].get("labels"), object["metadata"].get("labels"));
        }
        assert!(parse(b"[1]").expect("parse").is_none());
        assert!(parse(b"{\"a\":").is_err());
        assert!(parse(b"{} x").is_err());
    }
}
