//! `PUT` and `PATCH` of an object or its `status`: the optimistic-concurrency write loop shared by both.

use capstan_store::StoreError;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::{
    ApiRequest, attrs, check_kind, decode_object, decode_typed_defaulted, field_manager, meta_str,
    object_response,
};
use crate::managed_fields::update::set_managed_fields;
use crate::managed_fields::{self, ApplyInput, Node, UpdateInput, track_update};
use crate::patch::{PatchType, apply_patch};
use crate::request::{BodyFormat, FieldValidation, PatchOptions, WriteOptions, classify_patch};
use crate::server::admission::Operation;
use crate::server::registry::{Resource, encode_for_store, set_resource_version};
use crate::server::strategy::{set_path, spec_changed};
use crate::server::{Body, Inner, ids};
use crate::status::{ApiError, StoreOperation};

/// Metadata only the server sets: carried over from the stored object on every update.
const SYSTEM_META: [&str; 6] = [
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "selfLink",
];

/// Which part of the object a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The main resource: everything but the status fields.
    Main,
    /// The `status` subresource: only the status fields.
    Status,
    /// A namespace's `finalize` subresource: only `spec.finalizers`.
    Finalize,
}

/// Whether top-level member `key` is the object's identity (`apiVersion`, `kind`,
/// `metadata`) or one of `fields`.
fn is_kept(key: &str, fields: &[&str]) -> bool {
    matches!(key, "apiVersion" | "kind" | "metadata") || fields.contains(&key)
}

/// Whether the patch document `bytes` of type `pt` changes no top-level member but the
/// object's identity and `fields`; `false` when that cannot be told (server-side apply,
/// strategic-merge directives at the top, a malformed document).
fn patch_within(pt: PatchType, bytes: &[u8], fields: &[&str]) -> bool {
    match (pt, serde_json::from_slice::<Value>(bytes)) {
        (PatchType::Merge | PatchType::StrategicMerge, Ok(Value::Object(members))) => {
            members.keys().all(|k| is_kept(k, fields))
        }
        (PatchType::Json, Ok(Value::Array(operations))) => operations.iter().all(|op| {
            ["path", "from"].iter().all(|f| match op.get(*f) {
                None => true,
                Some(Value::String(pointer)) => {
                    pointer.split('/').nth(1).is_some_and(|top| is_kept(top, fields))
                }
                Some(_) => false,
            })
        }),
        _ => false,
    }
}

/// How the new object is made from the current one.
pub(crate) enum Change<'a> {
    /// `PUT`: the decoded body.
    Replace(&'a Value),
    /// `PATCH`: a patch applied to the current object; unknown fields it introduces
    /// are handled per the `fieldValidation`.
    Patch(PatchType, &'a [u8], FieldValidation),
    /// Server-side apply of a decoded configuration.
    Apply(&'a ApplyChange<'a>),
}

/// A server-side apply to an existing object.
pub(crate) struct ApplyChange<'a> {
    /// The decoded configuration, holding only the part the endpoint writes.
    pub config: &'a Value,
    /// The configuration as sent.
    pub raw: &'a Value,
    /// The field manager.
    pub manager: &'a str,
    /// `force=true`.
    pub force: bool,
}

pub(crate) async fn update(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
    part: Part,
) -> Result<Response<Body>, ApiError> {
    let opts = WriteOptions::update_from_query(&req.query)?;
    let decoded = decode_object(req, res, opts.field_validation)?;
    let obj = decoded.object;
    let name = meta_str(&obj, "name");
    if name != req.info.name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({})",
            req.info.name
        )));
    }
    if res.namespaced() {
        let ns = meta_str(&obj, "namespace");
        if !ns.is_empty() && ns != req.info.namespace {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    }
    let (out, _) = write(inner, req, res, Change::Replace(&obj), part, opts.dry_run).await?;
    object_response(req, res, StatusCode::OK, &out, &decoded.warnings)
}

pub(crate) async fn patch(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
    part: Part,
) -> Result<Response<Body>, ApiError> {
    let content_type =
        req.head.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let patch_type = classify_patch(content_type, true)?;
    let opts = PatchOptions::from_query(&req.query, patch_type == PatchType::Apply)?;
    if patch_type == PatchType::Apply {
        return super::apply::apply(inner, req, res, part, &opts).await;
    }
    let change = Change::Patch(patch_type, &req.body, opts.write.field_validation);
    let (out, warnings) = write(inner, req, res, change, part, opts.write.dry_run).await?;
    object_response(req, res, StatusCode::OK, &out, &warnings)
}

