//! Kubernetes' protobuf request bodies (`application/vnd.kubernetes.protobuf`), decoded to JSON for the kinds kubectl's typed clients send.
//!
//! client-go's typed clients (kubectl 1.32+: `kubectl create namespace|configmap|secret|
//! deployment|…`) send protobuf request bodies. The wire form is the `k8s\0` magic followed
//! by a `runtime.Unknown` envelope (`typeMeta`, `raw`), `raw` being the object's own
//! message. This module decodes the envelope and the object through descriptor tables
//! ([`super::protobuf_tables`]: tag numbers from Kubernetes' `generated.proto` via the
//! k8s-pb crate's sources, JSON names from k8s-openapi), writing JSON the way Go's encoder
//! would (zero values of non-pointer fields omitted, embedded structs inlined). A field the
//! tables do not know is `415`, never silently dropped.

use serde_json::{Map, Value, json};

use super::protobuf_tables::{KINDS, MESSAGES};
use crate::status::ApiError;

/// The protobuf media type.
pub const PROTOBUF_MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

const MAGIC: &[u8] = b"k8s\0";

/// Well-known messages with their own JSON form.
#[derive(Clone, Copy, Debug)]
pub(super) enum Special {
    /// `metav1.Time`: RFC 3339 seconds.
    Time,
    /// `metav1.MicroTime`: RFC 3339 with microseconds.
    MicroTime,
    /// `intstr.IntOrString`: a number or a string.
    IntOrString,
    /// `resource.Quantity`: its string.
    Quantity,
    /// `runtime.RawExtension`, `metav1.FieldsV1`: embedded JSON bytes.
    RawJson,
}

/// A field's type.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ty {
    Str,
    Bool,
    Int,
    /// `bytes`, as base64 in JSON.
    Bytes,
    /// `map<string,string>`.
    MapStr,
    /// `map<string,bytes>` (base64 values).
    MapBytes,
    /// A message (index into the tables' `MESSAGES`).
    Msg(usize),
    /// `map<string, message>`.
    MapMsg(usize),
    /// A well-known message.
    Special(Special),
    /// `map<string, well-known message>` (resource lists of quantities).
    MapSpecial(Special),
    /// An embedded Go struct whose fields JSON inlines into the parent.
    Inline(usize),
    /// A field with no JSON form in the served version: read and dropped.
    Ignore,
}

/// One field of a message.
#[derive(Clone, Copy, Debug)]
pub(super) struct Field {
    tag: u64,
    json: &'static str,
    ty: Ty,
    repeated: bool,
}

impl Field {
    /// A field.
    pub(super) const fn new(tag: u64, json: &'static str, ty: Ty, repeated: bool) -> Self {
        Field { tag, json, ty, repeated }
    }
}

/// Pointer fields whose zero value means something (Go marshals every non-pointer
/// scalar even when zero, and its JSON omits those; these are only on the wire when set).
const KEEP_ZERO: &[&str] = &[
    "gracePeriodSeconds",
    "replicas",
    "terminationGracePeriodSeconds",
    "deletionGracePeriodSeconds",
    "activeDeadlineSeconds",
    "backoffLimit",
    "backoffLimitPerIndex",
    "maxFailedIndexes",
    "parallelism",
    "completions",
    "automountServiceAccountToken",
    "enableServiceLinks",
    "hostUsers",
    "revisionHistoryLimit",
    "progressDeadlineSeconds",
    "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit",
    "startingDeadlineSeconds",
    "ttlSecondsAfterFinished",
    "runAsUser",
    "runAsGroup",
    "fsGroup",
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "privileged",
    "runAsNonRoot",
    "expirationSeconds",
    "defaultMode",
    "mode",
    "optional",
    "suspend",
    "immutable",
    "controller",
    "blockOwnerDeletion",
    "minAvailable",
    "maxUnavailable",
    "maxSurge",
    "partition",
    "minReplicas",
    "priority",
    "stabilizationWindowSeconds",
    "allocateLoadBalancerNodePorts",
    "ready",
    "serving",
    "terminating",
    "shareProcessNamespace",
    "setHostnameAsFQDN",
    "value",
    "weight",
    "port",
    "containerPort",
];

