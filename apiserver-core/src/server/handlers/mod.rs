//! The resource handlers: routing a parsed request to its verb, decoding bodies, and encoding objects as the client asked.

mod apply;
mod binding;
mod create;
mod delete;
mod get;
mod list;
mod openid;
mod reviews;
mod subresources;
mod token_request;
mod update;
mod watch;

use bytes::Bytes;
use capstan_api_types::GroupVersionResource;
use capstan_api_types::validation::field::go_quote;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::admission::{AdmissionAttributes, Operation};
use super::pipeline::ApiRequest;
use super::registry::{Resource, splice_resource_version};
use super::{Body, Inner, nonresource, response, typed};
use crate::request::{
    BodyFormat, EndpointRestrictions, FieldValidation, Target, Verb, classify_body,
    negotiate_output,
};
use crate::status::ApiError;
use crate::table::{ListMeta, TableOptions};

/// Routes a request to its handler.
pub(crate) async fn dispatch(inner: &Inner, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    if let Some(discovery) = openid::serve(inner, &req) {
        return discovery;
    }
    if !req.info.is_resource_request {
        return nonresource::serve(&req);
    }
    let gvr =
        GroupVersionResource::new(&req.info.api_group, &req.info.api_version, &req.info.resource);
    let Some(res) = inner.resources.get(&gvr).cloned() else {
        return Err(not_found_path());
    };
    // `/api/v1/namespaces/x` names namespace x as both namespace and name.
    if !res.namespaced() && !req.info.namespace.is_empty() && res.info.plural != "namespaces" {
        return Err(not_found_path());
    }
    let verb = req.info.resource_verb().ok_or_else(|| {
        ApiError::method_not_supported(&res.gr, &req.head.method.as_str().to_ascii_lowercase())
    })?;
    let needs_namespace = res.namespaced()
        && !matches!(verb, Verb::List | Verb::Watch)
        && req.info.namespace.is_empty();
    if needs_namespace {
        return Err(not_found_path());
    }
    match (req.info.subresource.as_str(), verb) {
        ("", Verb::Get) => get::get(inner, &req, &res).await,
        ("", Verb::List) => list::list(inner, &req, &res).await,
        ("", Verb::Watch) => watch::watch(inner, &req, &res).await,
        ("", Verb::Create) if res.info.plural == "bindings" => {
            subresources::binding(inner, &req, &res).await
        }
        ("", Verb::Create) if reviews::is_review(&res) => reviews::create(inner, &req, &res).await,
        ("", Verb::Create) => create::create(inner, &req, &res).await,
        ("", Verb::Update) => update::update(inner, &req, &res, update::Part::Main).await,
        ("", Verb::Patch) => update::patch(inner, &req, &res, update::Part::Main).await,
        ("", Verb::Delete) => delete::delete(inner, &req, &res).await,
        ("", Verb::DeleteCollection) => delete::delete_collection(inner, &req, &res).await,
        ("status", Verb::Get) if res.info.subresource("status").is_some() => {
            get::get(inner, &req, &res).await
        }
        ("status", Verb::Update) if res.info.subresource("status").is_some() => {
            update::update(inner, &req, &res, update::Part::Status).await
        }
        ("status", Verb::Patch) if res.info.subresource("status").is_some() => {
            update::patch(inner, &req, &res, update::Part::Status).await
        }
        ("finalize", Verb::Update) if res.info.plural == "namespaces" => {
            update::update(inner, &req, &res, update::Part::Finalize).await
        }
        ("scale", Verb::Get | Verb::Update | Verb::Patch)
            if res.info.subresource("scale").is_some() =>
        {
            subresources::scale(inner, &req, &res, verb).await
        }
        ("binding", Verb::Create) if res.info.plural == "pods" => {
            subresources::binding(inner, &req, &res).await
        }
        ("token", Verb::Create) if res.info.plural == "serviceaccounts" => {
            token_request::create(inner, &req, &res).await
        }
        ("eviction", Verb::Create) if res.info.plural == "pods" => {
            subresources::eviction(inner, &req, &res).await
        }
        (sub, _) if res.info.subresource(sub).is_some() && is_connect(sub) => {
            subresources::node_proxy(inner, req, &res).await
        }
        (sub, _) if sub.is_empty() || res.info.subresource(sub).is_some() => {
            Err(ApiError::method_not_supported(&res.gr, verb.as_str()))
        }
        _ => Err(not_found_path()),
    }
}

fn is_connect(sub: &str) -> bool {
    matches!(sub, "log" | "proxy" | "exec" | "attach" | "portforward")
}

