//! The structure field management needs of a kind: which lists are associative (and by which keys), which are sets, which are atomic.
//!
//! Built-in kinds reuse the strategic-merge-patch table of [`crate::patch::schema`]: a
//! list merged by a key is an associative list (`k:`), a list of scalars merged as a set
//! is a set (`v:`), every other list is atomic; objects are granular. A few lists are
//! keyed by more fields than their patch merge key (`x-kubernetes-list-map-keys` in the
//! OpenAPI of Kubernetes 1.33), and label selectors of workloads are atomic structs;
//! those are listed here. Kinds that are not built in (custom resources) treat every
//! list as atomic and every object as granular.

use capstan_api_types::GroupVersionKind;
use serde_json::{Value, json};

use crate::patch::schema::{self as smp, TypeSchema};

/// One key field of an associative list, with the default the OpenAPI declares for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyField {
    /// The field name.
    pub name: &'static str,
    /// The string default used when an element omits the field (`protocol: TCP`).
    pub default: Option<&'static str>,
}

const fn key(name: &'static str) -> KeyField {
    KeyField { name, default: None }
}

/// How a list's elements are identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListType {
    /// The list is one value, owned whole.
    Atomic,
    /// A set of scalars, elements identified by value.
    Set,
    /// An associative list, elements identified by these key fields.
    Map(Keys),
}

/// The key fields of an associative list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// One key field without default: the patch merge key.
    Single(&'static str),
    /// Several key fields (or ones with defaults).
    Multiple(&'static [KeyField]),
}

impl Keys {
    /// The key fields in declaration order.
    pub fn fields(self) -> Vec<KeyField> {
        match self {
            Keys::Single(name) => vec![key(name)],
            Keys::Multiple(fields) => fields.to_vec(),
        }
    }
}

/// The structure of the value at one position of an object.
#[derive(Debug, Clone, Copy)]
pub struct Node {
    ty: Option<&'static TypeSchema>,
    list: ListType,
    atomic: bool,
    atomic_fields: &'static [&'static str],
    root_of: Option<&'static RootOverlay>,
}

/// Fields of a kind's top-level `spec` that are atomic structs.
#[derive(Debug)]
struct RootOverlay {
    spec_atomic: &'static [&'static str],
}

static LABEL_SELECTOR_SPEC: RootOverlay = RootOverlay { spec_atomic: &["selector"] };
static NO_OVERLAY: RootOverlay = RootOverlay { spec_atomic: &[] };

static CONTAINER_PORT_KEYS: [KeyField; 2] =
    [key("containerPort"), KeyField { name: "protocol", default: Some("TCP") }];
static SERVICE_PORT_KEYS: [KeyField; 2] =
    [key("port"), KeyField { name: "protocol", default: Some("TCP") }];
static TOPOLOGY_SPREAD_KEYS: [KeyField; 2] = [key("topologyKey"), key("whenUnsatisfiable")];

/// List keys wider than the patch merge key, by the type declaring the list.
fn wider_keys(type_name: &str, field: &str) -> Option<&'static [KeyField]> {
    match (type_name, field) {
        ("io.k8s.api.core.v1.Container", "ports") => Some(&CONTAINER_PORT_KEYS),
        ("io.k8s.api.core.v1.ServiceSpec", "ports") => Some(&SERVICE_PORT_KEYS),
        ("io.k8s.api.core.v1.PodSpec", "topologySpreadConstraints") => Some(&TOPOLOGY_SPREAD_KEYS),
        _ => None,
    }
}

impl Node {
    /// The root of an object of kind `gvk`.
    pub fn for_kind(gvk: &GroupVersionKind) -> Node {
        let ty = smp::for_kind(gvk);
        let overlay = match (gvk.group.as_str(), gvk.kind.as_str()) {
            ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
            | ("batch", "Job")
            | ("policy", "PodDisruptionBudget") => &LABEL_SELECTOR_SPEC,
            _ => &NO_OVERLAY,
        };
        Node {
            ty,
            list: ListType::Atomic,
            atomic: false,
            atomic_fields: &[],
            root_of: Some(overlay),
        }
    }

    /// A schemaless root: every list atomic, every object granular.
    pub fn deduced() -> Node {
        Node { ty: None, list: ListType::Atomic, atomic: false, atomic_fields: &[], root_of: None }
    }

    /// The structure of field `name` of the object at this node.
    pub fn field(&self, name: &str) -> Node {
        let atomic = self.atomic_fields.contains(&name);
        let atomic_fields = match self.root_of {
            Some(overlay) if name == "spec" => overlay.spec_atomic,
            _ => &[],
        };
        let Some(ty) = self.ty else {
            return Node { ty: None, list: ListType::Atomic, atomic, atomic_fields, root_of: None };
        };
        let Some(meta) = ty.field(name) else {
            return Node { ty: None, list: ListType::Atomic, atomic, atomic_fields, root_of: None };
        };
        let list = match (meta.merges_lists(), meta.merge_key) {
            (true, Some(merge_key)) => ListType::Map(
                wider_keys(ty.name, name).map_or(Keys::Single(merge_key), Keys::Multiple),
            ),
            (true, None) => ListType::Set,
            (false, _) => ListType::Atomic,
        };
        Node { ty: meta.schema, list, atomic, atomic_fields, root_of: None }
    }

