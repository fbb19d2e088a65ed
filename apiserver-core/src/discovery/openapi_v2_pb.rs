//! The `/openapi/v2` swagger 2.0 JSON converted to gnostic's protobuf `openapi.v2.Document`, field by field as gnostic's compiler reads the JSON.
//!
//! client-go's `OpenAPISchema()` (kubectl's client-side apply, `explain` before v3,
//! `--validate` and its query-parameter checks) fetches `/openapi/v2` as
//! `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and unmarshals this
//! message. The mapping follows gnostic: every `x-…` key becomes a `NamedAny` whose
//! `Any.yaml` holds the value as YAML; `default`, `enum` and `example` values are `Any`s
//! too; a parameter is a `BodyParameter` when `in` is `body` and otherwise the
//! `NonBodyParameter` sub-schema its `in` names; a response or parameter with `$ref` is a
//! `JsonReference`. Keys swagger 2.0 does not define (JSON-Schema `oneOf`/`anyOf`,
//! which kube-openapi never emits in v2) have no field and are left out.

use prost::Message;
use serde_json::{Map, Value};

use super::openapi_v2_proto as pb;

/// Encodes a swagger 2.0 document as the bytes of gnostic's `openapi.v2.Document`.
pub(crate) fn encode(doc: &Value) -> Vec<u8> {
    document(doc).encode_to_vec()
}

/// Converts a swagger 2.0 document (a JSON object; anything else gives an empty document).
pub(crate) fn document(doc: &Value) -> pb::Document {
    let empty = Map::new();
    let m = doc.as_object().unwrap_or(&empty);
    pb::Document {
        swagger: string(m, "swagger"),
        info: object(m, "info").map(info),
        host: string(m, "host"),
        base_path: string(m, "basePath"),
        schemes: strings(m, "schemes"),
        consumes: strings(m, "consumes"),
        produces: strings(m, "produces"),
        paths: object(m, "paths").map(paths),
        definitions: object(m, "definitions")
            .map(|d| pb::Definitions { additional_properties: named_schemas(d) }),
        parameters: object(m, "parameters").map(|d| pb::ParameterDefinitions {
            additional_properties: d
                .iter()
                .filter_map(|(name, v)| {
                    let value = parameter(v.as_object()?)?;
                    Some(pb::NamedParameter { name: name.clone(), value: Some(value) })
                })
                .collect(),
        }),
        responses: object(m, "responses").map(|d| pb::ResponseDefinitions {
            additional_properties: d
                .iter()
                .filter_map(|(name, v)| {
                    let value = response(v.as_object()?);
                    Some(pb::NamedResponse { name: name.clone(), value: Some(value) })
                })
                .collect(),
        }),
        security: security(m),
        security_definitions: object(m, "securityDefinitions").map(|d| pb::SecurityDefinitions {
            additional_properties: d
                .iter()
                .filter_map(|(name, v)| {
                    let value = security_definition(v.as_object()?)?;
                    Some(pb::NamedSecurityDefinitionsItem {
                        name: name.clone(),
                        value: Some(value),
                    })
                })
                .collect(),
        }),
        tags: array(m, "tags")
            .iter()
            .filter_map(Value::as_object)
            .map(|t| pb::Tag {
                name: string(t, "name"),
                description: string(t, "description"),
                external_docs: object(t, "externalDocs").map(external_docs),
                vendor_extension: extensions(t),
            })
            .collect(),
        external_docs: object(m, "externalDocs").map(external_docs),
        vendor_extension: extensions(m),
    }
}

// ---------------------------------------------------------------- scalars and extensions

fn object<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    m.get(key).and_then(Value::as_object)
}

fn array<'a>(m: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    m.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn string(m: &Map<String, Value>, key: &str) -> String {
    m.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn strings(m: &Map<String, Value>, key: &str) -> Vec<String> {
    array(m, key).iter().filter_map(Value::as_str).map(str::to_string).collect()
}

