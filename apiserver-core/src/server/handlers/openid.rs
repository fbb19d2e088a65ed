//! ServiceAccount issuer discovery: `/.well-known/openid-configuration` and `/openid/v1/jwks`, so relying parties outside the cluster can verify ServiceAccount tokens.

use http::{Method, Response, StatusCode};
use serde_json::json;

use super::ApiRequest;
use crate::server::{Body, Inner, response};
use crate::status::ApiError;

const CONFIGURATION: &str = "/.well-known/openid-configuration";
const JWKS: &str = "/openid/v1/jwks";

/// Serves the discovery documents when the request names one and a token issuer is set.
pub(crate) fn serve(inner: &Inner, req: &ApiRequest) -> Option<Result<Response<Body>, ApiError>> {
    if req.info.is_resource_request || !matches!(req.head.method, Method::GET | Method::HEAD) {
        return None;
    }
    let path = req.info.path.trim_end_matches('/');
    if path != CONFIGURATION && path != JWKS {
        return None;
    }
    let issuer = inner.token_issuer.as_ref()?;
    let jwks = issuer.jwks()?;
    let (content_type, document) = if path == JWKS {
        ("application/jwk-set+json", jwks)
    } else {
        let base = issuer.issuer().trim_end_matches('/');
        let algorithms: Vec<String> = jwks["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k["alg"].as_str().map(str::to_string))
            .collect();
        (
            "application/json",
            json!({
                "issuer": issuer.issuer(),
                "jwks_uri": format!("{base}{JWKS}"),
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": algorithms,
            }),
        )
    };
    let bytes = serde_json::to_vec(&document).map_err(ApiError::internal);
    Some(bytes.map(|b| response::with_body(StatusCode::OK, content_type, bytes::Bytes::from(b))))
}
