//! Registry strategies: per-kind defaulting, validation, status/spec split, generation and deletion rules.
//!
//! One [`GenericStrategy`] serves every kind from catalogue data; the few kinds that
//! behave differently ([`PodStrategy`], [`NamespaceStrategy`], [`ServiceStrategy`],
//! events) wrap it and override single methods. Adding a kind is a catalogue entry plus,
//! if needed, a small strategy — never a handler.

use std::sync::Arc;
use std::time::Duration;

use capstan_api_types::GroupVersionKind;
use capstan_api_types::catalogue::ResourceInfo;
use capstan_api_types::defaults::default_object;
use capstan_api_types::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use capstan_api_types::validation::meta::{
    name_is_dns_label, name_is_dns_subdomain, name_is_dns1035_label, name_is_path_segment,
};
use capstan_api_types::validation::names::is_dns1123_label;
use capstan_api_types::validation::{
    FieldError, FieldErrors, FieldPath, NameValidator, validate_object_meta,
};
use serde::Deserialize as _;
use serde_json::{Value, json};

use crate::status::ApiError;

/// How long events live (Kubernetes' default `--event-ttl`).
pub const EVENT_TTL: Duration = Duration::from_secs(3600);

/// The catalogue-derived facts every strategy starts from.
#[derive(Debug, Clone)]
pub struct StrategyConfig {
    /// The kind served.
    pub gvk: GroupVersionKind,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Whether the kind has a `status` subresource (then the main resource ignores
    /// `status` changes and `/status` ignores everything else).
    pub has_status: bool,
    /// Whether `metadata.generation` is set on create and bumped on spec changes.
    pub tracks_generation: bool,
    /// How names are validated.
    pub name_validator: NameValidator,
}

impl StrategyConfig {
    /// The facts of a catalogue entry.
    pub fn from_info(info: &ResourceInfo) -> Self {
        let has_status = info.subresource("status").is_some();
        StrategyConfig {
            gvk: info.gvk(),
            namespaced: info.namespaced(),
            has_status,
            tracks_generation: has_status,
            name_validator: name_is_dns_subdomain,
        }
    }
}

/// What the registry asks of a kind. Every method has the generic behaviour as its
/// default, in terms of [`Strategy::config`].
pub trait Strategy: Send + Sync {
    /// The kind's facts.
    fn config(&self) -> &StrategyConfig;

    /// The top-level fields only the `status` subresource may change.
    fn status_fields(&self) -> &'static [&'static str] {
        if self.config().has_status { &["status"] } else { &[] }
    }

    /// Resets what a create may not set (status of kinds with a status subresource).
    fn prepare_for_create(&self, obj: &mut Value) {
        if self.config().has_status
            && let Some(map) = obj.as_object_mut()
        {
            map.remove("status");
        }
    }

    /// Carries over from `old` what an update of the main resource may not change.
    fn prepare_for_update(&self, obj: &mut Value, old: &Value) {
        for field in self.status_fields() {
            copy_field(obj, old, field);
        }
    }

    /// Builds the object a `status` update stores: `old` with `new`'s status fields.
    fn prepare_for_status_update(&self, new: &Value, old: &Value) -> Value {
        let mut out = old.clone();
        for field in self.status_fields() {
            copy_field(&mut out, new, field);
        }
        if let Some(rv) = new.pointer("/metadata/resourceVersion") {
            set_path(&mut out, &["metadata", "resourceVersion"], rv.clone());
        }
        out
    }

    /// Applies the kind's defaults.
    fn default(&self, obj: &mut Value) -> Result<(), ApiError> {
        default_object(&self.config().gvk, obj)
            .map(|_| ())
            .map_err(|e| ApiError::bad_request(e.to_string()))
    }

    /// Validates a new object (metadata and per-kind rules).
    fn validate(&self, obj: &Value) -> FieldErrors {
        let mut errs = validate_meta(obj, self.config());
        errs.extend(validate_kind(&self.config().gvk, obj));
        errs
    }