/// `404` for a path that names nothing served.
pub(crate) fn not_found_path() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        crate::status::StatusReason::NotFound,
        "the server could not find the requested resource",
        Some(Default::default()),
    )
}

/// An admission view of a request.
pub(crate) fn attrs<'a>(
    req: &'a ApiRequest,
    res: &'a Resource,
    operation: Operation,
    old_object: Option<&'a Value>,
    dry_run: bool,
) -> AdmissionAttributes<'a> {
    AdmissionAttributes {
        operation,
        info: &req.info,
        user: &req.user,
        kind: &res.gvk,
        old_object,
        dry_run,
    }
}

/// A decoded request body.
pub(crate) struct DecodedBody {
    /// The object (typed round trip: unknown fields dropped).
    pub object: Value,
    /// Warnings for the `Warning` header.
    pub warnings: Vec<String>,
    /// Whether the kind's defaults were applied while decoding ([`decode_object`]).
    pub defaulted: bool,
}

/// Parses a JSON or YAML body into a JSON object (`400` when malformed).
pub(crate) fn parse_body(req: &ApiRequest) -> Result<(Value, BodyFormat), ApiError> {
    let content_type =
        req.head.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let essence = content_type.unwrap_or("").split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case(super::protobuf::PROTOBUF_MEDIA_TYPE) {
        // Reported as non-JSON: duplicate-field detection reads JSON bytes only.
        return Ok((super::protobuf::decode(&req.body)?, BodyFormat::Yaml));
    }
    let format = classify_body(content_type)?;
    let value: Value = match format {
        BodyFormat::Json => serde_json::from_slice(&req.body).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
        })?,
        BodyFormat::Yaml => serde_norway::from_slice(&req.body).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; yaml parse error: {e}"))
        })?,
    };
    if !value.is_object() {
        return Err(ApiError::bad_request(format!(
            "couldn't get version/kind; json parse error: expected an object, got {}",
            if value.is_null() { "an empty body".to_string() } else { value.to_string() }
        )));
    }
    Ok((value, format))
}

/// Checks (and fills in, as Kubernetes' decoder does) `apiVersion` and `kind` against
/// the endpoint's kind: a mismatch is `400`.
pub(crate) fn check_kind(obj: &mut Value, api_version: &str, kind: &str) -> Result<(), ApiError> {
    let Some(map) = obj.as_object_mut() else {
        return Err(ApiError::bad_request("the body is not an object"));
    };
    let got_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or("").to_string();
    let got_kind = map.get("kind").and_then(Value::as_str).unwrap_or("").to_string();
    if !got_version.is_empty() && got_version != api_version {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({got_version}) does not match the expected API version ({api_version})"
        )));
    }
    if !got_kind.is_empty() && got_kind != kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({got_kind}) does not match the expected kind ({kind})"
        )));
    }
    map.insert("apiVersion".into(), json!(api_version));
    map.insert("kind".into(), json!(kind));
    Ok(())
}

/// Decodes a create/update body of `res`'s kind: parse, kind check, typed round trip
/// with the kind's defaults, unknown and duplicate fields per `fieldValidation`.
pub(crate) fn decode_object(
    req: &ApiRequest,
    res: &Resource,
    validation: FieldValidation,
) -> Result<DecodedBody, ApiError> {
    let (mut value, format) = parse_body(req)?;
    check_kind(&mut value, &res.api_version(), &res.gvk.kind)?;
    decode_typed_defaulted(req, res, value, format, validation)
}

/// [`decode_typed`] for an object of `res`'s kind, applying the kind's defaults in the
/// same typed round trip (`defaulted` says whether it has any).
pub(crate) fn decode_typed_defaulted(
    req: &ApiRequest,
    res: &Resource,
    value: Value,
    format: BodyFormat,
    validation: FieldValidation,
) -> Result<DecodedBody, ApiError> {
    let decoded = typed::decode_defaulted(&res.gvk.group, &res.gvk.kind, &value)?;
    check_fields(req, decoded, format, validation)
}

/// The typed round trip and field validation of an already parsed body.
pub(crate) fn decode_typed(
    req: &ApiRequest,
    group: &str,
    kind: &str,
    value: Value,
    format: BodyFormat,
    validation: FieldValidation,
) -> Result<DecodedBody, ApiError> {
    check_fields(req, typed::decode(group, kind, &value)?, format, validation)
}

