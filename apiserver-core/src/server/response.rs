//! Building responses: bodies, `Status` errors, JSON/YAML encoding and `Warning` headers.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::Value;

use super::Body;
use crate::request::BodyFormat;
use crate::status::ApiError;

/// A body of fixed bytes.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// A response with a body and content type.
pub(crate) fn with_body(
    status: StatusCode,
    content_type: &'static str,
    bytes: impl Into<Bytes>,
) -> Response<Body> {
    let mut r = Response::new(full(bytes));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A plain-text response (`ok` of the health checks).
pub(crate) fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    with_body(status, "text/plain; charset=utf-8", body)
}

/// Encodes a value in a format.
pub(crate) fn encode(value: &Value, format: BodyFormat) -> Result<Bytes, ApiError> {
    match format {
        BodyFormat::Json => serde_json::to_vec(value).map(Bytes::from).map_err(ApiError::internal),
        BodyFormat::Yaml => {
            serde_norway::to_string(value).map(Bytes::from).map_err(ApiError::internal)
        }
    }
}

/// A value as a response in a format.
pub(crate) fn value(
    status: StatusCode,
    value: &Value,
    format: BodyFormat,
) -> Result<Response<Body>, ApiError> {
    Ok(with_body(status, format.media_type(), encode(value, format)?))
}

/// The `Status` response of an error (with `Retry-After` when it carries one).
pub(crate) fn error(err: &ApiError) -> Response<Body> {
    let body = serde_json::to_vec(&err.to_json()).unwrap_or_default();
    let mut r = with_body(err.code(), "application/json", body);
    if let Some(secs) = err.retry_after_seconds()
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        r.headers_mut().insert(http::header::RETRY_AFTER, v);
    }
    r
}

/// Adds `Warning: 299 - "<message>"` headers.
pub(crate) fn add_warnings(response: &mut Response<Body>, warnings: &[String]) {
    for w in warnings {
        let v = format!("299 - {}", capstan_api_types::validation::field::go_quote(w));
        if let Ok(v) = HeaderValue::from_str(&v) {
            response.headers_mut().append(http::header::WARNING, v);
        }
    }
}
