//! Subresources and special writes: `scale`, `pods/binding`, `pods/eviction`, node-proxied paths (`pods/log`, `nodes/proxy`, …).

use bytes::Bytes;
use capstan_api_types::GroupVersionResource;
use capstan_api_types::k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use capstan_api_types::labels::Selector;
use capstan_store::StoreError;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::binding::{self, Refusal};
use super::delete::{delete_object, labels_of};
use super::update::{Change, Part, write};
use super::{ApiRequest, check_kind, decode_typed, meta_str, parse_body};
use crate::patch::{PatchType, apply_patch};
use crate::request::{
    BodyFormat, DeleteOptions, FieldValidation, PatchOptions, Query, Verb, WriteOptions,
    classify_patch,
};
use crate::server::proxy::NodeProxyRequest;
use crate::server::registry::{Resource, decode_stored, encode_for_store};
use crate::server::strategy::set_path;
use crate::server::{Body, Inner, ids, response};
use crate::status::{ApiError, StatusReason, StoreOperation, success_status_json};

const SCALE_API_VERSION: &str = "autoscaling/v1";

/// The `autoscaling/v1` `Scale` of a workload.
fn scale_of(obj: &Value) -> Value {
    let meta = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let pick = |k: &str| meta.get(k).cloned().unwrap_or(Value::Null);
    let mut metadata = json!({"name": pick("name"), "namespace": pick("namespace"), "uid": pick("uid"),
        "resourceVersion": pick("resourceVersion"), "creationTimestamp": pick("creationTimestamp")});
    if let Some(m) = metadata.as_object_mut() {
        m.retain(|_, v| !v.is_null());
    }
    json!({
        "kind": "Scale",
        "apiVersion": SCALE_API_VERSION,
        "metadata": metadata,
        "spec": {"replicas": obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)},
        "status": {
            "replicas": obj.pointer("/status/replicas").and_then(Value::as_i64).unwrap_or(0),
            "selector": selector_string(obj.pointer("/spec/selector")),
        },
    })
}

/// A label selector in its string form (`app=web,tier in (a,b)`).
fn selector_string(selector: Option<&Value>) -> String {
    let Some(selector) = selector else { return String::new() };
    let mut terms: Vec<String> = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect())
        .unwrap_or_default();
    for e in selector.get("matchExpressions").and_then(Value::as_array).into_iter().flatten() {
        let key = e.get("key").and_then(Value::as_str).unwrap_or("");
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        terms.push(match e.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            _ => format!("!{key}"),
        });
    }
    terms.join(",")
}

pub(crate) async fn scale(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
    verb: Verb,
) -> Result<Response<Body>, ApiError> {
    let (current, _) =
        res.read_existing(inner.store.as_ref(), &req.info.namespace, &req.info.name).await?;
    let current_scale = scale_of(&current);
    let (scale, dry_run, warnings) = match verb {
        Verb::Get => return scale_response(req, StatusCode::OK, &current_scale),
        Verb::Update => {
            let opts = WriteOptions::update_from_query(&req.query)?;
            let (mut value, format) = parse_body(req)?;
            check_kind(&mut value, SCALE_API_VERSION, "Scale")?;
            let decoded =
                decode_typed(req, "autoscaling", "Scale", value, format, opts.field_validation)?;
            (decoded.object, opts.dry_run, decoded.warnings)
        }
        _ => {
            let content_type =
                req.head.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
            let patch_type = classify_patch(content_type, true)?;
            if patch_type == PatchType::Apply {
                return Err(ApiError::unsupported_media_type(&[
                    "application/json-patch+json",
                    "application/merge-patch+json",
                    "application/strategic-merge-patch+json",
                ]));
            }
            let opts = PatchOptions::from_query(&req.query, false)?;
            let gvk = capstan_api_types::GroupVersionKind::new("autoscaling", "v1", "Scale");
            let patched = apply_patch(patch_type, &gvk, &current_scale, &req.body)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            (patched, opts.write.dry_run, Vec::new())
        }
    };
    let replicas = scale.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0);
    if replicas < 0 {
        let errs = vec![capstan_api_types::validation::FieldError::invalid(
            &capstan_api_types::validation::FieldPath::new("spec").child("replicas"),
            replicas,
            "must be greater than or equal to 0",
        )];
        return Err(ApiError::invalid("autoscaling", "Scale", &req.info.name, &errs.into()));
    }
    let mut patch = json!({"spec": {"replicas": replicas}});
    let rv = meta_str(&scale, "resourceVersion");
    if !rv.is_empty() {
        patch["metadata"] = json!({"resourceVersion": rv});
    }
    let bytes = serde_json::to_vec(&patch).map_err(ApiError::internal)?;
    let (written, _) = write(
        inner,
        req,
        res,
        Change::Patch(PatchType::Merge, &bytes, FieldValidation::Ignore),
        Part::Main,
        dry_run,
    )
    .await?;
    let mut r = scale_response(req, StatusCode::OK, &scale_of(&written))?;
    response::add_warnings(&mut r, &warnings);
    Ok(r)
}

