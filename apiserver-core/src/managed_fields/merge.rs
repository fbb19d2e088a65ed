//! Merging an applied configuration into a live object, and removing owned items from an object.

use serde_json::{Map, Value};

use super::fieldset::FieldSet;
use super::path::PathElement;
use super::schema::{Node, Shape};
use super::walk::{WalkError, index_items};

/// Merges `config` into `live`: objects field by field, granular lists element by
/// element (shared elements in the configuration's order, live-only elements kept in
/// place), everything else replaced by the configuration's value.
pub fn merge(live: &Value, config: &Value, node: &Node) -> Result<Value, WalkError> {
    let mut path = Vec::new();
    merge_at(&mut path, Some(live), config, node)
}

fn merge_at(
    path: &mut Vec<PathElement>,
    live: Option<&Value>,
    config: &Value,
    node: &Node,
) -> Result<Value, WalkError> {
    let Some(live) = live else { return Ok(config.clone()) };
    match (node.shape(live), node.shape(config), live, config) {
        (Shape::Map, Shape::Map, Value::Object(l), Value::Object(c)) => {
            let mut out = l.clone();
            for (key, value) in c {
                path.push(PathElement::Field(key.clone()));
                let merged = merge_at(path, l.get(key), value, &node.field(key))?;
                path.pop();
                out.insert(key.clone(), merged);
            }
            Ok(Value::Object(out))
        }
        (Shape::List, Shape::List, Value::Array(l), Value::Array(c)) => {
            merge_lists(path, l, c, node).map(Value::Array)
        }
        _ => Ok(config.clone()),
    }
}

fn merge_lists(
    path: &mut Vec<PathElement>,
    live: &[Value],
    config: &[Value],
    node: &Node,
) -> Result<Vec<Value>, WalkError> {
    let config_elements = index_items(path, node, config)?;
    for (i, e) in config_elements.iter().enumerate() {
        if config_elements[..i].contains(e) {
            return Err(WalkError {
                path: super::path::Path(path.to_vec()),
                index: i,
                reason: super::schema::ItemError::Duplicate,
            });
        }
    }
    let live_elements = index_items(path, node, live)?;
    let live_of = |e: &PathElement| live_elements.iter().position(|l| l == e).map(|i| &live[i]);
    let in_config = |e: &PathElement| config_elements.contains(e);
    // The elements both sides have, in the configuration's order.
    let mut shared = config_elements.iter().filter(|e| live_elements.contains(e));
    let mut next_shared = shared.next();
    let mut merged_config: Vec<&PathElement> = Vec::new();
    let item_node = node.item();
    let mut out = Vec::with_capacity(live.len().max(config.len()));
    let (mut li, mut ci) = (0, 0);
    while li < live.len() || ci < config.len() {
        if li < live.len() && ci < config.len() {
            let element = &live_elements[li];
            if *element == config_elements[ci] {
                path.push(element.clone());
                out.push(merge_at(path, Some(&live[li]), &config[ci], &item_node)?);
                path.pop();
                merged_config.push(element);
                li += 1;
                ci += 1;
                next_shared = shared.next();
                continue;
            }
            if in_config(element) && next_shared.is_some_and(|n| n != element) {
                // A shared element, but not the next one in the configuration's order.
                li += 1;
                continue;
            }
        }
        if li < live.len() {
            let element = &live_elements[li];
            if !in_config(element) {
                out.push(live[li].clone());
                li += 1;
                continue;
            }
            if merged_config.contains(&element) {
                li += 1;
                continue;
            }
        }
        if ci < config.len() {
            let element = &config_elements[ci];
            merged_config.push(element);
            path.push(element.clone());
            out.push(merge_at(path, live_of(element), &config[ci], &item_node)?);
            path.pop();
            ci += 1;
            if next_shared == Some(element) {
                next_shared = shared.next();
            }
        }
    }
    Ok(out)
}

/// Removes from `value` every member of `set` (with everything below it); objects and
/// lists emptied by the removal go too. Returns whether anything was removed.
pub fn remove_items(value: &mut Value, set: &FieldSet, node: &Node) -> Result<bool, WalkError> {
    let mut path = Vec::new();
    remove_at(&mut path, value, set, node)
}

