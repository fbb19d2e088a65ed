//! Reading field sets off objects: the set of fields an object sets, and the comparison of two objects (added, modified, removed).

use serde_json::Value;

use super::fieldset::FieldSet;
use super::path::{Path, PathElement};
use super::schema::{ItemError, Node, Shape};

/// A list element that cannot be identified, at its list's path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: element {index}: {reason}")]
pub struct WalkError {
    /// The list.
    pub path: Path,
    /// The element's position.
    pub index: usize,
    /// Why it has no identity.
    pub reason: ItemError,
}

/// Whether `key` of the object at depth `depth` is `metadata.managedFields`, which is
/// never part of any field set (the walkers build sets bottom-up and only know the depth
/// and the parent's name).
fn skipped_at(parent: Option<&str>, depth: usize, key: &str) -> bool {
    depth == 1 && parent == Some("metadata") && key == "managedFields"
}

/// The path elements of a granular list's elements, in order.
pub(crate) fn index_items(
    path: &[PathElement],
    node: &Node,
    items: &[Value],
) -> Result<Vec<PathElement>, WalkError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            node.item_element(item).map_err(|reason| WalkError {
                path: Path(path.to_vec()),
                index,
                reason,
            })
        })
        .collect()
}

/// Prefixes an error's path with the element it passed through on its way up.
fn within(element: &PathElement) -> impl FnOnce(WalkError) -> WalkError + '_ {
    move |mut e| {
        e.path.0.insert(0, element.clone());
        e
    }
}

/// The fields `value` sets: every leaf (scalar, atomic list or object), and every
/// element of a granular list; objects themselves only through their fields.
pub fn to_field_set(value: &Value, node: &Node) -> Result<FieldSet, WalkError> {
    let mut set = FieldSet::new();
    fields_below(value, node, None, 0, &mut set)?;
    Ok(set)
}

/// Fills `set` (the set of the position of `value`) with the fields below `value`;
/// returns whether `value` itself is a leaf (a member of its parent).
fn fields_below(
    value: &Value,
    node: &Node,
    name: Option<&str>,
    depth: usize,
    set: &mut FieldSet,
) -> Result<bool, WalkError> {
    match (node.shape(value), value) {
        (Shape::Map, Value::Object(map)) => {
            for (key, child) in map {
                if skipped_at(name, depth, key) {
                    continue;
                }
                let element = PathElement::Field(key.clone());
                let mut below = FieldSet::new();
                let leaf = fields_below(child, &node.field(key), Some(key), depth + 1, &mut below)
                    .map_err(within(&element))?;
                attach(set, element, below, leaf);
            }
            Ok(false)
        }
        (Shape::List, Value::Array(items)) => {
            let elements = index_items(&[], node, items)?;
            if let Some(index) = (1..elements.len()).find(|&i| elements[..i].contains(&elements[i]))
            {
                return Err(WalkError {
                    path: Path::default(),
                    index,
                    reason: ItemError::Duplicate,
                });
            }
            let item_node = node.item();
            for (element, item) in elements.into_iter().zip(items) {
                let mut below = FieldSet::new();
                fields_below(item, &item_node, None, depth + 1, &mut below)
                    .map_err(within(&element))?;
                attach(set, element, below, true);
            }
            Ok(false)
        }
        _ => Ok(true),
    }
}

/// Hangs `below` under `element` in `set`, and makes `element` a member if `member`.
fn attach(set: &mut FieldSet, element: PathElement, below: FieldSet, member: bool) {
    match (member, below.is_empty()) {
        (false, true) => {}
        (true, true) => set.insert_member(element),
        (false, false) => set.insert_child(element, below),
        (true, false) => {
            set.insert_member(element.clone());
            set.insert_child(element, below);
        }
    }
}

/// What changed from one object to another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Paths present only in the new object (objects and list elements included).
    pub added: FieldSet,
    /// Leaves present in both with different values.
    pub modified: FieldSet,
    /// Paths present only in the old object.
    pub removed: FieldSet,
}

impl Comparison {
    /// `added ∪ modified`: what the change set.
    pub fn changed(&self) -> FieldSet {
        self.added.union(&self.modified)
    }

    /// Whether nothing changed.
    pub fn is_same(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }

    /// Hangs the comparison of a child under `element`, with the child's own status.
    fn attach(&mut self, element: &PathElement, child: Comparison, own: Own) {
        let parts = [
            (&mut self.added, child.added, own == Own::Added),
            (&mut self.modified, child.modified, own == Own::Modified),
            (&mut self.removed, child.removed, own == Own::Removed),
        ];
        for (set, below, member) in parts {
            if member || !below.is_empty() {
                attach(set, element.clone(), below, member);
            }
        }
    }
}

