//! RFC 6902 JSON patch (`application/json-patch+json`) on top of the `json-patch` crate.

use json_patch::{PatchErrorKind, PatchOperation};
use serde_json::Value;

use super::{PatchError, PatchType};

/// The most operations a JSON patch may carry; the API server rejects larger patches
/// with 413, as Kubernetes' `maxJSONPatchOperations` does.
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

/// Decodes a JSON patch body: a JSON array of operations. A body that is not JSON, not an
/// array, or holds an unknown `op` or a bad pointer is [`PatchError::Malformed`]; more than
/// [`MAX_JSON_PATCH_OPERATIONS`] operations is [`PatchError::TooManyOperations`].
pub fn parse_json_patch(bytes: &[u8]) -> Result<json_patch::Patch, PatchError> {
    let malformed = |reason: String| PatchError::Malformed { patch_type: PatchType::Json, reason };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    let Some(ops) = value.as_array() else {
        return Err(malformed(format!(
            "a JSON patch must be a list of operations, found {}",
            super::json_type(&value)
        )));
    };
    if ops.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::TooManyOperations {
            count: ops.len(),
            limit: MAX_JSON_PATCH_OPERATIONS,
        });
    }
    let mut parsed = Vec::with_capacity(ops.len());
    for (index, op) in ops.iter().enumerate() {
        let op: PatchOperation = serde_json::from_value(op.clone())
            .map_err(|e| malformed(format!("operation {index}: {e}")))?;
        parsed.push(op);
    }
    Ok(json_patch::Patch(parsed))
}

/// Applies `patch` to a copy of `original` and returns it. Application is atomic: when
/// an operation fails, [`PatchError::JsonPatchFailed`] names it and nothing is applied.
pub fn apply_json_patch(original: &Value, patch: &json_patch::Patch) -> Result<Value, PatchError> {
    let mut doc = original.clone();
    json_patch::patch(&mut doc, &patch.0).map_err(|source| {
        let index = source.operation;
        let op = patch.0.get(index).map(op_name).unwrap_or("unknown");
        let reason = match &source.kind {
            PatchErrorKind::TestFailed => "the value does not match the test value".to_string(),
            PatchErrorKind::InvalidPointer => {
                "the path does not exist or is not a valid location".to_string()
            }
            PatchErrorKind::InvalidFromPointer => "the \"from\" path does not exist".to_string(),
            other => other.to_string(),
        };
        PatchError::JsonPatchFailed { index, op, path: source.path.to_string(), reason, source }
    })?;
    Ok(doc)
}

/// The `op` name of an operation.
pub fn op_name(op: &PatchOperation) -> &'static str {
    match op {
        PatchOperation::Add(_) => "add",
        PatchOperation::Remove(_) => "remove",
        PatchOperation::Replace(_) => "replace",
        PatchOperation::Move(_) => "move",
        PatchOperation::Copy(_) => "copy",
        PatchOperation::Test(_) => "test",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Value {
        json!({
            "metadata": {"name": "p", "labels": {"app": "web"}, "finalizers": ["a", "b"]},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}
        })
    }

    fn apply(ops: Value) -> Result<Value, PatchError> {
        let patch = parse_json_patch(ops.to_string().as_bytes())?;
        apply_json_patch(&pod(), &patch)
    }

    #[test]
    fn operations_apply() {
        let cases: Vec<(&str, Value, &str, Value)> = vec![
            (
                "add a label",
                json!([{"op": "add", "path": "/metadata/labels/tier", "value": "fe"}]),
                "/metadata/labels",
                json!({"app": "web", "tier": "fe"}),
            ),
            (
                "append with -",
                json!([{"op": "add", "path": "/metadata/finalizers/-", "value": "c"}]),
                "/metadata/finalizers",
                json!(["a", "b", "c"]),
            ),
            (
                "remove list element",
                json!([{"op": "remove", "path": "/metadata/finalizers/0"}]),
                "/metadata/finalizers",
                json!(["b"]),
            ),
            (
                "replace image",
                json!([{"op": "replace", "path": "/spec/containers/0/image", "value": "nginx:2"}]),
                "/spec/containers/0/image",
                json!("nginx:2"),
            ),
            (
                "test then replace",
                json!([
                    {"op": "test", "path": "/metadata/name", "value": "p"},
                    {"op": "replace", "path": "/metadata/name", "value": "q"}
                ]),
                "/metadata/name",
                json!("q"),
            ),
            (
                "move",
                json!([{"op": "move", "from": "/metadata/labels/app", "path": "/metadata/labels/role"}]),
                "/metadata/labels",
                json!({"role": "web"}),
            ),
            (
                "copy",
                json!([{"op": "copy", "from": "/metadata/name", "path": "/metadata/labels/name"}]),
                "/metadata/labels/name",
                json!("p"),
            ),
        ];
        for (name, ops, pointer, want) in cases {
            let out = apply(ops).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(out.pointer(pointer), Some(&want), "{name}");
        }
    }

    #[test]
    fn failures_name_the_operation() {
        let cases: Vec<(&str, Value, usize, &str)> = vec![
            (
                "test failed",
                json!([
                    {"op": "add", "path": "/metadata/labels/x", "value": "y"},
                    {"op": "test", "path": "/metadata/name", "value": "other"}
                ]),
                1,
                "test",
            ),
            (
                "remove missing",
                json!([{"op": "remove", "path": "/metadata/annotations"}]),
                0,
                "remove",
            ),
            (
                "replace missing",
                json!([{"op": "replace", "path": "/spec/nodeName", "value": "n"}]),
                0,
                "replace",
            ),
            (
                "index out of bounds",
                json!([{"op": "add", "path": "/metadata/finalizers/7", "value": "z"}]),
                0,
                "add",
            ),
        ];
        for (name, ops, index, op) in cases {
            match apply(ops) {
                Err(PatchError::JsonPatchFailed { index: i, op: o, .. }) => {
                    assert_eq!((i, o), (index, op), "{name}");
                }
                other => panic!("{name}: expected JsonPatchFailed, got {other:?}"),
            }
        }
    }

    #[test]
    fn failed_patch_applies_nothing() {
        let patch = parse_json_patch(
            br#"[{"op":"add","path":"/metadata/labels/x","value":"y"},{"op":"test","path":"/metadata/name","value":"no"}]"#,
        )
        .unwrap();
        let original = pod();
        assert!(apply_json_patch(&original, &patch).is_err());
        assert_eq!(original, pod());
    }

    #[test]
    fn malformed_documents() {
        let cases: Vec<&[u8]> = vec![
            b"",
            b"{",
            br#"{"op":"add","path":"/a","value":1}"#,
            br#"[{"op":"frobnicate","path":"/a"}]"#,
            br#"[{"op":"add","path":"no-slash","value":1}]"#,
            br#"[{"op":"add","value":1}]"#,
        ];
        for body in cases {
            let err = parse_json_patch(body).unwrap_err();
            assert!(
                matches!(err, PatchError::Malformed { patch_type: PatchType::Json, .. }),
                "{:?}: {err:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn operation_limit() {
        let ops: Vec<Value> = (0..=MAX_JSON_PATCH_OPERATIONS)
            .map(|_| json!({"op": "test", "path": "/metadata/name", "value": "p"}))
            .collect();
        let err = parse_json_patch(Value::Array(ops).to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(err, PatchError::TooManyOperations { count, .. } if count == MAX_JSON_PATCH_OPERATIONS + 1)
        );
    }
}
