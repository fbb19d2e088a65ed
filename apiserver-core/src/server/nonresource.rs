//! Non-resource paths: health checks, `/version`, discovery documents and OpenAPI, served from [`crate::discovery`].

use http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, HeaderValue, LOCATION, VARY};
use http::{Method, Response, StatusCode};

use super::pipeline::ApiRequest;
use super::{Body, handlers::not_found_path, response};
use crate::discovery::{self, Document, V3HashCheck};
use crate::status::ApiError;

/// Serves a non-resource request.
pub(crate) fn serve(req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    if req.head.method != Method::GET && req.head.method != Method::HEAD {
        return Err(not_found_path());
    }
    let path = req.info.path.trim_end_matches('/');
    let accept =
        req.head.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let json =
        |bytes: bytes::Bytes| Ok(response::with_body(StatusCode::OK, "application/json", bytes));
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["healthz" | "livez" | "readyz", ..] => Ok(response::text(StatusCode::OK, "ok")),
        ["version"] => json(discovery::version_info()),
        ["api"] | ["apis"] => {
            let legacy = parts[0] == "api";
            let mut r = match discovery::negotiate_aggregated(accept) {
                Some(v) => response::with_body(
                    StatusCode::OK,
                    v.content_type(),
                    discovery::aggregated_as(legacy, v),
                ),
                None if legacy => response::with_body(
                    StatusCode::OK,
                    "application/json",
                    discovery::api_versions(),
                ),
                None => response::with_body(
                    StatusCode::OK,
                    "application/json",
                    discovery::api_group_list(),
                ),
            };
            r.headers_mut().insert(VARY, HeaderValue::from_static("Accept"));
            Ok(r)
        }
        ["api", version] => {
            discovery::api_resource_list("", version).map_or_else(|| Err(not_found_path()), json)
        }
        ["apis", group] => discovery::api_group(group).map_or_else(|| Err(not_found_path()), json),
        ["apis", group, version] => {
            discovery::api_resource_list(group, version).map_or_else(|| Err(not_found_path()), json)
        }
        ["openapi", "v2"] => {
            let format = discovery::negotiate_v2(accept).ok_or_else(|| {
                ApiError::not_acceptable(&[
                    "application/json",
                    discovery::OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
                    discovery::OPENAPI_V2_PROTOBUF_DEPRECATED_CONTENT_TYPE,
                ])
            })?;
            let mut r = document(req, format.document(), format.content_type(), None);
            r.headers_mut().insert(VARY, HeaderValue::from_static("Accept"));
            Ok(r)
        }
        ["openapi", "v3"] => json(discovery::openapi_v3_index()),
        ["openapi", "v3", ..] => {
            let rest = path.trim_start_matches("/openapi/v3/");
            match discovery::check_v3_hash(rest, req.query.get("hash")) {
                V3HashCheck::NotFound => Err(not_found_path()),
                V3HashCheck::Serve(doc) => {
                    Ok(document(req, doc, JSON, Some(discovery::OPENAPI_V3_MUTABLE_CACHE_CONTROL)))
                }
                V3HashCheck::Immutable(doc) => Ok(document(
                    req,
                    doc,
                    JSON,
                    Some(discovery::OPENAPI_V3_IMMUTABLE_CACHE_CONTROL),
                )),
                V3HashCheck::Redirect(location) => {
                    let mut r = response::text(StatusCode::MOVED_PERMANENTLY, "");
                    if let Ok(v) = HeaderValue::from_str(&location) {
                        r.headers_mut().insert(LOCATION, v);
                    }
                    Ok(r)
                }
            }
        }
        _ => Err(not_found_path()),
    }
}

const JSON: &str = "application/json";

/// A cached document with its ETag, or 304 Not Modified when `If-None-Match` names it.
fn document(
    req: &ApiRequest,
    doc: &Document,
    content_type: &'static str,
    cache_control: Option<&'static str>,
) -> Response<Body> {
    let if_none_match =
        req.head.headers.get(http::header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let mut r = if if_none_match.is_some_and(|h| doc.matches_if_none_match(h)) {
        let mut r = Response::new(response::full(bytes::Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        response::with_body(StatusCode::OK, content_type, doc.body())
    };
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&doc.etag()) {
        r.headers_mut().insert(ETAG, v);
    }
    if let Some(cc) = cache_control {
        r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(cc));
    }
    r
}
