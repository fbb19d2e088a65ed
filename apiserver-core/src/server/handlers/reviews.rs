//! The review virtual resources: SubjectAccessReview, SelfSubjectAccessReview, LocalSubjectAccessReview, SelfSubjectRulesReview (authorization) and TokenReview, SelfSubjectReview (authentication) — create-only, answered by the server's authorizer and authenticator, never stored.

use capstan_api_types::validation::{FieldError, FieldPath};
use http::{Response, StatusCode};
use serde_json::{Map, Value, json};

use super::{ApiRequest, check_kind, parse_body};
use crate::request::BodyFormat;
use crate::security::authn::service_account::RequestAudiences;
use crate::security::jwt::unverified_claims;
use crate::security::{non_resource_attributes, resource_attributes};
use crate::server::auth::{Decision, UserInfo};
use crate::server::registry::Resource;
use crate::server::{Body, Inner, response};
use crate::status::ApiError;

/// Whether `res` is one of the review resources.
pub(crate) fn is_review(res: &Resource) -> bool {
    matches!(
        (res.info.group, res.info.plural),
        (
            "authorization.k8s.io",
            "subjectaccessreviews"
                | "selfsubjectaccessreviews"
                | "localsubjectaccessreviews"
                | "selfsubjectrulesreviews"
        ) | ("authentication.k8s.io", "tokenreviews" | "selfsubjectreviews")
    )
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

fn user_json(user: &UserInfo) -> Value {
    let mut out = json!({"username": user.name, "groups": user.groups});
    if !user.uid.is_empty() {
        out["uid"] = json!(user.uid);
    }
    if !user.extra.is_empty() {
        out["extra"] = json!(user.extra);
    }
    out
}

fn invalid(res: &Resource, field: &str, detail: &str) -> ApiError {
    let mut path = FieldPath::new("spec");
    for part in field.split('.') {
        path = path.child(part);
    }
    let errs = vec![FieldError::required(&path, detail)];
    ApiError::invalid(&res.gvk.group, &res.gvk.kind, "", &errs.into())
}

/// `POST` of a review: answers it in the returned object's `status`.
pub(crate) async fn create(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
) -> Result<Response<Body>, ApiError> {
    let (mut review, _) = parse_body(req)?;
    check_kind(&mut review, &res.api_version(), &res.gvk.kind)?;
    let spec = review.get("spec").cloned().unwrap_or_else(|| json!({}));
    let status = match res.info.plural {
        "selfsubjectreviews" => json!({"userInfo": user_json(&req.user)}),
        "tokenreviews" => token_review(inner, res, &spec).await?,
        "selfsubjectrulesreviews" => {
            let namespace = spec.get("namespace").and_then(Value::as_str).unwrap_or("");
            rules_review(inner, &req.user, namespace)
        }
        plural => {
            let user = match plural {
                "selfsubjectaccessreviews" => req.user.clone(),
                _ => {
                    let mut u = UserInfo::new(
                        spec.get("user").and_then(Value::as_str).unwrap_or(""),
                        strings(spec.get("groups")),
                    );
                    u.uid = spec.get("uid").and_then(Value::as_str).unwrap_or("").to_string();
                    if let Some(extra) = spec.get("extra").and_then(Value::as_object) {
                        u.extra =
                            extra.iter().map(|(k, v)| (k.clone(), strings(Some(v)))).collect();
                    }
                    if u.name.is_empty() && u.groups.is_empty() {
                        return Err(invalid(
                            res,
                            "user",
                            "at least one of user or group must be specified",
                        ));
                    }
                    u
                }
            };
            if plural == "localsubjectaccessreviews" {
                let ns = spec
                    .pointer("/resourceAttributes/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if ns != req.info.namespace {
                    return Err(ApiError::bad_request(format!(
                        "spec.resourceAttributes.namespace must match namespace: {}",
                        req.info.namespace
                    )));
                }
            }
            access_review(inner, res, &user, &spec).await?
        }
    };
    if let Some(map) = review.as_object_mut() {
        map.insert("status".into(), status);
        let meta = map.entry("metadata").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            meta.entry("creationTimestamp").or_insert(Value::Null);
        }
    }
    response::value(StatusCode::CREATED, &review, BodyFormat::Json)
}