    /// Validates an update (by default as a create, plus immutable name/namespace/uid).
    fn validate_update(&self, obj: &Value, old: &Value) -> FieldErrors {
        let mut errs = self.validate(obj);
        for field in ["uid", "creationTimestamp"] {
            let (a, b) = (
                obj.pointer(&format!("/metadata/{field}")),
                old.pointer(&format!("/metadata/{field}")),
            );
            if a.is_some() && a != b {
                errs.push(FieldError::invalid(
                    &FieldPath::new("metadata").child(field),
                    a.and_then(Value::as_str).unwrap_or(""),
                    "field is immutable",
                ));
            }
        }
        errs.extend(validate_kind_update(&self.config().gvk, obj, old));
        errs
    }

    /// Whether an update without `metadata.resourceVersion` is allowed.
    fn allow_unconditional_update(&self) -> bool {
        true
    }

    /// The time to live of stored objects (events).
    fn ttl(&self) -> Option<Duration> {
        None
    }

    /// Whether a delete only marks the object (`Some(grace period seconds)`: set
    /// `deletionTimestamp` and `deletionGracePeriodSeconds`) rather than removing it
    /// (`None`; objects with finalizers are marked regardless).
    fn graceful_delete(&self, _obj: &Value, _requested: Option<i64>) -> Option<i64> {
        None
    }

    /// Whether a delete answers with the deleted object rather than a `Status`.
    fn returns_deleted_object(&self) -> bool {
        false
    }

    /// Finalizers a graceful delete adds (namespaces keep theirs in `spec.finalizers`).
    fn on_graceful_delete(&self, _obj: &mut Value) {}
}

/// The strategy of kinds without special rules.
#[derive(Debug, Clone)]
pub struct GenericStrategy(pub StrategyConfig);

impl Strategy for GenericStrategy {
    fn config(&self) -> &StrategyConfig {
        &self.0
    }
}

/// Pods: created `Pending`, a grace period on delete (immediate when unscheduled or
/// finished), the deleted object returned.
#[derive(Debug, Clone)]
pub struct PodStrategy(pub StrategyConfig);

