//! Strategic merge patch (`application/strategic-merge-patch+json`): merge patch that merges lists by key, with `$patch` and friends.
//!
//! Semantics follow `staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch.go`
//! (applying a patch, the `MergeParallelList` + `IgnoreUnmatchedNulls` mode the API server
//! uses):
//!
//! - objects merge key by key; `null` deletes a key;
//! - a list whose field is tagged `merge` ([`schema`](super::schema)) merges: lists of
//!   objects element-wise by the merge key (new elements are added, matching elements merge
//!   recursively), lists of primitives as a set; every other list is replaced whole;
//! - when a field changes type (object ↔ list ↔ scalar) the patch value replaces it;
//! - directives:
//!   - `{"$patch": "replace"}` in an object replaces the object with the rest of the patch
//!     object; `{"$patch": "delete"}` empties it (`$patch: merge` is accepted as the
//!     default; Kubernetes rejects it in objects);
//!   - a list element `{"<key>": v, "$patch": "delete"}` removes the elements with that
//!     key; an element `{"$patch": "replace"}` makes the list the patch's other elements;
//!   - `"$deleteFromPrimitiveList/<field>": [..]` removes those values from a primitive list;
//!   - `"$setElementOrder/<field>": [..]` sets the order of the merged list (objects given
//!     by merge key only);
//!   - `"$retainKeys": [..]` clears every field of the target object not listed (the patch
//!     may only set listed fields).
//!
//! Without `$setElementOrder`, the merged list keeps the patch's elements in patch order
//! and the server-only elements in their original order, interleaved by their original
//! positions; elements new to the list come first — as in Kubernetes (for example a new
//! container lands before the existing ones).
//!
//! Unlike Kubernetes, the result never contains directives or `null`s: values added under
//! a key the original lacks are themselves run through the patch logic.

use serde_json::{Map, Value};

use super::PatchError;
use super::PatchType;
use super::schema::{FieldPatchMeta, PatchStrategy, TypeSchema};

/// The directive key of an object or list element: `"$patch": "replace" | "delete"`.
pub const DIRECTIVE_MARKER: &str = "$patch";
/// The directive listing the fields an object keeps.
pub const RETAIN_KEYS_DIRECTIVE: &str = "$retainKeys";
/// The prefix of the parallel list of values to delete from a primitive list.
pub const DELETE_FROM_PRIMITIVE_LIST_PREFIX: &str = "$deleteFromPrimitiveList/";
/// The prefix of the parallel list fixing the order of a merged list.
pub const SET_ELEMENT_ORDER_PREFIX: &str = "$setElementOrder/";

const ROOT: &str = "<root>";

