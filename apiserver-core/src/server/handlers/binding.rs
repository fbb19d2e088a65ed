//! What `pods/binding` writes: the stored pod with `spec.nodeName` set and its `PodScheduled` condition replaced — on the stored bytes where their shape allows, on the parsed object otherwise.

use serde_json::{Value, json};

use crate::json_bytes::{Member, member, object_members};
use crate::server::strategy::set_path;

/// Why a pod cannot be bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `metadata.deletionTimestamp` is set.
    BeingDeleted,
    /// `spec.nodeName` names this node already.
    Assigned(String),
}

/// The `PodScheduled=True` condition set at `now`.
fn scheduled_condition(now: &str) -> Value {
    json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now})
}

/// `status` (absent: `None`) with its `PodScheduled` condition replaced by
/// `PodScheduled=True` at `now`, the other conditions kept in order.
fn with_scheduled(status: Option<&Value>, now: &str) -> Value {
    let mut conditions: Vec<Value> = status
        .and_then(|s| s.get("conditions"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    conditions.retain(|c| c.get("type").and_then(Value::as_str) != Some("PodScheduled"));
    conditions.push(scheduled_condition(now));
    let mut status = status.cloned().unwrap_or_else(|| json!({}));
    set_path(&mut status, &["conditions"], Value::Array(conditions));
    status
}

/// Binds a parsed pod to `node` in place (annotations are the caller's).
pub(crate) fn bind_object(pod: &mut Value, node: &str, now: &str) -> Result<(), Refusal> {
    if pod.pointer("/metadata/deletionTimestamp").is_some() {
        return Err(Refusal::BeingDeleted);
    }
    let assigned = pod.pointer("/spec/nodeName").and_then(Value::as_str).unwrap_or("");
    if !assigned.is_empty() {
        return Err(Refusal::Assigned(assigned.to_string()));
    }
    set_path(pod, &["spec", "nodeName"], json!(node));
    let status = with_scheduled(pod.get("status"), now);
    set_path(pod, &["status"], status);
    Ok(())
}

/// Binds the stored pod `stored` (JSON as the store holds it: members in key order, as
/// `serde_json` writes a parsed object) to `node` by editing its bytes: only `status` is
/// parsed, `spec` gets its `nodeName` member, everything else is copied. The result
/// equals [`bind_object`] on the parsed pod, written the same way. `None` when the bytes
/// do not have that shape (no `spec` or `status` object, malformed): parse them instead.
pub(crate) fn bind_stored(
    stored: &[u8],
    node: &str,
    now: &str,
) -> Option<Result<Vec<u8>, Refusal>> {
    let (top, end) = object_members(stored, 0)?;
    if stored[end..].iter().any(|b| !b.is_ascii_whitespace()) {
        return None;
    }
    let metadata = member(stored, &top, "metadata")?;
    let (meta, _) = object_members(stored, metadata.value.start)?;
    if member(stored, &meta, "deletionTimestamp").is_some() {
        return Some(Err(Refusal::BeingDeleted));
    }
    let spec = member(stored, &top, "spec")?;
    let (spec_members, _) = object_members(stored, spec.value.start)?;
    if let Some(m) = member(stored, &spec_members, "nodeName") {
        let assigned: Value = serde_json::from_slice(&stored[m.value.clone()]).ok()?;
        let assigned = assigned.as_str()?;
        if !assigned.is_empty() {
            return Some(Err(Refusal::Assigned(assigned.to_string())));
        }
    }
    let status = member(stored, &top, "status")?;
    let parsed: Value = serde_json::from_slice(&stored[status.value.clone()]).ok()?;
    if !parsed.is_object() {
        return None;
    }
    let status = serde_json::to_vec(&with_scheduled(Some(&parsed), now)).ok()?;
    let node = serde_json::to_vec(&Value::String(node.to_string())).ok()?;

    let mut out = Vec::with_capacity(stored.len() + node.len() + 160);
    out.push(b'{');
    for (n, m) in top.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        push_key(&mut out, stored, m);
        match &stored[m.key.clone()] {
            b"spec" => push_spec(&mut out, stored, &spec_members, &node),
            b"status" => out.extend_from_slice(&status),
            _ => out.extend_from_slice(&stored[m.value.clone()]),
        }
    }
    out.push(b'}');
    out.shrink_to_fit();
    Some(Ok(out))
}

fn push_key(out: &mut Vec<u8>, s: &[u8], m: &Member) {
    out.push(b'"');
    out.extend_from_slice(&s[m.key.clone()]);
    out.extend_from_slice(b"\":");
}

/// `spec` with `"nodeName":<node>` in key order (replacing an empty one).
fn push_spec(out: &mut Vec<u8>, s: &[u8], members: &[Member], node: &[u8]) {
    const KEY: &[u8] = b"nodeName";
    out.push(b'{');
    let mut written = false;
    let mut first = true;
    let mut comma = |out: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
    };
    for m in members {
        let key = &s[m.key.clone()];
        if !written && key >= KEY {
            comma(out);
            out.extend_from_slice(b"\"nodeName\":");
            out.extend_from_slice(node);
            written = true;
            if key == KEY {
                continue;
            }
        }
        comma(out);
        push_key(out, s, m);
        out.extend_from_slice(&s[m.value.clone()]);
    }
    if !written {
        comma(out);
        out.extend_from_slice(b"\"nodeName\":");
        out.extend_from_slice(node);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-01-02T03:04:05Z";

    /// The byte edit gives exactly what editing the parsed pod and writing it gives.
    #[test]
    fn bytes_and_objects_bind_alike() {
        let pods = [
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "uid": "u"},
                "spec": {"containers": [{"name": "c", "image": "i"}], "schedulerName": "s"},
                "status": {"phase": "Pending", "qosClass": "BestEffort"}}),
            json!({"metadata": {"name": "p"}, "spec": {"nodeName": "", "a": 1, "z": [1]},
                "status": {"conditions": [
                    {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"},
                    {"type": "Other", "status": "True"}]}}),
            json!({"metadata": {"name": "p"}, "spec": {}, "status": {}, "zz": {"x": "\"}"}}),
            json!({"metadata": {"name": "p"}, "spec": {"a": "b", "nodeSelector": {"k": "v"}},
                "status": {}}),
        ];
        for pod in pods {
            let stored = serde_json::to_vec(&pod).unwrap();
            let mut object = pod.clone();
            bind_object(&mut object, "node-\"1\"", NOW).unwrap();
            let bytes = bind_stored(&stored, "node-\"1\"", NOW).expect("shape").unwrap();
            assert_eq!(
                std::str::from_utf8(&bytes).unwrap(),
                serde_json::to_string(&object).unwrap(),
                "{pod}"
            );
        }
    }

    #[test]
    fn refusals_and_other_shapes() {
        let deleting = json!({"metadata": {"name": "p", "deletionTimestamp": NOW},
            "spec": {}, "status": {}});
        let assigned = json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1"}, "status": {}});
        for (pod, want) in
            [(deleting, Refusal::BeingDeleted), (assigned, Refusal::Assigned("n1".into()))]
        {
            let stored = serde_json::to_vec(&pod).unwrap();
            assert_eq!(bind_stored(&stored, "n2", NOW), Some(Err(want.clone())));
            assert_eq!(bind_object(&mut pod.clone(), "n2", NOW), Err(want));
        }
        // No status, a status that is not an object, trailing bytes, not JSON: parse instead.
        for stored in [
            &br#"{"metadata":{"name":"p"},"spec":{}}"#[..],
            br#"{"metadata":{"name":"p"},"spec":{},"status":[]}"#,
            br#"{"metadata":{"name":"p"},"spec":{},"status":{}} x"#,
            b"{",
        ] {
            assert!(bind_stored(stored, "n", NOW).is_none(), "{:?}", std::str::from_utf8(stored));
        }
    }
}