impl Strategy for PodStrategy {
    fn config(&self) -> &StrategyConfig {
        &self.0
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        set_path(obj, &["status"], json!({"phase": "Pending"}));
    }
    fn graceful_delete(&self, obj: &Value, requested: Option<i64>) -> Option<i64> {
        let unscheduled =
            obj.pointer("/spec/nodeName").and_then(Value::as_str).unwrap_or("").is_empty();
        let phase = obj.pointer("/status/phase").and_then(Value::as_str).unwrap_or("");
        if unscheduled || phase == "Succeeded" || phase == "Failed" {
            return None;
        }
        let default = obj
            .pointer("/spec/terminationGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(30);
        Some(requested.unwrap_or(default)).filter(|g| *g > 0)
    }
    fn returns_deleted_object(&self) -> bool {
        true
    }
}

/// Namespaces: DNS-label names, the `kubernetes` finalizer in `spec.finalizers`, phase
/// `Terminating` on delete.
#[derive(Debug, Clone)]
pub struct NamespaceStrategy(pub StrategyConfig);

impl Strategy for NamespaceStrategy {
    fn config(&self) -> &StrategyConfig {
        &self.0
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        set_path(obj, &["status"], json!({"phase": "Active"}));
        set_path(obj, &["spec", "finalizers"], json!(["kubernetes"]));
    }
    fn prepare_for_update(&self, obj: &mut Value, old: &Value) {
        copy_field(obj, old, "status");
        // spec.finalizers changes only through the finalize subresource.
        if let Some(f) = old.pointer("/spec/finalizers").cloned() {
            set_path(obj, &["spec", "finalizers"], f);
        }
    }
    fn graceful_delete(&self, obj: &Value, _requested: Option<i64>) -> Option<i64> {
        // A namespace with spec finalizers is marked terminating, like one with metadata
        // finalizers; the namespace controller empties and removes it.
        let spec_finalizers = obj
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        spec_finalizers.then_some(0)
    }
    fn on_graceful_delete(&self, obj: &mut Value) {
        set_path(obj, &["status", "phase"], json!("Terminating"));
    }
    fn returns_deleted_object(&self) -> bool {
        true
    }
}

/// Services: DNS-1035 label names, the deleted object returned.
#[derive(Debug, Clone)]
pub struct ServiceStrategy(pub StrategyConfig);

impl Strategy for ServiceStrategy {
    fn config(&self) -> &StrategyConfig {
        &self.0
    }
    fn returns_deleted_object(&self) -> bool {
        true
    }
}

/// Events (core and `events.k8s.io`): stored with a one-hour TTL.
#[derive(Debug, Clone)]
pub struct EventStrategy(pub StrategyConfig);

impl Strategy for EventStrategy {
    fn config(&self) -> &StrategyConfig {
        &self.0
    }
    fn ttl(&self) -> Option<Duration> {
        Some(EVENT_TTL)
    }
}

/// The strategy of a catalogue entry.
pub fn for_resource(info: &ResourceInfo) -> Arc<dyn Strategy> {
    let mut config = StrategyConfig::from_info(info);
    match (info.group, info.plural) {
        ("", "pods") => Arc::new(PodStrategy(config)),
        ("", "namespaces") => {
            config.name_validator = name_is_dns_label;
            config.tracks_generation = false;
            Arc::new(NamespaceStrategy(config))
        }
        ("", "services") => {
            config.name_validator = name_is_dns1035_label;
            Arc::new(ServiceStrategy(config))
        }
        (_, "events") => Arc::new(EventStrategy(config)),
        // RBAC names are path segments (`system:node`, `system:kube-scheduler`, …).
        ("rbac.authorization.k8s.io", _) => {
            config.name_validator = name_is_path_segment;
            Arc::new(GenericStrategy(config))
        }
        _ => Arc::new(GenericStrategy(config)),
    }
}

/// Copies top-level `field` from `from` into `to` (removing it when `from` lacks it).
pub fn copy_field(to: &mut Value, from: &Value, field: &str) {
    let Some(map) = to.as_object_mut() else { return };
    match from.get(field) {
        Some(v) => {
            map.insert(field.to_string(), v.clone());
        }
        None => {
            map.remove(field);
        }
    }
}

/// Sets a nested field, creating objects on the way.
pub fn set_path(obj: &mut Value, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut cur = obj;
    for p in parents {
        if !cur.get(*p).is_some_and(Value::is_object) {
            if let Some(map) = cur.as_object_mut() {
                map.insert((*p).to_string(), json!({}));
            } else {
                return;
            }
        }
        let Some(next) = cur.get_mut(*p) else { return };
        cur = next;
    }
    if let Some(map) = cur.as_object_mut() {
        map.insert((*last).to_string(), value);
    }
}

/// Whether anything but `metadata`, `status`-like fields, `apiVersion` and `kind`
/// differs: the change that bumps `metadata.generation`.
pub fn spec_changed(new: &Value, old: &Value, status_fields: &[&str]) -> bool {
    let skip =
        |k: &str| matches!(k, "metadata" | "apiVersion" | "kind") || status_fields.contains(&k);
    let keys = |v: &Value| -> Vec<String> {
        v.as_object().map(|m| m.keys().filter(|k| !skip(k)).cloned().collect()).unwrap_or_default()
    };
    let (a, b) = (keys(new), keys(old));
    a.len() != b.len() || a.iter().any(|k| new.get(k) != old.get(k))
}

fn validate_meta(obj: &Value, config: &StrategyConfig) -> FieldErrors {
    // Decoded from the borrowed value, without `managedFields`: metadata validation does
    // not read them, and their field sets are most of the metadata's size.
    let decoded = match obj.get("metadata") {
        Some(Value::Object(meta)) => {
            let fields = meta.iter().filter(|(k, _)| k.as_str() != "managedFields");
            ObjectMeta::deserialize(serde::de::value::MapDeserializer::new(
                fields.map(|(k, v)| (k.as_str(), v)),
            ))
        }
        Some(meta) => ObjectMeta::deserialize(meta),
        None => Ok(ObjectMeta::default()),
    };
    match decoded {
        Ok(meta) => validate_object_meta(
            &meta,
            config.namespaced,
            config.name_validator,
            &FieldPath::new("metadata"),
        ),
        Err(e) => {
            let mut errs = FieldErrors::new();
            errs.push(FieldError::invalid(&FieldPath::new("metadata"), "", e.to_string()));
            errs
        }
    }
}

/// Cheap per-kind checks beyond metadata.
fn validate_kind(gvk: &GroupVersionKind, obj: &Value) -> FieldErrors {
    let mut errs = FieldErrors::new();
    match (gvk.group.as_str(), gvk.kind.as_str()) {
        ("", "Pod") => validate_pod_spec(obj.get("spec"), &FieldPath::new("spec"), &mut errs),
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => {
            validate_workload(obj, &mut errs)
        }
        ("", "ConfigMap" | "Secret") => {
            for field in ["data", "binaryData", "stringData"] {
                if let Some(map) = obj.get(field).and_then(Value::as_object) {
                    for key in map.keys() {
                        let ok = !key.is_empty()
                            && key.len() <= 253
                            && key
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                        if !ok {
                            errs.push(FieldError::invalid(
                                &FieldPath::new(field),
                                key.as_str(),
                                "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                            ));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    errs
}

/// Per-kind rules of updates: immutable fields.
fn validate_kind_update(gvk: &GroupVersionKind, obj: &Value, old: &Value) -> FieldErrors {
    let mut errs = FieldErrors::new();
    if gvk.group == "apps"
        && matches!(gvk.kind.as_str(), "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
        && obj.pointer("/spec/selector") != old.pointer("/spec/selector")
    {
        errs.push(FieldError::invalid(
            &FieldPath::new("spec").child("selector"),
            obj.pointer("/spec/selector").map(Value::to_string).unwrap_or_default(),
            "field is immutable",
        ));
    }
    errs
}

fn validate_pod_spec(spec: Option<&Value>, path: &FieldPath, errs: &mut FieldErrors) {
    let containers = spec.and_then(|s| s.get("containers")).and_then(Value::as_array);
    let cpath = path.child("containers");
    match containers {
        None => errs.push(FieldError::required(&cpath, "")),
        Some(list) if list.is_empty() => errs.push(FieldError::required(&cpath, "")),
        Some(list) => {
            let mut seen = std::collections::HashSet::new();
            for (i, c) in list.iter().enumerate() {
                let p = cpath.index(i);
                let name = c.get("name").and_then(Value::as_str).unwrap_or("");
                if name.is_empty() {
                    errs.push(FieldError::required(&p.child("name"), ""));
                } else {
                    for msg in is_dns1123_label(name) {
                        errs.push(FieldError::invalid(&p.child("name"), name, msg));
                    }
                    if !seen.insert(name.to_string()) {
                        errs.push(FieldError::duplicate(&p.child("name"), name));
                    }
                }
                if c.get("image").and_then(Value::as_str).unwrap_or("").trim().is_empty() {
                    errs.push(FieldError::required(&p.child("image"), ""));
                }
            }
        }
    }
}

fn validate_workload(obj: &Value, errs: &mut FieldErrors) {
    let spec = FieldPath::new("spec");
    if let Some(r) = obj.pointer("/spec/replicas").and_then(Value::as_i64).filter(|r| *r < 0) {
        errs.push(FieldError::invalid(
            &spec.child("replicas"),
            r,
            "must be greater than or equal to 0",
        ));
    }
    let selector = obj.pointer("/spec/selector");
    let match_labels = selector.and_then(|s| s.get("matchLabels")).and_then(Value::as_object);
    let has_exprs = selector
        .and_then(|s| s.get("matchExpressions"))
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if match_labels.is_none_or(|m| m.is_empty()) && !has_exprs {
        errs.push(FieldError::required(&spec.child("selector"), ""));
    }
    let template_labels = obj.pointer("/spec/template/metadata/labels").and_then(Value::as_object);
    if let Some(ml) = match_labels {
        let matches = ml.iter().all(|(k, v)| template_labels.and_then(|t| t.get(k)) == Some(v));
        if !matches {
            errs.push(FieldError::invalid(
                &spec.child("template").child("metadata").child("labels"),
                "",
                "`selector` does not match template `labels`",
            ));
        }
    }
    validate_pod_spec(
        obj.pointer("/spec/template/spec"),
        &spec.child("template").child("spec"),
        errs,
    );
}
