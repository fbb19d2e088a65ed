//! The OpenAPI definitions: k8s-openapi's `schemars` schemas under Kubernetes' names, with `x-kubernetes-group-version-kind`, list kinds and strategic-merge-patch extensions added.
//!
//! Definitions are kept in OpenAPI v2 form (`$ref: #/definitions/<name>`); the v3 renderer
//! rewrites references (see [`to_v3_schema`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use capstan_api_types::catalogue;
use k8s_openapi::api;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

use super::groups::served_group_versions;
use crate::patch::schema::{self as patch_schema, TypeSchema};

/// Prefix of a v2 reference.
pub(crate) const V2_REF: &str = "#/definitions/";
/// Prefix of a v3 reference.
pub(crate) const V3_REF: &str = "#/components/schemas/";

/// Name of `Status`.
pub(crate) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
/// Name of `DeleteOptions`.
pub(crate) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
/// Name of `WatchEvent`.
pub(crate) const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
/// Name of `Patch`.
pub(crate) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
/// Name of `Quantity` (its v3 form differs from v2).
pub(crate) const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/// A kind with a definition.
struct KindDef {
    name: String,
    group: &'static str,
    version: &'static str,
    kind: &'static str,
}

/// Every definition plus the index from group/version/kind to definition name.
pub(crate) struct Definitions {
    /// Definition name → schema (v2 form).
    pub defs: BTreeMap<String, Value>,
    /// `(group, version, kind)` → definition name, for every kind (lists included).
    pub by_gvk: BTreeMap<(String, String, String), String>,
}

impl Definitions {
    /// The definition name of a kind.
    pub fn name_of(&self, group: &str, version: &str, kind: &str) -> Option<&str> {
        self.by_gvk
            .get(&(group.to_string(), version.to_string(), kind.to_string()))
            .map(String::as_str)
    }
}

fn register<T: JsonSchema + k8s_openapi::Resource>(
    generator: &mut SchemaGenerator,
    out: &mut Vec<KindDef>,
) {
    generator.subschema_for::<T>();
    out.push(KindDef {
        name: T::schema_name().into_owned(),
        group: T::GROUP,
        version: T::VERSION,
        kind: T::KIND,
    });
}

macro_rules! register_all {
    ($generator:ident, $out:ident; $($ty:ty),* $(,)?) => {
        $( register::<$ty>(&mut $generator, &mut $out); )*
    };
}

/// The shared definitions, built once.
pub(crate) fn definitions() -> &'static Definitions {
    static DEFS: OnceLock<Definitions> = OnceLock::new();
    DEFS.get_or_init(build)
}

