//! `GET` of one object (and of its `status` subresource).

use http::{Response, StatusCode};

use super::{ApiRequest, object_response, plain_json_response};
use crate::request::{GetOptions, parse_resource_version};
use crate::server::registry::{Resource, decode_stored};
use crate::server::{Body, Inner};
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
    let stored = (kv.value.clone(), kv.mod_revision);
    if let Some(r) = plain_json_response(req, StatusCode::OK, &stored, &[]) {
        return Ok(r);
    }
    let obj = decode_stored(&kv)?;
    object_response(req, res, StatusCode::OK, &obj, &[])
}