fn bad(message: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("unable to decode protobuf body: {message}"))
}

/// One wire field: its tag and value.
enum Wire<'a> {
    Varint(u64),
    Len(&'a [u8]),
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, ApiError> {
        let mut out = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.buf.split_first().ok_or_else(|| bad("truncated varint"))?;
            self.buf = rest;
            out |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(out);
            }
        }
        Err(bad("varint too long"))
    }

    fn next(&mut self) -> Result<Option<(u64, Wire<'a>)>, ApiError> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            2 => {
                let len = usize::try_from(self.varint()?).map_err(bad)?;
                if len > self.buf.len() {
                    return Err(bad("truncated field"));
                }
                let (v, rest) = self.buf.split_at(len);
                self.buf = rest;
                Wire::Len(v)
            }
            // Fixed-width numbers: no served field uses them (doubles are dropped).
            1 => {
                self.skip(8)?;
                return self.next();
            }
            5 => {
                self.skip(4)?;
                return self.next();
            }
            t => return Err(bad(format!("unsupported wire type {t}"))),
        };
        Ok(Some((key >> 3, value)))
    }

    fn skip(&mut self, n: usize) -> Result<(), ApiError> {
        if self.buf.len() < n {
            return Err(bad("truncated field"));
        }
        self.buf = &self.buf[n..];
        Ok(())
    }
}

fn utf8(b: &[u8]) -> Result<String, ApiError> {
    String::from_utf8(b.to_vec()).map_err(bad)
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn wire_name(ty: Ty) -> &'static str {
    match ty {
        Ty::Int | Ty::Bool => "varint",
        _ => "length-delimited",
    }
}

fn mismatch(json: &str, ty: Ty) -> ApiError {
    bad(format!("field {json:?} is not {}", wire_name(ty)))
}

/// A map entry: key (1) and the value (2) decoded as `ty`.
fn map_entry(bytes: &[u8], value_ty: Ty) -> Result<(String, Value), ApiError> {
    let (mut key, mut value) = (String::new(), Value::Null);
    let mut r = Reader { buf: bytes };
    while let Some((tag, wire)) = r.next()? {
        match tag {
            1 => {
                key = if let Wire::Len(b) = wire {
                    utf8(b)?
                } else {
                    return Err(mismatch("key", Ty::Str));
                }
            }
            2 => value = scalar_or_message(value_ty, wire, "value")?,
            _ => {}
        }
    }
    if value.is_null() {
        value = match value_ty {
            Ty::Str | Ty::Bytes | Ty::Special(Special::Quantity) => json!(""),
            Ty::Msg(_) => json!({}),
            _ => Value::Null,
        };
    }
    Ok((key, value))
}

fn seconds_nanos(bytes: &[u8]) -> Result<(i64, i64), ApiError> {
    let mut r = Reader { buf: bytes };
    let (mut seconds, mut nanos) = (0i64, 0i64);
    while let Some((tag, wire)) = r.next()? {
        match (tag, wire) {
            (1, Wire::Varint(v)) => seconds = v as i64,
            (2, Wire::Varint(v)) => nanos = v as i64,
            _ => {}
        }
    }
    Ok((seconds, nanos))
}

