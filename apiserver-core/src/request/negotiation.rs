//! Content negotiation: the response format and transformation from `Accept`, and the body format from `Content-Type`.
//!
//! Follows apiserver's `handlers/negotiation`: `Accept` clauses are tried by quality and
//! specificity; the first one the server can serve wins, its `as`/`g`/`v` parameters
//! asking for a `Table` or `PartialObjectMetadata(List)` instead of the object. Capstan
//! serves JSON and YAML only: a protobuf or CBOR clause is skipped, so
//! `application/vnd.kubernetes.protobuf, application/json` (client-go's protobuf
//! clients) gets JSON, and protobuf alone gets `406`.

use capstan_api_types::gvk::GroupVersionKind;
use capstan_api_types::validation::field::go_quote;

use super::query::Query;
use crate::patch::PatchType;
use crate::status::ApiError;

/// The media types the server encodes responses in, in preference order.
pub const SUPPORTED_MEDIA_TYPES: [&str; 2] = ["application/json", "application/yaml"];

/// The media types of watch streams.
pub const SUPPORTED_STREAM_MEDIA_TYPES: [&str; 1] = ["application/json;stream=watch"];

/// A response or body encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyFormat {
    /// `application/json`.
    Json,
    /// `application/yaml`.
    Yaml,
}

impl BodyFormat {
    /// The media type (`Content-Type` of a response).
    pub fn media_type(self) -> &'static str {
        match self {
            BodyFormat::Json => "application/json",
            BodyFormat::Yaml => "application/yaml",
        }
    }

    fn subtype(self) -> &'static str {
        match self {
            BodyFormat::Json => "json",
            BodyFormat::Yaml => "yaml",
        }
    }
}

/// The `meta.k8s.io` version of a transformation target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaVersion {
    /// `meta.k8s.io/v1`.
    V1,
    /// `meta.k8s.io/v1beta1`.
    V1beta1,
}

impl MetaVersion {
    /// The version string.
    pub fn as_str(self) -> &'static str {
        match self {
            MetaVersion::V1 => "v1",
            MetaVersion::V1beta1 => "v1beta1",
        }
    }

    /// The `apiVersion` of the transformed object (`meta.k8s.io/v1`).
    pub fn api_version(self) -> &'static str {
        match self {
            MetaVersion::V1 => "meta.k8s.io/v1",
            MetaVersion::V1beta1 => "meta.k8s.io/v1beta1",
        }
    }
}

/// What the client asked the object to be returned as (`as=…;g=…;v=…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// `as=Table;g=meta.k8s.io`: server-side printing.
    Table(MetaVersion),
    /// `as=PartialObjectMetadata;g=meta.k8s.io`: metadata only.
    PartialObjectMetadata(MetaVersion),
    /// `as=PartialObjectMetadataList;g=meta.k8s.io`: a list of metadata only.
    PartialObjectMetadataList(MetaVersion),
    /// Another kind the endpoint allows (e.g. `APIGroupDiscoveryList` of
    /// `apidiscovery.k8s.io/v2` on `/apis`).
    Other(GroupVersionKind),
}

/// What an endpoint can transform its output into, for negotiation
/// (apiserver's `EndpointRestrictions`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointRestrictions {
    /// Whether `as=Table` is served (resource endpoints with a table convertor).
    pub table: bool,
    /// Whether `as=PartialObjectMetadata(List)` is served.
    pub partial_object_metadata: bool,
    /// Further `as`/`g`/`v` targets the endpoint serves.
    pub other: Vec<GroupVersionKind>,
}

impl EndpointRestrictions {
    /// A resource endpoint: tables and partial metadata.
    pub fn resource() -> Self {
        EndpointRestrictions { table: true, partial_object_metadata: true, other: Vec::new() }
    }

    /// An endpoint serving only its own objects (no transformation).
    pub fn none() -> Self {
        EndpointRestrictions::default()
    }

