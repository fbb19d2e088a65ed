//! Server-side apply (`PATCH` with `application/apply-patch+yaml`): decode the configuration, then create through the create path or apply through the update loop.

use capstan_api_types::k8s_openapi::apimachinery::pkg::apis::meta::v1::StatusCause;
use http::{Response, StatusCode};
use serde_json::{Map, Value};

use super::create::{Defaults, Tracking, admit_new, apply_request_namespace, store_new};
use super::update::{ApplyChange, Change, Part, write};
use super::{ApiRequest, check_kind, decode_typed, meta_str, object_response};
use crate::managed_fields::{self, ApplyError, ApplyInput, Node};
use crate::request::{BodyFormat, PatchOptions};
use crate::server::registry::Resource;
use crate::server::{Body, Inner, ids};
use crate::status::ApiError;

/// The cause type of a conflicting field.
const FIELD_MANAGER_CONFLICT: &str = "FieldManagerConflict";

pub(crate) async fn apply(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
    part: Part,
    opts: &PatchOptions,
) -> Result<Response<Body>, ApiError> {
    let mut raw: Value = serde_norway::from_slice(&req.body)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    if !raw.is_object() {
        return Err(ApiError::bad_request("the apply configuration must be an object"));
    }
    check_kind(&mut raw, &res.api_version(), &res.gvk.kind)?;
    if raw.pointer("/metadata/managedFields").is_some_and(|v| !v.is_null()) {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    let name = meta_str(&raw, "name").to_string();
    if name != req.info.name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({})",
            req.info.name
        )));
    }
    let decoded = decode_typed(
        req,
        &res.gvk.group,
        &res.gvk.kind,
        raw.clone(),
        BodyFormat::Yaml,
        opts.write.field_validation,
    )?;
    let mut config = decoded.object;
    apply_request_namespace(&mut config, &req.info.namespace, res)?;
    restrict_to_part(&mut config, part, res.strategy.status_fields());
    let manager = opts.write.field_manager.clone().unwrap_or_default();
    let force = opts.force.unwrap_or(false);
    let dry_run = opts.write.dry_run;
    if part == Part::Main
        && res.read(inner.store.as_ref(), &req.info.namespace, &name).await?.is_none()
    {
        let now = ids::now_rfc3339();
        let api_version = res.api_version();
        let input = ApplyInput {
            config: &config,
            raw_config: &raw,
            manager: &manager,
            api_version: &api_version,
            subresource: "",
            force,
            now: &now,
        };
        let empty = managed_fields::merge::empty_object(&api_version, &res.gvk.kind);
        let node = Node::for_kind(&res.gvk);
        let obj =
            managed_fields::apply(&empty, &input, &node).map_err(|e| apply_error(e, req, res))?;
        let (obj, _) =
            admit_new(inner, req, res, obj, dry_run, Tracking::Applied, Defaults::Apply).await?;
        let created = store_new(inner, res, obj, false, dry_run).await?;
        return object_response(req, res, StatusCode::CREATED, &created.object, &decoded.warnings);
    }
    let change = ApplyChange { config: &config, raw: &raw, manager: &manager, force };
    let (out, _) = write(inner, req, res, Change::Apply(&change), part, dry_run).await?;
    object_response(req, res, StatusCode::OK, &out, &decoded.warnings)
}

/// Drops what the endpoint does not write, as the strategies would reset it: `status`
/// on the main resource, everything but `status` (and the object's identity) on
/// `/status`.
fn restrict_to_part(config: &mut Value, part: Part, status_fields: &[&str]) {
    let Some(map) = config.as_object_mut() else { return };
    match part {
        Part::Main => {
            for field in status_fields {
                map.remove(*field);
            }
        }
        Part::Status | Part::Finalize => {
            let keep = |k: &str| matches!(k, "apiVersion" | "kind") || status_fields.contains(&k);
            let metadata = map.get("metadata").and_then(Value::as_object).map(|m| {
                m.iter()
                    .filter(|(k, _)| matches!(k.as_str(), "name" | "namespace"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Map<String, Value>>()
            });
            map.retain(|k, _| keep(k));
            if let Some(metadata) = metadata {
                map.insert("metadata".into(), Value::Object(metadata));
            }
        }
    }
}

/// The `Status` of a failed apply.
pub(crate) fn apply_error(e: ApplyError, req: &ApiRequest, res: &Resource) -> ApiError {
    match e {
        ApplyError::Conflicts(conflicts) => {
            let causes = conflicts
                .causes()
                .into_iter()
                .map(|(field, message)| StatusCause {
                    reason: Some(FIELD_MANAGER_CONFLICT.to_string()),
                    message: Some(message),
                    field: Some(field),
                })
                .collect();
            ApiError::apply_conflict(causes, conflicts.message())
        }
        ApplyError::ManagedFieldsInConfig => ApiError::bad_request(e.to_string()),
        ApplyError::Decode(_) => ApiError::internal(e),
        ApplyError::Walk(walk) => ApiError::internal(format!(
            "failed to create typed patch object ({}/{}; {}, Kind={}): {walk}",
            req.info.namespace,
            req.info.name,
            res.api_version(),
            res.gvk.kind
        )),
    }
}