fn scale_response(
    req: &ApiRequest,
    status: StatusCode,
    scale: &Value,
) -> Result<Response<Body>, ApiError> {
    let accept = req.head.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok());
    let format =
        crate::request::negotiate_output(accept, &crate::request::EndpointRestrictions::none())
            .map(|n| n.format)
            .unwrap_or(BodyFormat::Json);
    response::value(status, scale, format)
}

fn success(gr: &capstan_api_types::GroupResource, name: &str) -> Result<Response<Body>, ApiError> {
    let details = crate::status::deleted_details(gr, name, "");
    response::value(StatusCode::CREATED, &success_status_json(details), BodyFormat::Json)
}

/// `POST pods/<name>/binding` (and `POST bindings`): sets `spec.nodeName` once.
pub(crate) async fn binding(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
) -> Result<Response<Body>, ApiError> {
    let opts = WriteOptions::create_from_query(&req.query)?;
    let (mut body, format) = parse_body(req)?;
    check_kind(&mut body, "v1", "Binding")?;
    let binding = decode_typed(req, "", "Binding", body, format, opts.field_validation)?.object;
    let name = if req.info.name.is_empty() {
        meta_str(&binding, "name").to_string()
    } else {
        req.info.name.clone()
    };
    let node = binding.pointer("/target/name").and_then(Value::as_str).unwrap_or("").to_string();
    let pods = pods_resource(inner)?;
    let binding_gr = capstan_api_types::GroupResource::new("", "pods/binding");
    if node.is_empty() {
        let errs = vec![capstan_api_types::validation::FieldError::required(
            &capstan_api_types::validation::FieldPath::new("target").child("name"),
            "",
        )];
        return Err(ApiError::invalid("", "Binding", &name, &errs.into()));
    }
    let key = pods.key(&req.info.namespace, &name);
    let annotations = binding.pointer("/metadata/annotations").and_then(Value::as_object);
    let refused = |refusal| {
        let message = match refusal {
            Refusal::BeingDeleted => {
                format!("pod {name} is being deleted, cannot be assigned to a host")
            }
            Refusal::Assigned(node) => {
                format!("pod {name} is already assigned to node {node:?}")
            }
        };
        ApiError::conflict(&binding_gr, &name, message)
    };
    loop {
        let kv = inner
            .store
            .get(&key, 0)
            .await
            .map_err(|e| ApiError::from_store(StoreOperation::Get, &pods.gr, &name, e))?
            .kv
            .ok_or_else(|| ApiError::not_found(&pods.gr, &name))?;
        let now = ids::now_rfc3339();
        // Without annotations to add, the stored bytes are edited where they allow it;
        // otherwise (and for bytes of another shape) the parsed pod is.
        let edited = match annotations {
            None => binding::bind_stored(&kv.value, &node, &now),
            Some(_) => None,
        };
        let bytes = match edited {
            Some(edited) => Bytes::from(edited.map_err(refused)?),
            None => {
                let mut pod = decode_stored(&kv)?;
                binding::bind_object(&mut pod, &node, &now).map_err(refused)?;
                for (k, v) in annotations.into_iter().flatten() {
                    set_path(&mut pod, &["metadata", "annotations", k], v.clone());
                }
                encode_for_store(&mut pod)?
            }
        };
        if opts.dry_run {
            return success(&res.gr, &name);
        }
        match inner.store.update(&key, bytes, kv.mod_revision, kv.lease).await {
            Ok(_) => return success(&res.gr, &name),
            Err(StoreError::Conflict { current: Some(_), .. }) => continue,
            Err(e) => return Err(ApiError::from_store(StoreOperation::Update, &pods.gr, &name, e)),
        }
    }
}