    /// The discovery roots (`/api`, `/apis`): aggregated discovery
    /// `APIGroupDiscoveryList` in `apidiscovery.k8s.io` `v2` and `v2beta1`.
    pub fn aggregated_discovery() -> Self {
        EndpointRestrictions {
            table: false,
            partial_object_metadata: false,
            other: ["v2", "v2beta1"]
                .iter()
                .map(|v| GroupVersionKind::new("apidiscovery.k8s.io", *v, "APIGroupDiscoveryList"))
                .collect(),
        }
    }

    fn allows(&self, convert: &Option<(String, String, String)>) -> Option<Option<Target>> {
        let Some((group, version, kind)) = convert else {
            return Some(None);
        };
        if group == "meta.k8s.io" {
            let v = match version.as_str() {
                "v1" => MetaVersion::V1,
                "v1beta1" => MetaVersion::V1beta1,
                _ => return None,
            };
            return match kind.as_str() {
                "Table" if self.table => Some(Some(Target::Table(v))),
                "PartialObjectMetadata" if self.partial_object_metadata => {
                    Some(Some(Target::PartialObjectMetadata(v)))
                }
                "PartialObjectMetadataList" if self.partial_object_metadata => {
                    Some(Some(Target::PartialObjectMetadataList(v)))
                }
                _ => None,
            };
        }
        self.other
            .iter()
            .find(|gvk| &gvk.group == group && &gvk.version == version && &gvk.kind == kind)
            .map(|gvk| Some(Target::Other(gvk.clone())))
    }
}

/// The outcome of `Accept` negotiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The response encoding.
    pub format: BodyFormat,
    /// The requested transformation, if any.
    pub target: Option<Target>,
    /// `pretty=1` in the media type.
    pub pretty: bool,
    /// `stream=watch` in the media type.
    pub stream: bool,
}

/// One clause of an `Accept` header.
#[derive(Debug, Clone, PartialEq)]
struct AcceptClause {
    kind: String,
    subtype: String,
    q: f32,
    params: Vec<(String, String)>,
}

fn parse_accept(header: &str) -> Vec<AcceptClause> {
    let mut clauses: Vec<AcceptClause> = header
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let range = pieces.next()?.trim();
            if range.is_empty() {
                return None;
            }
            let (kind, subtype) = match range.split_once('/') {
                Some((t, s)) => (t.trim().to_ascii_lowercase(), s.trim().to_ascii_lowercase()),
                None if range == "*" => ("*".to_string(), "*".to_string()),
                None => return None,
            };
            let mut q = 1.0f32;
            let mut params = Vec::new();
            for p in pieces {
                let Some((k, v)) = p.split_once('=') else { continue };
                let k = k.trim();
                let v = v.trim().trim_matches('"');
                if k == "q" {
                    q = v.parse().unwrap_or(0.0);
                } else {
                    params.push((k.to_string(), v.to_string()));
                }
            }
            Some(AcceptClause { kind, subtype, q, params })
        })
        .filter(|c| c.q > 0.0)
        .collect();
    // Higher quality first, then concrete types before wildcards; stable otherwise.
    clauses.sort_by(|a, b| {
        let spec = |c: &AcceptClause| u8::from(c.kind != "*") + u8::from(c.subtype != "*");
        b.q.partial_cmp(&a.q).unwrap_or(std::cmp::Ordering::Equal).then(spec(b).cmp(&spec(a)))
    });
    clauses
}

fn accept_options(
    clause: &AcceptClause,
    format: BodyFormat,
    restrictions: &EndpointRestrictions,
) -> Option<Negotiated> {
    let mut convert: Option<(String, String, String)> = None;
    let mut pretty = false;
    let mut stream = false;
    for (k, v) in &clause.params {
        match k.as_str() {
            "as" => convert.get_or_insert_with(Default::default).2 = v.clone(),
            "g" => convert.get_or_insert_with(Default::default).0 = v.clone(),
            "v" => convert.get_or_insert_with(Default::default).1 = v.clone(),
            "stream" if !v.is_empty() => {
                // Only JSON has a stream serializer, and only `watch` streams exist.
                if format != BodyFormat::Json || v != "watch" {
                    return None;
                }
                stream = true;
            }
            "pretty" => pretty = v == "1",
            _ => {}
        }
    }
    // Tables are JSON or YAML only; both formats served here qualify.
    let target = restrictions.allows(&convert)?;
    Some(Negotiated { format, target, pretty, stream })
}

