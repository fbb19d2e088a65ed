//! OpenAPI documents: `/openapi/v2` (swagger 2.0), the `/openapi/v3` index and one OpenAPI 3.0 document per group version.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bytes::Bytes;
use capstan_api_types::GroupVersion;
use serde_json::{Map, Value, json};

use super::document::Document;
use super::groups::served_group_versions;
use super::operations::{Body, Operation, Param, PathItem, Response, paths_for, used_definitions};
use super::schemas::{Definitions, V2_REF, V3_REF, closure, definitions, v3_definition};
use super::version::GIT_VERSION;

/// `Cache-Control` for a v3 document fetched with the current `?hash=`: the URL names the
/// content, so it never changes.
pub const OPENAPI_V3_IMMUTABLE_CACHE_CONTROL: &str = "public, immutable";
/// `Cache-Control` for a v3 document (or the index) fetched without `?hash=`.
pub const OPENAPI_V3_MUTABLE_CACHE_CONTROL: &str = "no-cache, private";

const PATCH_TYPES: [&str; 4] = [
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];
const OBJECT_TYPES: [&str; 3] =
    ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];
const WATCH_TYPES: [&str; 2] =
    ["application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"];

fn status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        _ => "Unauthorized",
    }
}

fn path_param_description(name: &str, resource: &str) -> String {
    match name {
        "namespace" => "object name and auth scope, such as for teams and projects".into(),
        _ => format!("name of the {resource}"),
    }
}

const PRETTY: &str = "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).";

fn produces(op: &Operation) -> Vec<&'static str> {
    if op.responses.iter().any(|(_, r)| *r == Response::Text) {
        return vec!["*/*"];
    }
    let mut types = OBJECT_TYPES.to_vec();
    if op.action == "list" || op.action.starts_with("watch") {
        types.extend(WATCH_TYPES);
    }
    types
}

fn gvk_ext(op: &Operation) -> Value {
    json!({"group": op.gvk.0, "kind": op.gvk.2, "version": op.gvk.1})
}

// ---------------------------------------------------------------- v2

fn v2_query(param: &Param) -> Value {
    json!({
        "uniqueItems": true,
        "type": param.ty.as_str(),
        "description": param.description,
        "name": param.name,
        "in": "query",
    })
}

fn v2_operation(op: &Operation) -> Value {
    let mut parameters: Vec<Value> = Vec::new();
    if let Some(body) = &op.body {
        let (name, required) = match body {
            Body::Object(name) => (name.as_str(), op.method != "delete"),
            Body::Patch => (super::schemas::PATCH, true),
        };
        parameters.push(json!({
            "name": "body", "in": "body", "required": required,
            "schema": {"$ref": format!("{V2_REF}{name}")},
        }));
    }
    parameters.extend(op.query.iter().map(|p| v2_query(p)));
    let mut responses = Map::new();
    for (code, response) in &op.responses {
        let schema = match response {
            Response::Object(name) => json!({"$ref": format!("{V2_REF}{name}")}),
            Response::Text => json!({"type": "string"}),
        };
        responses
            .insert(code.to_string(), json!({"description": status_text(*code), "schema": schema}));
    }
    responses.insert("401".into(), json!({"description": "Unauthorized"}));
    let consumes: Vec<&str> = match op.body {
        Some(Body::Patch) => PATCH_TYPES.to_vec(),
        _ => vec!["*/*"],
    };
    json!({
        "description": op.description,
        "consumes": consumes,
        "produces": produces(op),
        "schemes": ["https"],
        "tags": [op.tag],
        "operationId": op.id,
        "parameters": parameters,
        "responses": responses,
        "x-kubernetes-action": op.action,
        "x-kubernetes-group-version-kind": gvk_ext(op),
    })
}

fn v2_path_item(item: &PathItem) -> Value {
    let mut out = Map::new();
    for op in &item.operations {
        out.insert(op.method.to_string(), v2_operation(op));
    }
    let mut parameters: Vec<Value> = item
        .path_params
        .iter()
        .map(|name| {
            json!({
                "uniqueItems": true, "type": "string", "description": path_param_description(name, &item.resource),
                "name": name, "in": "path", "required": true,
            })
        })
        .collect();
    parameters.push(json!({"uniqueItems": true, "type": "string", "description": PRETTY, "name": "pretty", "in": "query"}));
    out.insert("parameters".into(), Value::Array(parameters));
    Value::Object(out)
}

fn info() -> Value {
    json!({"title": "Kubernetes", "version": GIT_VERSION})
}

