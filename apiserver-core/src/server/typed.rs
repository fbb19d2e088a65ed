//! Typed decoding of built-in kinds: the round trip through the `k8s-openapi` type that drops (and reports) unknown fields.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::status::ApiError;

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize + 'static>(
    value: &Value,
    defaults: bool,
) -> Result<(Value, bool), ApiError> {
    // Deserialized from the borrowed value: no copy of the object.
    let mut typed = T::deserialize(value)
        .map_err(|e| ApiError::bad_request(format!("unable to decode object: {e}")))?;
    // Defaults applied while the object is typed, as Kubernetes' decoder applies them:
    // one round trip instead of a second one for defaulting.
    let defaulted = defaults && capstan_api_types::defaults::default_typed(&mut typed);
    Ok((serde_json::to_value(&typed).map_err(ApiError::internal)?, defaulted))
}

macro_rules! kinds {
    ($group:expr, $kind:expr; $($g:literal $k:literal => $t:ty),* $(,)?) => {
        match ($group, $kind) {
            $(($g, $k) => Some(round_trip::<$t>),)*
            _ => None,
        }
    };
}

type RoundTrip = fn(&Value, bool) -> Result<(Value, bool), ApiError>;

fn round_trip_fn(group: &str, kind: &str) -> Option<RoundTrip> {
    use k8s_openapi::api as a;
    kinds!(group, kind;
        "" "Binding" => a::core::v1::Binding,
        "" "ComponentStatus" => a::core::v1::ComponentStatus,
        "" "ConfigMap" => a::core::v1::ConfigMap,
        "" "Endpoints" => a::core::v1::Endpoints,
        "" "Event" => a::core::v1::Event,
        "" "LimitRange" => a::core::v1::LimitRange,
        "" "Namespace" => a::core::v1::Namespace,
        "" "Node" => a::core::v1::Node,
        "" "PersistentVolumeClaim" => a::core::v1::PersistentVolumeClaim,
        "" "PersistentVolume" => a::core::v1::PersistentVolume,
        "" "Pod" => a::core::v1::Pod,
        "" "PodTemplate" => a::core::v1::PodTemplate,
        "" "ReplicationController" => a::core::v1::ReplicationController,
        "" "ResourceQuota" => a::core::v1::ResourceQuota,
        "" "Secret" => a::core::v1::Secret,
        "" "ServiceAccount" => a::core::v1::ServiceAccount,
        "" "Service" => a::core::v1::Service,
        "apps" "ControllerRevision" => a::apps::v1::ControllerRevision,
        "apps" "DaemonSet" => a::apps::v1::DaemonSet,
        "apps" "Deployment" => a::apps::v1::Deployment,
        "apps" "ReplicaSet" => a::apps::v1::ReplicaSet,
        "apps" "StatefulSet" => a::apps::v1::StatefulSet,
        "events.k8s.io" "Event" => a::events::v1::Event,
        "autoscaling" "HorizontalPodAutoscaler" => a::autoscaling::v2::HorizontalPodAutoscaler,
        "autoscaling" "Scale" => a::autoscaling::v1::Scale,
        "batch" "CronJob" => a::batch::v1::CronJob,
        "batch" "Job" => a::batch::v1::Job,
        "networking.k8s.io" "IngressClass" => a::networking::v1::IngressClass,
        "networking.k8s.io" "Ingress" => a::networking::v1::Ingress,
        "networking.k8s.io" "NetworkPolicy" => a::networking::v1::NetworkPolicy,
        "policy" "PodDisruptionBudget" => a::policy::v1::PodDisruptionBudget,
        "policy" "Eviction" => a::policy::v1::Eviction,
        "rbac.authorization.k8s.io" "ClusterRoleBinding" => a::rbac::v1::ClusterRoleBinding,
        "rbac.authorization.k8s.io" "ClusterRole" => a::rbac::v1::ClusterRole,
        "rbac.authorization.k8s.io" "RoleBinding" => a::rbac::v1::RoleBinding,
        "rbac.authorization.k8s.io" "Role" => a::rbac::v1::Role,
        "storage.k8s.io" "CSIDriver" => a::storage::v1::CSIDriver,
        "storage.k8s.io" "CSINode" => a::storage::v1::CSINode,
        "storage.k8s.io" "CSIStorageCapacity" => a::storage::v1::CSIStorageCapacity,
        "storage.k8s.io" "StorageClass" => a::storage::v1::StorageClass,
        "storage.k8s.io" "VolumeAttachment" => a::storage::v1::VolumeAttachment,
        "admissionregistration.k8s.io" "MutatingWebhookConfiguration" => a::admissionregistration::v1::MutatingWebhookConfiguration,
        "admissionregistration.k8s.io" "ValidatingWebhookConfiguration" => a::admissionregistration::v1::ValidatingWebhookConfiguration,
        "apiextensions.k8s.io" "CustomResourceDefinition" => k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
        "scheduling.k8s.io" "PriorityClass" => a::scheduling::v1::PriorityClass,
        "coordination.k8s.io" "Lease" => a::coordination::v1::Lease,
        "discovery.k8s.io" "EndpointSlice" => a::discovery::v1::EndpointSlice,
    )
}

