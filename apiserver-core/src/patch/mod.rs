//! The patch engine behind `PATCH` requests: JSON patch, JSON merge patch and strategic merge patch.
//!
//! Kubernetes accepts four patch content types on `PATCH` (see
//! `staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go`):
//!
//! | content type | [`PatchType`] | engine |
//! |---|---|---|
//! | `application/json-patch+json` | [`PatchType::Json`] | [`json`] (RFC 6902, via the `json-patch` crate) |
//! | `application/merge-patch+json` | [`PatchType::Merge`] | [`merge`] (RFC 7386) |
//! | `application/strategic-merge-patch+json` | [`PatchType::StrategicMerge`] | [`strategic`], driven by the merge-key table in [`schema`] |
//! | `application/apply-patch+yaml` | [`PatchType::Apply`] | server-side apply, not handled here |
//!
//! Everything here is request-independent: [`apply_patch`] takes the kind, the current
//! object as JSON and the raw patch body, and returns the patched object or a
//! [`PatchError`] whose [`PatchError::status_code`] says what the API server answers
//! (400 for a malformed patch, 422 for a patch that cannot apply, 415 for a patch type
//! the kind does not support, 413 for an oversized JSON patch).
//!
//! Strategic merge patch is only defined for built-in kinds — the kinds of
//! [`capstan_api_types::catalogue`] plus `autoscaling/v1 Scale`. For any other kind (custom
//! resources, aggregated or dynamic kinds) [`apply_patch`] answers
//! [`PatchError::StrategicMergeUnsupported`] (415), as Kubernetes does; callers that want
//! merge-patch-like semantics for such objects can call
//! [`strategic::strategic_merge_patch`] with no schema.

pub mod json;
pub mod merge;
pub mod schema;
pub mod strategic;

use std::fmt;

use capstan_api_types::GroupVersionKind;
use http::StatusCode;
use serde_json::Value;

/// The kind of patch a `PATCH` request carries, chosen by its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchType {
    /// RFC 6902 JSON patch: a list of operations (`application/json-patch+json`).
    Json,
    /// RFC 7386 JSON merge patch (`application/merge-patch+json`).
    Merge,
    /// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`).
    StrategicMerge,
    /// Server-side apply (`application/apply-patch+yaml`); handled by the apply machinery,
    /// not by [`apply_patch`].
    Apply,
}

impl PatchType {
    /// Every patch type, in the order Kubernetes lists them in discovery's `acceptedPatchTypes`.
    pub const ALL: [PatchType; 4] =
        [PatchType::Json, PatchType::Merge, PatchType::StrategicMerge, PatchType::Apply];

    /// The media type naming this patch type.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::StrategicMerge => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }

    /// Parses a `Content-Type` header value (parameters such as `; charset=utf-8` are
    /// ignored, case-insensitively). Returns `None` for anything else, including
    /// `application/apply-patch+cbor` (CBOR bodies are not supported; the server answers
    /// 415). The request layer's `classify_patch` also refuses strategic merge for custom
    /// resources.
    pub fn from_content_type(value: &str) -> Option<PatchType> {
        let media = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match media.as_str() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::StrategicMerge),
            "application/apply-patch+yaml" => Some(PatchType::Apply),
            _ => None,
        }
    }
}

impl fmt::Display for PatchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.content_type())
    }
}