async fn access_review(
    inner: &Inner,
    res: &Resource,
    user: &UserInfo,
    spec: &Value,
) -> Result<Value, ApiError> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let info = match (spec.get("resourceAttributes"), spec.get("nonResourceAttributes")) {
        (Some(r), None) if r.is_object() => resource_attributes(
            &s(r, "verb"),
            &s(r, "group"),
            &s(r, "resource"),
            &s(r, "subresource"),
            &s(r, "namespace"),
            &s(r, "name"),
        ),
        (None, Some(n)) if n.is_object() => non_resource_attributes(&s(n, "verb"), &s(n, "path")),
        (Some(_), Some(_)) => {
            return Err(invalid(
                res,
                "nonResourceAttributes",
                "cannot be specified in combination with resourceAttributes",
            ));
        }
        _ => {
            return Err(invalid(
                res,
                "resourceAttributes",
                "exactly one of nonResourceAttributes or resourceAttributes must be specified",
            ));
        }
    };
    Ok(match inner.authorizer.authorize(user, &info).await {
        Decision::Allow => json!({"allowed": true}),
        Decision::Deny(reason) => json!({"allowed": false, "denied": true, "reason": reason}),
        Decision::NoOpinion => json!({"allowed": false}),
    })
}

fn rules_review(inner: &Inner, user: &UserInfo, namespace: &str) -> Value {
    let Some(rules) = inner.authorizer.rules_for(user, namespace) else {
        return json!({"resourceRules": [], "nonResourceRules": [], "incomplete": true,
            "evaluationError": "the authorizer cannot enumerate rules"});
    };
    let resource_rules: Vec<Value> = rules
        .resource_rules
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("verbs".into(), json!(r.verbs));
            m.insert("apiGroups".into(), json!(r.api_groups));
            m.insert("resources".into(), json!(r.resources));
            if !r.resource_names.is_empty() {
                m.insert("resourceNames".into(), json!(r.resource_names));
            }
            Value::Object(m)
        })
        .collect();
    let non_resource_rules: Vec<Value> = rules
        .non_resource_rules
        .iter()
        .map(|r| json!({"verbs": r.verbs, "nonResourceURLs": r.non_resource_urls}))
        .collect();
    json!({
        "resourceRules": resource_rules,
        "nonResourceRules": non_resource_rules,
        "incomplete": rules.incomplete,
    })
}

async fn token_review(inner: &Inner, res: &Resource, spec: &Value) -> Result<Value, ApiError> {
    let token = spec.get("token").and_then(Value::as_str).unwrap_or("");
    if token.is_empty() {
        return Err(invalid(res, "token", ""));
    }
    let Ok(header) = http::HeaderValue::from_str(&format!("Bearer {token}")) else {
        return Ok(json!({"authenticated": false, "error": "invalid bearer token"}));
    };
    let mut head =
        http::Request::builder().uri("/").body(()).map_err(ApiError::internal)?.into_parts().0;
    head.headers.insert(http::header::AUTHORIZATION, header);
    let audiences = strings(spec.get("audiences"));
    if !audiences.is_empty() {
        head.extensions.insert(RequestAudiences(audiences.clone()));
    }
    Ok(match inner.authenticator.authenticate(&head).await {
        Ok(Some(user)) if user.name != crate::security::authn::ANONYMOUS_USER => {
            let mut status = json!({"authenticated": true, "user": user_json(&user)});
            if !audiences.is_empty() {
                // The requested audiences the token was issued for.
                let token_audiences =
                    match unverified_claims(token).ok().and_then(|c| c.get("aud").cloned()) {
                        Some(Value::String(a)) => vec![a],
                        Some(other) => strings(Some(&other)),
                        None => Vec::new(),
                    };
                let granted: Vec<&String> =
                    audiences.iter().filter(|a| token_audiences.contains(a)).collect();
                if granted.is_empty() {
                    return Ok(json!({"authenticated": false,
                        "error": format!("token audiences {token_audiences:?} are invalid for the requested audiences {audiences:?}")}));
                }
                status["audiences"] = json!(granted);
            }
            status
        }
        Ok(_) => json!({"authenticated": false, "error": "invalid bearer token"}),
        Err(e) => json!({"authenticated": false, "error": e.to_string()}),
    })
}