fn pods_resource(inner: &Inner) -> Result<std::sync::Arc<Resource>, ApiError> {
    inner
        .resources
        .get(&GroupVersionResource::new("", "v1", "pods"))
        .cloned()
        .ok_or_else(|| ApiError::internal("pods are not served"))
}

/// `POST pods/<name>/eviction`: deletes the pod if its PodDisruptionBudget allows.
pub(crate) async fn eviction(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
) -> Result<Response<Body>, ApiError> {
    let (mut body, format) = parse_body(req)?;
    check_kind(&mut body, "policy/v1", "Eviction")?;
    let eviction = decode_typed(
        req,
        "policy",
        "Eviction",
        body,
        format,
        crate::request::FieldValidation::Ignore,
    )?
    .object;
    let name = req.info.name.clone();
    let ns = req.info.namespace.clone();
    let delete_opts = match eviction.get("deleteOptions") {
        Some(o) if o.is_object() => {
            let bytes = serde_json::to_vec(o).map_err(ApiError::internal)?;
            DeleteOptions::from_request(&Query::parse(""), &bytes, Some("application/json"))?
        }
        _ => DeleteOptions::default(),
    };
    let pdbs = inner
        .resources
        .get(&GroupVersionResource::new("policy", "v1", "poddisruptionbudgets"))
        .cloned()
        .ok_or_else(|| ApiError::internal("poddisruptionbudgets are not served"))?;
    loop {
        let (pod, _) = res.read_existing(inner.store.as_ref(), &ns, &name).await?;
        let phase = pod.pointer("/status/phase").and_then(Value::as_str).unwrap_or("");
        let exempt = matches!(phase, "Succeeded" | "Failed" | "Pending")
            || pod.pointer("/metadata/deletionTimestamp").is_some();
        if !exempt && !delete_opts.dry_run {
            let labels = labels_of(&pod);
            let mut matching = Vec::new();
            let page = pdbs.cache.list(Some(&ns), &crate::request::ListOptions::default()).await?;
            for item in &page.items {
                let pdb: Value = serde_json::from_slice(&item.json).map_err(ApiError::internal)?;
                let selector: Option<LabelSelector> = pdb
                    .pointer("/spec/selector")
                    .and_then(|s| serde_json::from_value(s.clone()).ok());
                let Ok(selector) = Selector::from_label_selector(selector.as_ref()) else {
                    continue;
                };
                if selector.matches(&labels) {
                    matching.push((pdb, item.revision));
                }
            }
            if matching.len() > 1 {
                return Err(ApiError::internal(
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                ));
            }
            if let Some((mut pdb, revision)) = matching.pop() {
                let allowed =
                    pdb.pointer("/status/disruptionsAllowed").and_then(Value::as_i64).unwrap_or(0);
                if allowed <= 0 {
                    return Err(ApiError::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        StatusReason::TooManyRequests,
                        "Cannot evict pod as it would violate the pod's disruption budget.",
                        None,
                    ));
                }
                set_path(&mut pdb, &["status", "disruptionsAllowed"], json!(allowed - 1));
                set_path(&mut pdb, &["status", "disruptedPods", &name], json!(ids::now_rfc3339()));
                let pdb_name = meta_str(&pdb, "name").to_string();
                let key = pdbs.key(&ns, &pdb_name);
                let bytes = encode_for_store(&mut pdb)?;
                match inner.store.update(&key, bytes, revision, 0).await {
                    Ok(_) => {}
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(e) => {
                        return Err(ApiError::from_store(
                            StoreOperation::Update,
                            &pdbs.gr,
                            &pdb_name,
                            e,
                        ));
                    }
                }
            }
        }
        delete_object(inner, req, res, &ns, &name, &delete_opts).await?;
        return success(&res.gr, &name);
    }
}

/// `pods/log`, `pods/exec`, `nodes/proxy`, …: handed to the [`crate::server::proxy::NodeProxy`].
pub(crate) async fn node_proxy(
    inner: &Inner,
    req: ApiRequest,
    res: &Resource,
) -> Result<Response<Body>, ApiError> {
    let (object, _) =
        res.read_existing(inner.store.as_ref(), &req.info.namespace, &req.info.name).await?;
    inner
        .node_proxy
        .proxy(NodeProxyRequest { info: req.info, head: req.head, body: req.body, object })
        .await
}