fn special(sp: Special, bytes: &[u8]) -> Result<Value, ApiError> {
    Ok(match sp {
        Special::Time => match seconds_nanos(bytes)? {
            (0, 0) => Value::Null,
            (s, _) => json!(super::ids::seconds_rfc3339(s)),
        },
        Special::MicroTime => match seconds_nanos(bytes)? {
            (0, 0) => Value::Null,
            (s, n) => {
                let t = jiff::Timestamp::new(s, i32::try_from(n).unwrap_or(0)).map_err(bad)?;
                json!(t.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string())
            }
        },
        Special::IntOrString => {
            let mut r = Reader { buf: bytes };
            let (mut kind, mut int, mut string) = (0u64, 0i64, String::new());
            while let Some((tag, wire)) = r.next()? {
                match (tag, wire) {
                    (1, Wire::Varint(v)) => kind = v,
                    (2, Wire::Varint(v)) => int = i64::from(v as i32),
                    (3, Wire::Len(b)) => string = utf8(b)?,
                    _ => {}
                }
            }
            if kind == 1 { json!(string) } else { json!(int) }
        }
        Special::Quantity => {
            let mut r = Reader { buf: bytes };
            let mut out = String::new();
            while let Some((tag, wire)) = r.next()? {
                if let (1, Wire::Len(b)) = (tag, wire) {
                    out = utf8(b)?;
                }
            }
            json!(out)
        }
        Special::RawJson => {
            let mut r = Reader { buf: bytes };
            let mut out = Value::Null;
            while let Some((tag, wire)) = r.next()? {
                if let (1, Wire::Len(b)) = (tag, wire) {
                    out = serde_json::from_slice(b)
                        .map_err(|e| bad(format!("embedded object is not JSON: {e}")))?;
                }
            }
            out
        }
    })
}

