//! Kubernetes `Status` errors: [`ApiError`] with the codes, reasons and messages of apimachinery's `api/errors`.
//!
//! Every failure the API server answers is an [`ApiError`]: a [`StatusReason`], an HTTP
//! code, a message and optional [`StatusDetails`], rendered with [`ApiError::to_status`]
//! as the `meta.k8s.io/v1` `Status` object clients decode (`kubectl` prints its
//! `message`; client-go's `apierrors.IsNotFound` and friends look at `reason` and
//! `code`). Constructors mirror apimachinery's `NewNotFound`, `NewConflict`, … word for
//! word, and [`ApiError::from_store`] interprets [`StoreError`]s the way the generic
//! registry's `storage/errors` package does.

use std::fmt;

use capstan_api_types::gvk::GroupResource;
use capstan_api_types::validation::FieldErrors;
use capstan_api_types::validation::field::go_quote;
use capstan_store::StoreError;
use http::StatusCode;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    ListMeta, Status, StatusCause, StatusDetails,
};

use crate::request::RequestInfo;

/// The message of a conflict on an optimistic-concurrency write (apiserver's
/// `OptimisticLockErrorMsg`).
pub const OPTIMISTIC_LOCK_ERROR_MSG: &str =
    "the object has been modified; please apply your changes to the latest version and try again";

/// The message of a `410 Expired` list whose resource version was compacted.
pub const LIST_EXPIRED_MSG: &str = "The resourceVersion for the provided list is too old.";

/// The message of a `410 Expired` list whose continue token was compacted.
pub const CONTINUE_EXPIRED_MSG: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// The cause type of a too-large resource version (`ResourceVersionTooLarge`).
pub const CAUSE_RESOURCE_VERSION_TOO_LARGE: &str = "ResourceVersionTooLarge";

/// A machine-readable reason of a failed request (`metav1.StatusReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusReason {
    /// No reason given (`""`): an error the server could not classify.
    Unknown,
    /// `401`: the request lacks valid credentials.
    Unauthorized,
    /// `403`: the user may not perform the action.
    Forbidden,
    /// `404`: the resource does not exist.
    NotFound,
    /// `409`: the resource already exists.
    AlreadyExists,
    /// `409`: the write conflicts with the stored state.
    Conflict,
    /// `410`: the resource is gone.
    Gone,
    /// `422`: the object failed validation.
    Invalid,
    /// `500`: a transient server-side timeout; retry.
    ServerTimeout,
    /// `500`: the stored object could not be read (decode or transform failure).
    StoreReadError,
    /// `504`: the request did not finish in time; it may still complete.
    Timeout,
    /// `429`: rate limited; retry after a delay.
    TooManyRequests,
    /// `400`: the request is malformed.
    BadRequest,
    /// `405`: the action is not supported on this resource.
    MethodNotAllowed,
    /// `406`: none of the accepted media types can be served.
    NotAcceptable,
    /// `413`: the request body is too large.
    RequestEntityTooLarge,
    /// `415`: the request body's media type is not supported.
    UnsupportedMediaType,
    /// `500`: an internal error.
    InternalError,
    /// `410`: the requested content expired (resource version too old).
    Expired,
    /// `503`: the service is unavailable.
    ServiceUnavailable,
}