/// Negotiates the response of a request from its `Accept` header (absent or empty means
/// JSON). Fails with `406 NotAcceptable` when no clause can be served.
pub fn negotiate_output(
    accept: Option<&str>,
    restrictions: &EndpointRestrictions,
) -> Result<Negotiated, ApiError> {
    let header = accept.unwrap_or("").trim();
    if header.is_empty() {
        return Ok(Negotiated {
            format: BodyFormat::Json,
            target: None,
            pretty: false,
            stream: false,
        });
    }
    for clause in parse_accept(header) {
        for format in [BodyFormat::Json, BodyFormat::Yaml] {
            let matches = clause.kind == "*" && clause.subtype == "*"
                || clause.kind == "application"
                    && (clause.subtype == "*" || clause.subtype == format.subtype());
            if matches && let Some(n) = accept_options(&clause, format, restrictions) {
                return Ok(n);
            }
        }
    }
    Err(ApiError::not_acceptable(&SUPPORTED_MEDIA_TYPES))
}

/// Negotiates a watch response: like [`negotiate_output`], but the format must have a
/// stream encoding (JSON); otherwise `406` listing the stream media types.
pub fn negotiate_output_stream(
    accept: Option<&str>,
    restrictions: &EndpointRestrictions,
) -> Result<Negotiated, ApiError> {
    match negotiate_output(accept, restrictions) {
        Ok(n) if n.format == BodyFormat::Json => Ok(n),
        _ => Err(ApiError::not_acceptable(&SUPPORTED_STREAM_MEDIA_TYPES)),
    }
}

/// Which object a `Table` row carries (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IncludeObject {
    /// No object.
    None,
    /// The object's metadata as `PartialObjectMetadata` (the default).
    #[default]
    Metadata,
    /// The whole object.
    Object,
}

/// Reads `includeObject` for a `Table` response; an unknown value is `400 Unable to
/// convert to Table as requested: …`.
pub fn table_include_object(query: &Query) -> Result<IncludeObject, ApiError> {
    match query.get("includeObject").unwrap_or("") {
        "" | "Metadata" => Ok(IncludeObject::Metadata),
        "None" => Ok(IncludeObject::None),
        "Object" => Ok(IncludeObject::Object),
        other => Err(ApiError::bad_request(format!(
            "Unable to convert to Table as requested: includeObject: Unsupported value: {}: supported values: \"Metadata\", \"None\", \"Object\"",
            go_quote(other)
        ))),
    }
}

/// Splits a `Content-Type` into its lowercase essence (`type/subtype`), without
/// parameters such as `charset`.
fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Classifies the body of a create, update or delete: an absent or empty `Content-Type`
/// is JSON; JSON and YAML are accepted; anything else (protobuf, CBOR, …) is `415`.
pub fn classify_body(content_type: Option<&str>) -> Result<BodyFormat, ApiError> {
    match essence(content_type.unwrap_or("")).as_str() {
        "" | "application/json" => Ok(BodyFormat::Json),
        "application/yaml" => Ok(BodyFormat::Yaml),
        _ => Err(ApiError::unsupported_media_type(&SUPPORTED_MEDIA_TYPES)),
    }
}

