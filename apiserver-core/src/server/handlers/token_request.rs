//! `POST serviceaccounts/<name>/token` (TokenRequest, what `kubectl create token` calls): a signed ServiceAccount JWT with audiences, lifetime and an optional bound object.

use capstan_api_types::GroupResource;
use capstan_api_types::validation::{FieldError, FieldPath};
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::{ApiRequest, check_kind, not_found_path, parse_body};
use crate::request::BodyFormat;
use crate::security::authn::service_account::service_account_username;
use crate::server::registry::Resource;
use crate::server::{Body, Inner, ids, response};
use crate::status::ApiError;

/// The default token lifetime (1 hour).
const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;
/// The shortest lifetime allowed (10 minutes).
const MIN_EXPIRATION_SECONDS: i64 = 600;

fn invalid_expiration(name: &str, value: i64, detail: &str) -> ApiError {
    let path = FieldPath::new("spec").child("expirationSeconds");
    let errs = vec![FieldError::invalid(&path, value, detail)];
    ApiError::invalid("authentication.k8s.io", "TokenRequest", name, &errs.into())
}

fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

pub(crate) async fn create(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
) -> Result<Response<Body>, ApiError> {
    let Some(issuer) = inner.token_issuer.clone() else { return Err(not_found_path()) };
    let (mut request, _) = parse_body(req)?;
    check_kind(&mut request, "authentication.k8s.io/v1", "TokenRequest")?;
    let (namespace, name) = (req.info.namespace.as_str(), req.info.name.as_str());
    let (sa, _) = res.read_existing(inner.store.as_ref(), namespace, name).await?;
    let sa_uid = s(&sa, "/metadata/uid").to_string();

    let mut expiration = request
        .pointer("/spec/expirationSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(DEFAULT_EXPIRATION_SECONDS);
    if expiration < MIN_EXPIRATION_SECONDS {
        return Err(invalid_expiration(
            name,
            expiration,
            "may not specify a duration less than 10 minutes",
        ));
    }
    if expiration > 1 << 32 {
        return Err(invalid_expiration(
            name,
            expiration,
            "may not specify a duration larger than 2^32 seconds",
        ));
    }
    if let Some(max) = issuer.max_expiration_seconds() {
        expiration = expiration.min(max);
    }
    let mut audiences: Vec<String> = request
        .pointer("/spec/audiences")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    if audiences.is_empty() {
        audiences = issuer.default_audiences();
    }

    let now = jiff::Timestamp::now().as_second();
    let exp = now + expiration;
    let mut private = json!({
        "namespace": namespace,
        "serviceaccount": {"name": name, "uid": sa_uid},
    });
    let bound = request.pointer("/spec/boundObjectRef").filter(|b| b.is_object()).cloned();
    if let Some(bound) = &bound {
        let kind = s(bound, "/kind");
        let api_version = s(bound, "/apiVersion");
        let object_name = s(bound, "/name");
        let plural = match (api_version, kind) {
            ("v1" | "", "Pod") => "pods",
            ("v1" | "", "Secret") => "secrets",
            ("v1" | "", "Node") => "nodes",
            _ => {
                return Err(ApiError::bad_request(format!(
                    "cannot bind token for serviceaccount {name:?} to object of type {api_version}, Kind={kind}"
                )));
            }
        };
        let bound_ns = if plural == "nodes" { "" } else { namespace };
        let gr = GroupResource::new("", plural);
        let object = lookup_object(inner, plural, bound_ns, object_name)
            .await?
            .ok_or_else(|| ApiError::not_found(&gr, object_name))?;
        let uid = s(&object, "/metadata/uid").to_string();
        let wanted = s(bound, "/uid");
        if !wanted.is_empty() && wanted != uid {
            return Err(ApiError::conflict(
                &GroupResource::new("", kind),
                object_name,
                format!(
                    "the UID in the bound object reference ({wanted}) does not match the UID in record. The object might have been deleted and then recreated"
                ),
            ));
        }
        if plural == "pods" {
            let pod_sa = s(&object, "/spec/serviceAccountName");
            if !pod_sa.is_empty() && pod_sa != name {
                return Err(ApiError::bad_request(format!(
                    "cannot bind token for serviceaccount {name:?} to pod running with different serviceaccount name."
                )));
            }
        }
        let key = match plural {
            "pods" => "pod",
            "secrets" => "secret",
            _ => "node",
        };
        private[key] = json!({"name": object_name, "uid": uid});
    }
    let claims = json!({
        "iss": issuer.issuer(),
        "sub": service_account_username(namespace, name),
        "aud": audiences,
        "exp": exp,
        "iat": now,
        "nbf": now,
        "jti": ids::new_uid(),
        "kubernetes.io": private,
    });
    let token = issuer.issue(&claims)?;
    let mut spec = json!({"audiences": audiences, "expirationSeconds": expiration});
    if let Some(bound) = bound {
        spec["boundObjectRef"] = bound;
    }
    let out = json!({
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": ids::now_rfc3339()},
        "spec": spec,
        "status": {"token": token, "expirationTimestamp": ids::seconds_rfc3339(exp)},
    });
    response::value(StatusCode::CREATED, &out, BodyFormat::Json)
}

async fn lookup_object(
    inner: &Inner,
    plural: &str,
    namespace: &str,
    name: &str,
) -> Result<Option<Value>, ApiError> {
    let gvr = capstan_api_types::GroupVersionResource::new("", "v1", plural);
    let Some(res) = inner.resources.get(&gvr) else { return Ok(None) };
    Ok(res.read(inner.store.as_ref(), namespace, name).await?.map(|(v, _)| v))
}