/// The result of decoding an object through its typed form.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The object as the typed form re-serializes it (unknown fields dropped).
    pub object: Value,
    /// The JSON paths (`spec.foo`, `spec.containers[0].bar`) of unknown fields.
    pub unknown_fields: Vec<String>,
    /// Whether the kind's defaults were applied to `object` (see [`decode_defaulted`]).
    pub defaulted: bool,
}

/// Decodes `value` of `group`/`kind` through its `k8s-openapi` type, dropping and
/// reporting unknown fields. Kinds without a typed form pass through unchanged. A value
/// the type cannot hold (a string where a number belongs) is `400 BadRequest`.
pub fn decode(group: &str, kind: &str, value: &Value) -> Result<Decoded, ApiError> {
    decode_as(group, kind, value, false)
}

/// [`decode`], also applying the kind's defaults while the object is typed
/// (`defaulted` says whether the kind has any). Unknown fields are those of `value`.
pub fn decode_defaulted(group: &str, kind: &str, value: &Value) -> Result<Decoded, ApiError> {
    decode_as(group, kind, value, true)
}

fn decode_as(group: &str, kind: &str, value: &Value, defaults: bool) -> Result<Decoded, ApiError> {
    let Some(f) = round_trip_fn(group, kind) else {
        return Ok(Decoded { object: value.clone(), unknown_fields: Vec::new(), defaulted: false });
    };
    let (object, defaulted) = f(value, defaults)?;
    let mut unknown_fields = Vec::new();
    // Defaults only add fields, so a field of `value` missing from `object` is unknown.
    diff(value, &object, &mut String::new(), &mut unknown_fields);
    unknown_fields.sort();
    Ok(Decoded { object, unknown_fields, defaulted })
}