/// Duplicate and unknown fields of a decoded body, per `fieldValidation`.
fn check_fields(
    req: &ApiRequest,
    decoded: typed::Decoded,
    format: BodyFormat,
    validation: FieldValidation,
) -> Result<DecodedBody, ApiError> {
    let mut problems: Vec<String> = Vec::new();
    if validation != FieldValidation::Ignore {
        if format == BodyFormat::Json {
            problems.extend(
                typed::duplicate_fields(&req.body)
                    .into_iter()
                    .map(|f| format!("duplicate field {}", go_quote(&f))),
            );
        }
        problems.extend(
            decoded.unknown_fields.iter().map(|f| format!("unknown field {}", go_quote(f))),
        );
    }
    if validation == FieldValidation::Strict && !problems.is_empty() {
        return Err(ApiError::bad_request(format!(
            "strict decoding error: {}",
            problems.join(", ")
        )));
    }
    Ok(DecodedBody { object: decoded.object, warnings: problems, defaulted: decoded.defaulted })
}

/// The field manager of a non-apply write: `fieldManager`, else the user agent's
/// first segment.
pub(crate) fn field_manager(req: &ApiRequest) -> String {
    match req.query.get("fieldManager") {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => {
            let agent = req
                .head
                .headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            crate::request::default_field_manager(agent)
        }
    }
}

/// `metadata.name` of an object.
pub(crate) fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.get("metadata").and_then(|m| m.get(field)).and_then(Value::as_str).unwrap_or("")
}

/// Encodes one object as the request's `Accept` asks (JSON, YAML, `Table`,
/// `PartialObjectMetadata`).
pub(crate) fn object_response(
    req: &ApiRequest,
    res: &Resource,
    status: StatusCode,
    obj: &Value,
    warnings: &[String],
) -> Result<Response<Body>, ApiError> {
    let accept = req.head.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok());
    let negotiated = negotiate_output(accept, &EndpointRestrictions::resource())?;
    let mut r = match negotiated.target {
        None | Some(Target::Other(_)) => response::value(status, obj, negotiated.format)?,
        Some(Target::Table(_)) => {
            let list_meta = ListMeta {
                resource_version: Some(meta_str(obj, "resourceVersion").to_string()),
                ..ListMeta::default()
            };
            let table = crate::table::to_table(
                &res.gr,
                std::slice::from_ref(obj),
                &list_meta,
                table_options(req)?,
                jiff::Timestamp::now(),
            );
            response::value(status, &table, negotiated.format)?
        }
        Some(Target::PartialObjectMetadata(v) | Target::PartialObjectMetadataList(v)) => {
            let pom = json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": v.api_version(),
                "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
            });
            response::value(status, &pom, negotiated.format)?
        }
    };
    response::add_warnings(&mut r, warnings);
    Ok(r)
}

/// The fast path of answering with one object: when the client wants plain JSON, the
/// stored bytes with `"resourceVersion":"<revision>"` spliced in, nothing re-encoded.
/// `None` when it wants another form (or the bytes cannot be spliced).
pub(crate) fn plain_json_response(
    req: &ApiRequest,
    status: StatusCode,
    (stored, revision): &(Bytes, i64),
    warnings: &[String],
) -> Option<Response<Body>> {
    let accept = req.head.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok());
    let plain = negotiate_output(accept, &EndpointRestrictions::resource())
        .is_ok_and(|n| n.target.is_none() && n.format == BodyFormat::Json && !n.pretty);
    if !plain {
        return None;
    }
    let bytes = splice_resource_version(stored, *revision)?;
    let mut r = response::with_body(status, "application/json", bytes);
    response::add_warnings(&mut r, warnings);
    Some(r)
}

/// The table options of a request.
pub(crate) fn table_options(req: &ApiRequest) -> Result<TableOptions, ApiError> {
    let include = match crate::request::table_include_object(&req.query)? {
        crate::request::IncludeObject::None => crate::table::IncludeObject::None,
        crate::request::IncludeObject::Metadata => crate::table::IncludeObject::Metadata,
        crate::request::IncludeObject::Object => crate::table::IncludeObject::Object,
    };
    Ok(TableOptions { include_object: include, no_headers: false })
}

/// Encodes a list value (already assembled) as the request's `Accept` asks (JSON or YAML).
pub(crate) fn object_list_response(
    req: &ApiRequest,
    list: &Value,
) -> Result<Response<Body>, ApiError> {
    let accept = req.head.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = negotiate_output(accept, &EndpointRestrictions::resource())?.format;
    response::value(StatusCode::OK, list, format)
}
