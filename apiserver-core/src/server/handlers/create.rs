//! `POST` of a collection: create an object.

use std::time::Instant;

use bytes::Bytes;
use capstan_api_types::{GroupResource, GroupVersionResource};
use capstan_store::{LeaseId, StoreError};
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::{
    ApiRequest, attrs, decode_object, field_manager, meta_str, object_response, plain_json_response,
};
use crate::managed_fields::{Node, UpdateInput, track_update};
use crate::request::WriteOptions;
use crate::server::admission::Operation;
use crate::server::registry::{Resource, encode_for_store, set_resource_version};
use crate::server::strategy::set_path;
use crate::server::{Body, Inner, ids};
use crate::status::{ApiError, StoreOperation};

/// How many names a `generateName` create tries before giving up (Kubernetes retries
/// generated-name conflicts too).
const GENERATE_NAME_ATTEMPTS: usize = 8;

pub(crate) async fn create(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
) -> Result<Response<Body>, ApiError> {
    let opts = WriteOptions::create_from_query(&req.query)?;
    let decoded = decode_object(req, res, opts.field_validation)?;
    let mut obj = decoded.object;
    apply_request_namespace(&mut obj, &req.info.namespace, res)?;
    let generate = meta_str(&obj, "name").is_empty() && !meta_str(&obj, "generateName").is_empty();
    let tracking = Tracking::Update;
    let defaults = if decoded.defaulted { Defaults::Applied } else { Defaults::Apply };
    let (obj, _) = admit_new(inner, req, res, obj, opts.dry_run, tracking, defaults).await?;
    let created = store_new(inner, res, obj, generate, opts.dry_run).await?;
    if let Some(stored) = &created.stored
        && let Some(r) = plain_json_response(req, StatusCode::CREATED, stored, &decoded.warnings)
    {
        return Ok(r);
    }
    object_response(req, res, StatusCode::CREATED, &created.object, &decoded.warnings)
}

/// A new object as written.
pub(crate) struct Created {
    /// The object, with its resourceVersion.
    pub(crate) object: Value,
    /// The stored bytes and the revision written (`None` for a dry run).
    pub(crate) stored: Option<(Bytes, i64)>,
}

/// Sets (or checks) the object's namespace from the request path.
pub(crate) fn apply_request_namespace(
    obj: &mut Value,
    namespace: &str,
    res: &Resource,
) -> Result<(), ApiError> {
    if !res.namespaced() {
        return Ok(());
    }
    let body_ns = meta_str(obj, "namespace").to_string();
    if body_ns.is_empty() {
        set_path(obj, &["metadata", "namespace"], json!(namespace));
    } else if body_ns != namespace {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

/// Whether a new object still needs its kind's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Defaults {
    /// Apply them (the strategy's defaulting).
    Apply,
    /// Decoding applied them already.
    Applied,
}

/// How a new object's `metadata.managedFields` are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tracking {
    /// A `POST`: the field manager gets an `Update` entry for every field set.
    Update,
    /// Apply-on-create: the apply already recorded them.
    Applied,
}

/// The create half shared by `POST` and apply-on-create: system metadata, strategy,
/// defaults, admission, field management, validation and the namespace check. Returns
/// the object to store and its name.
pub(crate) async fn admit_new(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
    mut obj: Value,
    dry_run: bool,
    tracking: Tracking,
    defaults: Defaults,
) -> Result<(Value, String), ApiError> {
    let strategy = &res.strategy;
    if meta_str(&obj, "name").is_empty() {
        let base = meta_str(&obj, "generateName").to_string();
        if !base.is_empty() {
            set_path(&mut obj, &["metadata", "name"], json!(ids::generate_name(&base)));
        }
    }
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in
            ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"]
        {
            meta.remove(field);
        }
        meta.insert("uid".into(), json!(ids::new_uid()));
        meta.insert("creationTimestamp".into(), json!(ids::now_rfc3339()));
        if strategy.config().tracks_generation {
            meta.insert("generation".into(), json!(1));
        } else {
            meta.remove("generation");
        }
    } else {
        return Err(ApiError::bad_request("metadata must be an object"));
    }
    strategy.prepare_for_create(&mut obj);
    if defaults == Defaults::Apply {
        strategy.default(&mut obj)?;
    }
    let a = attrs(req, res, Operation::Create, None, dry_run);
    inner.admission.admit(&a, &mut obj).await?;
    if tracking == Tracking::Update {
        let requested = obj.pointer("/metadata/managedFields").cloned();
        let now = ids::now_rfc3339();
        let input = UpdateInput {
            manager: &field_manager(req),
            api_version: &res.api_version(),
            subresource: "",
            now: &now,
            requested: requested.as_ref(),
        };
        track_update(None, &mut obj, &input, &Node::for_kind(&res.gvk));
    }
    let errs = strategy.validate(&obj);
    let name = meta_str(&obj, "name").to_string();
    if !errs.is_empty() {
        return Err(ApiError::invalid(&res.gvk.group, &res.gvk.kind, &name, &errs));
    }
    inner.admission.validate(&a, &obj).await?;
    if res.namespaced() {
        ensure_namespace_accepts(inner, meta_str(&obj, "namespace"), res, &name).await?;
    }
    Ok((obj, name))
}