/// How a position itself compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Own {
    Same,
    Added,
    Modified,
    Removed,
}

/// Compares `old` with `new`.
pub fn compare(old: &Value, new: &Value, node: &Node) -> Result<Comparison, WalkError> {
    let mut out = Comparison::default();
    compare_below(Some(old), Some(new), node, None, 0, &mut out)?;
    Ok(out)
}

/// Fills `out` with the comparison below one position; returns the position's own status.
fn compare_below(
    old: Option<&Value>,
    new: Option<&Value>,
    node: &Node,
    name: Option<&str>,
    depth: usize,
    out: &mut Comparison,
) -> Result<Own, WalkError> {
    match (old, new) {
        (None, None) => Ok(Own::Same),
        (Some(o), None) => {
            fields_below_all(o, node, name, depth, &mut out.removed)?;
            Ok(Own::Removed)
        }
        (None, Some(n)) => {
            fields_below_all(n, node, name, depth, &mut out.added)?;
            Ok(Own::Added)
        }
        // A null compares with an object or a list as an empty one (as a zero value's
        // nil field does): the container itself is neither added nor modified.
        (Some(Value::Null), Some(n)) if node.shape(n) != Shape::Leaf => {
            fields_below_all(n, node, name, depth, &mut out.added)?;
            Ok(Own::Same)
        }
        (Some(o), Some(Value::Null)) if node.shape(o) != Shape::Leaf => {
            fields_below_all(o, node, name, depth, &mut out.removed)?;
            Ok(Own::Same)
        }
        (Some(o), Some(n)) => match (node.shape(o), node.shape(n), o, n) {
            (Shape::Map, Shape::Map, Value::Object(a), Value::Object(b)) => {
                for (key, old) in a {
                    if skipped_at(name, depth, key) {
                        continue;
                    }
                    compare_child(key, Some(old), b.get(key), node, depth, out)?;
                }
                for (key, new) in b {
                    if a.contains_key(key) || skipped_at(name, depth, key) {
                        continue;
                    }
                    compare_child(key, None, Some(new), node, depth, out)?;
                }
                Ok(Own::Same)
            }
            (Shape::List, Shape::List, Value::Array(a), Value::Array(b)) => {
                let old_elements = index_items(&[], node, a)?;
                let new_elements = index_items(&[], node, b)?;
                let item_node = node.item();
                for (element, old) in old_elements.iter().zip(a) {
                    let new = new_elements.iter().position(|e| e == element).map(|i| &b[i]);
                    compare_item(element, Some(old), new, &item_node, depth, out)?;
                }
                for (element, new) in new_elements.iter().zip(b) {
                    if !old_elements.contains(element) {
                        compare_item(element, None, Some(new), &item_node, depth, out)?;
                    }
                }
                Ok(Own::Same)
            }
            _ if o != n => Ok(Own::Modified),
            _ => Ok(Own::Same),
        },
    }
}

fn compare_child(
    key: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    node: &Node,
    depth: usize,
    out: &mut Comparison,
) -> Result<(), WalkError> {
    if let (Some(o), Some(n)) = (old, new)
        && o == n
    {
        return Ok(());
    }
    let element = PathElement::Field(key.to_string());
    let mut child = Comparison::default();
    let own = compare_below(old, new, &node.field(key), Some(key), depth + 1, &mut child)
        .map_err(within(&element))?;
    out.attach(&element, child, own);
    Ok(())
}

fn compare_item(
    element: &PathElement,
    old: Option<&Value>,
    new: Option<&Value>,
    item_node: &Node,
    depth: usize,
    out: &mut Comparison,
) -> Result<(), WalkError> {
    if let (Some(o), Some(n)) = (old, new)
        && o == n
    {
        return Ok(());
    }
    let mut child = Comparison::default();
    let own =
        compare_below(old, new, item_node, None, depth + 1, &mut child).map_err(within(element))?;
    out.attach(element, child, own);
    Ok(())
}

