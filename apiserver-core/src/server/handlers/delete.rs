//! `DELETE` of an object or a collection: finalizers, grace periods, propagation policy and preconditions.

use capstan_api_types::fields::field_set;
use capstan_store::{RangeRequest, StoreError};
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::{ApiRequest, meta_str, object_response};
use crate::request::{DeleteOptions, ListOptions, PropagationPolicy};
use crate::server::admission::Operation;
use crate::server::registry::{Resource, decode_stored, encode_for_store, set_resource_version};
use crate::server::strategy::set_path;
use crate::server::{Body, Inner, ids, response};
use crate::status::{ApiError, StoreOperation, deleted_details, success_status_json};

/// What a delete did.
pub(crate) enum Deleted {
    /// The object is gone; its last state.
    Removed(Value),
    /// The object is marked (finalizers or a grace period); its new state.
    Marked(Value),
}

pub(crate) async fn delete(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
) -> Result<Response<Body>, ApiError> {
    let opts = delete_options(req)?;
    let name = req.info.name.clone();
    match delete_object(inner, req, res, &req.info.namespace, &name, &opts).await? {
        Deleted::Marked(obj) => {
            let status = if opts.orphan_dependents == Some(false) {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            };
            object_response(req, res, status, &obj, &[])
        }
        Deleted::Removed(obj) if res.strategy.returns_deleted_object() => {
            object_response(req, res, StatusCode::OK, &obj, &[])
        }
        Deleted::Removed(obj) => {
            let details = deleted_details(&res.gr, &name, meta_str(&obj, "uid"));
            response::value(
                StatusCode::OK,
                &success_status_json(details),
                crate::request::BodyFormat::Json,
            )
        }
    }
}

/// The request's `DeleteOptions`: from a JSON, YAML or protobuf body, else the query.
fn delete_options(req: &ApiRequest) -> Result<DeleteOptions, ApiError> {
    let content_type =
        req.head.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let essence = content_type.unwrap_or("").split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case(crate::server::protobuf::PROTOBUF_MEDIA_TYPE)
        && !req.body.is_empty()
    {
        let json = crate::server::protobuf::decode(&req.body)?;
        let bytes = serde_json::to_vec(&json).map_err(ApiError::internal)?;
        return DeleteOptions::from_request(&req.query, &bytes, Some("application/json"));
    }
    DeleteOptions::from_request(&req.query, &req.body, content_type)
}

fn precondition_failed(
    what: &str,
    wanted: &str,
    actual: &str,
    res: &Resource,
    name: &str,
) -> ApiError {
    ApiError::conflict(
        &res.gr,
        name,
        format!(
            "Precondition failed: {what} in precondition: {wanted}, {what} in object meta: {actual}"
        ),
    )
}