impl StatusReason {
    /// The wire string (`NotFound`, …; empty for [`StatusReason::Unknown`]).
    pub fn as_str(self) -> &'static str {
        match self {
            StatusReason::Unknown => "",
            StatusReason::Unauthorized => "Unauthorized",
            StatusReason::Forbidden => "Forbidden",
            StatusReason::NotFound => "NotFound",
            StatusReason::AlreadyExists => "AlreadyExists",
            StatusReason::Conflict => "Conflict",
            StatusReason::Gone => "Gone",
            StatusReason::Invalid => "Invalid",
            StatusReason::ServerTimeout => "ServerTimeout",
            StatusReason::StoreReadError => "StorageReadError",
            StatusReason::Timeout => "Timeout",
            StatusReason::TooManyRequests => "TooManyRequests",
            StatusReason::BadRequest => "BadRequest",
            StatusReason::MethodNotAllowed => "MethodNotAllowed",
            StatusReason::NotAcceptable => "NotAcceptable",
            StatusReason::RequestEntityTooLarge => "RequestEntityTooLarge",
            StatusReason::UnsupportedMediaType => "UnsupportedMediaType",
            StatusReason::InternalError => "InternalError",
            StatusReason::Expired => "Expired",
            StatusReason::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    /// Parses a wire string; unknown strings give [`StatusReason::Unknown`].
    pub fn parse(s: &str) -> StatusReason {
        const ALL: [StatusReason; 19] = [
            StatusReason::Unauthorized,
            StatusReason::Forbidden,
            StatusReason::NotFound,
            StatusReason::AlreadyExists,
            StatusReason::Conflict,
            StatusReason::Gone,
            StatusReason::Invalid,
            StatusReason::ServerTimeout,
            StatusReason::StoreReadError,
            StatusReason::Timeout,
            StatusReason::TooManyRequests,
            StatusReason::BadRequest,
            StatusReason::MethodNotAllowed,
            StatusReason::NotAcceptable,
            StatusReason::RequestEntityTooLarge,
            StatusReason::UnsupportedMediaType,
            StatusReason::InternalError,
            StatusReason::Expired,
            StatusReason::ServiceUnavailable,
        ];
        ALL.into_iter().find(|r| r.as_str() == s).unwrap_or(StatusReason::Unknown)
    }
}

impl fmt::Display for StatusReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which storage operation failed, for interpreting a [`StoreError`] as Kubernetes'
/// `storage/errors` package does (`InterpretGetError`, `InterpretUpdateError`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreOperation {
    /// A read of one object.
    Get,
    /// A list.
    List,
    /// A watch.
    Watch,
    /// A create.
    Create,
    /// An update or patch.
    Update,
    /// A delete.
    Delete,
}

impl StoreOperation {
    /// The operation name used in `ServerTimeout` messages (`get`, `create`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            StoreOperation::Get => "get",
            StoreOperation::List => "list",
            StoreOperation::Watch => "watch",
            StoreOperation::Create => "create",
            StoreOperation::Update => "update",
            StoreOperation::Delete => "delete",
        }
    }
}

/// A failed API request: a Kubernetes `Status` with `status: Failure`.
///
/// Boxed inside so that `Result<T, ApiError>` stays small.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.inner.message)]
pub struct ApiError {
    inner: Box<Inner>,
}

#[derive(Debug, Clone, PartialEq)]
struct Inner {
    code: StatusCode,
    reason: StatusReason,
    message: String,
    details: Option<StatusDetails>,
    list_continue: Option<String>,
}

fn non_empty(s: &str) -> Option<String> {
    if s.is_empty() { None } else { Some(s.to_string()) }
}

fn resource_details(gr: &GroupResource, name: &str) -> StatusDetails {
    StatusDetails {
        group: non_empty(&gr.group),
        kind: non_empty(&gr.resource),
        name: non_empty(name),
        ..StatusDetails::default()
    }
}

fn retry_details(retry_after_seconds: u32) -> StatusDetails {
    StatusDetails {
        retry_after_seconds: retry_seconds(retry_after_seconds),
        ..StatusDetails::default()
    }
}

fn retry_seconds(retry_after_seconds: u32) -> Option<i32> {
    if retry_after_seconds == 0 {
        None
    } else {
        Some(i32::try_from(retry_after_seconds).unwrap_or(i32::MAX))
    }
}

impl ApiError {
    /// Builds an error from its parts; prefer the named constructors.
    pub fn new(
        code: StatusCode,
        reason: StatusReason,
        message: impl Into<String>,
        details: Option<StatusDetails>,
    ) -> Self {
        ApiError {
            inner: Box::new(Inner {
                code,
                reason,
                message: message.into(),
                details,
                list_continue: None,
            }),
        }
    }