/// Appends to `out` the paths of `input`'s fields that `typed` lacks. `path` is the
/// current path, extended and restored in place (a path is copied only when reported).
fn diff(input: &Value, typed: &Value, path: &mut String, out: &mut Vec<String>) {
    match (input, typed) {
        (Value::Object(i), Value::Object(t)) => diff_map(i, t, path, out),
        (Value::Array(i), Value::Array(t)) => {
            let len = path.len();
            for (n, (a, b)) in i.iter().zip(t.iter()).enumerate() {
                let _ = write!(path, "[{n}]");
                diff(a, b, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn diff_map(
    input: &Map<String, Value>,
    typed: &Map<String, Value>,
    path: &mut String,
    out: &mut Vec<String>,
) {
    let len = path.len();
    for (k, v) in input {
        push_key(path, k);
        match typed.get(k) {
            Some(t) => diff(v, t, path, out),
            None if v.is_null() => {}
            None => out.push(path.clone()),
        }
        path.truncate(len);
    }
}

/// Extends a `.`-joined path by `key`.
fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

/// Duplicate keys in a JSON document's objects, as `.`-joined paths (best effort: the
/// paths of the first 100).
pub fn duplicate_fields(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let _ = serde::de::DeserializeSeed::deserialize(
        DupSeed { path: &mut path, out: &mut out },
        &mut de,
    );
    out
}

/// One step of the path to a value: a key (borrowed from the document unless it had
/// escapes) or a list index.
enum Segment<'de> {
    Key(Cow<'de, str>),
    Index(usize),
}

/// The `.`-joined text of a path (`spec.containers[0].name`), built only for a report.
fn path_text(path: &[Segment<'_>]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(k) => push_key(&mut out, k),
            Segment::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// A map key, borrowed when the document allows.
struct KeySeed;

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(KeySeed)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

/// Maps with more keys than this check repeats with a hash set instead of a scan.
const SCAN_KEYS: usize = 16;

/// One value of the document; `path` is its path, extended and restored in place by the
/// values below it.
struct DupSeed<'a, 'de> {
    path: &'a mut Vec<Segment<'de>>,
    out: &'a mut Vec<String>,
}

impl<'de> serde::de::DeserializeSeed<'de> for DupSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for DupSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            self.path.push(Segment::Index(i));
            let next =
                seq.next_element_seed(DupSeed { path: &mut *self.path, out: &mut *self.out });
            self.path.pop();
            if next?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen: Vec<Cow<'de, str>> = Vec::new();
        let mut many: Option<std::collections::HashSet<Cow<'de, str>>> = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let repeated = match &mut many {
                Some(set) => !set.insert(key.clone()),
                None if seen.contains(&key) => true,
                None => {
                    seen.push(key.clone());
                    if seen.len() > SCAN_KEYS {
                        many = Some(std::mem::take(&mut seen).into_iter().collect());
                    }
                    false
                }
            };
            self.path.push(Segment::Key(key));
            if repeated && self.out.len() < 100 {
                self.out.push(path_text(self.path));
            }
            let value = map.next_value_seed(DupSeed { path: &mut *self.path, out: &mut *self.out });
            self.path.pop();
            value?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_and_duplicate_fields() {
        let v = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "bogus": 1},
            "data": {"k": "v"}, "extra": null, "foo": {"x": 1}});
        let d = decode("", "ConfigMap", &v).unwrap();
        assert_eq!(d.unknown_fields, vec!["foo".to_string(), "metadata.bogus".to_string()]);
        assert!(d.object.get("foo").is_none());
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i", "nope": true}]}});
        assert_eq!(
            decode("", "Pod", &pod).unwrap().unknown_fields,
            vec!["spec.containers[0].nope"]
        );
        assert_eq!(duplicate_fields(br#"{"a":1,"b":{"c":1,"c":2},"a":3}"#), vec!["b.c", "a"]);
        assert_eq!(
            duplicate_fields(br#"{"l":[{"x":1},{"x":1,"y":[{"z":1,"z":2}],"x":2}],"m":{"n":1}}"#),
            vec!["l[1].y[0].z", "l[1].x"]
        );
        // Escaped keys compare by their text; maps past the scan size use a set.
        assert_eq!(duplicate_fields(br#"{"m":{"a":1,"\u0061":2}}"#), vec!["m.a"]);
        let wide: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        let doc = format!("{{\"w\":[{{{},\"k3\":0,\"k39\":1}}]}}", wide.join(","));
        assert_eq!(duplicate_fields(doc.as_bytes()), vec!["w[0].k3", "w[0].k39"]);
        assert!(duplicate_fields(format!("{{{}}}", wide.join(",")).as_bytes()).is_empty());
        let bad = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": "x"}});
        assert_eq!(decode("apps", "Deployment", &bad).unwrap_err().code(), 400);
    }
}