fn build() -> Definitions {
    let settings = SchemaSettings::draft07().with(|s| {
        s.transforms.clear();
        s.meta_schema = None;
    });
    let mut generator = settings.into_generator();
    let mut kinds = Vec::new();
    register_all!(generator, kinds;
        api::core::v1::Binding, api::core::v1::ComponentStatus, api::core::v1::ConfigMap,
        api::core::v1::Endpoints, api::core::v1::Event, api::core::v1::LimitRange,
        api::core::v1::Namespace, api::core::v1::Node, api::core::v1::PersistentVolumeClaim,
        api::core::v1::PersistentVolume, api::core::v1::Pod, api::core::v1::PodTemplate,
        api::core::v1::ReplicationController, api::core::v1::ResourceQuota, api::core::v1::Secret,
        api::core::v1::ServiceAccount, api::core::v1::Service,
        api::apps::v1::ControllerRevision, api::apps::v1::DaemonSet, api::apps::v1::Deployment,
        api::apps::v1::ReplicaSet, api::apps::v1::StatefulSet,
        api::events::v1::Event,
        api::authentication::v1::SelfSubjectReview, api::authentication::v1::TokenReview,
        api::authentication::v1::TokenRequest,
        api::authorization::v1::LocalSubjectAccessReview,
        api::authorization::v1::SelfSubjectAccessReview,
        api::authorization::v1::SelfSubjectRulesReview,
        api::authorization::v1::SubjectAccessReview,
        api::autoscaling::v2::HorizontalPodAutoscaler, api::autoscaling::v1::HorizontalPodAutoscaler,
        api::autoscaling::v1::Scale,
        api::batch::v1::CronJob, api::batch::v1::Job,
        api::networking::v1::IngressClass, api::networking::v1::Ingress,
        api::networking::v1::IPAddress, api::networking::v1::NetworkPolicy,
        api::networking::v1::ServiceCIDR,
        api::policy::v1::PodDisruptionBudget, api::policy::v1::Eviction,
        api::rbac::v1::ClusterRoleBinding, api::rbac::v1::ClusterRole, api::rbac::v1::RoleBinding,
        api::rbac::v1::Role,
        api::storage::v1::CSIDriver, api::storage::v1::CSINode, api::storage::v1::CSIStorageCapacity,
        api::storage::v1::StorageClass, api::storage::v1::VolumeAttachment,
        api::admissionregistration::v1::MutatingWebhookConfiguration,
        api::admissionregistration::v1::ValidatingAdmissionPolicy,
        api::admissionregistration::v1::ValidatingAdmissionPolicyBinding,
        api::admissionregistration::v1::ValidatingWebhookConfiguration,
        k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
        api::scheduling::v1::PriorityClass,
        api::coordination::v1::Lease,
        api::discovery::v1::EndpointSlice,
        meta::Status,
    );
    generator.subschema_for::<meta::DeleteOptions>();
    generator.subschema_for::<meta::WatchEvent<api::core::v1::Pod>>();
    generator.subschema_for::<meta::Patch>();
    generator.subschema_for::<meta::ListMeta>();
    let mut defs: BTreeMap<String, Value> = generator.take_definitions(false).into_iter().collect();
    let mut by_gvk = BTreeMap::new();

    for kind in &kinds {
        let Some(def) = defs.get_mut(&kind.name).and_then(Value::as_object_mut) else { continue };
        set_gvks(def, &[(kind.group, kind.version, kind.kind)]);
        // k8s-openapi marks `metadata` required because the Rust field is not optional;
        // Kubernetes does not.
        if let Some(required) = def.get_mut("required").and_then(Value::as_array_mut) {
            required.retain(|r| r != "metadata");
            if required.is_empty() {
                def.remove("required");
            }
        }
        by_gvk.insert(
            (kind.group.to_string(), kind.version.to_string(), kind.kind.to_string()),
            kind.name.clone(),
        );
    }

    // List kinds of every catalogue resource.
    for info in catalogue::all() {
        let Some(item) = by_gvk.get(&(info.group.into(), info.version.into(), info.kind.into()))
        else {
            continue;
        };
        let list_name = format!("{item}List");
        let list_kind = format!("{}List", info.kind);
        let mut list = json!({
            "description": format!("{list_kind} is a list of {}.", info.kind),
            "type": "object",
            "properties": {
                "apiVersion": {"description": "APIVersion defines the versioned schema of this representation of an object.", "type": "string"},
                "items": {"description": format!("List of {}.", info.plural), "type": "array", "items": {"$ref": format!("{V2_REF}{item}")}},
                "kind": {"description": "Kind is a string value representing the REST resource this object represents.", "type": "string"},
                "metadata": {"$ref": format!("{V2_REF}{LIST_META}"), "description": "Standard list metadata."},
            },
            "required": ["items"],
        });
        if let Some(obj) = list.as_object_mut() {
            set_gvks(obj, &[(info.group, info.version, &list_kind)]);
        }
        defs.insert(list_name.clone(), list);
        by_gvk.insert((info.group.into(), info.version.into(), list_kind), list_name);
    }

    // Kinds every group version shares.
    let served = served_group_versions();
    for shared in [DELETE_OPTIONS, WATCH_EVENT] {
        let kind = shared.rsplit('.').next().unwrap_or_default();
        if let Some(def) = defs.get_mut(shared).and_then(Value::as_object_mut) {
            let gvks: Vec<(&str, &str, &str)> =
                served.iter().map(|gv| (gv.group.as_str(), gv.version.as_str(), kind)).collect();
            set_gvks(def, &gvks);
        }
    }

    // Kubernetes' published forms of the two int-or-string types.
    if let Some(def) = defs.get_mut(INT_OR_STRING).and_then(Value::as_object_mut) {
        def.remove("x-kubernetes-int-or-string");
        def.insert("type".into(), json!("string"));
        def.insert("format".into(), json!("int-or-string"));
    }
    if let Some(def) = defs.get_mut(QUANTITY).and_then(Value::as_object_mut) {
        def.remove("x-kubernetes-int-or-string");
        def.insert("type".into(), json!("string"));
    }

    // Strategic-merge-patch extensions, walked from every kind's root.
    for info in catalogue::all() {
        let Some(root) = by_gvk.get(&(info.group.into(), info.version.into(), info.kind.into()))
        else {
            continue;
        };
        if let Some(table) = patch_schema::for_kind(&info.gvk()) {
            annotate_patch(&mut defs, root, table, 0);
        }
    }
    Definitions { defs, by_gvk }
}