    /// `404 NotFound`: `pods "x" not found`.
    pub fn not_found(gr: &GroupResource, name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            StatusReason::NotFound,
            format!("{gr} {} not found", go_quote(name)),
            Some(resource_details(gr, name)),
        )
    }

    /// `409 AlreadyExists`: `pods "x" already exists`.
    pub fn already_exists(gr: &GroupResource, name: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            StatusReason::AlreadyExists,
            format!("{gr} {} already exists", go_quote(name)),
            Some(resource_details(gr, name)),
        )
    }

    /// `409 AlreadyExists` when `generateName` produced a taken name.
    pub fn generate_name_conflict(
        gr: &GroupResource,
        name: &str,
        retry_after_seconds: u32,
    ) -> Self {
        let mut details = resource_details(gr, name);
        details.retry_after_seconds = retry_seconds(retry_after_seconds);
        Self::new(
            StatusCode::CONFLICT,
            StatusReason::AlreadyExists,
            format!(
                "{gr} {} already exists, the server was not able to generate a unique name for the object",
                go_quote(name)
            ),
            Some(details),
        )
    }

    /// `409 Conflict`: `Operation cannot be fulfilled on pods "x": <reason>`.
    pub fn conflict(gr: &GroupResource, name: &str, reason: impl fmt::Display) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            StatusReason::Conflict,
            format!("Operation cannot be fulfilled on {gr} {}: {reason}", go_quote(name)),
            Some(resource_details(gr, name)),
        )
    }

    /// `409 Conflict` for a stale `resourceVersion` ([`OPTIMISTIC_LOCK_ERROR_MSG`]).
    pub fn conflict_modified(gr: &GroupResource, name: &str) -> Self {
        Self::conflict(gr, name, OPTIMISTIC_LOCK_ERROR_MSG)
    }

    /// `409 Conflict` of server-side apply, with one cause per conflicting field.
    pub fn apply_conflict(causes: Vec<StatusCause>, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            StatusReason::Conflict,
            message,
            Some(StatusDetails { causes: Some(causes), ..StatusDetails::default() }),
        )
    }

    /// `422 Invalid`: `Pod "x" is invalid: <errors>`, one cause per field error.
    ///
    /// `group` and `kind` name the object's kind (`""`/`Pod`, `apps`/`Deployment`); the
    /// message qualifies the kind with its group as apimachinery's `GroupKind.String()`.
    pub fn invalid(group: &str, kind: &str, name: &str, errors: &FieldErrors) -> Self {
        let qualified = if group.is_empty() { kind.to_string() } else { format!("{kind}.{group}") };
        let message = if errors.is_empty() {
            format!("{qualified} {} is invalid", go_quote(name))
        } else {
            errors.invalid_message(&qualified, name)
        };
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusReason::Invalid,
            message,
            Some(StatusDetails {
                group: non_empty(group),
                kind: non_empty(kind),
                name: non_empty(name),
                causes: Some(errors.to_status_causes()),
                ..StatusDetails::default()
            }),
        )
    }

    /// `400 BadRequest` with the given message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, StatusReason::BadRequest, message, None)
    }

    /// `401 Unauthorized`; an empty message becomes `not authorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        let mut message = message.into();
        if message.is_empty() {
            message = "not authorized".to_string();
        }
        Self::new(StatusCode::UNAUTHORIZED, StatusReason::Unauthorized, message, None)
    }

    /// `403 Forbidden` as apimachinery's `NewForbidden`: `pods "x" is forbidden: <reason>`,
    /// `pods is forbidden: <reason>` without a name, `forbidden: <reason>` without a resource.
    pub fn forbidden(gr: &GroupResource, name: &str, reason: impl fmt::Display) -> Self {
        let message = if gr.group.is_empty() && gr.resource.is_empty() {
            format!("forbidden: {reason}")
        } else if name.is_empty() {
            format!("{gr} is forbidden: {reason}")
        } else {
            format!("{gr} {} is forbidden: {reason}", go_quote(name))
        };
        Self::new(
            StatusCode::FORBIDDEN,
            StatusReason::Forbidden,
            message,
            Some(resource_details(gr, name)),
        )
    }

    /// `403 Forbidden` as the authorization filter writes it for a denied request:
    /// `pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the
    /// namespace "ns"`, with `: <reason>` appended when the authorizer gave one.
    pub fn forbidden_request(user: &str, info: &RequestInfo, reason: &str) -> Self {
        let mut msg = if !info.is_resource_request {
            format!("User {} cannot {} path {}", go_quote(user), info.verb, go_quote(&info.path))
        } else {
            let mut resource = info.resource.clone();
            if !info.subresource.is_empty() {
                resource = format!("{resource}/{}", info.subresource);
            }
            let scope = if info.namespace.is_empty() {
                "at the cluster scope".to_string()
            } else {
                format!("in the namespace {}", go_quote(&info.namespace))
            };
            format!(
                "User {} cannot {} resource {} in API group {} {scope}",
                go_quote(user),
                info.verb,
                go_quote(&resource),
                go_quote(&info.api_group)
            )
        };
        if !reason.is_empty() {
            msg = format!("{msg}: {reason}");
        }
        let gr = GroupResource::new(info.api_group.clone(), info.resource.clone());
        Self::forbidden(&gr, &info.name, msg)
    }

    /// `405 MethodNotAllowed`: `<action> is not supported on resources of kind "pods"`.
    pub fn method_not_supported(gr: &GroupResource, action: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            StatusReason::MethodNotAllowed,
            format!("{action} is not supported on resources of kind {}", go_quote(&gr.to_string())),
            Some(resource_details(gr, "")),
        )
    }

    /// `406 NotAcceptable`: `only the following media types are accepted: <list>`.
    pub fn not_acceptable(accepted: &[&str]) -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            StatusReason::NotAcceptable,
            format!("only the following media types are accepted: {}", accepted.join(", ")),
            None,
        )
    }

    /// `406 NotAcceptable` with a free-form message (e.g. a `Table` of a non-list).
    pub fn not_acceptable_message(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_ACCEPTABLE, StatusReason::NotAcceptable, message, None)
    }

    /// `415 UnsupportedMediaType`: `the body of the request was in an unknown format -
    /// accepted media types include: <list>`.
    pub fn unsupported_media_type(accepted: &[&str]) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            StatusReason::UnsupportedMediaType,
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
            None,
        )
    }

    /// `410 Gone` (reason `Gone`, deprecated upstream in favour of [`ApiError::resource_expired`]).
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(StatusCode::GONE, StatusReason::Gone, message, None)
    }

    /// `410 Expired` with the given message.
    pub fn resource_expired(message: impl Into<String>) -> Self {
        Self::new(StatusCode::GONE, StatusReason::Expired, message, None)
    }

    /// `410 Expired` of a watch from a compacted revision:
    /// `too old resource version: <requested> (<oldest>)`.
    pub fn too_old_resource_version(requested: i64, oldest: i64) -> Self {
        Self::resource_expired(format!("too old resource version: {requested} ({oldest})"))
    }

    /// `410 Expired` of a list at a compacted resource version ([`LIST_EXPIRED_MSG`]).
    pub fn list_expired() -> Self {
        Self::resource_expired(LIST_EXPIRED_MSG)
    }

    /// `410 Expired` of a list whose continue token was compacted
    /// ([`CONTINUE_EXPIRED_MSG`]); `new_continue` is the token to resume from
    /// inconsistently, returned in the `Status`'s `metadata.continue`.
    pub fn continue_expired(new_continue: Option<String>) -> Self {
        let mut e = Self::resource_expired(CONTINUE_EXPIRED_MSG);
        e.inner.list_continue = new_continue;
        e
    }

    /// `413 RequestEntityTooLarge`: `Request entity too large: <message>`.
    pub fn request_entity_too_large(message: impl fmt::Display) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusReason::RequestEntityTooLarge,
            format!("Request entity too large: {message}"),
            None,
        )
    }

    /// `429 TooManyRequests` with `retryAfterSeconds` (apimachinery's `NewTooManyRequests`).
    pub fn too_many_requests(message: impl Into<String>, retry_after_seconds: u32) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            StatusReason::TooManyRequests,
            message,
            Some(retry_details(retry_after_seconds)),
        )
    }

    /// `500 ServerTimeout`: `The <op> operation against <resource> could not be completed
    /// at this time, please try again.` — what an unreachable store gives.
    pub fn server_timeout(gr: &GroupResource, operation: &str, retry_after_seconds: u32) -> Self {
        let mut details = resource_details(gr, operation);
        details.retry_after_seconds = retry_seconds(retry_after_seconds);
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusReason::ServerTimeout,
            format!(
                "The {operation} operation against {gr} could not be completed at this time, please try again."
            ),
            Some(details),
        )
    }

    /// `504 Timeout`: `Timeout: <message>`.
    pub fn timeout(message: impl fmt::Display, retry_after_seconds: u32) -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            StatusReason::Timeout,
            format!("Timeout: {message}"),
            Some(retry_details(retry_after_seconds)),
        )
    }

    /// `504 Timeout` of a read at a resource version the store has not reached:
    /// `Timeout: Too large resource version: <requested>, current: <current>`, with a
    /// `ResourceVersionTooLarge` cause (client-go's reflector looks for it).
    pub fn too_large_resource_version(
        requested: i64,
        current: i64,
        retry_after_seconds: u32,
    ) -> Self {
        let mut e = Self::timeout(
            format!("Too large resource version: {requested}, current: {current}"),
            retry_after_seconds,
        );
        if let Some(d) = e.inner.details.as_mut() {
            d.causes = Some(vec![StatusCause {
                reason: Some(CAUSE_RESOURCE_VERSION_TOO_LARGE.to_string()),
                message: Some("Too large resource version".to_string()),
                field: None,
            }]);
        }
        e
    }

    /// `500 InternalError`: `Internal error occurred: <error>`, the error as the only cause.
    pub fn internal(error: impl fmt::Display) -> Self {
        let text = error.to_string();
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusReason::InternalError,
            format!("Internal error occurred: {text}"),
            Some(StatusDetails {
                causes: Some(vec![StatusCause { message: Some(text), ..StatusCause::default() }]),
                ..StatusDetails::default()
            }),
        )
    }

    /// `500` with no reason: how the server reports an error it could not classify.
    pub fn unknown(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, StatusReason::Unknown, message, None)
    }

    /// `503 ServiceUnavailable` with the given message.
    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, StatusReason::ServiceUnavailable, message, None)
    }

    /// Interprets a storage error for `op` on the object `name` of `gr`, as the generic
    /// registry does (`storage/errors`: `InterpretGetError`, `InterpretCreateError`, …):
    ///
    /// | store error | API error |
    /// |---|---|
    /// | `NotFound` | `404 NotFound` |
    /// | `AlreadyExists` | `409 AlreadyExists` on create, else `409 Conflict` |
    /// | `Conflict` | `409 AlreadyExists` on create, else `409 Conflict` (object modified) |
    /// | `Compacted` | `410 Expired` (`too old resource version` for watch, the list message otherwise) |
    /// | `FutureRevision` | `504 Timeout` with `ResourceVersionTooLarge` |
    /// | `ValueTooLarge` | `413 RequestEntityTooLarge` |
    /// | `Unavailable` | `500 ServerTimeout` (retry after 2 s), as for an unreachable etcd |
    /// | `Closed` | `503 ServiceUnavailable` |
    /// | anything else | `500 InternalError` |
    pub fn from_store(op: StoreOperation, gr: &GroupResource, name: &str, err: StoreError) -> Self {
        match err {
            StoreError::NotFound { .. } => Self::not_found(gr, name),
            StoreError::AlreadyExists { .. } | StoreError::Conflict { .. }
                if op == StoreOperation::Create =>
            {
                Self::already_exists(gr, name)
            }
            StoreError::AlreadyExists { .. } | StoreError::Conflict { .. }
                if matches!(op, StoreOperation::Update | StoreOperation::Delete) =>
            {
                Self::conflict_modified(gr, name)
            }
            StoreError::Compacted { requested, compacted } => match op {
                StoreOperation::Watch => Self::too_old_resource_version(requested, compacted),
                _ => Self::list_expired(),
            },
            StoreError::FutureRevision { requested, current } => {
                Self::too_large_resource_version(requested, current, 1)
            }
            StoreError::ValueTooLarge { size, limit, .. } => {
                Self::request_entity_too_large(format!("limit is {limit}, object is {size} bytes"))
            }
            StoreError::Unavailable { .. } => Self::server_timeout(gr, op.as_str(), 2),
            StoreError::Closed => Self::service_unavailable(err.to_string()),
            other => Self::internal(other),
        }
    }

    /// The HTTP status code.
    pub fn code(&self) -> StatusCode {
        self.inner.code
    }

    /// The reason.
    pub fn reason(&self) -> StatusReason {
        self.inner.reason
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The details, if any.
    pub fn details(&self) -> Option<&StatusDetails> {
        self.inner.details.as_ref()
    }

    /// The `retryAfterSeconds` detail (for a `Retry-After` header), if any.
    pub fn retry_after_seconds(&self) -> Option<i32> {
        self.inner.details.as_ref().and_then(|d| d.retry_after_seconds)
    }

    /// Whether the reason is `NotFound`.
    pub fn is_not_found(&self) -> bool {
        self.inner.reason == StatusReason::NotFound
    }

    /// Whether the reason is `Conflict`.
    pub fn is_conflict(&self) -> bool {
        self.inner.reason == StatusReason::Conflict
    }

    /// The `Status` object (`status: Failure`).
    pub fn to_status(&self) -> Status {
        Status {
            code: Some(i32::from(self.inner.code.as_u16())),
            details: self.inner.details.clone(),
            message: Some(self.inner.message.clone()),
            metadata: ListMeta {
                continue_: self.inner.list_continue.clone(),
                ..ListMeta::default()
            },
            reason: non_empty(self.inner.reason.as_str()),
            status: Some("Failure".to_string()),
        }
    }

    /// The `Status` as a JSON value (`{"kind":"Status","apiVersion":"v1",…}`).
    pub fn to_json(&self) -> serde_json::Value {
        status_json(&self.to_status())
    }

    /// Rebuilds an error from a `Status` received from elsewhere (a webhook, a peer).
    /// A missing or out-of-range code becomes 500.
    pub fn from_status(status: &Status) -> Self {
        let code = status
            .code
            .and_then(|c| u16::try_from(c).ok())
            .and_then(|c| StatusCode::from_u16(c).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError {
            inner: Box::new(Inner {
                code,
                reason: StatusReason::parse(status.reason.as_deref().unwrap_or("")),
                message: status.message.clone().unwrap_or_default(),
                details: status.details.clone(),
                list_continue: status.metadata.continue_.clone(),
            }),
        }
    }
}

/// Context-free fallback: prefer [`ApiError::from_store`], which knows the resource,
/// the name and the operation. This treats the error as a failed read of an unnamed
/// object of an unknown resource.
impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        ApiError::from_store(StoreOperation::Get, &GroupResource::default(), "", err)
    }
}