/// Why a patch could not be applied. Paths are JSON pointers for JSON patch and dotted
/// field paths (list elements as `[i]` of the patch list) for merge patches.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The patch body is not a well-formed document of its patch type: not JSON, a JSON
    /// patch that is not a list of operations, or a merge patch that is not a JSON object.
    /// The server answers 400 Bad Request.
    #[error("malformed {patch_type} patch: {reason}")]
    Malformed {
        /// The patch type the body was decoded as.
        patch_type: PatchType,
        /// What is wrong with the body.
        reason: String,
    },
    /// A JSON patch with more operations than the server accepts (413).
    #[error("the JSON patch has {count} operations, more than the limit of {limit}")]
    TooManyOperations {
        /// Operations in the patch.
        count: usize,
        /// The limit ([`json::MAX_JSON_PATCH_OPERATIONS`]).
        limit: usize,
    },
    /// A JSON patch operation could not apply: a `test` did not match, a path does not
    /// exist, an index is out of bounds (422). Operations are atomic: nothing was applied.
    #[error("JSON patch operation {index} ({op}) failed at path {path:?}: {reason}")]
    JsonPatchFailed {
        /// Zero-based index of the failing operation.
        index: usize,
        /// Its `op` (`add`, `remove`, `replace`, `move`, `copy`, `test`).
        op: &'static str,
        /// The operation's `path`, as a JSON pointer.
        path: String,
        /// What went wrong.
        reason: String,
        /// The underlying error from the `json-patch` crate.
        #[source]
        source: json_patch::PatchError,
    },
    /// A strategic merge patch directive is malformed: an unknown `$patch` value, a
    /// `$retainKeys`, `$deleteFromPrimitiveList/…` or `$setElementOrder/…` value that is not a
    /// list, or a directive key without a field name (400).
    #[error("invalid strategic merge patch directive at {path}: {reason}")]
    InvalidDirective {
        /// Where the directive is.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The patch sets a field that its own `$retainKeys` list does not retain (422).
    #[error("field {key:?} at {path} is set by the patch but missing from $retainKeys")]
    RetainKeysMismatch {
        /// The map holding the `$retainKeys` directive.
        path: String,
        /// The field present in the patch but not in `$retainKeys`.
        key: String,
    },
    /// The `$setElementOrder` list does not contain the patch list's elements in the same
    /// relative order (400).
    #[error("the order of the patch list at {path} does not match its $setElementOrder list")]
    SetElementOrderMismatch {
        /// The list field.
        path: String,
    },
    /// An element of a list merged by key lacks the merge key, or is not an object (422).
    #[error("list element at {path} has no merge key {key:?}")]
    MissingMergeKey {
        /// The element.
        path: String,
        /// The merge key (`name`, `containerPort`, ...).
        key: String,
    },
    /// A list cannot be merged: it holds lists, mixes element types, or holds objects but
    /// has no merge key (422).
    #[error("cannot merge the list at {path}: {reason}")]
    UnmergeableList {
        /// The list field.
        path: String,
        /// Why.
        reason: String,
    },
    /// The patch turned the object into something that is not a JSON object (422).
    #[error("the patched document is not a JSON object but {found}")]
    NotAnObject {
        /// The JSON type found (`array`, `string`, ...).
        found: &'static str,
    },
    /// Strategic merge patch is not defined for this kind: it is not a built-in kind (custom
    /// resources answer 415 Unsupported Media Type in Kubernetes).
    #[error(
        "the body of the request was in an unknown format - accepted media types include: \
         application/json-patch+json, application/merge-patch+json, \
         application/apply-patch+yaml (strategic merge patch is not supported for {gvk})"
    )]
    StrategicMergeUnsupported {
        /// The kind the patch was sent for.
        gvk: GroupVersionKind,
    },
    /// Server-side apply patches are handled by the apply machinery, not by [`apply_patch`]
    /// (415 here, until a caller routes them elsewhere).
    #[error("apply patches (application/apply-patch+yaml) are not handled by the patch engine")]
    ApplyNotSupported,
}

impl PatchError {
    /// The HTTP status the API server answers with for this error, as Kubernetes does.
    pub fn status_code(&self) -> StatusCode {
        match self {
            PatchError::Malformed { .. }
            | PatchError::InvalidDirective { .. }
            | PatchError::SetElementOrderMismatch { .. } => StatusCode::BAD_REQUEST,
            PatchError::TooManyOperations { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            PatchError::JsonPatchFailed { .. }
            | PatchError::RetainKeysMismatch { .. }
            | PatchError::MissingMergeKey { .. }
            | PatchError::UnmergeableList { .. }
            | PatchError::NotAnObject { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            PatchError::StrategicMergeUnsupported { .. } | PatchError::ApplyNotSupported => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
        }
    }

    /// `true` when the patch document itself is bad (400/413), as opposed to a well-formed
    /// patch that cannot apply to this object (422) or an unsupported patch type (415).
    pub fn is_malformed(&self) -> bool {
        matches!(
            self,
            PatchError::Malformed { .. }
                | PatchError::InvalidDirective { .. }
                | PatchError::SetElementOrderMismatch { .. }
                | PatchError::TooManyOperations { .. }
        )
    }
}

/// Applies a patch of `patch_type` to `original` (the current object of kind `gvk`, as
/// JSON) and returns the patched object. `original` is left untouched.
///
/// - JSON patch is decoded by [`json::parse_json_patch`] and applied by
///   [`json::apply_json_patch`];
/// - merge patch goes to [`merge::merge_patch`]; the body must be a JSON object;
/// - strategic merge patch goes to [`strategic::strategic_merge_patch`] with the kind's
///   schema from [`schema::for_kind`], or fails with
///   [`PatchError::StrategicMergeUnsupported`] when the kind is not built in;
/// - apply patches fail with [`PatchError::ApplyNotSupported`].
///
/// The result must still be a JSON object ([`PatchError::NotAnObject`] otherwise).
pub fn apply_patch(
    patch_type: PatchType,
    gvk: &GroupVersionKind,
    original: &Value,
    patch_bytes: &[u8],
) -> Result<Value, PatchError> {
    let patched = match patch_type {
        PatchType::Json => {
            let ops = json::parse_json_patch(patch_bytes)?;
            json::apply_json_patch(original, &ops)?
        }
        PatchType::Merge => {
            let patch = parse_object(PatchType::Merge, patch_bytes)?;
            merge::merge_patch(original, &patch)
        }
        PatchType::StrategicMerge => {
            let schema = schema::for_kind(gvk)
                .ok_or_else(|| PatchError::StrategicMergeUnsupported { gvk: gvk.clone() })?;
            let patch = parse_object(PatchType::StrategicMerge, patch_bytes)?;
            strategic::strategic_merge_patch(original, &patch, Some(schema))?
        }
        PatchType::Apply => return Err(PatchError::ApplyNotSupported),
    };
    if !patched.is_object() {
        return Err(PatchError::NotAnObject { found: json_type(&patched) });
    }
    Ok(patched)
}

/// Decodes a merge-style patch body, which must be a JSON object.
fn parse_object(patch_type: PatchType, bytes: &[u8]) -> Result<Value, PatchError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| PatchError::Malformed { patch_type, reason: e.to_string() })?;
    if !value.is_object() {
        return Err(PatchError::Malformed {
            patch_type,
            reason: format!("expected a JSON object, found {}", json_type(&value)),
        });
    }
    Ok(value)
}