fn set_gvks(def: &mut Map<String, Value>, gvks: &[(&str, &str, &str)]) {
    let list: Vec<Value> = gvks
        .iter()
        .map(|(group, version, kind)| json!({"group": group, "kind": kind, "version": version}))
        .collect();
    def.insert("x-kubernetes-group-version-kind".into(), Value::Array(list));
}

/// The definition name a property refers to (directly, or through its array items).
fn referenced(property: &Value) -> Option<String> {
    let reference = property
        .get("$ref")
        .or_else(|| property.get("items").and_then(|items| items.get("$ref")))?
        .as_str()?;
    reference.strip_prefix(V2_REF).map(str::to_string)
}

fn annotate_patch(
    defs: &mut BTreeMap<String, Value>,
    def_name: &str,
    table: &'static TypeSchema,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    for field in table.fields {
        let Some(property) = defs
            .get_mut(def_name)
            .and_then(|d| d.get_mut("properties"))
            .and_then(|p| p.get_mut(field.name))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let strategy = match (field.merges_lists(), field.retain_keys) {
            (true, true) => Some("merge,retainKeys"),
            (true, false) => Some("merge"),
            (false, true) => Some("retainKeys"),
            (false, false) => None,
        };
        if let Some(strategy) = strategy {
            property.insert("x-kubernetes-patch-strategy".into(), json!(strategy));
        }
        if let Some(key) = field.merge_key {
            property.insert("x-kubernetes-patch-merge-key".into(), json!(key));
        }
        let next = referenced(&Value::Object(property.clone()));
        if let (Some(sub), Some(next)) = (field.schema, next) {
            annotate_patch(defs, &next, sub, depth + 1);
        }
    }
}

/// Every definition name `value` refers to, directly.
fn refs_in(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key == "$ref", v.as_str()) {
                    (true, Some(r)) => {
                        if let Some(name) = r.strip_prefix(V2_REF) {
                            out.insert(name.to_string());
                        }
                    }
                    _ => refs_in(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

/// The transitive closure of the definitions that `roots` (values holding v2 references) need.
pub(crate) fn closure<'a>(
    defs: &Definitions,
    roots: impl IntoIterator<Item = &'a Value>,
) -> BTreeSet<String> {
    let mut pending = BTreeSet::new();
    for root in roots {
        refs_in(root, &mut pending);
    }
    let mut done = BTreeSet::new();
    while let Some(name) = pending.pop_first() {
        if !done.insert(name.clone()) {
            continue;
        }
        if let Some(def) = defs.defs.get(&name) {
            let mut found = BTreeSet::new();
            refs_in(def, &mut found);
            pending.extend(found.into_iter().filter(|n| !done.contains(n)));
        }
    }
    done
}

/// Converts a v2 schema to v3: references point into `#/components/schemas/`, and a
/// reference with sibling keys (a description, extensions) is wrapped in a one-element
/// `allOf`, as Kubernetes publishes it (OpenAPI 3.0 ignores a `$ref`'s siblings).
pub(crate) fn to_v3_schema(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            let mut reference = None;
            for (key, v) in map {
                // A property named `$ref` (JSONSchemaProps has one) holds an object, not a
                // reference.
                if let (true, Some(r)) = (key == "$ref", v.as_str()) {
                    let name = r.strip_prefix(V2_REF).unwrap_or(r);
                    reference = Some(json!(format!("{V3_REF}{name}")));
                } else {
                    out.insert(key.clone(), to_v3_schema(v));
                }
            }
            match reference {
                Some(r) if out.is_empty() => json!({"$ref": r}),
                Some(r) => {
                    out.insert("allOf".into(), json!([{"$ref": r}]));
                    Value::Object(out)
                }
                None => Value::Object(out),
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(to_v3_schema).collect()),
        other => other.clone(),
    }
}