fn boolean(m: &Map<String, Value>, key: &str) -> bool {
    m.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn float(m: &Map<String, Value>, key: &str) -> f64 {
    m.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

fn int(m: &Map<String, Value>, key: &str) -> i64 {
    m.get(key).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))).unwrap_or(0)
}

/// A value as gnostic keeps values it does not model: its YAML text.
fn any(value: &Value) -> pb::Any {
    pb::Any { value: None, yaml: serde_norway::to_string(value).unwrap_or_default() }
}

fn any_of(m: &Map<String, Value>, key: &str) -> Option<pb::Any> {
    m.get(key).map(any)
}

fn anys(m: &Map<String, Value>, key: &str) -> Vec<pb::Any> {
    array(m, key).iter().map(any).collect()
}

/// Every `x-…` key, in document order, as `NamedAny`.
fn extensions(m: &Map<String, Value>) -> Vec<pb::NamedAny> {
    m.iter()
        .filter(|(k, _)| k.starts_with("x-"))
        .map(|(k, v)| pb::NamedAny { name: k.clone(), value: Some(any(v)) })
        .collect()
}

fn external_docs(m: &Map<String, Value>) -> pb::ExternalDocs {
    pb::ExternalDocs {
        description: string(m, "description"),
        url: string(m, "url"),
        vendor_extension: extensions(m),
    }
}

fn info(m: &Map<String, Value>) -> pb::Info {
    pb::Info {
        title: string(m, "title"),
        version: string(m, "version"),
        description: string(m, "description"),
        terms_of_service: string(m, "termsOfService"),
        contact: object(m, "contact").map(|c| pb::Contact {
            name: string(c, "name"),
            url: string(c, "url"),
            email: string(c, "email"),
            vendor_extension: extensions(c),
        }),
        license: object(m, "license").map(|l| pb::License {
            name: string(l, "name"),
            url: string(l, "url"),
            vendor_extension: extensions(l),
        }),
        vendor_extension: extensions(m),
    }
}

// ---------------------------------------------------------------- schemas

fn named_schemas(m: &Map<String, Value>) -> Vec<pb::NamedSchema> {
    m.iter()
        .filter_map(|(name, v)| {
            Some(pb::NamedSchema { name: name.clone(), value: Some(schema(v.as_object()?)) })
        })
        .collect()
}

fn schema(m: &Map<String, Value>) -> pb::Schema {
    use pb::additional_properties_item::Oneof as Additional;
    let additional_properties = match m.get("additionalProperties") {
        Some(Value::Bool(b)) => Some(Additional::Boolean(*b)),
        Some(Value::Object(s)) => Some(Additional::Schema(Box::new(schema(s)))),
        _ => None,
    }
    .map(|oneof| Box::new(pb::AdditionalPropertiesItem { oneof: Some(oneof) }));
    let r#type = match m.get("type") {
        Some(Value::String(t)) => Some(pb::TypeItem { value: vec![t.clone()] }),
        Some(Value::Array(_)) => Some(pb::TypeItem { value: strings(m, "type") }),
        _ => None,
    };
    let items = match m.get("items") {
        Some(Value::Object(s)) => Some(pb::ItemsItem { schema: vec![schema(s)] }),
        Some(Value::Array(list)) => Some(pb::ItemsItem {
            schema: list.iter().filter_map(Value::as_object).map(schema).collect(),
        }),
        _ => None,
    };
    pb::Schema {
        r#ref: string(m, "$ref"),
        format: string(m, "format"),
        title: string(m, "title"),
        description: string(m, "description"),
        default: any_of(m, "default"),
        multiple_of: float(m, "multipleOf"),
        maximum: float(m, "maximum"),
        exclusive_maximum: boolean(m, "exclusiveMaximum"),
        minimum: float(m, "minimum"),
        exclusive_minimum: boolean(m, "exclusiveMinimum"),
        max_length: int(m, "maxLength"),
        min_length: int(m, "minLength"),
        pattern: string(m, "pattern"),
        max_items: int(m, "maxItems"),
        min_items: int(m, "minItems"),
        unique_items: boolean(m, "uniqueItems"),
        max_properties: int(m, "maxProperties"),
        min_properties: int(m, "minProperties"),
        required: strings(m, "required"),
        r#enum: anys(m, "enum"),
        additional_properties,
        r#type,
        items,
        all_of: array(m, "allOf").iter().filter_map(Value::as_object).map(schema).collect(),
        properties: object(m, "properties")
            .map(|p| pb::Properties { additional_properties: named_schemas(p) }),
        discriminator: string(m, "discriminator"),
        read_only: boolean(m, "readOnly"),
        xml: object(m, "xml").map(|x| pb::Xml {
            name: string(x, "name"),
            namespace: string(x, "namespace"),
            prefix: string(x, "prefix"),
            attribute: boolean(x, "attribute"),
            wrapped: boolean(x, "wrapped"),
            vendor_extension: extensions(x),
        }),
        external_docs: object(m, "externalDocs").map(external_docs),
        example: any_of(m, "example"),
        vendor_extension: extensions(m),
    }
}