fn build_v2() -> Document {
    let defs = definitions();
    let mut paths = Map::new();
    for gv in served_group_versions() {
        for item in paths_for(&gv, defs) {
            paths.insert(item.path.clone(), v2_path_item(&item));
        }
    }
    let definitions: Map<String, Value> =
        defs.defs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    Document::from_json(&json!({
        "swagger": "2.0",
        "info": info(),
        "paths": paths,
        "definitions": definitions,
        "securityDefinitions": {
            "BearerToken": {"description": "Bearer Token authentication", "type": "apiKey", "name": "authorization", "in": "header"}
        },
        "security": [{"BearerToken": []}],
    }))
}

/// The `/openapi/v2` swagger 2.0 document (JSON), built once. Its [`Document::etag`] is the
/// `ETag` to send (answer `If-None-Match` with 304).
pub fn openapi_v2() -> &'static Document {
    static DOC: OnceLock<Document> = OnceLock::new();
    DOC.get_or_init(build_v2)
}

/// The media type of gnostic's protobuf form of `/openapi/v2`, which Kubernetes sends as
/// the `Content-Type` whichever of the two protobuf names was asked for.
pub const OPENAPI_V2_PROTOBUF_CONTENT_TYPE: &str =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
/// The older name of [`OPENAPI_V2_PROTOBUF_CONTENT_TYPE`], the one client-go's
/// `OpenAPISchema()` asks for.
pub const OPENAPI_V2_PROTOBUF_DEPRECATED_CONTENT_TYPE: &str =
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

/// The `/openapi/v2` document as gnostic's protobuf `openapi.v2.Document`, converted once
/// from [`openapi_v2`]'s JSON. Its ETag is the hash of the protobuf bytes, so it differs
/// from the JSON one (responses carry `Vary: Accept`).
pub fn openapi_v2_protobuf() -> &'static Document {
    static DOC: OnceLock<Document> = OnceLock::new();
    DOC.get_or_init(|| {
        // The JSON was serialized from a `Value` here, so it parses back.
        let json: Value = serde_json::from_slice(&openapi_v2().body()).unwrap_or_default();
        Document::from_bytes(Bytes::from(super::openapi_v2_pb::encode(&json)))
    })
}

/// A representation of `/openapi/v2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V2Format {
    /// Swagger 2.0 JSON, `application/json`.
    Json,
    /// gnostic's protobuf, [`OPENAPI_V2_PROTOBUF_CONTENT_TYPE`].
    Protobuf,
}

impl V2Format {
    /// The `Content-Type` of the response.
    pub fn content_type(self) -> &'static str {
        match self {
            V2Format::Json => "application/json",
            V2Format::Protobuf => OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
        }
    }

    /// The document in this representation.
    pub fn document(self) -> &'static Document {
        match self {
            V2Format::Json => openapi_v2(),
            V2Format::Protobuf => openapi_v2_protobuf(),
        }
    }
}

/// Picks the representation of `/openapi/v2` for an `Accept` header as kube-openapi does:
/// clauses by quality (concrete types before wildcards), the first that names JSON, either
/// protobuf name, or a wildcard wins (a wildcard gets JSON); an empty header means `*/*`.
/// `None` means 406 Not Acceptable.
pub fn negotiate_v2(accept: &str) -> Option<V2Format> {
    let accept = if accept.trim().is_empty() { "*/*" } else { accept };
    let mut clauses: Vec<(f32, u8, &str, &str)> = accept
        .split(',')
        .filter_map(|clause| {
            let mut parts = clause.split(';').map(str::trim);
            let (kind, subtype) = parts.next()?.split_once('/')?;
            let q = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim() == "q")
                .map_or(1.0, |(_, v)| v.trim().parse::<f32>().unwrap_or(0.0));
            let specificity = u8::from(kind != "*") + u8::from(subtype != "*");
            (q > 0.0).then_some((q, specificity, kind, subtype))
        })
        .collect();
    clauses.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    let protobuf = [OPENAPI_V2_PROTOBUF_CONTENT_TYPE, OPENAPI_V2_PROTOBUF_DEPRECATED_CONTENT_TYPE]
        .map(|t| t.trim_start_matches("application/"));
    clauses.into_iter().find_map(|(_, _, kind, subtype)| {
        if kind != "application" && kind != "*" {
            return None;
        }
        match subtype {
            "*" | "json" => Some(V2Format::Json),
            s if protobuf.iter().any(|p| p.eq_ignore_ascii_case(s)) => Some(V2Format::Protobuf),
            _ => None,
        }
    })
}

// ---------------------------------------------------------------- v3

fn v3_ref(name: &str) -> Value {
    json!({"$ref": format!("{V3_REF}{name}")})
}