/// Every position below a subtree present on one side only: objects and list elements
/// included, as well as leaves.
fn fields_below_all(
    value: &Value,
    node: &Node,
    name: Option<&str>,
    depth: usize,
    set: &mut FieldSet,
) -> Result<(), WalkError> {
    match (node.shape(value), value) {
        (Shape::Map, Value::Object(map)) => {
            for (key, child) in map {
                if skipped_at(name, depth, key) {
                    continue;
                }
                let element = PathElement::Field(key.clone());
                let mut below = FieldSet::new();
                fields_below_all(child, &node.field(key), Some(key), depth + 1, &mut below)
                    .map_err(within(&element))?;
                attach(set, element, below, true);
            }
        }
        (Shape::List, Value::Array(items)) => {
            let elements = index_items(&[], node, items)?;
            let item_node = node.item();
            for (element, item) in elements.into_iter().zip(items) {
                let mut below = FieldSet::new();
                fields_below_all(item, &item_node, None, depth + 1, &mut below)
                    .map_err(within(&element))?;
                attach(set, element, below, true);
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::GroupVersionKind;
    use serde_json::json;

    fn strings(set: &FieldSet) -> Vec<String> {
        set.paths().iter().map(ToString::to_string).collect()
    }

    fn deployment() -> Node {
        Node::for_kind(&GroupVersionKind::new("apps", "v1", "Deployment"))
    }

    #[test]
    fn field_sets_of_objects() {
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"data": {"a": "1"}}), vec![".data.a"]),
            (json!({"data": {}}), vec![]),
            (
                json!({"metadata": {"name": "x", "labels": {"app": "x"}, "managedFields": [{}]}}),
                vec![".metadata.name", ".metadata.labels.app"],
            ),
            (
                json!({"spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}),
                vec![
                    ".spec.selector",
                    r#".spec.template.spec.containers[name="nginx"]"#,
                    r#".spec.template.spec.containers[name="nginx"].image"#,
                    r#".spec.template.spec.containers[name="nginx"].name"#,
                ],
            ),
            (
                json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "args": ["a", "b"]}]}}}}),
                vec![
                    r#".spec.template.spec.containers[name="c"]"#,
                    r#".spec.template.spec.containers[name="c"].args"#,
                    r#".spec.template.spec.containers[name="c"].name"#,
                ],
            ),
            (json!({"metadata": {"finalizers": ["a"]}}), vec![r#".metadata.finalizers[="a"]"#]),
        ];
        for (object, want) in cases {
            let set = to_field_set(&object, &deployment()).unwrap();
            let mut got = strings(&set);
            let mut want: Vec<String> = want.into_iter().map(String::from).collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{object}");
        }
    }

    #[test]
    fn missing_keys_are_errors() {
        let object = json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}});
        let err = to_field_set(&object, &deployment()).unwrap_err();
        assert_eq!(err.path.to_string(), ".spec.template.spec.containers");
        assert_eq!(err.reason, ItemError::MissingKey("name"));
    }

    #[test]
    fn comparisons() {
        struct Case {
            old: Value,
            new: Value,
            added: &'static [&'static str],
            modified: &'static [&'static str],
            removed: &'static [&'static str],
        }
        let cases = [
            Case {
                old: json!({"data": {"a": "1", "b": "2"}}),
                new: json!({"data": {"a": "9", "c": "3"}}),
                added: &[".data.c"],
                modified: &[".data.a"],
                removed: &[".data.b"],
            },
            Case {
                old: json!({"metadata": {}}),
                new: json!({"metadata": {"labels": {"app": "x"}}}),
                added: &[".metadata.labels", ".metadata.labels.app"],
                modified: &[],
                removed: &[],
            },
            Case {
                old: json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "1"}]}}}}),
                new: json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "2"}, {"name": "b"}]}}}}),
                added: &[
                    r#".spec.template.spec.containers[name="b"]"#,
                    r#".spec.template.spec.containers[name="b"].name"#,
                ],
                modified: &[r#".spec.template.spec.containers[name="a"].image"#],
                removed: &[],
            },
            Case {
                old: json!({"spec": {"selector": {"matchLabels": {"a": "b"}}}}),
                new: json!({"spec": {"selector": {"matchLabels": {"a": "c"}}}}),
                added: &[],
                modified: &[".spec.selector"],
                removed: &[],
            },
            Case {
                old: json!({"metadata": {"managedFields": [1]}}),
                new: json!({"metadata": {"managedFields": [2]}}),
                added: &[],
                modified: &[],
                removed: &[],
            },
        ];
        for case in cases {
            let c = compare(&case.old, &case.new, &deployment()).unwrap();
            let sorted = |s: &FieldSet| {
                let mut v = strings(s);
                v.sort();
                v
            };
            let want = |w: &[&str]| {
                let mut v: Vec<String> = w.iter().map(|s| s.to_string()).collect();
                v.sort();
                v
            };
            assert_eq!(sorted(&c.added), want(case.added), "added {} -> {}", case.old, case.new);
            assert_eq!(sorted(&c.modified), want(case.modified), "modified {}", case.new);
            assert_eq!(sorted(&c.removed), want(case.removed), "removed {}", case.new);
        }
    }
}