/// Deletes (or marks) one object.
pub(crate) async fn delete_object(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
    namespace: &str,
    name: &str,
    opts: &DeleteOptions,
) -> Result<Deleted, ApiError> {
    let key = res.key(namespace, name);
    if res.gr.group.is_empty() && res.info.plural == "namespaces" {
        inner.recent_namespace_deletes.note(name);
    }
    loop {
        let (old, kv) = res.read_existing(inner.store.as_ref(), namespace, name).await?;
        if let Some(pre) = &opts.preconditions {
            if let Some(uid) = pre.uid.as_deref()
                && uid != meta_str(&old, "uid")
            {
                return Err(precondition_failed("UID", uid, meta_str(&old, "uid"), res, name));
            }
            if let Some(rv) = pre.resource_version.as_deref()
                && rv != meta_str(&old, "resourceVersion")
            {
                return Err(precondition_failed(
                    "ResourceVersion",
                    rv,
                    meta_str(&old, "resourceVersion"),
                    res,
                    name,
                ));
            }
        }
        let a = super::attrs(req, res, Operation::Delete, Some(&old), opts.dry_run);
        inner.admission.validate(&a, &old).await?;
        let mut obj = old.clone();
        let mut finalizers: Vec<String> = obj
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        let policy = opts.propagation_policy.or(match opts.orphan_dependents {
            Some(true) => Some(PropagationPolicy::Orphan),
            Some(false) => Some(PropagationPolicy::Background),
            None => None,
        });
        let mut set = |add: Option<&str>, remove: &[&str]| {
            finalizers.retain(|f| !remove.contains(&f.as_str()));
            if let Some(add) = add
                && !finalizers.iter().any(|f| f == add)
            {
                finalizers.push(add.to_string());
            }
        };
        match policy {
            Some(PropagationPolicy::Orphan) => set(Some("orphan"), &["foregroundDeletion"]),
            Some(PropagationPolicy::Foreground) => set(Some("foregroundDeletion"), &["orphan"]),
            Some(PropagationPolicy::Background) => set(None, &["orphan", "foregroundDeletion"]),
            None => {}
        }
        let already_marked = old.pointer("/metadata/deletionTimestamp").is_some();
        let grace = res.strategy.graceful_delete(&old, opts.grace_period_seconds);
        let pending = !finalizers.is_empty()
            || (grace.is_some() && !(already_marked && opts.grace_period_seconds == Some(0)));
        if !pending {
            if opts.dry_run {
                return Ok(Deleted::Removed(old));
            }
            match inner.store.delete(&key, Some(kv.mod_revision)).await {
                Ok(_) => return Ok(Deleted::Removed(old)),
                Err(StoreError::Conflict { current: Some(_), .. }) => continue,
                Err(StoreError::Conflict { current: None, .. })
                | Err(StoreError::NotFound { .. }) => {
                    return Err(ApiError::not_found(&res.gr, name));
                }
                Err(e) => {
                    return Err(ApiError::from_store(StoreOperation::Delete, &res.gr, name, e));
                }
            }
        }
        if !already_marked {
            let seconds = grace.unwrap_or(0);
            let at = jiff::Timestamp::now().as_second() + seconds;
            set_path(&mut obj, &["metadata", "deletionTimestamp"], json!(ids::seconds_rfc3339(at)));
            set_path(&mut obj, &["metadata", "deletionGracePeriodSeconds"], json!(seconds));
            if res.strategy.config().tracks_generation {
                let g = obj.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(0);
                set_path(&mut obj, &["metadata", "generation"], json!(g + 1));
            }
            res.strategy.on_graceful_delete(&mut obj);
        } else {
            shorten_grace(&mut obj, &old, opts.grace_period_seconds);
        }
        if finalizers.is_empty() {
            if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("finalizers");
            }
        } else {
            set_path(&mut obj, &["metadata", "finalizers"], json!(finalizers));
        }
        if obj == old || opts.dry_run {
            return Ok(Deleted::Marked(obj));
        }
        let bytes = encode_for_store(&mut obj)?;
        match inner.store.update(&key, bytes, kv.mod_revision, kv.lease).await {
            Ok(written) => {
                set_resource_version(&mut obj, written.mod_revision);
                return Ok(Deleted::Marked(obj));
            }
            Err(StoreError::Conflict { current: Some(_), .. }) => continue,
            Err(StoreError::Conflict { current: None, .. }) => {
                return Err(ApiError::not_found(&res.gr, name));
            }
            Err(e) => return Err(ApiError::from_store(StoreOperation::Delete, &res.gr, name, e)),
        }
    }
}

/// A second delete of an object already being deleted may only shorten its grace period
/// (as Kubernetes' `BeforeDelete`): the deletion timestamp moves by the difference, so an
/// object held by finalizers is removed as soon as they are gone once the grace is 0.
fn shorten_grace(obj: &mut Value, old: &Value, requested: Option<i64>) {
    let Some(requested) = requested.map(|r| r.max(0)) else {
        return;
    };
    let Some(current) = old.pointer("/metadata/deletionGracePeriodSeconds").and_then(Value::as_i64)
    else {
        return;
    };
    if requested >= current {
        return;
    }
    let marked_at = old
        .pointer("/metadata/deletionTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map_or_else(|| jiff::Timestamp::now().as_second() + current, |t| t.as_second());
    let at = marked_at - current + requested;
    set_path(obj, &["metadata", "deletionTimestamp"], json!(ids::seconds_rfc3339(at)));
    set_path(obj, &["metadata", "deletionGracePeriodSeconds"], json!(requested));
}

pub(crate) async fn delete_collection(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
) -> Result<Response<Body>, ApiError> {
    let opts = delete_options(req)?;
    let list_opts = ListOptions::from_query(&req.query, false)?;
    let ns = (!req.info.namespace.is_empty()).then_some(req.info.namespace.as_str());
    let prefix = crate::server::keys::namespace_prefix(&res.prefix, ns);
    let range = inner
        .store
        .range(RangeRequest::prefix(prefix))
        .await
        .map_err(|e| ApiError::from_store(StoreOperation::List, &res.gr, "", e))?;
    let mut items = Vec::new();
    for kv in &range.kvs {
        let obj = decode_stored(kv)?;
        let labels = labels_of(&obj);
        let fields = field_set(res.info.group, res.info.plural, &obj, res.namespaced());
        if !list_opts.label_selector.matches(&labels) || !list_opts.field_selector.matches(&fields)
        {
            continue;
        }
        let name = meta_str(&obj, "name").to_string();
        let obj_ns = meta_str(&obj, "namespace").to_string();
        match delete_object(inner, req, res, &obj_ns, &name, &opts).await {
            Ok(Deleted::Removed(o) | Deleted::Marked(o)) => items.push(o),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    let list = json!({
        "kind": format!("{}List", res.gvk.kind),
        "apiVersion": res.api_version(),
        "metadata": {},
        "items": items,
    });
    super::object_list_response(req, &list)
}

/// The labels of an object.
pub(crate) fn labels_of(obj: &Value) -> std::collections::BTreeMap<String, String> {
    obj.pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect()
        })
        .unwrap_or_default()
}