fn patch_error(e: crate::patch::PatchError) -> ApiError {
    let message = e.to_string();
    match e.status_code().as_u16() {
        400 => ApiError::bad_request(message),
        413 => ApiError::request_entity_too_large(message),
        415 => ApiError::unsupported_media_type(&[
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/apply-patch+yaml",
        ]),
        _ => ApiError::new(
            http::StatusCode::UNPROCESSABLE_ENTITY,
            crate::status::StatusReason::Invalid,
            message,
            None,
        ),
    }
}

/// The update loop: read, build the new object, check the resource version, run the
/// strategy, admission and validation, and write only if nobody wrote in between
/// (retrying unconditional changes on a race). Returns the stored object and the
/// field-validation warnings of a patch.
pub(crate) async fn write(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
    change: Change<'_>,
    part: Part,
    dry_run: bool,
) -> Result<(Value, Vec<String>), ApiError> {
    let name = req.info.name.as_str();
    let key = res.key(&req.info.namespace, name);
    let strategy = &res.strategy;
    let node = Node::for_kind(&res.gvk);
    let api_version = res.api_version();
    let subresource = req.info.subresource.as_str();
    let manager = match &change {
        Change::Apply(a) => a.manager.to_string(),
        _ => field_manager(req),
    };
    loop {
        let (old, kv) = res.read_existing(inner.store.as_ref(), &req.info.namespace, name).await?;
        let now = ids::now_rfc3339();
        let current_rv = kv.mod_revision.to_string();
        let mut warnings = Vec::new();
        // Whether the new object has its kind's defaults already (a patch's decoding
        // applies them).
        let mut defaulted = false;
        let (mut new, is_patch) = match &change {
            Change::Replace(obj) => ((*obj).clone(), false),
            Change::Patch(pt, bytes, validation) => {
                let patched = apply_patch(*pt, &res.gvk, &old, bytes).map_err(patch_error)?;
                let mut patched = patched;
                check_kind(&mut patched, &res.api_version(), &res.gvk.kind)?;
                // A status write keeps only the status of what it decodes (the rest is
                // the stored object's): when the patch changes nothing else, the rest is
                // the stored object's already and is not decoded again.
                let kept = strategy.status_fields();
                if part == Part::Status
                    && patch_within(*pt, bytes, kept)
                    && let Some(map) = patched.as_object_mut()
                {
                    map.retain(|k, _| is_kept(k, kept));
                }
                let typed = decode_typed_defaulted(
                    req,
                    res,
                    patched,
                    // Duplicate fields only mean something in merge-style patches.
                    if *pt == PatchType::Json { BodyFormat::Yaml } else { BodyFormat::Json },
                    *validation,
                )?;
                warnings = typed.warnings;
                defaulted = typed.defaulted;
                (typed.object, true)
            }
            Change::Apply(a) => {
                let input = ApplyInput {
                    config: a.config,
                    raw_config: a.raw,
                    manager: a.manager,
                    api_version: &api_version,
                    subresource,
                    force: a.force,
                    now: &now,
                };
                let applied = managed_fields::apply(&old, &input, &node)
                    .map_err(|e| super::apply::apply_error(e, req, res))?;
                (applied, true)
            }
        };
        // The managed fields an apply computed, or those a main-resource write sent; set
        // again once the strategy has run.
        let sent_managed = new
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
            .and_then(|m| m.remove("managedFields"));
        let applied = matches!(change, Change::Apply(_));
        let requested_rv = meta_str(&new, "resourceVersion").to_string();
        let conditional = !requested_rv.is_empty() && (!is_patch || requested_rv != current_rv);
        if requested_rv.is_empty() && !strategy.allow_unconditional_update() {
            return Err(ApiError::invalid(
                &res.gvk.group,
                &res.gvk.kind,
                name,
                &vec![capstan_api_types::validation::FieldError::invalid(
                    &capstan_api_types::validation::FieldPath::new("metadata")
                        .child("resourceVersion"),
                    "",
                    "must be specified for an update",
                )]
                .into(),
            ));
        }
        if !requested_rv.is_empty() && requested_rv != current_rv {
            return Err(ApiError::conflict_modified(&res.gr, name));
        }
        match part {
            Part::Main => strategy.prepare_for_update(&mut new, &old),
            Part::Status => new = strategy.prepare_for_status_update(&new, &old),
            Part::Finalize => {
                let finalizers = new.pointer("/spec/finalizers").cloned().unwrap_or(json!([]));
                new = old.clone();
                set_path(&mut new, &["spec", "finalizers"], finalizers);
            }
        }
        for field in SYSTEM_META {
            let from = old.get("metadata").and_then(|m| m.get(field)).cloned();
            if let Some(meta) = new.get_mut("metadata").and_then(Value::as_object_mut) {
                match from {
                    Some(v) => meta.insert(field.to_string(), v),
                    None => meta.remove(field),
                };
            }
        }
        if res.namespaced() {
            set_path(&mut new, &["metadata", "namespace"], json!(req.info.namespace));
        }
        set_path(&mut new, &["metadata", "name"], json!(name));
        set_path(&mut new, &["metadata", "resourceVersion"], json!(current_rv));
        if !defaulted {
            strategy.default(&mut new)?;
        }
        let a = attrs(req, res, Operation::Update, Some(&old), dry_run);
        inner.admission.admit(&a, &mut new).await?;
        if strategy.config().tracks_generation && spec_changed(&new, &old, strategy.status_fields())
        {
            let generation =
                old.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(0);
            set_path(&mut new, &["metadata", "generation"], json!(generation + 1));
        }
        if applied {
            set_managed_fields(&mut new, sent_managed);
        } else {
            let requested = if part == Part::Main { sent_managed.as_ref() } else { None };
            let input = UpdateInput {
                manager: &manager,
                api_version: &api_version,
                subresource,
                now: &now,
                requested,
            };
            track_update(Some(&old), &mut new, &input, &node);
        }
        let errs = strategy.validate_update(&new, &old);
        if !errs.is_empty() {
            return Err(ApiError::invalid(&res.gvk.group, &res.gvk.kind, name, &errs));
        }
        inner.admission.validate(&a, &new).await?;
        if new == old {
            return Ok((old, warnings));
        }
        let spec_finalizers_left = new
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty())
            && res.info.plural == "namespaces";
        // As Kubernetes' `shouldDeleteDuringUpdate`: the object was being deleted, has no
        // finalizers left, and is not in a graceful deletion (a pod whose node is still
        // stopping its containers keeps its `deletionGracePeriodSeconds` until the node
        // deletes it with a grace period of 0).
        let finalized = !spec_finalizers_left
            && old.pointer("/metadata/deletionTimestamp").is_some()
            && old
                .pointer("/metadata/deletionGracePeriodSeconds")
                .and_then(Value::as_i64)
                .is_none_or(|grace| grace == 0)
            && new
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .is_none_or(|f| f.is_empty());
        if dry_run {
            return Ok((new, warnings));
        }
        if finalized {
            // The last finalizer is gone from an object being deleted: remove it.
            match inner.store.delete(&key, Some(kv.mod_revision)).await {
                Ok((revision, _)) => {
                    set_resource_version(&mut new, revision);
                    return Ok((new, warnings));
                }
                Err(StoreError::Conflict { .. }) if !conditional => continue,
                Err(e) => {
                    return Err(ApiError::from_store(StoreOperation::Update, &res.gr, name, e));
                }
            }
        }
        let bytes = encode_for_store(&mut new)?;
        match inner.store.update(&key, bytes, kv.mod_revision, kv.lease).await {
            Ok(written) => {
                set_resource_version(&mut new, written.mod_revision);
                return Ok((new, warnings));
            }
            Err(StoreError::Conflict { current: Some(_), .. }) if !conditional => continue,
            Err(StoreError::Conflict { current: None, .. }) => {
                return Err(ApiError::not_found(&res.gr, name));
            }
            Err(e) => return Err(ApiError::from_store(StoreOperation::Update, &res.gr, name, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_within_the_status() {
        let status = &["status"][..];
        let cases: [(PatchType, &str, bool); 10] = [
            (PatchType::Merge, r#"{"metadata":{"uid":"u"},"status":{"phase":"Running"}}"#, true),
            (PatchType::StrategicMerge, r#"{"status":{"conditions":[]}}"#, true),
            (PatchType::Merge, r#"{"status":{},"spec":{"nodeName":"x"}}"#, false),
            (PatchType::StrategicMerge, r#"{"$patch":"replace","status":{}}"#, false),
            (PatchType::Json, r#"[{"op":"replace","path":"/status/phase","value":"x"}]"#, true),
            (PatchType::Json, r#"[{"op":"copy","from":"/spec/a","path":"/status/a"}]"#, false),
            (PatchType::Json, r#"[{"op":"replace","path":"","value":{}}]"#, false),
            (PatchType::Json, r#"[{"op":"add","path":7}]"#, false),
            (PatchType::Merge, "not json", false),
            (PatchType::Apply, r#"{"status":{}}"#, false),
        ];
        for (pt, patch, want) in cases {
            assert_eq!(patch_within(pt, patch.as_bytes(), status), want, "{patch}");
        }
    }
}