fn status_json(status: &Status) -> serde_json::Value {
    serde_json::to_value(status).unwrap_or_else(|e| {
        serde_json::json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": format!("failed to encode status: {e}"),
            "code": 500,
        })
    })
}

/// The `Status` a delete returns when the object is gone and no object is returned:
/// `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{…}}`.
pub fn success_status(details: StatusDetails) -> Status {
    Status { details: Some(details), status: Some("Success".to_string()), ..Status::default() }
}

/// The details of [`success_status`] for a deleted object: name, group, plural resource
/// (as `kind`, like the generic registry) and uid; empty parts are left out.
pub fn deleted_details(gr: &GroupResource, name: &str, uid: &str) -> StatusDetails {
    StatusDetails { uid: non_empty(uid), ..resource_details(gr, name) }
}

/// [`success_status`] as a JSON value.
pub fn success_status_json(details: StatusDetails) -> serde_json::Value {
    status_json(&success_status(details))
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::validation::{FieldError, FieldPath};
    use serde_json::json;

    fn pods() -> GroupResource {
        GroupResource::new("", "pods")
    }

    fn deployments() -> GroupResource {
        GroupResource::new("apps", "deployments")
    }

    #[test]
    fn codes_reasons_and_messages() {
        let cases: Vec<(ApiError, u16, &str, &str)> = vec![
            (ApiError::not_found(&pods(), "x"), 404, "NotFound", r#"pods "x" not found"#),
            (
                ApiError::not_found(&deployments(), "web"),
                404,
                "NotFound",
                r#"deployments.apps "web" not found"#,
            ),
            (
                ApiError::already_exists(&pods(), "x"),
                409,
                "AlreadyExists",
                r#"pods "x" already exists"#,
            ),
            (
                ApiError::generate_name_conflict(&pods(), "x-abcde", 1),
                409,
                "AlreadyExists",
                r#"pods "x-abcde" already exists, the server was not able to generate a unique name for the object"#,
            ),
            (
                ApiError::conflict_modified(&pods(), "x"),
                409,
                "Conflict",
                r#"Operation cannot be fulfilled on pods "x": the object has been modified; please apply your changes to the latest version and try again"#,
            ),
            (ApiError::bad_request("nope"), 400, "BadRequest", "nope"),
            (ApiError::unauthorized(""), 401, "Unauthorized", "not authorized"),
            (
                ApiError::forbidden(&pods(), "", "denied"),
                403,
                "Forbidden",
                "pods is forbidden: denied",
            ),
            (
                ApiError::forbidden(&GroupResource::default(), "", "denied"),
                403,
                "Forbidden",
                "forbidden: denied",
            ),
            (
                ApiError::method_not_supported(&pods(), "deletecollection"),
                405,
                "MethodNotAllowed",
                r#"deletecollection is not supported on resources of kind "pods""#,
            ),
            (
                ApiError::not_acceptable(&["application/json", "application/yaml"]),
                406,
                "NotAcceptable",
                "only the following media types are accepted: application/json, application/yaml",
            ),
            (
                ApiError::unsupported_media_type(&["application/json"]),
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json",
            ),
            (
                ApiError::too_old_resource_version(5, 10),
                410,
                "Expired",
                "too old resource version: 5 (10)",
            ),
            (ApiError::gone("gone away"), 410, "Gone", "gone away"),
            (
                ApiError::request_entity_too_large("limit is 3145728"),
                413,
                "RequestEntityTooLarge",
                "Request entity too large: limit is 3145728",
            ),
            (
                ApiError::too_many_requests("Too many requests, please try again later.", 1),
                429,
                "TooManyRequests",
                "Too many requests, please try again later.",
            ),
            (
                ApiError::server_timeout(&pods(), "get", 2),
                500,
                "ServerTimeout",
                "The get operation against pods could not be completed at this time, please try again.",
            ),
            (
                ApiError::timeout("request did not complete within 60s", 0),
                504,
                "Timeout",
                "Timeout: request did not complete within 60s",
            ),
            (ApiError::internal("boom"), 500, "InternalError", "Internal error occurred: boom"),
            (ApiError::service_unavailable("down"), 503, "ServiceUnavailable", "down"),
            (ApiError::unknown("odd"), 500, "", "odd"),
        ];
        for (err, code, reason, message) in cases {
            assert_eq!(err.code().as_u16(), code, "{message}");
            assert_eq!(err.reason().as_str(), reason, "{message}");
            assert_eq!(err.message(), message);
            assert_eq!(err.to_string(), message);
            assert_eq!(StatusReason::parse(reason), err.reason());
        }
    }

    #[test]
    fn not_found_renders_full_status() {
        let v = ApiError::not_found(&pods(), "x").to_json();
        assert_eq!(
            v,
            json!({
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": "pods \"x\" not found",
                "reason": "NotFound",
                "details": {"name": "x", "kind": "pods"},
                "code": 404
            })
        );
        let v = ApiError::not_found(&deployments(), "web").to_json();
        assert_eq!(v["details"], json!({"name": "web", "group": "apps", "kind": "deployments"}));
    }

    #[test]
    fn invalid_lists_causes_and_brackets_only_several() {
        let spec = FieldPath::new("spec");
        let image = spec.child("containers").index(0).child("image");
        let one: FieldErrors = vec![FieldError::required(&image, "")].into();
        let e = ApiError::invalid("", "Pod", "x", &one);
        assert_eq!(e.code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.message(), r#"Pod "x" is invalid: spec.containers[0].image: Required value"#);
        let two: FieldErrors = vec![
            FieldError::required(&image, ""),
            FieldError::invalid(&spec.child("restartPolicy"), "Sometimes", "bad"),
        ]
        .into();
        let e = ApiError::invalid("apps", "Deployment", "web", &two);
        assert_eq!(
            e.message(),
            r#"Deployment.apps "web" is invalid: [spec.containers[0].image: Required value, spec.restartPolicy: Invalid value: "Sometimes": bad]"#
        );
        let v = e.to_json();
        assert_eq!(v["details"]["kind"], "Deployment");
        assert_eq!(v["details"]["group"], "apps");
        assert_eq!(v["details"]["causes"][0]["reason"], "FieldValueRequired");
        assert_eq!(v["details"]["causes"][0]["field"], "spec.containers[0].image");
        assert_eq!(v["details"]["causes"][1]["message"], r#"Invalid value: "Sometimes": bad"#);
        let none = ApiError::invalid("", "Pod", "x", &FieldErrors::new());
        assert_eq!(none.message(), r#"Pod "x" is invalid"#);
    }

    #[test]
    fn forbidden_request_messages() {
        let mut info = RequestInfo {
            is_resource_request: true,
            path: "/api/v1/namespaces/ns/pods/x".into(),
            verb: "get".into(),
            api_prefix: "api".into(),
            api_version: "v1".into(),
            namespace: "ns".into(),
            resource: "pods".into(),
            name: "x".into(),
            ..RequestInfo::default()
        };
        let e = ApiError::forbidden_request("u", &info, "");
        assert_eq!(
            e.message(),
            r#"pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "ns""#
        );
        assert_eq!(e.code(), StatusCode::FORBIDDEN);
        info.subresource = "log".into();
        info.namespace.clear();
        let e = ApiError::forbidden_request("u", &info, "no RBAC policy matched");
        assert_eq!(
            e.message(),
            r#"pods "x" is forbidden: User "u" cannot get resource "pods/log" in API group "" at the cluster scope: no RBAC policy matched"#
        );
        let nr =
            RequestInfo { path: "/healthz".into(), verb: "get".into(), ..RequestInfo::default() };
        let e = ApiError::forbidden_request("system:anonymous", &nr, "");
        assert_eq!(e.message(), r#"forbidden: User "system:anonymous" cannot get path "/healthz""#);
    }

    #[test]
    fn retry_after_and_causes() {
        let e = ApiError::too_many_requests("slow down", 3);
        assert_eq!(e.retry_after_seconds(), Some(3));
        assert_eq!(e.to_json()["details"], json!({"retryAfterSeconds": 3}));
        let e = ApiError::too_large_resource_version(12, 10, 1);
        assert_eq!(e.message(), "Timeout: Too large resource version: 12, current: 10");
        assert_eq!(e.to_json()["details"]["causes"][0]["reason"], "ResourceVersionTooLarge");
        let e = ApiError::internal("boom");
        assert_eq!(e.to_json()["details"]["causes"][0]["message"], "boom");
        let e = ApiError::continue_expired(Some("tok".into()));
        assert_eq!(e.to_json()["metadata"], json!({"continue": "tok"}));
    }

    #[test]
    fn from_store_maps_per_operation() {
        use capstan_store::KeyValue;
        let kv = || {
            Box::new(KeyValue {
                key: "/registry/pods/ns/x".into(),
                value: Vec::new().into(),
                create_revision: 1,
                mod_revision: 2,
                version: 1,
                lease: 0,
            })
        };
        let cases: Vec<(StoreOperation, StoreError, u16, StatusReason)> = vec![
            (
                StoreOperation::Get,
                StoreError::NotFound { key: "k".into() },
                404,
                StatusReason::NotFound,
            ),
            (
                StoreOperation::Create,
                StoreError::AlreadyExists { key: "k".into(), current: kv() },
                409,
                StatusReason::AlreadyExists,
            ),
            (
                StoreOperation::Update,
                StoreError::Conflict { key: "k".into(), expected: 1, current: Some(kv()) },
                409,
                StatusReason::Conflict,
            ),
            (
                StoreOperation::List,
                StoreError::Compacted { requested: 1, compacted: 5 },
                410,
                StatusReason::Expired,
            ),
            (
                StoreOperation::Watch,
                StoreError::Compacted { requested: 1, compacted: 5 },
                410,
                StatusReason::Expired,
            ),
            (
                StoreOperation::Get,
                StoreError::FutureRevision { requested: 9, current: 5 },
                504,
                StatusReason::Timeout,
            ),
            (
                StoreOperation::Create,
                StoreError::ValueTooLarge { key: "k".into(), size: 10, limit: 5 },
                413,
                StatusReason::RequestEntityTooLarge,
            ),
            (
                StoreOperation::Get,
                StoreError::Unavailable { message: "no leader".into(), source: None },
                500,
                StatusReason::ServerTimeout,
            ),
            (StoreOperation::Get, StoreError::Closed, 503, StatusReason::ServiceUnavailable),
            (
                StoreOperation::Get,
                StoreError::Backend { message: "disk".into(), source: None },
                500,
                StatusReason::InternalError,
            ),
        ];
        for (op, err, code, reason) in cases {
            let desc = format!("{op:?} {err}");
            let e = ApiError::from_store(op, &pods(), "x", err);
            assert_eq!(e.code().as_u16(), code, "{desc}");
            assert_eq!(e.reason(), reason, "{desc}");
        }
        let e = ApiError::from_store(
            StoreOperation::Watch,
            &pods(),
            "",
            StoreError::Compacted { requested: 5, compacted: 10 },
        );
        assert_eq!(e.message(), "too old resource version: 5 (10)");
        let e = ApiError::from_store(
            StoreOperation::Delete,
            &pods(),
            "x",
            StoreError::Unavailable { message: "x".into(), source: None },
        );
        assert_eq!(
            e.message(),
            "The delete operation against pods could not be completed at this time, please try again."
        );
        assert_eq!(e.retry_after_seconds(), Some(2));
        let e: ApiError = StoreError::Compacted { requested: 1, compacted: 2 }.into();
        assert_eq!(e.message(), LIST_EXPIRED_MSG);
    }

    #[test]
    fn success_status_shape() {
        let v = success_status_json(deleted_details(&pods(), "x", "abc"));
        assert_eq!(
            v,
            json!({
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": {"name": "x", "kind": "pods", "uid": "abc"}
            })
        );
    }

    #[test]
    fn status_round_trip() {
        let e = ApiError::conflict_modified(&deployments(), "web");
        let back = ApiError::from_status(&e.to_status());
        assert_eq!(back, e);
        let parsed: Status = serde_json::from_value(e.to_json()).expect("valid status json");
        assert_eq!(ApiError::from_status(&parsed), e);
    }
}
