//! What a request asks for: [`RequestInfo`] from the method and path, the typed query options of each verb, and content negotiation.
//!
//! - [`info`]: [`RequestInfo`] — resource or non-resource request, verb (`get`, `list`,
//!   `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, `proxy`),
//!   group, version, namespace, resource, subresource and name, as apiserver's
//!   `requestinfo.go` parses them;
//! - [`query`]: [`Query`], the percent-decoded query string;
//! - [`options`]: [`ListOptions`], [`GetOptions`], [`WriteOptions`] (create/update),
//!   [`PatchOptions`] and [`DeleteOptions`], decoded and validated with Kubernetes'
//!   messages;
//! - [`negotiation`]: the response format and `Table`/`PartialObjectMetadata`
//!   transformation from `Accept`, and body/patch types from `Content-Type`.
//!
//! Everything here is request-independent and fails with [`crate::status::ApiError`].

pub mod info;
pub mod negotiation;
pub mod options;
pub mod query;

pub use info::{RequestInfo, Verb};
pub use negotiation::{
    BodyFormat, EndpointRestrictions, IncludeObject, MetaVersion, Negotiated, Target,
    classify_body, classify_patch, negotiate_output, negotiate_output_stream, table_include_object,
};
pub use options::{
    DeleteOptions, FieldValidation, GetOptions, ListOptions, PatchOptions, Preconditions,
    PropagationPolicy, ResourceVersionMatch, WriteOptions, default_field_manager,
    parse_resource_version,
};
pub use query::Query;
