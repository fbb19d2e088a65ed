//! AdmissionReview v1: the request a webhook is sent and what its response means — allowed or denied (with Kubernetes' `admission webhook "x" denied the request: …`), warnings, and a JSON patch.

use base64::Engine;
use http::StatusCode;
use serde_json::{Value, json};

use crate::admission::matching::operation_name;
use crate::admission::util::{meta, object_name};
use crate::server::admission::{AdmissionAttributes, Operation};
use crate::status::{ApiError, StatusReason};

/// The AdmissionReview sent for one request.
pub fn review_request(uid: &str, attrs: &AdmissionAttributes<'_>, object: &Value) -> Value {
    let info = attrs.info;
    let version = if info.api_version.is_empty() {
        attrs.kind.version.clone()
    } else {
        info.api_version.clone()
    };
    let kind =
        json!({"group": attrs.kind.group, "version": attrs.kind.version, "kind": attrs.kind.kind});
    let resource = json!({"group": info.api_group, "version": version, "resource": info.resource});
    let (new, old) = match attrs.operation {
        Operation::Delete => (Value::Null, object.clone()),
        _ => (object.clone(), attrs.old_object.cloned().unwrap_or(Value::Null)),
    };
    let namespace = if info.namespace.is_empty() {
        meta(object, "namespace").to_string()
    } else {
        info.namespace.clone()
    };
    let options_kind = match attrs.operation {
        Operation::Create => "CreateOptions",
        Operation::Update => "UpdateOptions",
        Operation::Delete => "DeleteOptions",
    };
    let mut request = json!({
        "uid": uid,
        "kind": kind,
        "resource": resource,
        "requestKind": kind,
        "requestResource": resource,
        "name": object_name(attrs, object),
        "namespace": namespace,
        "operation": operation_name(attrs.operation),
        "userInfo": {
            "username": attrs.user.name,
            "uid": attrs.user.uid,
            "groups": attrs.user.groups,
            "extra": attrs.user.extra,
        },
        "object": new,
        "oldObject": old,
        "dryRun": attrs.dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": options_kind},
    });
    if !info.subresource.is_empty() {
        request["subResource"] = json!(info.subresource);
        request["requestSubResource"] = json!(info.subresource);
    }
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request})
}

/// What a webhook answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether the request may go on.
    pub allowed: bool,
    /// The refusal status (`code`, `reason`, `message`).
    pub status: Value,
    /// Warnings for the client.
    pub warnings: Vec<String>,
    /// The JSON patch to apply (mutating webhooks), decoded.
    pub patch: Option<json_patch::Patch>,
}

/// Reads an AdmissionReview response; `Err` when it is not a valid answer to `uid`.
pub fn verdict(uid: &str, review: &Value) -> Result<Verdict, String> {
    if review.get("apiVersion").and_then(Value::as_str) != Some("admission.k8s.io/v1")
        || review.get("kind").and_then(Value::as_str) != Some("AdmissionReview")
    {
        return Err("expected an admission.k8s.io/v1 AdmissionReview".into());
    }
    let response = review.get("response").ok_or("the AdmissionReview has no response")?;
    let got = response.get("uid").and_then(Value::as_str).unwrap_or("");
    if got != uid {
        return Err(format!("expected response.uid={uid:?}, got {got:?}"));
    }
    let allowed = response.get("allowed").and_then(Value::as_bool).unwrap_or(false);
    let warnings = response
        .get("warnings")
        .and_then(Value::as_array)
        .map(|w| w.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let patch = match response.get("patch").and_then(Value::as_str) {
        Some(p) if !p.is_empty() => {
            let patch_type = response.get("patchType").and_then(Value::as_str).unwrap_or("");
            if patch_type != "JSONPatch" {
                return Err(format!("unsupported patch type {patch_type:?}"));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(p)
                .map_err(|e| format!("patch is not base64: {e}"))?;
            Some(
                serde_json::from_slice(&bytes)
                    .map_err(|e| format!("patch is not a JSON patch: {e}"))?,
            )
        }
        _ => None,
    };
    Ok(Verdict {
        allowed,
        status: response.get("status").cloned().unwrap_or(Value::Null),
        warnings,
        patch,
    })
}

/// The error of a refusal, as Kubernetes words it: `admission webhook "name" denied the
/// request: <message>` (or `… without explanation`), the webhook's code (at least 400).
pub fn denied(webhook: &str, status: &Value) -> ApiError {
    let denied_by = format!("admission webhook {webhook:?} denied the request");
    let message = status.get("message").and_then(Value::as_str).unwrap_or("");
    let reason = status.get("reason").and_then(Value::as_str).unwrap_or("");
    let text = if !message.is_empty() {
        format!("{denied_by}: {message}")
    } else if !reason.is_empty() {
        format!("{denied_by}: {reason}")
    } else {
        format!("{denied_by} without explanation")
    };
    let code = status
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| *c >= 400)
        .and_then(|c| StatusCode::from_u16(c).ok())
        .unwrap_or(StatusCode::BAD_REQUEST);
    let reason =
        if reason.is_empty() { StatusReason::BadRequest } else { StatusReason::parse(reason) };
    ApiError::new(code, reason, text, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_read_and_checked() {
        let patch = base64::engine::general_purpose::STANDARD
            .encode(br#"[{"op":"add","path":"/metadata/labels","value":{"a":"b"}}]"#);
        let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "response": {"uid": "u1", "allowed": true, "patchType": "JSONPatch", "patch": patch,
                "warnings": ["careful"]}});
        let v = verdict("u1", &review).expect("valid");
        assert!(v.allowed && v.patch.is_some());
        assert_eq!(v.warnings, vec!["careful".to_string()]);
        assert!(verdict("u2", &review).is_err());
    }

    #[test]
    fn refusals_read_as_kubernetes_writes_them() {
        let e = denied("deny.example.com", &json!({"code": 403, "message": "no"}));
        assert_eq!(e.code(), StatusCode::FORBIDDEN);
        assert_eq!(e.message(), "admission webhook \"deny.example.com\" denied the request: no");
        let e = denied("d", &Value::Null);
        assert_eq!(e.code(), StatusCode::BAD_REQUEST);
        assert_eq!(e.message(), "admission webhook \"d\" denied the request without explanation");
    }
}