fn remove_at(
    path: &mut Vec<PathElement>,
    value: &mut Value,
    set: &FieldSet,
    node: &Node,
) -> Result<bool, WalkError> {
    let mut changed = false;
    match (node.shape(value), value) {
        (Shape::Map, Value::Object(map)) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let element = PathElement::Field(key.clone());
                if set.has_member(&element) {
                    map.remove(&key);
                    changed = true;
                    continue;
                }
                let Some(child_set) = set.child(&element) else { continue };
                let Some(child) = map.get_mut(&key) else { continue };
                path.push(element);
                let removed = remove_at(path, child, child_set, &node.field(&key))?;
                path.pop();
                if removed {
                    changed = true;
                    if is_empty_container(child) {
                        map.remove(&key);
                    }
                }
            }
        }
        (Shape::List, Value::Array(items)) => {
            let elements = index_items(path, node, items)?;
            let item_node = node.item();
            let mut kept = Vec::with_capacity(items.len());
            for (element, mut item) in elements.into_iter().zip(std::mem::take(items)) {
                if set.has_member(&element) {
                    changed = true;
                    continue;
                }
                if let Some(child_set) = set.child(&element) {
                    path.push(element);
                    changed |= remove_at(path, &mut item, child_set, &item_node)?;
                    path.pop();
                }
                kept.push(item);
            }
            *items = kept;
        }
        _ => {}
    }
    Ok(changed)
}

fn is_empty_container(value: &Value) -> bool {
    match value {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// An object with only `apiVersion` and `kind`: the live object of a create.
pub fn empty_object(api_version: &str, kind: &str) -> Value {
    let mut map = Map::new();
    map.insert("apiVersion".into(), Value::String(api_version.into()));
    map.insert("kind".into(), Value::String(kind.into()));
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::managed_fields::walk::to_field_set;
    use capstan_api_types::GroupVersionKind;
    use serde_json::json;

    fn pod() -> Node {
        Node::for_kind(&GroupVersionKind::new("", "v1", "Pod"))
    }

    #[test]
    fn merges() {
        let cases: Vec<(Value, Value, Value)> = vec![
            (
                json!({"data": {"a": "1", "b": "2"}}),
                json!({"data": {"a": "9"}}),
                json!({"data": {"a": "9", "b": "2"}}),
            ),
            (
                json!({"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]}}),
                json!({"spec": {"containers": [{"name": "b", "image": "3"}]}}),
                json!({"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "3"}]}}),
            ),
            (
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}),
                json!({"spec": {"containers": [{"name": "c"}, {"name": "b"}, {"name": "a"}]}}),
                json!({"spec": {"containers": [{"name": "c"}, {"name": "b"}, {"name": "a"}]}}),
            ),
            (
                json!({"spec": {"containers": [{"name": "a", "args": ["x", "y"]}]}}),
                json!({"spec": {"containers": [{"name": "a", "args": ["z"]}]}}),
                json!({"spec": {"containers": [{"name": "a", "args": ["z"]}]}}),
            ),
            (
                json!({"metadata": {"finalizers": ["a", "b"]}}),
                json!({"metadata": {"finalizers": ["c"]}}),
                json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
            ),
        ];
        for (live, config, want) in cases {
            assert_eq!(merge(&live, &config, &pod()).unwrap(), want, "{live} + {config}");
        }
    }

    #[test]
    fn duplicate_keys_in_a_configuration_are_errors() {
        let config = json!({"spec": {"containers": [{"name": "a"}, {"name": "a"}]}});
        let live = json!({"spec": {"containers": []}});
        let err = merge(&live, &config, &pod()).unwrap_err();
        assert_eq!(err.reason, crate::managed_fields::schema::ItemError::Duplicate);
    }

    #[test]
    fn removes_items_and_emptied_parents() {
        let mut object = json!({"data": {"a": "1"}, "spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b"}]}});
        let remove = to_field_set(
            &json!({"data": {"a": "x"}, "spec": {"containers": [{"name": "b"}]}}),
            &pod(),
        )
        .unwrap();
        assert!(remove_items(&mut object, &remove, &pod()).unwrap());
        assert_eq!(object, json!({"spec": {"containers": [{"name": "a", "image": "1"}]}}));
        assert!(!remove_items(&mut object, &FieldSet::new(), &pod()).unwrap());
    }
}