fn v3_operation(op: &Operation) -> Value {
    let parameters: Vec<Value> = op
        .query
        .iter()
        .map(|p| {
            json!({
                "name": p.name, "in": "query", "description": p.description,
                "schema": {"type": p.ty.as_str(), "uniqueItems": true},
            })
        })
        .collect();
    let mut out = json!({
        "tags": [op.tag],
        "description": op.description,
        "operationId": op.id,
        "parameters": parameters,
    });
    if let Some(body) = &op.body {
        let content: Map<String, Value> = match body {
            Body::Object(name) => {
                [("*/*".to_string(), json!({"schema": v3_ref(name)}))].into_iter().collect()
            }
            Body::Patch => PATCH_TYPES
                .iter()
                .map(|t| (t.to_string(), json!({"schema": v3_ref(super::schemas::PATCH)})))
                .collect(),
        };
        out["requestBody"] = json!({"content": content, "required": op.method != "delete"});
    }
    let mut responses = Map::new();
    for (code, response) in &op.responses {
        let content: Map<String, Value> = match response {
            Response::Object(name) => produces(op)
                .into_iter()
                .map(|t| (t.to_string(), json!({"schema": v3_ref(name)})))
                .collect(),
            Response::Text => {
                [("*/*".to_string(), json!({"schema": {"type": "string"}}))].into_iter().collect()
            }
        };
        responses.insert(
            code.to_string(),
            json!({"description": status_text(*code), "content": content}),
        );
    }
    responses.insert("401".into(), json!({"description": "Unauthorized"}));
    out["responses"] = Value::Object(responses);
    out["x-kubernetes-action"] = json!(op.action);
    out["x-kubernetes-group-version-kind"] = gvk_ext(op);
    out
}

fn v3_path_item(item: &PathItem) -> Value {
    let mut out = Map::new();
    for op in &item.operations {
        out.insert(op.method.to_string(), v3_operation(op));
    }
    let mut parameters: Vec<Value> = item
        .path_params
        .iter()
        .map(|name| {
            json!({
                "name": name, "in": "path", "description": path_param_description(name, &item.resource),
                "required": true, "schema": {"type": "string", "uniqueItems": true},
            })
        })
        .collect();
    parameters.push(json!({"name": "pretty", "in": "query", "description": PRETTY, "schema": {"type": "string", "uniqueItems": true}}));
    out.insert("parameters".into(), Value::Array(parameters));
    Value::Object(out)
}

fn build_v3(gv: &GroupVersion, defs: &Definitions) -> Document {
    let items = paths_for(gv, defs);
    let mut paths = Map::new();
    for item in &items {
        paths.insert(item.path.clone(), v3_path_item(item));
    }
    let roots: Vec<Value> = used_definitions(&items)
        .into_iter()
        .map(|name| json!({"$ref": format!("{V2_REF}{name}")}))
        .collect();
    let schemas: Map<String, Value> = closure(defs, roots.iter())
        .into_iter()
        .filter_map(|name| {
            defs.defs.get(&name).map(|def| (name.clone(), v3_definition(&name, def)))
        })
        .collect();
    Document::from_json(&json!({
        "openapi": "3.0.0",
        "info": info(),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "BearerToken": {"type": "apiKey", "description": "Bearer Token authentication", "name": "authorization", "in": "header"}
            },
        },
    }))
}

/// The `/openapi/v3/…` path of a group version, without the prefix: `api/v1`, `apis/apps/v1`.
pub fn v3_path_for(gv: &GroupVersion) -> String {
    if gv.group.is_empty() {
        format!("api/{}", gv.version)
    } else {
        format!("apis/{}/{}", gv.group, gv.version)
    }
}

fn v3_documents() -> &'static BTreeMap<String, Document> {
    static DOCS: OnceLock<BTreeMap<String, Document>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let defs = definitions();
        served_group_versions().iter().map(|gv| (v3_path_for(gv), build_v3(gv, defs))).collect()
    })
}

/// The OpenAPI v3 document of one group version, by its path under `/openapi/v3/`
/// (`api/v1`, `apis/apps/v1`; a leading `/` is ignored), or `None` if it is not served.
pub fn openapi_v3_group(path: &str) -> Option<&'static Document> {
    v3_documents().get(path.trim_start_matches('/'))
}

