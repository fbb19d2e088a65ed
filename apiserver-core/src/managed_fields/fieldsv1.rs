//! FieldsV1: the JSON form of a field set in `metadata.managedFields[].fieldsV1`.
//!
//! Every path element is a key — `f:<name>` for a field, `k:<json object>` for an
//! associative-list element, `v:<json>` for a set element, `i:<n>` for an index — whose
//! value is an object holding the elements below it; `".": {}` inside marks the element
//! itself as a member when it also has children, and an empty object marks a member
//! without children.

use serde_json::{Map, Value};

use super::fieldset::FieldSet;
use super::path::PathElement;

/// Why a FieldsV1 document could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FieldsV1Error {
    /// The document (or a nested value) is not a JSON object.
    #[error("expected an object at {at}")]
    NotAnObject {
        /// The key whose value is not an object (`<root>` for the document).
        at: String,
    },
    /// A key has no known prefix.
    #[error("unknown path element {key:?}")]
    UnknownElement {
        /// The key.
        key: String,
    },
    /// A `k:`, `v:` or `i:` key whose rest does not parse.
    #[error("malformed path element {key:?}: {reason}")]
    Malformed {
        /// The key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The key naming one path element (`f:image`, `k:{"name":"nginx"}`).
pub fn element_key(element: &PathElement) -> String {
    match element {
        PathElement::Field(name) => {
            let mut key = String::with_capacity(name.len() + 2);
            key.push_str("f:");
            key.push_str(name);
            key
        }
        PathElement::Key(fields) => {
            let object: Map<String, Value> = fields.iter().cloned().collect();
            format!("k:{}", Value::Object(object))
        }
        PathElement::Value(value) => format!("v:{value}"),
        PathElement::Index(i) => format!("i:{i}"),
    }
}

/// Parses one FieldsV1 key into a path element.
pub fn parse_element(key: &str) -> Result<PathElement, FieldsV1Error> {
    let malformed = |reason: String| FieldsV1Error::Malformed { key: key.to_string(), reason };
    let Some((prefix, rest)) = key.split_once(':') else {
        return Err(FieldsV1Error::UnknownElement { key: key.to_string() });
    };
    match prefix {
        "f" => Ok(PathElement::Field(rest.to_string())),
        "k" => match serde_json::from_str::<Value>(rest) {
            Ok(Value::Object(map)) if !map.is_empty() => {
                // `Map` iterates in key order, which is the order of the key fields.
                Ok(PathElement::Key(map.into_iter().collect()))
            }
            Ok(_) => Err(malformed("expected a non-empty JSON object".into())),
            Err(e) => Err(malformed(e.to_string())),
        },
        "v" => {
            serde_json::from_str(rest).map(PathElement::Value).map_err(|e| malformed(e.to_string()))
        }
        "i" => rest.parse().map(PathElement::Index).map_err(|e| malformed(format!("{e}"))),
        _ => Err(FieldsV1Error::UnknownElement { key: key.to_string() }),
    }
}

/// Encodes a field set as a FieldsV1 object.
pub fn encode(set: &FieldSet) -> Value {
    Value::Object(encode_level(set))
}

fn encode_level(set: &FieldSet) -> Map<String, Value> {
    let mut out = Map::new();
    for member in set.members() {
        if set.child(member).is_none() {
            out.insert(element_key(member), Value::Object(Map::new()));
        }
    }
    for (element, child) in set.children() {
        let mut inner = encode_level(child);
        if set.has_member(element) {
            inner.insert(".".into(), Value::Object(Map::new()));
        }
        out.insert(element_key(element), Value::Object(inner));
    }
    out
}

/// Decodes a FieldsV1 object into a field set.
pub fn decode(value: &Value) -> Result<FieldSet, FieldsV1Error> {
    let Value::Object(map) = value else {
        return Err(FieldsV1Error::NotAnObject { at: "<root>".into() });
    };
    let mut set = FieldSet::new();
    decode_level(map, &mut set)?;
    set.prune_empty();
    Ok(set)
}

fn decode_level(map: &Map<String, Value>, set: &mut FieldSet) -> Result<(), FieldsV1Error> {
    for (key, value) in map {
        if key == "." {
            continue;
        }
        let element = parse_element(key)?;
        let Value::Object(inner) = value else {
            return Err(FieldsV1Error::NotAnObject { at: key.clone() });
        };
        if inner.is_empty() || inner.contains_key(".") {
            set.insert_member(element.clone());
        }
        if inner.keys().any(|k| k != ".") {
            decode_level(inner, set.child_mut(element))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_as_kubernetes_writes_them() {
        let documents = [
            r#"{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{}}}}}"#,
            r#"{"f:data":{".":{},"f:a":{},"f:b":{}}}"#,
            r#"{"f:metadata":{"f:finalizers":{"v:\"example.com/x\"":{}}}}"#,
            r#"{"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:targetPort":{}}}}}"#,
            r#"{"f:spec":{"f:args":{"i:0":{}}}}"#,
            r#"{}"#,
        ];
        for text in documents {
            let value: Value = serde_json::from_str(text).unwrap();
            let set = decode(&value).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(encode(&set), value, "{text}");
        }
    }

    #[test]
    fn decoded_paths() {
        let value = json!({"f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}}}}});
        let set = decode(&value).unwrap();
        let paths: Vec<String> = set.paths().iter().map(ToString::to_string).collect();
        assert_eq!(
            paths,
            vec![r#".spec.containers[name="nginx"]"#, r#".spec.containers[name="nginx"].image"#]
        );
    }

    #[test]
    fn rejects_malformed_documents() {
        let cases = [
            (json!([]), FieldsV1Error::NotAnObject { at: "<root>".into() }),
            (json!({"f:a": 1}), FieldsV1Error::NotAnObject { at: "f:a".into() }),
            (json!({"x:a": {}}), FieldsV1Error::UnknownElement { key: "x:a".into() }),
            (json!({"nonsense": {}}), FieldsV1Error::UnknownElement { key: "nonsense".into() }),
        ];
        for (value, want) in cases {
            assert_eq!(decode(&value).unwrap_err(), want, "{value}");
        }
        assert!(matches!(decode(&json!({"k:[1]": {}})), Err(FieldsV1Error::Malformed { .. })));
        assert!(matches!(decode(&json!({"i:x": {}})), Err(FieldsV1Error::Malformed { .. })));
    }
}
