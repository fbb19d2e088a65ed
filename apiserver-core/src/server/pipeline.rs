//! The request pipeline, in order: request info → authentication → impersonation → authorization → body limit → deadline → handler (decode → mutating admission → strategy → validation → validating admission → store).
//!
//! Each stage is a small function here so the order is visible in [`handle`]; the
//! replaceable stages are traits ([`super::auth::Authenticator`],
//! [`super::auth::Authorizer`], [`super::admission::MutatingAdmission`],
//! [`super::admission::ValidatingAdmission`]) given to the builder.

use bytes::Bytes;
use http::{Method, Response};
use http_body_util::{BodyExt, Limited};

use super::admission::add_audit_annotation;
use super::auth::{Decision, UserInfo};
use super::{Body, Inner, MAX_REQUEST_BODY_BYTES, handlers, response};
use crate::request::{Query, RequestInfo};
use crate::security::impersonation;
use crate::serve as timeout;
use crate::status::ApiError;

/// One request after the filters: what the handlers work on.
#[derive(Debug)]
pub struct ApiRequest {
    /// The request head.
    pub head: http::request::Parts,
    /// What the path names.
    pub info: RequestInfo,
    /// The decoded query.
    pub query: Query,
    /// The authenticated user.
    pub user: UserInfo,
    /// The whole body (at most [`MAX_REQUEST_BODY_BYTES`]).
    pub body: Bytes,
}

/// Serves one request: never fails, errors become `Status` responses.
pub(crate) async fn handle<B>(inner: &Inner, request: http::Request<B>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (result, warnings) = super::admission::collect_warnings(run(inner, request)).await;
    let mut r = match result {
        Ok(r) => r,
        Err(e) => response::error(&e),
    };
    response::add_warnings(&mut r, &warnings);
    r
}

async fn run<B>(inner: &Inner, request: http::Request<B>) -> Result<Response<Body>, ApiError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (head, body) = request.into_parts();
    // 1. What the request names.
    let query = Query::from_uri(&head.uri);
    let info = RequestInfo::parse(&head.method, head.uri.path(), &query)?;
    // 2. Who asks (and whom they impersonate, if they may).
    let user = authenticate(inner, &head).await?;
    let user = if impersonation::requested(&head) {
        impersonation::impersonate(inner.authorizer.as_ref(), &head, user).await?
    } else {
        user
    };
    // 3. Whether they may.
    authorize(inner, &user, &info).await?;
    // 4. The body, bounded.
    let body = read_body(&head, body).await?;
    // 5. The handler; writes run admission inside (see `handlers`).
    // Long-running requests (watch, proxy, logs) have no deadline; others the shorter of
    // the server's limit and `?timeout=`.
    let deadline = timeout::deadline_for(&info, &query, inner.request_timeout)?;
    let request = ApiRequest { head, info, query, user, body };
    let Some(deadline) = deadline else {
        return handlers::dispatch(inner, request).await;
    };
    match tokio::time::timeout(deadline, handlers::dispatch(inner, request)).await {
        Ok(r) => r,
        Err(_) => Err(timeout::deadline_exceeded()),
    }
}

async fn authenticate(inner: &Inner, head: &http::request::Parts) -> Result<UserInfo, ApiError> {
    inner.authenticator.authenticate(head).await?.ok_or_else(|| ApiError::unauthorized(""))
}

async fn authorize(inner: &Inner, user: &UserInfo, info: &RequestInfo) -> Result<(), ApiError> {
    // The audit annotations Kubernetes records for every authorized request.
    const DECISION: &str = "authorization.k8s.io/decision";
    let decision = match inner.authorizer.decide_now(user, info) {
        Some(decision) => decision,
        None => inner.authorizer.authorize(user, info).await,
    };
    match decision {
        Decision::Allow => {
            add_audit_annotation(DECISION, "allow");
            Ok(())
        }
        Decision::Deny(reason) => {
            add_audit_annotation(DECISION, "forbid");
            Err(ApiError::forbidden_request(&user.name, info, &reason))
        }
        Decision::NoOpinion => {
            add_audit_annotation(DECISION, "forbid");
            Err(ApiError::forbidden_request(&user.name, info, ""))
        }
    }
}

fn too_large() -> ApiError {
    ApiError::request_entity_too_large(format!("limit is {MAX_REQUEST_BODY_BYTES}"))
}

async fn read_body<B>(head: &http::request::Parts, body: B) -> Result<Bytes, ApiError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if matches!(head.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(Bytes::new());
    }
    let declared = head
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BODY_BYTES as u64) {
        return Err(too_large());
    }
    match Limited::new(body, MAX_REQUEST_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(ApiError::bad_request(format!("unable to read the request body: {e}"))),
    }
}