/// The JSON type name of a value, for error messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> GroupVersionKind {
        GroupVersionKind::new("apps", "v1", "Deployment")
    }

    fn original() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "x", "labels": {"app": "x"}},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [
                {"name": "nginx", "image": "nginx:1.24"},
                {"name": "sidecar", "image": "busybox"}
            ]}}}
        })
    }

    #[test]
    fn content_types_round_trip() {
        for t in PatchType::ALL {
            assert_eq!(PatchType::from_content_type(t.content_type()), Some(t));
        }
        assert_eq!(
            PatchType::from_content_type("Application/Merge-Patch+JSON; charset=utf-8"),
            Some(PatchType::Merge)
        );
        assert_eq!(PatchType::from_content_type("application/json"), None);
    }

    #[test]
    fn dispatch_by_patch_type() {
        let gvk = deployment();
        let cases: Vec<(PatchType, &str, Value)> = vec![
            (PatchType::Json, r#"[{"op":"replace","path":"/spec/replicas","value":3}]"#, json!(3)),
            (PatchType::Merge, r#"{"spec":{"replicas":4}}"#, json!(4)),
            (PatchType::StrategicMerge, r#"{"spec":{"replicas":5}}"#, json!(5)),
        ];
        for (t, body, want) in cases {
            let out = apply_patch(t, &gvk, &original(), body.as_bytes()).unwrap();
            assert_eq!(out["spec"]["replicas"], want, "{t}");
        }
    }

    #[test]
    fn merge_and_strategic_differ_on_lists() {
        let gvk = deployment();
        let body = br#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"}]}}}}"#;
        let merged = apply_patch(PatchType::Merge, &gvk, &original(), body).unwrap();
        assert_eq!(merged["spec"]["template"]["spec"]["containers"].as_array().unwrap().len(), 1);
        let smp = apply_patch(PatchType::StrategicMerge, &gvk, &original(), body).unwrap();
        assert_eq!(
            smp["spec"]["template"]["spec"]["containers"],
            json!([{"name": "nginx", "image": "nginx:1.25"}, {"name": "sidecar", "image": "busybox"}])
        );
    }

    #[test]
    fn errors_map_to_statuses() {
        let gvk = deployment();
        let cases: Vec<(PatchType, GroupVersionKind, &str, StatusCode)> = vec![
            (PatchType::Json, gvk.clone(), "{not json", StatusCode::BAD_REQUEST),
            (PatchType::Json, gvk.clone(), r#"{"op":"add"}"#, StatusCode::BAD_REQUEST),
            (
                PatchType::Json,
                gvk.clone(),
                r#"[{"op":"test","path":"/spec/replicas","value":9}]"#,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                PatchType::Json,
                gvk.clone(),
                r#"[{"op":"replace","path":"","value":"text"}]"#,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (PatchType::Merge, gvk.clone(), "[1,2]", StatusCode::BAD_REQUEST),
            (PatchType::StrategicMerge, gvk.clone(), "\"x\"", StatusCode::BAD_REQUEST),
            (
                PatchType::StrategicMerge,
                GroupVersionKind::new("example.com", "v1", "Widget"),
                "{}",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (PatchType::Apply, gvk.clone(), "{}", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ];
        for (t, g, body, want) in cases {
            let err = apply_patch(t, &g, &original(), body.as_bytes()).unwrap_err();
            assert_eq!(err.status_code(), want, "{t} {body}: {err}");
        }
    }

    #[test]
    fn custom_resources_accept_merge_patch() {
        let gvk = GroupVersionKind::new("example.com", "v1", "Widget");
        let cr =
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"a": 1, "b": 2}});
        let out = apply_patch(PatchType::Merge, &gvk, &cr, br#"{"spec":{"a":null}}"#).unwrap();
        assert_eq!(out["spec"], json!({"b": 2}));
    }

    #[test]
    fn original_is_not_modified() {
        let before = original();
        let _ = apply_patch(PatchType::Merge, &deployment(), &before, br#"{"spec":null}"#);
        assert_eq!(before, original());
    }
}