/// Writes a new object (unless `dry_run`), retrying generated names that collide.
pub(crate) async fn store_new(
    inner: &Inner,
    res: &Resource,
    mut obj: Value,
    generated: bool,
    dry_run: bool,
) -> Result<Created, ApiError> {
    if dry_run {
        return Ok(Created { object: obj, stored: None });
    }
    let lease = ttl_lease(inner, res).await?;
    let base = meta_str(&obj, "generateName").to_string();
    let mut attempt = 0;
    loop {
        let name = meta_str(&obj, "name").to_string();
        let key = res.key(meta_str(&obj, "namespace"), &name);
        let bytes = encode_for_store(&mut obj)?;
        match inner.store.create(&key, bytes.clone(), lease).await {
            Ok(kv) => {
                set_resource_version(&mut obj, kv.mod_revision);
                return Ok(Created { object: obj, stored: Some((bytes, kv.mod_revision)) });
            }
            Err(StoreError::AlreadyExists { .. })
                if generated && attempt + 1 < GENERATE_NAME_ATTEMPTS =>
            {
                attempt += 1;
                set_path(&mut obj, &["metadata", "name"], json!(ids::generate_name(&base)));
            }
            Err(StoreError::AlreadyExists { .. }) if generated => {
                return Err(ApiError::generate_name_conflict(&res.gr, &name, 1));
            }
            Err(e) => return Err(ApiError::from_store(StoreOperation::Create, &res.gr, &name, e)),
        }
    }
}

/// Objects in a namespace need it to exist (`404`) and not be terminating (`403`),
/// as the `NamespaceLifecycle` admission plugin enforces.
///
/// Like that plugin's lister, the namespaces' watch cache answers first (no store read,
/// no parse: its selectable fields carry `status.phase`, which deletion sets to
/// `Terminating`); a namespace the cache has not seen yet is read from the store, so a
/// create right after its namespace's creation is not refused, and so is one whose
/// deletion started moments ago, so a create right after it is refused.
pub(crate) async fn ensure_namespace_accepts(
    inner: &Inner,
    namespace: &str,
    res: &Resource,
    name: &str,
) -> Result<(), ApiError> {
    let key = format!("/registry/namespaces/{namespace}");
    let cached = if inner.recent_namespace_deletes.contains(namespace) {
        None
    } else {
        inner
            .resources
            .get(&GroupVersionResource::new("", "v1", "namespaces"))
            .and_then(|ns| ns.cache.get(&key))
    };
    let terminating = match cached {
        Some(ns) => ns.fields.get("status.phase").map(String::as_str) == Some("Terminating"),
        None => live_namespace_terminating(inner, namespace, &key).await?,
    };
    // Events may still be written into a terminating namespace, as Kubernetes allows.
    if terminating && res.info.plural != "events" {
        return Err(ApiError::forbidden(
            &res.gr,
            name,
            format!(
                "unable to create new content in namespace {namespace} because it is being terminated"
            ),
        ));
    }
    Ok(())
}

/// Whether the stored namespace at `key` is terminating; `404` when there is none.
async fn live_namespace_terminating(
    inner: &Inner,
    namespace: &str,
    key: &str,
) -> Result<bool, ApiError> {
    let gr = GroupResource::new("", "namespaces");
    let got = inner
        .store
        .get(key, 0)
        .await
        .map_err(|e| ApiError::from_store(StoreOperation::Get, &gr, namespace, e))?;
    let Some(kv) = got.kv else {
        return Err(ApiError::not_found(&gr, namespace));
    };
    let ns: Value = serde_json::from_slice(&kv.value).map_err(ApiError::internal)?;
    Ok(ns.pointer("/status/phase").and_then(Value::as_str) == Some("Terminating")
        || ns.pointer("/metadata/deletionTimestamp").is_some())
}

/// The lease of a kind with a TTL (events): shared for a minute, then a fresh one, like
/// Kubernetes' lease manager; `0` (no lease) for other kinds.
pub(crate) async fn ttl_lease(inner: &Inner, res: &Resource) -> Result<LeaseId, ApiError> {
    let Some(ttl) = res.strategy.ttl() else { return Ok(0) };
    const REUSE: std::time::Duration = std::time::Duration::from_secs(60);
    if let Some((id, at)) = *inner.ttl_lease.lock()
        && at.elapsed() < REUSE
    {
        return Ok(id);
    }
    let id = inner
        .store
        .grant_lease(ttl + REUSE)
        .await
        .map_err(|e| ApiError::from_store(StoreOperation::Create, &res.gr, "", e))?;
    *inner.ttl_lease.lock() = Some((id, Instant::now()));
    Ok(id)
}