/// Applies the strategic merge patch `patch` (a JSON object) to `original` and returns the
/// result, using `schema` (see [`super::schema::for_kind`]) to find merge keys and
/// strategies. With `schema = None` no list merges: the patch then behaves as a JSON merge
/// patch that also honours the `$patch`, `$retainKeys` and `$setElementOrder` directives.
///
/// A non-object `original` is treated as `{}`; a non-object patch is
/// [`PatchError::Malformed`].
pub fn strategic_merge_patch(
    original: &Value,
    patch: &Value,
    schema: Option<&'static TypeSchema>,
) -> Result<Value, PatchError> {
    let Value::Object(patch) = patch else {
        return Err(PatchError::Malformed {
            patch_type: PatchType::StrategicMerge,
            reason: format!("expected a JSON object, found {}", super::json_type(patch)),
        });
    };
    let original = match original {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    merge_map(original, patch, schema, ROOT).map(Value::Object)
}

fn child(path: &str, key: &str) -> String {
    if path == ROOT { key.to_string() } else { format!("{path}.{key}") }
}

fn element(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

fn invalid(path: &str, reason: impl Into<String>) -> PatchError {
    PatchError::InvalidDirective { path: path.to_string(), reason: reason.into() }
}

fn schema_of(meta: Option<&'static FieldPatchMeta>) -> Option<&'static TypeSchema> {
    meta.and_then(|m| m.schema)
}

fn merges_lists(meta: Option<&'static FieldPatchMeta>) -> bool {
    meta.is_some_and(FieldPatchMeta::merges_lists)
}

/// Merges the patch object into `original`.
fn merge_map(
    mut original: Map<String, Value>,
    patch: &Map<String, Value>,
    schema: Option<&'static TypeSchema>,
    path: &str,
) -> Result<Map<String, Value>, PatchError> {
    if let Some(directive) = patch.get(DIRECTIVE_MARKER) {
        match directive.as_str() {
            Some("replace") => {
                let mut rest = patch.clone();
                rest.remove(DIRECTIVE_MARKER);
                return merge_map(Map::new(), &rest, schema, path);
            }
            Some("delete") => return Ok(Map::new()),
            Some("merge") => {}
            _ => {
                return Err(invalid(
                    path,
                    format!(
                        "unknown $patch value {directive} in an object (expected \"replace\", \
                         \"delete\" or \"merge\")"
                    ),
                ));
            }
        }
    }

    apply_retain_keys(&mut original, patch, path)?;
    let ordered = apply_set_element_order(&mut original, patch, schema, path)?;

    for (key, patch_value) in patch {
        if key == DIRECTIVE_MARKER
            || key == RETAIN_KEYS_DIRECTIVE
            || key.starts_with(SET_ELEMENT_ORDER_PREFIX)
            || ordered.contains(&key.as_str())
        {
            continue;
        }
        if let Some(field) = key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST_PREFIX) {
            delete_from_primitive_list(&mut original, field, patch_value, &child(path, key))?;
            continue;
        }
        if patch_value.is_null() {
            original.remove(key);
            continue;
        }
        let meta = schema.and_then(|s| s.field(key));
        let field_path = child(path, key);
        match original.get_mut(key) {
            Some(slot) => {
                let current = std::mem::take(slot);
                *slot = merge_value(current, patch_value, meta, &field_path)?;
            }
            None => {
                let value = fresh_value(patch_value, meta, &field_path)?;
                original.insert(key.clone(), value);
            }
        }
    }
    Ok(original)
}

/// Merges a patch value into an existing value of the same field.
fn merge_value(
    current: Value,
    patch: &Value,
    meta: Option<&'static FieldPatchMeta>,
    path: &str,
) -> Result<Value, PatchError> {
    match (current, patch) {
        (Value::Object(current), Value::Object(patch_map)) => {
            if meta.is_some_and(|m| m.strategy == PatchStrategy::Replace) {
                fresh_value(patch, meta, path)
            } else {
                merge_map(current, patch_map, schema_of(meta), path).map(Value::Object)
            }
        }
        (Value::Array(current), Value::Array(patch_list)) => {
            if merges_lists(meta) {
                merge_list(current, patch_list, meta, path).map(Value::Array)
            } else {
                Ok(patch.clone())
            }
        }
        _ => fresh_value(patch, meta, path),
    }
}

/// A patch value for a field the original lacks (or whose type changes): run through the
/// patch logic against nothing, so directives and `null`s never reach the result.
fn fresh_value(
    patch: &Value,
    meta: Option<&'static FieldPatchMeta>,
    path: &str,
) -> Result<Value, PatchError> {
    match patch {
        Value::Object(patch_map) => {
            merge_map(Map::new(), patch_map, schema_of(meta), path).map(Value::Object)
        }
        Value::Array(patch_list) if merges_lists(meta) => {
            merge_list(Vec::new(), patch_list, meta, path).map(Value::Array)
        }
        other => Ok(other.clone()),
    }
}

/// `$retainKeys`: checks the patch only sets retained fields, then drops the others.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    path: &str,
) -> Result<(), PatchError> {
    let Some(retain) = patch.get(RETAIN_KEYS_DIRECTIVE) else {
        return Ok(());
    };
    let not_a_list = || invalid(path, "$retainKeys must be a list of field names");
    let list = retain.as_array().ok_or_else(not_a_list)?;
    let keep =
        list.iter().map(|v| v.as_str().ok_or_else(not_a_list)).collect::<Result<Vec<_>, _>>()?;
    for (key, value) in patch {
        if value.is_null()
            || key == RETAIN_KEYS_DIRECTIVE
            || key == DIRECTIVE_MARKER
            || key.starts_with(DELETE_FROM_PRIMITIVE_LIST_PREFIX)
            || key.starts_with(SET_ELEMENT_ORDER_PREFIX)
        {
            continue;
        }
        if !keep.contains(&key.as_str()) {
            return Err(PatchError::RetainKeysMismatch {
                path: path.to_string(),
                key: key.clone(),
            });
        }
    }
    original.retain(|key, _| keep.contains(&key.as_str()));
    Ok(())
}

/// `$deleteFromPrimitiveList/<field>`: removes the listed values from the list `field`.
fn delete_from_primitive_list(
    original: &mut Map<String, Value>,
    field: &str,
    values: &Value,
    path: &str,
) -> Result<(), PatchError> {
    if field.is_empty() {
        return Err(invalid(path, "$deleteFromPrimitiveList/ names no field"));
    }
    let values = values
        .as_array()
        .ok_or_else(|| invalid(path, "$deleteFromPrimitiveList value must be a list"))?;
    if let Some(Value::Array(list)) = original.get_mut(field) {
        list.retain(|v| !values.contains(v));
    }
    Ok(())
}

/// `$setElementOrder/<field>`: merges `field` (when the patch has it) and orders the
/// result. Returns the fields it handled, which the main merge then skips.
fn apply_set_element_order<'p>(
    original: &mut Map<String, Value>,
    patch: &'p Map<String, Value>,
    schema: Option<&'static TypeSchema>,
    path: &str,
) -> Result<Vec<&'p str>, PatchError> {
    let mut handled = Vec::new();
    for (key, order) in patch {
        let Some(field) = key.strip_prefix(SET_ELEMENT_ORDER_PREFIX) else {
            continue;
        };
        let directive_path = child(path, key);
        if field.is_empty() {
            return Err(invalid(&directive_path, "$setElementOrder/ names no field"));
        }
        let order = order
            .as_array()
            .ok_or_else(|| invalid(&directive_path, "$setElementOrder value must be a list"))?;
        let field_path = child(path, field);
        let meta = schema.and_then(|s| s.field(field));
        let key_name = meta.and_then(|m| m.merge_key);

        let current = match original.get(field) {
            None => None,
            Some(Value::Array(list)) => Some(list.clone()),
            Some(other) => {
                return Err(PatchError::UnmergeableList {
                    path: field_path,
                    reason: format!("$setElementOrder given for a {}", super::json_type(other)),
                });
            }
        };
        let patch_list = match patch.get(field) {
            None => None,
            Some(Value::Array(list)) => Some(list),
            Some(other) => {
                return Err(invalid(
                    &field_path,
                    format!(
                        "$setElementOrder given but the patch sets a {}",
                        super::json_type(other)
                    ),
                ));
            }
        };
        if let Some(patch_list) = patch_list {
            validate_order(patch_list, order, key_name, &field_path)?;
        }
        let merged = match (current.clone(), patch_list) {
            (None, None) => continue,
            (Some(current), None) => current,
            (current, Some(patch_list)) => {
                let current = current.unwrap_or_default();
                if merges_lists(meta) {
                    merge_list(current, patch_list, meta, &field_path)?
                } else {
                    patch_list.clone()
                }
            }
        };
        let identify = |v: &Value, i: usize| identity(v, key_name, &field_path, i);
        let order_ids =
            order.iter().enumerate().map(|(i, v)| identify(v, i)).collect::<Result<Vec<_>, _>>()?;
        let server_ids: Vec<Value> = current
            .unwrap_or_default()
            .iter()
            .filter_map(|v| identity(v, key_name, &field_path, 0).ok())
            .collect();
        let items = merged
            .into_iter()
            .enumerate()
            .map(|(i, v)| Ok((identify(&v, i)?, v)))
            .collect::<Result<Vec<_>, PatchError>>()?;
        let ordered = normalize_order(items, &order_ids, &server_ids);
        original.insert(field.to_string(), Value::Array(ordered));
        handled.push(field);
    }
    Ok(handled)
}

