//! `GET` of a collection: a list page from the watch cache, assembled from the cached JSON without re-parsing.

use bytes::{BufMut, Bytes, BytesMut};
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::{ApiRequest, table_options};
use crate::request::{BodyFormat, EndpointRestrictions, ListOptions, Target, negotiate_output};
use crate::server::registry::Resource;
use crate::server::{Body, Inner, response};
use crate::status::ApiError;
use crate::table::ListMeta;
use crate::watch_cache::ListPage;

/// Decodes the list options of a request, with the field selector checked against the
/// resource's selectable fields.
pub(crate) fn list_options(
    req: &ApiRequest,
    res: &Resource,
    watch: bool,
) -> Result<ListOptions, ApiError> {
    let mut opts = ListOptions::from_query(&req.query, watch)?;
    opts.field_selector
        .validate_for(res.info.group, res.info.plural)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    // A watch or list of one named object (`/pods/x?watch=1`) selects it by name.
    if !req.info.name.is_empty() && opts.field_selector.required_value("metadata.name").is_none() {
        let existing = req.query.get("fieldSelector").unwrap_or("");
        let term =
            format!("metadata.name={}", capstan_api_types::fields::escape_value(&req.info.name));
        let combined = if existing.is_empty() { term } else { format!("{existing},{term}") };
        opts.field_selector = capstan_api_types::fields::FieldSelector::parse(&combined)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
    }
    Ok(opts)
}

pub(crate) async fn list(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
) -> Result<Response<Body>, ApiError> {
    let _ = inner;
    let opts = list_options(req, res, false)?;
    let ns = (!req.info.namespace.is_empty()).then_some(req.info.namespace.as_str());
    let page = res.cache.list(ns, &opts).await?;
    let accept = req.head.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok());
    let negotiated = negotiate_output(accept, &EndpointRestrictions::resource())?;
    let list_meta = ListMeta {
        resource_version: Some(page.revision.to_string()),
        continue_token: page.continue_token.clone(),
        remaining_item_count: page.remaining_item_count,
    };
    match negotiated.target {
        Some(Target::Table(_)) => {
            let objects = parse_items(&page)?;
            let table = crate::table::to_table(
                &res.gr,
                &objects,
                &list_meta,
                table_options(req)?,
                jiff::Timestamp::now(),
            );
            response::value(StatusCode::OK, &table, negotiated.format)
        }
        Some(Target::PartialObjectMetadata(v) | Target::PartialObjectMetadataList(v)) => {
            let items: Vec<Value> = parse_items(&page)?
                .into_iter()
                .map(|o| {
                    json!({"kind": "PartialObjectMetadata", "apiVersion": v.api_version(),
                        "metadata": o.get("metadata").cloned().unwrap_or_else(|| json!({}))})
                })
                .collect();
            let list = json!({"kind": "PartialObjectMetadataList", "apiVersion": v.api_version(),
                "metadata": list_meta_json(&list_meta), "items": items});
            response::value(StatusCode::OK, &list, negotiated.format)
        }
        None | Some(Target::Other(_)) => {
            let bytes = assemble(res, &page);
            match negotiated.format {
                BodyFormat::Json => {
                    Ok(response::with_body(StatusCode::OK, "application/json", bytes))
                }
                BodyFormat::Yaml => {
                    let value: Value =
                        serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
                    response::value(StatusCode::OK, &value, BodyFormat::Yaml)
                }
            }
        }
    }
}

fn parse_items(page: &ListPage) -> Result<Vec<Value>, ApiError> {
    page.items.iter().map(|o| o.json.to_value().map_err(ApiError::internal)).collect()
}

fn list_meta_json(meta: &ListMeta) -> Value {
    let mut m = serde_json::Map::new();
    if let Some(rv) = &meta.resource_version {
        m.insert("resourceVersion".into(), json!(rv));
    }
    if let Some(c) = &meta.continue_token {
        m.insert("continue".into(), json!(c));
    }
    if let Some(n) = meta.remaining_item_count {
        m.insert("remainingItemCount".into(), json!(n));
    }
    Value::Object(m)
}

/// `{"kind":"PodList","apiVersion":"v1","metadata":{…},"items":[…]}` from the cached bytes.
fn assemble(res: &Resource, page: &ListPage) -> Bytes {
    let size: usize = page.items.iter().map(|o| o.json.len() + 1).sum();
    let mut out = BytesMut::with_capacity(size + 256);
    out.put_slice(b"{\"kind\":\"");
    out.put_slice(res.gvk.kind.as_bytes());
    out.put_slice(b"List\",\"apiVersion\":\"");
    out.put_slice(res.api_version().as_bytes());
    out.put_slice(b"\",\"metadata\":");
    let meta = list_meta_json(&ListMeta {
        resource_version: Some(page.revision.to_string()),
        continue_token: page.continue_token.clone(),
        remaining_item_count: page.remaining_item_count,
    });
    out.put_slice(meta.to_string().as_bytes());
    out.put_slice(b",\"items\":[");
    for (i, o) in page.items.iter().enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        o.json.write_to(&mut out);
    }
    out.put_slice(b"]}");
    out.freeze()
}