/// The swagger 2.0 keys of a `Schema`; every other key but `x-…` ones has no field.
#[cfg(test)]
pub(crate) const SCHEMA_KEYS: &[&str] = &[
    "$ref",
    "format",
    "title",
    "description",
    "default",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "enum",
    "additionalProperties",
    "type",
    "items",
    "allOf",
    "properties",
    "discriminator",
    "readOnly",
    "xml",
    "externalDocs",
    "example",
];

// ---------------------------------------------------------------- paths and operations

fn paths(m: &Map<String, Value>) -> pb::Paths {
    pb::Paths {
        vendor_extension: extensions(m),
        path: m
            .iter()
            .filter(|(k, _)| k.starts_with('/'))
            .filter_map(|(name, v)| {
                Some(pb::NamedPathItem {
                    name: name.clone(),
                    value: Some(path_item(v.as_object()?)),
                })
            })
            .collect(),
    }
}

fn path_item(m: &Map<String, Value>) -> pb::PathItem {
    let op = |method: &str| object(m, method).map(operation);
    pb::PathItem {
        r#ref: string(m, "$ref"),
        get: op("get"),
        put: op("put"),
        post: op("post"),
        delete: op("delete"),
        options: op("options"),
        head: op("head"),
        patch: op("patch"),
        parameters: parameters(m),
        vendor_extension: extensions(m),
    }
}

fn operation(m: &Map<String, Value>) -> pb::Operation {
    pb::Operation {
        tags: strings(m, "tags"),
        summary: string(m, "summary"),
        description: string(m, "description"),
        external_docs: object(m, "externalDocs").map(external_docs),
        operation_id: string(m, "operationId"),
        produces: strings(m, "produces"),
        consumes: strings(m, "consumes"),
        parameters: parameters(m),
        responses: object(m, "responses").map(responses),
        schemes: strings(m, "schemes"),
        deprecated: boolean(m, "deprecated"),
        security: security(m),
        vendor_extension: extensions(m),
    }
}

fn parameters(m: &Map<String, Value>) -> Vec<pb::ParametersItem> {
    use pb::parameters_item::Oneof;
    array(m, "parameters")
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|p| {
            let oneof = if p.contains_key("$ref") {
                Oneof::JsonReference(json_reference(p))
            } else {
                Oneof::Parameter(parameter(p)?)
            };
            Some(pb::ParametersItem { oneof: Some(oneof) })
        })
        .collect()
}