/// A definition in v3 form.
pub(crate) fn v3_definition(name: &str, def: &Value) -> Value {
    if name == QUANTITY {
        let mut out = to_v3_schema(def);
        if let Some(obj) = out.as_object_mut() {
            obj.remove("type");
            obj.insert("oneOf".into(), json!([{"type": "string"}, {"type": "number"}]));
        }
        return out;
    }
    to_v3_schema(def)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_kind_has_a_definition_and_list() {
        let defs = definitions();
        for info in catalogue::all() {
            let name = defs
                .name_of(info.group, info.version, info.kind)
                .unwrap_or_else(|| panic!("{} has no definition", info.gvk()));
            let def = &defs.defs[name];
            assert_eq!(
                def["x-kubernetes-group-version-kind"],
                json!([{"group": info.group, "kind": info.kind, "version": info.version}]),
                "{name}"
            );
            let list =
                defs.name_of(info.group, info.version, &format!("{}List", info.kind)).unwrap();
            assert_eq!(
                defs.defs[list]["properties"]["items"]["items"]["$ref"],
                format!("{V2_REF}{name}")
            );
        }
        assert_eq!(defs.name_of("", "v1", "Pod"), Some("io.k8s.api.core.v1.Pod"));
        assert_eq!(
            defs.name_of("autoscaling", "v1", "Scale"),
            Some("io.k8s.api.autoscaling.v1.Scale")
        );
    }

    #[test]
    fn references_resolve() {
        let defs = definitions();
        let mut refs = BTreeSet::new();
        for def in defs.defs.values() {
            refs_in(def, &mut refs);
        }
        for r in &refs {
            assert!(defs.defs.contains_key(r), "dangling reference {r}");
        }
        assert!(refs.contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
    }

    #[test]
    fn patch_extensions_and_k8s_forms() {
        let defs = definitions();
        let containers = &defs.defs["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
        let volumes = &defs.defs["io.k8s.api.core.v1.PodSpec"]["properties"]["volumes"];
        assert_eq!(volumes["x-kubernetes-patch-strategy"], "merge,retainKeys");
        let env = &defs.defs["io.k8s.api.core.v1.Container"]["properties"]["env"];
        assert_eq!(env["x-kubernetes-patch-merge-key"], "name");
        let ports = &defs.defs["io.k8s.api.core.v1.ServiceSpec"]["properties"]["ports"];
        assert_eq!(ports["x-kubernetes-patch-merge-key"], "port");
        let tolerations = &defs.defs["io.k8s.api.core.v1.PodSpec"]["properties"]["tolerations"];
        assert!(tolerations.get("x-kubernetes-patch-merge-key").is_none());
        assert_eq!(defs.defs[INT_OR_STRING]["format"], "int-or-string");
        assert!(defs.defs["io.k8s.api.core.v1.Pod"].get("required").is_none());
        assert!(defs.defs[STATUS]["x-kubernetes-group-version-kind"].is_array());
    }

    #[test]
    fn v3_conversion_wraps_refs_with_siblings() {
        let v2 = json!({"properties": {
            "a": {"$ref": "#/definitions/X", "description": "d"},
            "b": {"type": "array", "items": {"$ref": "#/definitions/Y"}},
        }});
        let v3 = to_v3_schema(&v2);
        assert_eq!(
            v3["properties"]["a"],
            json!({"description": "d", "allOf": [{"$ref": "#/components/schemas/X"}]})
        );
        assert_eq!(v3["properties"]["b"]["items"], json!({"$ref": "#/components/schemas/Y"}));
        // JSONSchemaProps has a property named `$ref`: it stays a property.
        let props = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps";
        let v3 = to_v3_schema(&definitions().defs[props]);
        assert_eq!(v3["properties"]["$ref"]["type"], "string");
        assert!(v3["properties"]["$ref"].get("allOf").is_none());
        let q = v3_definition(QUANTITY, &definitions().defs[QUANTITY]);
        assert!(q.get("type").is_none());
        assert_eq!(q["oneOf"][1]["type"], "number");
    }
}