/// The `/openapi/v3` index: `{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=…"},…}}`.
pub fn openapi_v3_index() -> Bytes {
    static DOC: OnceLock<Bytes> = OnceLock::new();
    DOC.get_or_init(|| {
        let paths: Map<String, Value> = v3_documents()
            .iter()
            .map(|(path, doc)| {
                let url = format!("/openapi/v3/{path}?hash={}", doc.hash());
                (path.clone(), json!({"serverRelativeURL": url}))
            })
            .collect();
        Document::from_json(&json!({"paths": paths})).body()
    })
    .clone()
}

/// How to answer a request for a v3 group-version document, given its `?hash=` query value.
#[derive(Debug)]
pub enum V3HashCheck {
    /// No such group version: 404.
    NotFound,
    /// No hash asked: serve with [`OPENAPI_V3_MUTABLE_CACHE_CONTROL`] and the ETag.
    Serve(&'static Document),
    /// The current hash was asked: serve with [`OPENAPI_V3_IMMUTABLE_CACHE_CONTROL`] (and an
    /// `Expires` a year ahead, as Kubernetes does).
    Immutable(&'static Document),
    /// A stale hash was asked: answer `301 Moved Permanently` with this `Location`.
    Redirect(String),
}

/// Decides how to answer `/openapi/v3/{path}?hash={hash}` (Kubernetes' kube-openapi handler
/// behaviour: a stale hash redirects to the current URL).
pub fn check_v3_hash(path: &str, hash: Option<&str>) -> V3HashCheck {
    let path = path.trim_start_matches('/');
    let Some(doc) = openapi_v3_group(path) else { return V3HashCheck::NotFound };
    match hash {
        None | Some("") => V3HashCheck::Serve(doc),
        Some(h) if h == doc.hash() => V3HashCheck::Immutable(doc),
        Some(_) => V3HashCheck::Redirect(format!("/openapi/v3/{path}?hash={}", doc.hash())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: Bytes) -> Value {
        serde_json::from_slice(&bytes).unwrap()
    }

    /// Resolves a `$ref` inside `doc`.
    fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
        let pointer = reference.strip_prefix('#').unwrap();
        doc.pointer(pointer).unwrap_or_else(|| panic!("{reference} does not resolve"))
    }

    fn all_refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if let (true, Some(r)) = (k == "$ref", v.as_str()) {
                        out.push(r.to_string());
                    } else {
                        all_refs(v, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| all_refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn v2_has_pod_definition_and_paths() {
        let doc = parse(openapi_v2().body());
        assert_eq!(doc["swagger"], "2.0");
        let pod = &doc["definitions"]["io.k8s.api.core.v1.Pod"];
        assert_eq!(
            pod["x-kubernetes-group-version-kind"],
            json!([{"group": "", "kind": "Pod", "version": "v1"}])
        );
        assert_eq!(
            pod["properties"]["metadata"]["$ref"],
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
        assert!(doc["definitions"]["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].is_object());
        let list = &doc["paths"]["/api/v1/namespaces/{namespace}/pods"]["get"];
        assert_eq!(list["x-kubernetes-action"], "list");
        assert_eq!(
            list["x-kubernetes-group-version-kind"],
            json!({"group": "", "kind": "Pod", "version": "v1"})
        );
        assert_eq!(
            list["responses"]["200"]["schema"]["$ref"],
            "#/definitions/io.k8s.api.core.v1.PodList"
        );
        let create = &doc["paths"]["/api/v1/namespaces/{namespace}/pods"]["post"];
        assert_eq!(create["x-kubernetes-action"], "post");
        let patch =
            &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        let names: Vec<&str> = patch["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"fieldValidation") && names.contains(&"dryRun"), "{names:?}");
        assert!(
            patch["consumes"]
                .as_array()
                .unwrap()
                .contains(&json!("application/strategic-merge-patch+json"))
        );
        let mut refs = Vec::new();
        all_refs(&doc, &mut refs);
        assert!(refs.len() > 1000);
        for r in refs {
            resolve(&doc, &r);
        }
    }

    #[test]
    fn v3_index_and_apps_document() {
        let index = parse(openapi_v3_index());
        let url = index["paths"]["apis/apps/v1"]["serverRelativeURL"].as_str().unwrap();
        let doc = openapi_v3_group("apis/apps/v1").unwrap();
        assert_eq!(url, format!("/openapi/v3/apis/apps/v1?hash={}", doc.hash()));
        assert!(
            index["paths"]["api/v1"]["serverRelativeURL"]
                .as_str()
                .unwrap()
                .starts_with("/openapi/v3/api/v1?hash=")
        );
        assert_eq!(index["paths"].as_object().unwrap().len(), served_group_versions().len());

        let doc = parse(doc.body());
        assert_eq!(doc["openapi"], "3.0.0");
        let path = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
        let get = &path["get"];
        assert_eq!(
            get["x-kubernetes-group-version-kind"],
            json!({"group": "apps", "kind": "Deployment", "version": "v1"})
        );
        let reference = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap();
        assert_eq!(reference, "#/components/schemas/io.k8s.api.apps.v1.Deployment");
        let deployment = resolve(&doc, reference);
        assert_eq!(deployment["x-kubernetes-group-version-kind"][0]["kind"], "Deployment");
        // Every reference in the document resolves inside it, and none is a v2 reference.
        let mut refs = Vec::new();
        all_refs(&doc, &mut refs);
        for r in &refs {
            assert!(r.starts_with("#/components/schemas/"), "{r}");
            resolve(&doc, r);
        }
        // The patch operation advertises fieldValidation (kubectl checks this before falling
        // back to client-side validation).
        let params = path["patch"]["parameters"].as_array().unwrap();
        assert!(params.iter().any(|p| p["name"] == "fieldValidation"));
        // Merge keys survive into v3, beside the allOf-wrapped reference.
        let spec = &doc["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"]["properties"];
        assert_eq!(spec["containers"]["x-kubernetes-patch-merge-key"], "name");
        assert!(
            doc["components"]["schemas"].get("io.k8s.api.core.v1.Pod").is_none(),
            "core kinds stay out of apps/v1"
        );
    }

    #[test]
    fn v3_core_has_pods_explainable() {
        let doc = parse(openapi_v3_group("/api/v1").unwrap().body());
        let pod = &doc["components"]["schemas"]["io.k8s.api.core.v1.Pod"];
        // kubectl explain: Pod.spec is a single-element allOf with the description beside it.
        let spec = &pod["properties"]["spec"];
        assert!(spec["description"].is_string());
        let spec_ref = spec["allOf"][0]["$ref"].as_str().unwrap();
        let containers = &resolve(&doc, spec_ref)["properties"]["containers"];
        assert_eq!(containers["type"], "array");
        let container = resolve(&doc, containers["items"]["$ref"].as_str().unwrap());
        assert!(container["properties"]["image"].is_object());
        assert!(doc["paths"]["/api/v1/namespaces/{namespace}/pods"]["get"].is_object());
        let quantity =
            &doc["components"]["schemas"]["io.k8s.apimachinery.pkg.api.resource.Quantity"];
        assert!(quantity["oneOf"].is_array());
    }

    #[test]
    fn v2_negotiation() {
        let pb = OPENAPI_V2_PROTOBUF_DEPRECATED_CONTENT_TYPE;
        assert_eq!(negotiate_v2(pb), Some(V2Format::Protobuf));
        assert_eq!(negotiate_v2(OPENAPI_V2_PROTOBUF_CONTENT_TYPE), Some(V2Format::Protobuf));
        assert_eq!(negotiate_v2(""), Some(V2Format::Json));
        assert_eq!(negotiate_v2("*/*"), Some(V2Format::Json));
        assert_eq!(negotiate_v2("application/json"), Some(V2Format::Json));
        assert_eq!(negotiate_v2(&format!("*/*, {pb}")), Some(V2Format::Protobuf));
        assert_eq!(negotiate_v2(&format!("{pb};q=0.5, application/json")), Some(V2Format::Json));
        assert_eq!(negotiate_v2(&format!("{pb};q=0, text/plain")), None);
        assert_eq!(negotiate_v2("application/yaml"), None);
        assert_eq!(V2Format::Protobuf.content_type(), OPENAPI_V2_PROTOBUF_CONTENT_TYPE);
        let (json, proto) = (V2Format::Json.document(), V2Format::Protobuf.document());
        assert_ne!(json.etag(), proto.etag());
        assert_ne!(json.body(), proto.body());
    }

    #[test]
    fn hash_checks() {
        let doc = openapi_v3_group("apis/apps/v1").unwrap();
        assert!(matches!(check_v3_hash("apis/apps/v1", None), V3HashCheck::Serve(_)));
        assert!(matches!(
            check_v3_hash("/apis/apps/v1", Some(doc.hash())),
            V3HashCheck::Immutable(_)
        ));
        match check_v3_hash("apis/apps/v1", Some("STALE")) {
            V3HashCheck::Redirect(location) => {
                assert_eq!(location, format!("/openapi/v3/apis/apps/v1?hash={}", doc.hash()))
            }
            other => panic!("expected a redirect, got {other:?}"),
        }
        assert!(matches!(check_v3_hash("apis/nosuch/v1", None), V3HashCheck::NotFound));
        assert!(openapi_v3_group("apis/autoscaling/v1").is_none());
    }
}