fn json_reference(m: &Map<String, Value>) -> pb::JsonReference {
    pb::JsonReference { r#ref: string(m, "$ref"), description: string(m, "description") }
}

/// Fills the fields every non-body parameter, header and items object shares.
macro_rules! primitive {
    ($ty:path, $m:expr, { $($extra:tt)* }) => {{
        let m = $m;
        $ty {
            r#type: string(m, "type"),
            format: string(m, "format"),
            // `PrimitivesItems` boxes its own `items`; the others hold them inline.
            items: object(m, "items").map(primitives_items).map(Into::into),
            collection_format: string(m, "collectionFormat"),
            default: any_of(m, "default"),
            maximum: float(m, "maximum"),
            exclusive_maximum: boolean(m, "exclusiveMaximum"),
            minimum: float(m, "minimum"),
            exclusive_minimum: boolean(m, "exclusiveMinimum"),
            max_length: int(m, "maxLength"),
            min_length: int(m, "minLength"),
            pattern: string(m, "pattern"),
            max_items: int(m, "maxItems"),
            min_items: int(m, "minItems"),
            unique_items: boolean(m, "uniqueItems"),
            r#enum: anys(m, "enum"),
            multiple_of: float(m, "multipleOf"),
            vendor_extension: extensions(m),
            $($extra)*
        }
    }};
}

fn primitives_items(m: &Map<String, Value>) -> pb::PrimitivesItems {
    primitive!(pb::PrimitivesItems, m, {})
}

/// A parameter by its `in`: `body`, `query`, `path`, `header` or `formData` (`None` for
/// another location, which swagger 2.0 does not have).
fn parameter(m: &Map<String, Value>) -> Option<pb::Parameter> {
    use pb::non_body_parameter::Oneof as NonBody;
    use pb::parameter::Oneof;
    let (r#in, name, description) = (string(m, "in"), string(m, "name"), string(m, "description"));
    let required = boolean(m, "required");
    let non_body = match r#in.as_str() {
        "body" => {
            return Some(pb::Parameter {
                oneof: Some(Oneof::BodyParameter(pb::BodyParameter {
                    description,
                    name,
                    r#in,
                    required,
                    schema: object(m, "schema").map(schema),
                    vendor_extension: extensions(m),
                })),
            });
        }
        "query" => NonBody::QueryParameterSubSchema(primitive!(pb::QueryParameterSubSchema, m, {
            required, r#in, description, name, allow_empty_value: boolean(m, "allowEmptyValue"),
        })),
        "path" => NonBody::PathParameterSubSchema(primitive!(pb::PathParameterSubSchema, m, {
            required, r#in, description, name,
        })),
        "header" => {
            NonBody::HeaderParameterSubSchema(primitive!(pb::HeaderParameterSubSchema, m, {
                required, r#in, description, name,
            }))
        }
        "formData" => {
            NonBody::FormDataParameterSubSchema(primitive!(pb::FormDataParameterSubSchema, m, {
                required, r#in, description, name, allow_empty_value: boolean(m, "allowEmptyValue"),
            }))
        }
        _ => return None,
    };
    Some(pb::Parameter {
        oneof: Some(Oneof::NonBodyParameter(pb::NonBodyParameter { oneof: Some(non_body) })),
    })
}

// ---------------------------------------------------------------- responses

fn responses(m: &Map<String, Value>) -> pb::Responses {
    use pb::response_value::Oneof;
    let is_code =
        |k: &str| k == "default" || (k.len() == 3 && k.bytes().all(|b| b.is_ascii_digit()));
    pb::Responses {
        response_code: m
            .iter()
            .filter(|(k, _)| is_code(k))
            .filter_map(|(code, v)| {
                let v = v.as_object()?;
                let oneof = if v.contains_key("$ref") {
                    Oneof::JsonReference(json_reference(v))
                } else {
                    Oneof::Response(response(v))
                };
                Some(pb::NamedResponseValue {
                    name: code.clone(),
                    value: Some(pb::ResponseValue { oneof: Some(oneof) }),
                })
            })
            .collect(),
        vendor_extension: extensions(m),
    }
}

fn response(m: &Map<String, Value>) -> pb::Response {
    use pb::schema_item::Oneof;
    pb::Response {
        description: string(m, "description"),
        schema: object(m, "schema").map(|s| {
            let oneof = if s.get("type").and_then(Value::as_str) == Some("file") {
                Oneof::FileSchema(pb::FileSchema {
                    format: string(s, "format"),
                    title: string(s, "title"),
                    description: string(s, "description"),
                    default: any_of(s, "default"),
                    required: strings(s, "required"),
                    r#type: string(s, "type"),
                    read_only: boolean(s, "readOnly"),
                    external_docs: object(s, "externalDocs").map(external_docs),
                    example: any_of(s, "example"),
                    vendor_extension: extensions(s),
                })
            } else {
                Oneof::Schema(schema(s))
            };
            pb::SchemaItem { oneof: Some(oneof) }
        }),
        headers: object(m, "headers").map(|h| pb::Headers {
            additional_properties: h
                .iter()
                .filter_map(|(name, v)| {
                    let v = v.as_object()?;
                    let value =
                        primitive!(pb::Header, v, { description: string(v, "description") });
                    Some(pb::NamedHeader { name: name.clone(), value: Some(value) })
                })
                .collect(),
        }),
        examples: object(m, "examples").map(|e| pb::Examples {
            additional_properties: e
                .iter()
                .map(|(k, v)| pb::NamedAny { name: k.clone(), value: Some(any(v)) })
                .collect(),
        }),
        vendor_extension: extensions(m),
    }
}

// ---------------------------------------------------------------- security

fn security(m: &Map<String, Value>) -> Vec<pb::SecurityRequirement> {
    array(m, "security")
        .iter()
        .filter_map(Value::as_object)
        .map(|req| pb::SecurityRequirement {
            additional_properties: req
                .iter()
                .map(|(name, scopes)| pb::NamedStringArray {
                    name: name.clone(),
                    value: Some(pb::StringArray {
                        value: scopes
                            .as_array()
                            .map(|a| {
                                a.iter().filter_map(Value::as_str).map(str::to_string).collect()
                            })
                            .unwrap_or_default(),
                    }),
                })
                .collect(),
        })
        .collect()
}

fn security_definition(m: &Map<String, Value>) -> Option<pb::SecurityDefinitionsItem> {
    use pb::security_definitions_item::Oneof;
    let scopes = || {
        object(m, "scopes").map(|s| pb::Oauth2Scopes {
            additional_properties: s
                .iter()
                .map(|(name, v)| pb::NamedString {
                    name: name.clone(),
                    value: v.as_str().unwrap_or_default().to_string(),
                })
                .collect(),
        })
    };
    let (r#type, description, vendor_extension) =
        (string(m, "type"), string(m, "description"), extensions(m));
    let oneof = match (r#type.as_str(), m.get("flow").and_then(Value::as_str)) {
        ("basic", _) => Oneof::BasicAuthenticationSecurity(pb::BasicAuthenticationSecurity {
            r#type,
            description,
            vendor_extension,
        }),
        ("apiKey", _) => Oneof::ApiKeySecurity(pb::ApiKeySecurity {
            r#type,
            name: string(m, "name"),
            r#in: string(m, "in"),
            description,
            vendor_extension,
        }),
        ("oauth2", Some("implicit")) => Oneof::Oauth2ImplicitSecurity(pb::Oauth2ImplicitSecurity {
            r#type,
            flow: string(m, "flow"),
            scopes: scopes(),
            authorization_url: string(m, "authorizationUrl"),
            description,
            vendor_extension,
        }),
        ("oauth2", Some("password")) => Oneof::Oauth2PasswordSecurity(pb::Oauth2PasswordSecurity {
            r#type,
            flow: string(m, "flow"),
            scopes: scopes(),
            token_url: string(m, "tokenUrl"),
            description,
            vendor_extension,
        }),
        ("oauth2", Some("application")) => {
            Oneof::Oauth2ApplicationSecurity(pb::Oauth2ApplicationSecurity {
                r#type,
                flow: string(m, "flow"),
                scopes: scopes(),
                token_url: string(m, "tokenUrl"),
                description,
                vendor_extension,
            })
        }
        ("oauth2", Some("accessCode")) => {
            Oneof::Oauth2AccessCodeSecurity(pb::Oauth2AccessCodeSecurity {
                r#type,
                flow: string(m, "flow"),
                scopes: scopes(),
                authorization_url: string(m, "authorizationUrl"),
                token_url: string(m, "tokenUrl"),
                description,
                vendor_extension,
            })
        }
        _ => return None,
    };
    Some(pb::SecurityDefinitionsItem { oneof: Some(oneof) })
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use serde_json::{Value, json};

    use super::super::openapi::{openapi_v2, openapi_v2_protobuf};
    use super::*;

    /// The served protobuf bytes, decoded as a client does.
    fn served() -> pb::Document {
        pb::Document::decode(&openapi_v2_protobuf().body()[..]).expect("valid openapi.v2.Document")
    }

    fn served_json() -> Value {
        serde_json::from_slice(&openapi_v2().body()).unwrap()
    }

    fn definition<'a>(doc: &'a pb::Document, name: &str) -> &'a pb::Schema {
        let defs = &doc.definitions.as_ref().unwrap().additional_properties;
        let named = defs.iter().find(|d| d.name == name);
        named.and_then(|d| d.value.as_ref()).unwrap_or_else(|| panic!("no definition {name}"))
    }

    fn property<'a>(schema: &'a pb::Schema, name: &str) -> &'a pb::Schema {
        let props = &schema.properties.as_ref().expect("properties").additional_properties;
        let named = props.iter().find(|p| p.name == name);
        named.and_then(|p| p.value.as_ref()).unwrap_or_else(|| panic!("no property {name}"))
    }

    fn extension(list: &[pb::NamedAny], name: &str) -> Value {
        let named = list.iter().find(|e| e.name == name);
        let yaml = named.and_then(|e| e.value.as_ref()).map(|v| v.yaml.as_str());
        serde_norway::from_str(yaml.unwrap_or_else(|| panic!("no extension {name}"))).unwrap()
    }

    #[test]
    fn pod_definition_round_trips() {
        let doc = served();
        let json = served_json();
        assert_eq!(doc.swagger, "2.0");
        assert_eq!(doc.info.as_ref().unwrap().title, json["info"]["title"]);
        let pod = definition(&doc, "io.k8s.api.core.v1.Pod");
        let pod_json = &json["definitions"]["io.k8s.api.core.v1.Pod"];
        let names: Vec<&str> = pod
            .properties
            .as_ref()
            .unwrap()
            .additional_properties
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let json_names: Vec<&str> =
            pod_json["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(names, json_names);
        assert!(names.contains(&"spec") && names.contains(&"metadata"));
        assert_eq!(property(pod, "spec").r#ref, "#/definitions/io.k8s.api.core.v1.PodSpec");
        assert_eq!(property(pod, "kind").r#type.as_ref().unwrap().value, ["string"]);
        assert_eq!(
            extension(&pod.vendor_extension, "x-kubernetes-group-version-kind"),
            json!([{"group": "", "kind": "Pod", "version": "v1"}])
        );
        let spec = definition(&doc, "io.k8s.api.core.v1.PodSpec");
        assert!(spec.required.contains(&"containers".to_string()));
        let containers = property(spec, "containers");
        assert_eq!(containers.r#type.as_ref().unwrap().value, ["array"]);
        assert_eq!(
            containers.items.as_ref().unwrap().schema[0].r#ref,
            "#/definitions/io.k8s.api.core.v1.Container"
        );
        assert_eq!(extension(&containers.vendor_extension, "x-kubernetes-patch-merge-key"), "name");
        assert_eq!(extension(&containers.vendor_extension, "x-kubernetes-patch-strategy"), "merge");
        // A map: `additionalProperties` as a schema.
        let node_selector = property(spec, "nodeSelector");
        let additional = node_selector.additional_properties.as_ref().unwrap();
        match additional.oneof.as_ref().unwrap() {
            pb::additional_properties_item::Oneof::Schema(s) => {
                assert_eq!(s.r#type.as_ref().unwrap().value, ["string"])
            }
            other => panic!("nodeSelector additionalProperties: {other:?}"),
        }
        // Every definition of the JSON is there.
        let count = doc.definitions.as_ref().unwrap().additional_properties.len();
        assert_eq!(count, json["definitions"].as_object().unwrap().len());
    }

    #[test]
    fn patch_operation_carries_field_validation() {
        use pb::non_body_parameter::Oneof as NonBody;
        use pb::parameter::Oneof as Param;
        use pb::parameters_item::Oneof as Item;
        let doc = served();
        let paths = &doc.paths.as_ref().unwrap().path;
        let item = paths
            .iter()
            .find(|p| p.name == "/api/v1/namespaces/{namespace}/pods/{name}")
            .and_then(|p| p.value.as_ref())
            .expect("the pod path");
        let patch = item.patch.as_ref().expect("a PATCH operation");
        assert_eq!(patch.operation_id, "patchCoreV1NamespacedPod");
        assert_eq!(extension(&patch.vendor_extension, "x-kubernetes-action"), "patch");
        assert_eq!(
            extension(&patch.vendor_extension, "x-kubernetes-group-version-kind"),
            json!({"group": "", "kind": "Pod", "version": "v1"})
        );
        let query: Vec<&str> = patch
            .parameters
            .iter()
            .filter_map(|p| match p.oneof.as_ref()? {
                Item::Parameter(pb::Parameter { oneof: Some(Param::NonBodyParameter(nb)) }) => {
                    match nb.oneof.as_ref()? {
                        NonBody::QueryParameterSubSchema(q) => Some(q.name.as_str()),
                        _ => None,
                    }
                }
                _ => None,
            })
            .collect();
        assert!(query.contains(&"fieldValidation"), "{query:?}");
        assert!(query.contains(&"fieldManager") && query.contains(&"force"), "{query:?}");
        let body = patch.parameters.iter().find_map(|p| match p.oneof.as_ref()? {
            Item::Parameter(pb::Parameter { oneof: Some(Param::BodyParameter(b)) }) => Some(b),
            _ => None,
        });
        let body = body.expect("a body parameter");
        assert!(body.required);
        assert_eq!(
            body.schema.as_ref().unwrap().r#ref,
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
        );
        // Path parameters are on the path item, as path sub-schemas, required.
        let path_params: Vec<(&str, bool)> = item
            .parameters
            .iter()
            .filter_map(|p| match p.oneof.as_ref()? {
                Item::Parameter(pb::Parameter { oneof: Some(Param::NonBodyParameter(nb)) }) => {
                    match nb.oneof.as_ref()? {
                        NonBody::PathParameterSubSchema(q) => Some((q.name.as_str(), q.required)),
                        _ => None,
                    }
                }
                _ => None,
            })
            .collect();
        assert_eq!(path_params, [("namespace", true), ("name", true)]);
        let responses = &patch.responses.as_ref().unwrap().response_code;
        let codes: Vec<&str> = responses.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(codes, ["200", "201", "401"]);
    }

    #[test]
    fn security_and_every_schema_key_is_mapped() {
        let doc = served();
        let defs = &doc.security_definitions.as_ref().unwrap().additional_properties;
        assert_eq!(defs[0].name, "BearerToken");
        match defs[0].value.as_ref().and_then(|v| v.oneof.as_ref()) {
            Some(pb::security_definitions_item::Oneof::ApiKeySecurity(k)) => {
                assert_eq!((k.r#in.as_str(), k.name.as_str()), ("header", "authorization"))
            }
            other => panic!("BearerToken: {other:?}"),
        }
        assert_eq!(doc.security[0].additional_properties[0].name, "BearerToken");
        // Every key of every definition is a swagger 2.0 schema key or an extension, except
        // the JSON-Schema `oneOf` of the apiextensions "OrBool/OrArray" wrappers, which
        // Kubernetes publishes without a type.
        fn walk(v: &Value, out: &mut Vec<String>) {
            let Some(m) = v.as_object() else { return };
            for (k, child) in m {
                if !SCHEMA_KEYS.contains(&k.as_str()) && !k.starts_with("x-") {
                    out.push(k.clone());
                }
                match k.as_str() {
                    "properties" => {
                        child.as_object().into_iter().flatten().for_each(|(_, p)| walk(p, out))
                    }
                    "items" | "additionalProperties" => walk(child, out),
                    _ => {}
                }
            }
        }
        let mut unmapped = Vec::new();
        for def in served_json()["definitions"].as_object().unwrap().values() {
            walk(def, &mut unmapped);
        }
        unmapped.dedup();
        assert!(unmapped.iter().all(|k| k == "oneOf"), "{unmapped:?}");
    }

    #[test]
    fn schema_keywords_and_extensions() {
        let schema_json = json!({
            "type": ["string", "null"],
            "format": "int-or-string",
            "default": {"a": [1, 2]},
            "enum": ["A", "B"],
            "maximum": 10.5,
            "minLength": 2,
            "additionalProperties": false,
            "items": [{"type": "integer"}, {"type": "string"}],
            "allOf": [{"$ref": "#/definitions/X"}],
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name", "protocol"],
            "x-kubernetes-int-or-string": true,
            "x-kubernetes-unions": [{"discriminator": "type", "fields-to-discriminateBy": {"a": "A"}}],
        });
        let s = schema(schema_json.as_object().unwrap());
        assert_eq!(s.r#type.unwrap().value, ["string", "null"]);
        assert_eq!(s.format, "int-or-string");
        let default: Value = serde_norway::from_str(&s.default.unwrap().yaml).unwrap();
        assert_eq!(default, schema_json["default"]);
        let enums: Vec<Value> =
            s.r#enum.iter().map(|a| serde_norway::from_str(&a.yaml).unwrap()).collect();
        assert_eq!(enums, [json!("A"), json!("B")]);
        assert_eq!((s.maximum, s.min_length), (10.5, 2));
        assert_eq!(
            s.additional_properties.unwrap().oneof,
            Some(pb::additional_properties_item::Oneof::Boolean(false))
        );
        assert_eq!(s.items.unwrap().schema.len(), 2);
        assert_eq!(s.all_of[0].r#ref, "#/definitions/X");
        let names: Vec<&str> = s.vendor_extension.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names.len(), 4);
        for name in names {
            assert_eq!(extension(&s.vendor_extension, name), schema_json[name], "{name}");
        }
    }

    #[test]
    fn parameters_by_location() {
        use pb::non_body_parameter::Oneof as NonBody;
        use pb::parameter::Oneof as Param;
        let op = json!({"parameters": [
            {"name": "h", "in": "header", "type": "string", "required": true},
            {"name": "f", "in": "formData", "type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
            {"$ref": "#/parameters/shared"},
            {"name": "c", "in": "cookie"},
        ]});
        let items = parameters(op.as_object().unwrap());
        assert_eq!(items.len(), 3, "an unknown location is left out");
        let nb = |i: usize| match items[i].oneof.clone() {
            Some(pb::parameters_item::Oneof::Parameter(pb::Parameter {
                oneof: Some(Param::NonBodyParameter(pb::NonBodyParameter { oneof: Some(n) })),
            })) => n,
            other => panic!("{other:?}"),
        };
        assert!(
            matches!(nb(0), NonBody::HeaderParameterSubSchema(h) if h.required && h.name == "h")
        );
        match nb(1) {
            NonBody::FormDataParameterSubSchema(f) => {
                let inner = f.items.unwrap().items.unwrap();
                assert_eq!(inner.r#type, "integer");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            &items[2].oneof,
            Some(pb::parameters_item::Oneof::JsonReference(r)) if r.r#ref == "#/parameters/shared"
        ));
    }
}