/// Checks that the patch list's elements appear in `$setElementOrder` in the same relative
/// order (deletions and other directive elements aside).
fn validate_order(
    patch_list: &[Value],
    order: &[Value],
    key: Option<&str>,
    path: &str,
) -> Result<(), PatchError> {
    let regular: Vec<(usize, &Value)> = patch_list
        .iter()
        .enumerate()
        .filter(|(_, v)| v.as_object().is_none_or(|m| !m.contains_key(DIRECTIVE_MARKER)))
        .collect();
    let (mut p, mut s) = (0, 0);
    while p < regular.len() && s < order.len() {
        let (index, item) = regular[p];
        if identity(item, key, path, index)? == identity(&order[s], key, path, s)? {
            p += 1;
        }
        s += 1;
    }
    if p < regular.len() {
        return Err(PatchError::SetElementOrderMismatch { path: path.to_string() });
    }
    Ok(())
}

/// What identifies a list element: its merge key's value, or the element itself.
fn identity(
    value: &Value,
    key: Option<&str>,
    path: &str,
    index: usize,
) -> Result<Value, PatchError> {
    match key {
        None => Ok(value.clone()),
        Some(key) => value.as_object().and_then(|m| m.get(key)).cloned().ok_or_else(|| {
            PatchError::MissingMergeKey { path: element(path, index), key: key.to_string() }
        }),
    }
}

