//! `GET` of one object (and of its `status` subresource).

use http::{Response, StatusCode};

use super::{ApiRequest, object_response};
use crate::request::{
    BodyFormat, EndpointRestrictions, GetOptions, negotiate_output, parse_resource_version,
};
use crate::server::registry::{Resource, decode_stored, splice_resource_version};
use crate::server::{Body, Inner, response};
use crate::status::{ApiError, StoreOperation};

pub(crate) async fn get(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
) -> Result<Response<Body>, ApiError> {
    let opts = GetOptions::from_query(&req.query);
    let minimum = match opts.resource_version.as_deref() {
        None | Some("") | Some("0") => None,
        Some(rv) => parse_resource_version(rv)?,
    };
    let name = &req.info.name;
    let got = inner
        .store
        .get(&res.key(&req.info.namespace, name), 0)
        .await
        .map_err(|e| ApiError::from_store(StoreOperation::Get, &res.gr, name, e))?;
    if let Some(min) = minimum
        && i64::try_from(min).unwrap_or(i64::MAX) > got.revision
    {
        return Err(ApiError::too_large_resource_version(
            i64::try_from(min).unwrap_or(i64::MAX),
            got.revision,
            1,
        ));
    }
    let kv = got.kv.ok_or_else(|| ApiError::not_found(&res.gr, name))?;
    // Fast path: plain JSON is the stored bytes with the resourceVersion spliced in.
    let accept = req.head.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok());
    let plain = negotiate_output(accept, &EndpointRestrictions::resource())
        .is_ok_and(|n| n.target.is_none() && n.format == BodyFormat::Json && !n.pretty);
    if plain && let Some(bytes) = splice_resource_version(&kv.value, kv.mod_revision) {
        return Ok(response::with_body(StatusCode::OK, "application/json", bytes));
    }
    let obj = decode_stored(&kv)?;
    object_response(req, res, StatusCode::OK, &obj, &[])
}