/// Classifies a `PATCH` body. `strategic_merge` is whether the resource supports
/// strategic merge patch (built-in kinds do, custom resources do not); an unsupported
/// type, including `application/apply-patch+cbor`, is `415` listing the supported ones.
pub fn classify_patch(
    content_type: Option<&str>,
    strategic_merge: bool,
) -> Result<PatchType, ApiError> {
    let supported: Vec<PatchType> = PatchType::ALL
        .into_iter()
        .filter(|p| strategic_merge || *p != PatchType::StrategicMerge)
        .collect();
    let wanted = essence(content_type.unwrap_or(""));
    supported.iter().copied().find(|p| p.content_type() == wanted).ok_or_else(|| {
        let names: Vec<&str> = supported.iter().map(|p| p.content_type()).collect();
        ApiError::unsupported_media_type(&names)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn neg(accept: &str) -> Result<Negotiated, ApiError> {
        negotiate_output(Some(accept), &EndpointRestrictions::resource())
    }

    #[test]
    fn plain_formats() {
        let cases: &[(&str, BodyFormat)] = &[
            ("", BodyFormat::Json),
            ("*/*", BodyFormat::Json),
            ("application/*", BodyFormat::Json),
            ("application/json", BodyFormat::Json),
            ("application/yaml", BodyFormat::Yaml),
            ("Application/YAML; charset=utf-8", BodyFormat::Yaml),
            ("application/vnd.kubernetes.protobuf, application/json", BodyFormat::Json),
            ("application/vnd.kubernetes.protobuf,*/*", BodyFormat::Json),
            ("application/json;q=0.5, application/yaml", BodyFormat::Yaml),
            ("*/*;q=0.9, application/yaml", BodyFormat::Yaml),
            ("text/html, application/xhtml+xml, */*;q=0.8", BodyFormat::Json),
        ];
        for (accept, format) in cases {
            let n = neg(accept).unwrap_or_else(|e| panic!("{accept}: {e}"));
            assert_eq!(n.format, *format, "{accept}");
            assert_eq!(n.target, None, "{accept}");
        }
        assert_eq!(
            negotiate_output(None, &EndpointRestrictions::none()).expect("default").format,
            BodyFormat::Json
        );
    }

    #[test]
    fn not_acceptable() {
        for accept in [
            "application/vnd.kubernetes.protobuf",
            "application/cbor",
            "text/plain",
            "application/json;q=0",
            "application/json;as=Table;v=v1;g=meta.k8s.io;stream=bogus",
            "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io",
        ] {
            let e = neg(accept).expect_err(accept);
            assert_eq!(e.code(), StatusCode::NOT_ACCEPTABLE, "{accept}");
            assert_eq!(
                e.message(),
                "only the following media types are accepted: application/json, application/yaml"
            );
        }
    }

    #[test]
    fn transformations() {
        let kubectl_get = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        let cases: &[(&str, BodyFormat, Option<Target>)] = &[
            (kubectl_get, BodyFormat::Json, Some(Target::Table(MetaVersion::V1))),
            (
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
                BodyFormat::Json,
                Some(Target::Table(MetaVersion::V1beta1)),
            ),
            (
                "application/yaml;as=Table;v=v1;g=meta.k8s.io",
                BodyFormat::Yaml,
                Some(Target::Table(MetaVersion::V1)),
            ),
            (
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
                BodyFormat::Json,
                Some(Target::PartialObjectMetadataList(MetaVersion::V1)),
            ),
            (
                "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1",
                BodyFormat::Json,
                Some(Target::PartialObjectMetadata(MetaVersion::V1beta1)),
            ),
            (
                "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
                BodyFormat::Json,
                Some(Target::PartialObjectMetadataList(MetaVersion::V1)),
            ),
            // Unknown targets are skipped in favour of the next clause.
            (
                "application/json;as=Table;v=v2;g=meta.k8s.io,application/json",
                BodyFormat::Json,
                None,
            ),
            ("application/json;as=Deployment;v=v1;g=apps,application/yaml", BodyFormat::Yaml, None),
        ];
        for (accept, format, target) in cases {
            let n = neg(accept).unwrap_or_else(|e| panic!("{accept}: {e}"));
            assert_eq!(n.format, *format, "{accept}");
            assert_eq!(&n.target, target, "{accept}");
        }
        let e = negotiate_output(
            Some("application/json;as=Table;v=v1;g=meta.k8s.io"),
            &EndpointRestrictions::none(),
        )
        .expect_err("no tables here");
        assert_eq!(e.code(), StatusCode::NOT_ACCEPTABLE);
    }

    #[test]
    fn discovery_and_stream() {
        let accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        let n = negotiate_output(Some(accept), &EndpointRestrictions::aggregated_discovery())
            .expect("discovery");
        assert_eq!(
            n.target,
            Some(Target::Other(GroupVersionKind::new(
                "apidiscovery.k8s.io",
                "v2",
                "APIGroupDiscoveryList"
            )))
        );
        let n =
            negotiate_output(Some(accept), &EndpointRestrictions::resource()).expect("fallback");
        assert_eq!(n.target, None);

        let n = negotiate_output_stream(
            Some("application/json;stream=watch"),
            &EndpointRestrictions::resource(),
        )
        .expect("watch");
        assert!(n.stream);
        let n = neg("application/json;pretty=1").expect("pretty");
        assert!(n.pretty && !n.stream);
        let e =
            negotiate_output_stream(Some("application/yaml"), &EndpointRestrictions::resource())
                .expect_err("yaml");
        assert_eq!(
            e.message(),
            "only the following media types are accepted: application/json;stream=watch"
        );
        let e = neg("application/yaml;stream=watch").expect_err("no yaml stream");
        assert_eq!(e.code(), StatusCode::NOT_ACCEPTABLE);
    }

    #[test]
    fn include_object() {
        let cases: &[(&str, IncludeObject)] = &[
            ("", IncludeObject::Metadata),
            ("includeObject=Metadata", IncludeObject::Metadata),
            ("includeObject=None", IncludeObject::None),
            ("includeObject=Object", IncludeObject::Object),
        ];
        for (query, want) in cases {
            assert_eq!(table_include_object(&Query::parse(query)).expect(query), *want);
        }
        let e = table_include_object(&Query::parse("includeObject=All")).expect_err("bad");
        assert_eq!(e.code(), StatusCode::BAD_REQUEST);
        assert_eq!(
            e.message(),
            r#"Unable to convert to Table as requested: includeObject: Unsupported value: "All": supported values: "Metadata", "None", "Object""#
        );
    }

    #[test]
    fn body_classification() {
        let ok: &[(Option<&str>, BodyFormat)] = &[
            (None, BodyFormat::Json),
            (Some(""), BodyFormat::Json),
            (Some("application/json"), BodyFormat::Json),
            (Some("application/json; charset=utf-8"), BodyFormat::Json),
            (Some("application/yaml"), BodyFormat::Yaml),
        ];
        for (ct, want) in ok {
            assert_eq!(classify_body(*ct).expect("supported"), *want, "{ct:?}");
        }
        for ct in ["application/vnd.kubernetes.protobuf", "application/cbor", "text/plain"] {
            let e = classify_body(Some(ct)).expect_err(ct);
            assert_eq!(e.code(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
            assert_eq!(
                e.message(),
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml"
            );
        }
    }

    #[test]
    fn patch_classification() {
        let ok: &[(&str, PatchType)] = &[
            ("application/json-patch+json", PatchType::Json),
            ("application/merge-patch+json", PatchType::Merge),
            ("application/strategic-merge-patch+json", PatchType::StrategicMerge),
            ("application/apply-patch+yaml", PatchType::Apply),
            ("application/apply-patch+yaml; charset=utf-8", PatchType::Apply),
        ];
        for (ct, want) in ok {
            assert_eq!(classify_patch(Some(ct), true).expect(ct), *want);
        }
        for ct in [Some("application/apply-patch+cbor"), Some("application/json"), None] {
            let e = classify_patch(ct, true).expect_err("unsupported");
            assert_eq!(e.code(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
            assert_eq!(
                e.message(),
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
            );
        }
        let e =
            classify_patch(Some("application/strategic-merge-patch+json"), false).expect_err("crd");
        assert!(!e.message().contains("strategic"));
    }
}