fn scalar_or_message(ty: Ty, wire: Wire<'_>, json: &str) -> Result<Value, ApiError> {
    Ok(match (ty, wire) {
        (Ty::Str, Wire::Len(b)) => Value::String(utf8(b)?),
        (Ty::Bytes, Wire::Len(b)) => Value::String(base64(b)),
        (Ty::Bool, Wire::Varint(v)) => Value::Bool(v != 0),
        (Ty::Int, Wire::Varint(v)) => json!(v as i64),
        (Ty::Msg(i), Wire::Len(b)) => message(b, i)?,
        (Ty::Special(sp), Wire::Len(b)) => special(sp, b)?,
        (ty, _) => return Err(mismatch(json, ty)),
    })
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

fn message(bytes: &[u8], index: usize) -> Result<Value, ApiError> {
    let mut out = Map::new();
    decode_into(bytes, index, &mut out)?;
    Ok(Value::Object(out))
}

fn decode_into(bytes: &[u8], index: usize, out: &mut Map<String, Value>) -> Result<(), ApiError> {
    let fields = MESSAGES.get(index).ok_or_else(|| bad("unknown message"))?;
    let mut r = Reader { buf: bytes };
    while let Some((tag, wire)) = r.next()? {
        let Some(field) = fields.iter().find(|f| f.tag == tag) else {
            return Err(ApiError::new(
                http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                crate::status::StatusReason::UnsupportedMediaType,
                format!(
                    "protobuf field {tag} is not known to this server; send application/json or application/yaml"
                ),
                None,
            ));
        };
        let map_value_ty = match field.ty {
            Ty::Ignore => continue,
            Ty::Inline(i) => {
                let Wire::Len(b) = wire else { return Err(mismatch(field.json, field.ty)) };
                decode_into(b, i, out)?;
                continue;
            }
            Ty::MapStr => Some(Ty::Str),
            Ty::MapBytes => Some(Ty::Bytes),
            Ty::MapMsg(i) => Some(Ty::Msg(i)),
            Ty::MapSpecial(sp) => Some(Ty::Special(sp)),
            _ => None,
        };
        if let Some(value_ty) = map_value_ty {
            let Wire::Len(b) = wire else { return Err(mismatch(field.json, field.ty)) };
            let (k, v) = map_entry(b, value_ty)?;
            if let Some(m) = out.entry(field.json).or_insert_with(|| json!({})).as_object_mut() {
                m.insert(k, v);
            }
            continue;
        }
        let values = match (field.ty, wire) {
            // Packed repeated numbers.
            (Ty::Int, Wire::Len(b)) if field.repeated => {
                let mut r = Reader { buf: b };
                let mut vs = Vec::new();
                while !r.buf.is_empty() {
                    vs.push(json!(r.varint()? as i64));
                }
                vs
            }
            (ty, wire) => vec![scalar_or_message(ty, wire, field.json)?],
        };
        if field.repeated {
            if let Some(list) = out.entry(field.json).or_insert_with(|| json!([])).as_array_mut() {
                list.extend(values);
            }
        } else if let Some(value) = values.into_iter().next() {
            if is_zero(&value) && !KEEP_ZERO.contains(&field.json) {
                out.remove(field.json);
                continue;
            }
            out.insert(field.json.to_string(), value);
        }
    }
    Ok(())
}

/// The tables' package name of an API group (`""` → `core`, `rbac.authorization.k8s.io` →
/// `rbac`).
fn package(group: &str) -> &str {
    match group {
        "" => "core",
        g => g.split('.').next().unwrap_or(g),
    }
}

/// Decodes a protobuf request body (magic + `runtime.Unknown` + object) into the
/// object's JSON with `apiVersion` and `kind` set. Malformed bodies are `400`; kinds
/// without a descriptor table are `415`.
pub fn decode(body: &[u8]) -> Result<Value, ApiError> {
    let envelope =
        body.strip_prefix(MAGIC).ok_or_else(|| bad("missing the k8s protobuf prefix"))?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    let mut r = Reader { buf: envelope };
    while let Some((tag, wire)) = r.next()? {
        match (tag, wire) {
            (1, Wire::Len(b)) => {
                let mut tm = Reader { buf: b };
                while let Some((t, w)) = tm.next()? {
                    match (t, w) {
                        (1, Wire::Len(v)) => api_version = utf8(v)?,
                        (2, Wire::Len(v)) => kind = utf8(v)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Len(b)) => raw = b,
            _ => {}
        }
    }
    let gv = capstan_api_types::GroupVersion::parse(&api_version).map_err(bad)?;
    let key = format!("{}/{}/{kind}", package(&gv.group), gv.version);
    let Some(&(_, index)) = KINDS.iter().find(|(k, _)| *k == key) else {
        return Err(ApiError::new(
            http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            crate::status::StatusReason::UnsupportedMediaType,
            format!(
                "no protobuf decoding for {api_version} {kind}; send application/json or application/yaml"
            ),
            None,
        ));
    };
    let mut obj = message(raw, index)?;
    if let Some(m) = obj.as_object_mut() {
        m.insert("apiVersion".into(), json!(api_version));
        m.insert("kind".into(), json!(kind));
    }
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(tag: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![u8::try_from(tag << 3 | 2).unwrap(), u8::try_from(bytes.len()).unwrap()];
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn decodes_a_configmap() {
        let entry = [field(1, b"k"), field(2, b"v")].concat();
        let meta =
            [field(1, b"cm"), field(11, &[field(1, b"app"), field(2, b"web")].concat())].concat();
        let raw = [
            field(1, &meta),
            field(2, &entry),
            field(3, &[field(1, b"b"), field(2, b"\x00\x01\x02")].concat()),
        ]
        .concat();
        let type_meta = [field(1, b"v1"), field(2, b"ConfigMap")].concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta), field(2, &raw)].concat();
        let obj = decode(&body).unwrap();
        assert_eq!(
            obj,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "labels": {"app": "web"}},
                "data": {"k": "v"}, "binaryData": {"b": "AAEC"}})
        );
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        let nope =
            [MAGIC.to_vec(), field(1, &[field(1, b"v1"), field(2, b"Nope")].concat())].concat();
        assert_eq!(decode(&nope).unwrap_err().code(), 415);
        // A tag the tables do not know is refused, not dropped.
        let odd = [MAGIC.to_vec(), field(1, &type_meta), field(2, &field(15, b"x"))].concat();
        assert_eq!(decode(&odd).unwrap_err().code(), 415);
        assert_eq!(decode(b"nope").unwrap_err().code(), 400);
    }
}