/// The kinds of list elements that may be merged together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ElementKind {
    Object,
    String,
    Number,
    Bool,
    Null,
}

fn element_kind(
    list: &[Value],
    more: &[Value],
    path: &str,
) -> Result<Option<ElementKind>, PatchError> {
    let mut kind = None;
    for value in list.iter().chain(more) {
        let this = match value {
            Value::Array(_) => {
                return Err(PatchError::UnmergeableList {
                    path: path.to_string(),
                    reason: "lists of lists cannot be merged".to_string(),
                });
            }
            Value::Object(_) => ElementKind::Object,
            Value::String(_) => ElementKind::String,
            Value::Number(_) => ElementKind::Number,
            Value::Bool(_) => ElementKind::Bool,
            Value::Null => ElementKind::Null,
        };
        match kind {
            None => kind = Some(this),
            Some(k) if k != this => {
                return Err(PatchError::UnmergeableList {
                    path: path.to_string(),
                    reason: "list element types are not identical".to_string(),
                });
            }
            Some(_) => {}
        }
    }
    Ok(kind)
}

/// Merges a list tagged `merge`: by key for objects, as a set for primitives.
fn merge_list(
    original: Vec<Value>,
    patch: &[Value],
    meta: Option<&'static FieldPatchMeta>,
    path: &str,
) -> Result<Vec<Value>, PatchError> {
    let Some(kind) = element_kind(&original, patch, path)? else {
        return Ok(original);
    };
    if kind != ElementKind::Object {
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for value in original.iter().chain(patch) {
            if !merged.contains(value) {
                merged.push(value.clone());
            }
        }
        let items = merged.into_iter().map(|v| (v.clone(), v)).collect();
        return Ok(normalize_order(items, patch, &original));
    }

    let key = meta.and_then(|m| m.merge_key).ok_or_else(|| PatchError::UnmergeableList {
        path: path.to_string(),
        reason: "the list holds objects but its field has no merge key".to_string(),
    })?;
    let elem_schema = schema_of(meta);

    // Directive elements first: deletions by key, and whole-list replacement.
    let mut original = original;
    let mut regular: Vec<(usize, &Map<String, Value>)> = Vec::with_capacity(patch.len());
    let mut replace = false;
    for (index, value) in patch.iter().enumerate() {
        let Value::Object(map) = value else { continue };
        let Some(directive) = map.get(DIRECTIVE_MARKER) else {
            regular.push((index, map));
            continue;
        };
        match directive.as_str() {
            Some("delete") => {
                let target = identity(value, Some(key), path, index)?;
                original.retain(|o| o.as_object().and_then(|m| m.get(key)) != Some(&target));
            }
            Some("replace") => replace = true,
            Some("merge") => {
                return Err(invalid(
                    &element(path, index),
                    "$patch: merge cannot be specified for a list element",
                ));
            }
            _ => {
                return Err(invalid(
                    &element(path, index),
                    format!("unknown $patch value {directive} in a list element"),
                ));
            }
        }
    }

    if replace {
        let mut out = Vec::with_capacity(regular.len());
        for (index, map) in regular {
            identity(&patch[index], Some(key), path, index)?;
            out.push(Value::Object(merge_map(
                Map::new(),
                map,
                elem_schema,
                &element(path, index),
            )?));
        }
        return Ok(out);
    }

    let server_ids = original
        .iter()
        .enumerate()
        .map(|(i, v)| identity(v, Some(key), path, i))
        .collect::<Result<Vec<_>, _>>()?;
    let mut patch_ids = Vec::with_capacity(regular.len());
    let mut merged = original;
    for (index, map) in regular {
        let id = identity(&patch[index], Some(key), path, index)?;
        let elem_path = element(path, index);
        let found = merged.iter().position(|o| o.as_object().and_then(|m| m.get(key)) == Some(&id));
        match found {
            Some(pos) => {
                let current = match std::mem::take(&mut merged[pos]) {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                merged[pos] = Value::Object(merge_map(current, map, elem_schema, &elem_path)?);
            }
            None => {
                merged.push(Value::Object(merge_map(Map::new(), map, elem_schema, &elem_path)?))
            }
        }
        patch_ids.push(id);
    }
    let items = merged
        .into_iter()
        .enumerate()
        .map(|(i, v)| Ok((identity(&v, Some(key), path, i)?, v)))
        .collect::<Result<Vec<_>, PatchError>>()?;
    Ok(normalize_order(items, &patch_ids, &server_ids))
}

/// Orders a merged list: the elements named by `patch_order` in that order, the others in
/// `server_order`, interleaved so that server-known elements keep their server positions
/// relative to each other (an element unknown to the server goes before the next
/// server-only one).
fn normalize_order(
    items: Vec<(Value, Value)>,
    patch_order: &[Value],
    server_order: &[Value],
) -> Vec<Value> {
    let position = |list: &[Value], id: &Value| list.iter().position(|x| x == id);
    let (mut from_patch, mut server_only): (Vec<_>, Vec<_>) =
        items.into_iter().partition(|(id, _)| patch_order.contains(id));
    from_patch.sort_by_key(|(id, _)| position(patch_order, id).unwrap_or(usize::MAX));
    server_only.sort_by_key(|(id, _)| position(server_order, id).unwrap_or(usize::MAX));

    let mut out = Vec::with_capacity(from_patch.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = from_patch.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((l, _)), Some((r, _))) => {
                match (position(server_order, l), position(server_order, r)) {
                    (Some(li), Some(ri)) => li < ri,
                    _ => false,
                }
            }
        };
        let next = if take_left { left.next() } else { right.next() };
        if let Some((_, value)) = next {
            out.push(value);
        }
    }
    out
}

#[cfg(test)]
mod tests;
