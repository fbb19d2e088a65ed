//! Field management: `metadata.managedFields` and server-side apply, with the semantics of Kubernetes' structured-merge-diff.
//!
//! Every write records which manager owns which fields. A non-apply write (create,
//! update, patch) gives its field manager an `Update` entry for the fields it added or
//! modified and takes them from everyone else ([`update::track_update`]); an apply
//! merges the applied configuration into the live object, removes what the applier
//! stopped applying unless someone else owns it, and fails with a conflict when it would
//! change a field another manager owns, unless forced ([`apply::apply`]).
//!
//! - [`path`]: path elements (`f:`, `k:`, `v:`, `i:`) and paths;
//! - [`fieldset`]: field sets and their algebra;
//! - [`fieldsv1`]: the FieldsV1 JSON encoding of a field set;
//! - [`schema`]: which lists are associative, sets or atomic, from the patch table;
//! - [`walk`]: the field set of an object and the comparison of two objects;
//! - [`merge`]: merging a configuration into an object and removing owned items;
//! - [`managers`]: the decoded `managedFields` entries;
//! - [`conflicts`]: apply conflicts and their messages;
//! - [`update`], [`apply`]: the two kinds of write.
//!
//! Fields the server owns are never recorded: `apiVersion`, `kind`, and `metadata`'s
//! `name`, `namespace`, `uid`, `resourceVersion`, `generation`, `creationTimestamp`,
//! `selfLink` and `managedFields`.

pub mod apply;
pub mod conflicts;
pub mod fieldset;
pub mod fieldsv1;
pub mod managers;
pub mod merge;
pub mod path;
pub mod schema;
pub mod update;
pub mod walk;

use std::sync::OnceLock;

use serde_json::{Map, Value};

pub use apply::{ApplyError, ApplyInput, apply};
pub use fieldset::FieldSet;
pub use managers::{Entry, Identity, ManagedFields, Operation};
pub use schema::Node;
pub use update::{UpdateInput, track_update};

/// The annotation client-side `kubectl apply` records its configuration in.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The most `Update` entries an object keeps; older ones merge into `ancient-changes`.
pub const MAX_UPDATE_MANAGERS: usize = 10;

/// The fields no manager ever owns.
pub(crate) fn strip_set() -> &'static FieldSet {
    static SET: OnceLock<FieldSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut set = FieldSet::new();
        for top in ["apiVersion", "kind", "metadata"] {
            set.insert(&[path::PathElement::field(top)]);
        }
        for meta in [
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
        ] {
            set.insert(&[path::PathElement::field("metadata"), path::PathElement::field(meta)]);
        }
        set
    })
}

/// The zero pod spec: `containers` is null, not absent, so containers are recorded
/// without the list itself.
fn pod_spec(like: Option<&Value>) -> Value {
    let mut map = Map::new();
    if like.is_some_and(|s| s.get("containers").is_some()) {
        map.insert("containers".into(), Value::Null);
    }
    Value::Object(map)
}

/// The empty object a create compares against, shaped as the zero value of a built-in
/// kind: `apiVersion`, `kind`, an empty `metadata`, and — where the object has them — an
/// empty `spec`, pod `template` (with empty `metadata` and `spec`), null `containers` and
/// update `strategy`/`updateStrategy`. Objects that exist in the zero value are not recorded as
/// added themselves (no `"."` entry), only their fields.
pub(crate) fn skeleton(like: &Value) -> Value {
    let empty = || Value::Object(Map::new());
    let mut map = Map::new();
    for key in ["apiVersion", "kind"] {
        if let Some(v) = like.get(key) {
            map.insert(key.into(), v.clone());
        }
    }
    map.insert("metadata".into(), empty());
    if let Some(spec) = like.get("spec").and_then(Value::as_object) {
        let mut skeleton_spec = Map::new();
        if let Some(template) = spec.get("template").and_then(Value::as_object) {
            let mut skeleton_template = Map::new();
            skeleton_template.insert("metadata".into(), empty());
            skeleton_template.insert("spec".into(), pod_spec(template.get("spec")));
            skeleton_spec.insert("template".into(), Value::Object(skeleton_template));
        }
        if spec.get("containers").is_some() {
            skeleton_spec.insert("containers".into(), Value::Null);
        }
        for key in ["strategy", "updateStrategy"] {
            if spec.get(key).is_some_and(Value::is_object) {
                skeleton_spec.insert(key.into(), empty());
            }
        }
        map.insert("spec".into(), Value::Object(skeleton_spec));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::GroupVersionKind;
    use serde_json::json;

    #[test]
    fn a_created_deployment_records_what_kubernetes_records() {
        let node = Node::for_kind(&GroupVersionKind::new("apps", "v1", "Deployment"));
        let mut obj = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "d", "uid": "u", "generation": 1, "labels": {"app": "web"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}}}});
        let input = UpdateInput {
            manager: "kubectl-create",
            api_version: "apps/v1",
            subresource: "",
            now: "2024-01-01T00:00:00Z",
            requested: None,
        };
        track_update(None, &mut obj, &input, &node);
        assert_eq!(
            obj["metadata"]["managedFields"][0]["fieldsV1"],
            json!({
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:strategy": {"f:rollingUpdate": {".": {}, "f:maxSurge": {}}, "f:type": {}},
                    "f:template": {
                        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                        "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
                            ".": {}, "f:image": {}, "f:name": {}, "f:resources": {}}}}
                    }
                }
            })
        );
    }
}
