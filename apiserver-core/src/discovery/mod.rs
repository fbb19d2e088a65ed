//! Discovery (`/version`, `/api`, `/apis`, resource lists, aggregated discovery) and OpenAPI v2/v3 documents, built once from the catalogue.
//!
//! Every document here is request-independent: it is built from
//! [`capstan_api_types::catalogue`] and k8s-openapi's `schemars` schemas the first time it is
//! asked for (each behind a [`std::sync::OnceLock`]) and then served as shared
//! [`bytes::Bytes`]. The server routes requests to these functions:
//!
//! | path | function | content type |
//! |---|---|---|
//! | `/version` | [`version_info`] | `application/json` |
//! | `/api` | [`api_versions`] (or [`aggregated_as`]`(true, …)` when [`negotiate_aggregated`] picks it) | `application/json` / [`AggregatedVersion::content_type`] |
//! | `/apis` | [`api_group_list`] (or [`aggregated_as`]`(false, …)`) | same |
//! | `/apis/{group}` | [`api_group`] | `application/json` |
//! | `/api/v1`, `/apis/{group}/{version}` | [`api_resource_list`] | `application/json` |
//! | `/openapi/v2` | [`negotiate_v2`], then [`openapi_v2`] or [`openapi_v2_protobuf`] (a [`Document`] with an ETag) | `application/json` / [`OPENAPI_V2_PROTOBUF_CONTENT_TYPE`] |
//! | `/openapi/v3` | [`openapi_v3_index`] | `application/json` |
//! | `/openapi/v3/{api/v1 \| apis/g/v}` | [`openapi_v3_group`] (+ [`check_v3_hash`] for `?hash=`) | `application/json` |
//!
//! Only the preferred version of each group is served (see [`served_group_versions`]), as
//! the shared plan decides for this first cut.
//!
//! Responses whose body depends on `Accept` (`/api`, `/apis`, `/openapi/v2`) should carry
//! `Vary: Accept`.

mod aggregated;
mod document;
mod groups;
mod openapi;
mod openapi_v2_pb;
pub mod openapi_v2_proto;
mod operations;
mod schemas;
mod version;

pub use aggregated::{
    AGGREGATED_V2_CONTENT_TYPE, AGGREGATED_V2BETA1_CONTENT_TYPE, AggregatedVersion, aggregated,
    aggregated_as, negotiate_aggregated,
};
pub use document::{Document, content_hash};
pub use groups::{
    api_group, api_group_list, api_resource_list, api_versions, api_versions_for,
    served_group_versions,
};
pub use openapi::{
    OPENAPI_V2_PROTOBUF_CONTENT_TYPE, OPENAPI_V2_PROTOBUF_DEPRECATED_CONTENT_TYPE,
    OPENAPI_V3_IMMUTABLE_CACHE_CONTROL, OPENAPI_V3_MUTABLE_CACHE_CONTROL, V2Format, V3HashCheck,
    check_v3_hash, negotiate_v2, openapi_v2, openapi_v2_protobuf, openapi_v3_group,
    openapi_v3_index, v3_path_for,
};
pub use version::{GIT_VERSION, MAJOR, MINOR, version_info};

/// Builds every cached document now (about half a second in a debug build), so the first
/// discovery or OpenAPI request does not pay for it. Call it from a blocking task at startup.
pub fn warm_up() {
    version_info();
    api_versions();
    api_group_list();
    for gv in served_group_versions() {
        api_group(&gv.group);
        api_resource_list(&gv.group, &gv.version);
    }
    for legacy in [true, false] {
        aggregated_as(legacy, AggregatedVersion::V2);
    }
    openapi_v2();
    openapi_v2_protobuf();
    openapi_v3_index();
}