    /// The structure of the elements of the list at this node.
    pub fn item(&self) -> Node {
        Node {
            ty: self.ty,
            list: ListType::Atomic,
            atomic: false,
            atomic_fields: &[],
            root_of: None,
        }
    }

    /// How the list at this node identifies elements.
    pub fn list_type(&self) -> ListType {
        self.list
    }

    /// What `value` is at this node: a granular object, a granular list, or a leaf.
    pub fn shape(&self, value: &Value) -> Shape {
        match value {
            Value::Object(_) if !self.atomic => Shape::Map,
            Value::Array(_) if self.list != ListType::Atomic => Shape::List,
            _ => Shape::Leaf,
        }
    }

    /// The path element naming `item`, an element of the granular list at this node.
    pub fn item_element(&self, item: &Value) -> Result<super::path::PathElement, ItemError> {
        use super::path::PathElement;
        match self.list {
            ListType::Set => match item {
                Value::Object(_) | Value::Array(_) => Err(ItemError::NotScalar),
                v => Ok(PathElement::Value(v.clone())),
            },
            ListType::Map(keys) => {
                let Value::Object(map) = item else { return Err(ItemError::NotAnObject) };
                let mut fields = Vec::with_capacity(2);
                for k in keys.fields() {
                    let value = match (map.get(k.name), k.default) {
                        (Some(v), _) if !v.is_null() => v.clone(),
                        (_, Some(default)) => json!(default),
                        _ => return Err(ItemError::MissingKey(k.name)),
                    };
                    fields.push((k.name.to_string(), value));
                }
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(PathElement::Key(fields))
            }
            ListType::Atomic => Err(ItemError::Atomic),
        }
    }
}

/// What a value is at a [`Node`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// An object whose fields are owned one by one.
    Map,
    /// A list whose elements are owned one by one.
    List,
    /// A value owned whole: a scalar, an atomic list or an atomic object.
    Leaf,
}

/// Why a list element has no path element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    /// An associative-list element is not an object.
    #[error("associative list elements must be objects")]
    NotAnObject,
    /// A set element is not a scalar.
    #[error("set elements must be scalars")]
    NotScalar,
    /// An associative-list element lacks a key field without default.
    #[error(
        "associative list with keys has an element that omits key field {0:?} (and doesn't have default value)"
    )]
    MissingKey(&'static str),
    /// The list is atomic.
    #[error("atomic lists have no element paths")]
    Atomic,
    /// Two elements of an applied list have the same identity.
    #[error("duplicate entries for key")]
    Duplicate,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gvk(group: &str, kind: &str) -> GroupVersionKind {
        GroupVersionKind::new(group, "v1", kind)
    }

    #[test]
    fn list_types_of_built_in_kinds() {
        let deploy = Node::for_kind(&gvk("apps", "Deployment"));
        let spec = deploy.field("spec");
        let pod = spec.field("template").field("spec");
        let containers = pod.field("containers");
        assert_eq!(containers.list_type(), ListType::Map(Keys::Single("name")));
        let ports = containers.item().field("ports");
        assert_eq!(ports.list_type(), ListType::Map(Keys::Multiple(&CONTAINER_PORT_KEYS)));
        assert_eq!(containers.item().field("command").list_type(), ListType::Atomic);
        assert_eq!(pod.field("tolerations").list_type(), ListType::Atomic);
        assert_eq!(deploy.field("metadata").field("finalizers").list_type(), ListType::Set);
        assert_eq!(spec.field("selector").shape(&json!({"matchLabels": {}})), Shape::Leaf);
        assert_eq!(spec.field("template").shape(&json!({})), Shape::Map);
        let svc = Node::for_kind(&gvk("", "Service"));
        assert_eq!(
            svc.field("spec").field("ports").list_type(),
            ListType::Map(Keys::Multiple(&SERVICE_PORT_KEYS))
        );
        // A ReplicationController's selector is a plain map.
        let rc = Node::for_kind(&gvk("", "ReplicationController"));
        assert_eq!(rc.field("spec").field("selector").shape(&json!({"a": "b"})), Shape::Map);
    }

    #[test]
    fn custom_kinds_have_atomic_lists() {
        let cr = Node::for_kind(&GroupVersionKind::new("example.com", "v1", "Widget"));
        let list = cr.field("spec").field("items");
        assert_eq!(list.shape(&json!([{"name": "a"}])), Shape::Leaf);
        assert_eq!(cr.field("spec").shape(&json!({"a": 1})), Shape::Map);
    }

    #[test]
    fn item_elements() {
        use super::super::path::PathElement;
        let ports =
            Node::for_kind(&gvk("", "Pod")).field("spec").field("containers").item().field("ports");
        assert_eq!(
            ports.item_element(&json!({"containerPort": 80})).unwrap(),
            PathElement::Key(vec![
                ("containerPort".into(), json!(80)),
                ("protocol".into(), json!("TCP"))
            ])
        );
        let containers = Node::for_kind(&gvk("", "Pod")).field("spec").field("containers");
        assert_eq!(
            containers.item_element(&json!({"image": "x"})).unwrap_err(),
            ItemError::MissingKey("name")
        );
        let finalizers = Node::for_kind(&gvk("", "Pod")).field("metadata").field("finalizers");
        assert_eq!(finalizers.item_element(&json!("a")).unwrap(), PathElement::Value(json!("a")));
    }
}
