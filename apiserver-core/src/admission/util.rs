//! Small helpers shared by the admission plugins: what a request names, and reads of JSON objects.

use capstan_api_types::GroupResource;
use serde_json::Value;

use crate::server::admission::AdmissionAttributes;
use crate::status::ApiError;

/// The group and resource of the request (`pods`, `deployments.apps`).
pub fn group_resource(attrs: &AdmissionAttributes<'_>) -> GroupResource {
    GroupResource::new(&attrs.info.api_group, &attrs.info.resource)
}

/// Whether the request is for `resource` of the core group, without a subresource.
pub fn is_core(attrs: &AdmissionAttributes<'_>, resource: &str) -> bool {
    attrs.info.api_group.is_empty()
        && attrs.info.resource == resource
        && attrs.info.subresource.is_empty()
}

/// The object's `metadata.<field>` as a string (`""` when absent).
pub fn meta<'a>(object: &'a Value, field: &str) -> &'a str {
    object.get("metadata").and_then(|m| m.get(field)).and_then(Value::as_str).unwrap_or("")
}

/// The name the request acts on: the object's, else the path's.
pub fn object_name<'a>(attrs: &'a AdmissionAttributes<'_>, object: &'a Value) -> &'a str {
    let name = meta(object, "name");
    if name.is_empty() { &attrs.info.name } else { name }
}

/// A string at a JSON pointer (`""` when absent).
pub fn str_at<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `403 Forbidden` for the request's resource: `pods "x" is forbidden: <reason>`.
pub fn forbidden(
    attrs: &AdmissionAttributes<'_>,
    object: &Value,
    reason: impl std::fmt::Display,
) -> ApiError {
    ApiError::forbidden(&group_resource(attrs), object_name(attrs, object), reason)
}

/// Every container of a pod spec with the JSON path of its list: init containers,
/// containers, ephemeral containers.
pub const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];
