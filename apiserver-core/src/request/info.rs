//! [`RequestInfo`]: the verb, API group/version, namespace, resource, subresource and name a request path names.
//!
//! Follows apiserver's `endpoints/request/requestinfo.go`: paths under `/api` (groupless)
//! and `/apis/<group>` with at least a version and a resource are resource requests; every
//! other path (`/healthz`, `/version`, `/apis`, `/api/v1`, `/openapi/v2`, …) is a
//! non-resource request whose verb is the lowercase HTTP method.

use capstan_api_types::fields::FieldSelector;
use capstan_api_types::validation::is_valid_path_segment_name;

use super::query::{Query, percent_decode};
use crate::status::ApiError;

/// The Kubernetes verb of a resource request, as authorization and audit see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `GET`/`HEAD` of one object.
    Get,
    /// `GET` of a collection.
    List,
    /// `GET` of a collection or object with `watch=true`, or under `/watch/`.
    Watch,
    /// `POST`.
    Create,
    /// `PUT`.
    Update,
    /// `PATCH`.
    Patch,
    /// `DELETE` of one object.
    Delete,
    /// `DELETE` of a collection.
    DeleteCollection,
    /// Anything under the legacy `/proxy/` prefix.
    Proxy,
}

impl Verb {
    /// The verb's string (`get`, `deletecollection`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
            Verb::Proxy => "proxy",
        }
    }

    /// Parses a verb string.
    pub fn parse(s: &str) -> Option<Verb> {
        Some(match s {
            "get" => Verb::Get,
            "list" => Verb::List,
            "watch" => Verb::Watch,
            "create" => Verb::Create,
            "update" => Verb::Update,
            "patch" => Verb::Patch,
            "delete" => Verb::Delete,
            "deletecollection" => Verb::DeleteCollection,
            "proxy" => Verb::Proxy,
            _ => return None,
        })
    }
}

/// What a request names, parsed from its method, path and query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestInfo {
    /// Whether the request is for an API resource or subresource.
    pub is_resource_request: bool,
    /// The URL path (percent-decoded).
    pub path: String,
    /// The Kubernetes verb for resource requests (see [`Verb`]); the lowercase HTTP
    /// method for non-resource requests; empty for an unknown method on a resource.
    pub verb: String,
    /// `api` or `apis` for resource requests.
    pub api_prefix: String,
    /// The API group (empty for the core group).
    pub api_group: String,
    /// The API version.
    pub api_version: String,
    /// The namespace (empty for cluster-scoped requests).
    pub namespace: String,
    /// The plural resource (`pods`); not the kind.
    pub resource: String,
    /// The subresource (`status`, `log`, …).
    pub subresource: String,
    /// The object name, from the path or from a `metadata.name=` field selector on
    /// list/watch.
    pub name: String,
    /// The path parts from the resource on: `resource/name/subresource/...`.
    pub parts: Vec<String>,
}

/// Verbs that appear as a path segment before the resource (legacy forms).
const SPECIAL_VERBS: [&str; 2] = ["proxy", "watch"];
/// Subresources of a namespace object, as opposed to resources in the namespace.
const NAMESPACE_SUBRESOURCES: [&str; 2] = ["status", "finalize"];

impl RequestInfo {
    /// Parses a request. `path` is the raw URL path (percent-escapes are decoded, as
    /// Go's `URL.Path` is); `query` the decoded query, consulted for `watch` and a
    /// `metadata.name` field selector when the path names a collection.
    ///
    /// Fails (with `500`, as the request-info filter answers) only for a legacy
    /// `/watch` or `/proxy` prefix with nothing after it.
    pub fn parse(method: &http::Method, path: &str, query: &Query) -> Result<Self, ApiError> {
        let decoded = percent_decode(path, false).unwrap_or_else(|| path.to_string());
        let mut info = RequestInfo {
            is_resource_request: false,
            path: decoded.clone(),
            verb: method.as_str().to_ascii_lowercase(),
            ..RequestInfo::default()
        };

        let trimmed = decoded.trim_matches('/');
        let all: Vec<&str> =
            if trimmed.is_empty() { Vec::new() } else { trimmed.split('/').collect() };
        if all.len() < 3 || !matches!(all[0], "api" | "apis") {
            return Ok(info);
        }
        let mut parts = &all[1..];
        if all[0] == "apis" {
            if parts.len() < 3 {
                return Ok(info);
            }
            info.api_group = parts[0].to_string();
            parts = &parts[1..];
        }
        info.api_prefix = all[0].to_string();
        info.is_resource_request = true;
        info.api_version = parts[0].to_string();
        parts = &parts[1..];

        if SPECIAL_VERBS.contains(&parts[0]) {
            if parts.len() < 2 {
                return Err(ApiError::internal(format!(
                    "failed to create RequestInfo: unable to determine kind and namespace from url {decoded}"
                )));
            }
            info.verb = parts[0].to_string();
            parts = &parts[1..];
        } else {
            info.verb = match *method {
                http::Method::POST => "create",
                http::Method::GET | http::Method::HEAD => "get",
                http::Method::PUT => "update",
                http::Method::PATCH => "patch",
                http::Method::DELETE => "delete",
                _ => "",
            }
            .to_string();
        }

        if parts[0] == "namespaces" && parts.len() > 1 {
            info.namespace = parts[1].to_string();
            // A step after the namespace name that is not a namespace subresource is a
            // resource in the namespace.
            if parts.len() > 2 && !NAMESPACE_SUBRESOURCES.contains(&parts[2]) {
                parts = &parts[2..];
            }
        }
        info.parts = parts.iter().map(|s| s.to_string()).collect();

        if info.parts.len() >= 3 && info.verb != "proxy" {
            info.subresource = info.parts[2].clone();
        }
        if info.parts.len() >= 2 {
            info.name = info.parts[1].clone();
        }
        if !info.parts.is_empty() {
            info.resource = info.parts[0].clone();
        }

        if info.name.is_empty() && info.verb == "get" {
            let watch = query.get_bool("watch").unwrap_or(false);
            info.verb = if watch { "watch" } else { "list" }.to_string();
            // An unparseable field selector leaves the name unset, as upstream does
            // when decoding the list options fails.
            if let Some(Ok(selector)) = query.get("fieldSelector").map(FieldSelector::parse)
                && let Some(name) = selector.required_value("metadata.name")
                && is_valid_path_segment_name(name).is_empty()
            {
                info.name = name.to_string();
            }
        }
        if info.name.is_empty() && info.verb == "delete" {
            info.verb = "deletecollection".to_string();
        }
        Ok(info)
    }

    /// Parses an [`http::Request`]'s method, path and query.
    pub fn from_request<B>(req: &http::Request<B>) -> Result<Self, ApiError> {
        let uri = req.uri();
        Self::parse(req.method(), uri.path(), &Query::from_uri(uri))
    }

    /// The typed verb of a resource request (`None` for non-resource requests and
    /// unknown methods).
    pub fn resource_verb(&self) -> Option<Verb> {
        if self.is_resource_request { Verb::parse(&self.verb) } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    struct Case {
        method: Method,
        url: &'static str,
        verb: &'static str,
        prefix: &'static str,
        group: &'static str,
        version: &'static str,
        namespace: &'static str,
        resource: &'static str,
        subresource: &'static str,
        name: &'static str,
        parts: &'static [&'static str],
    }

    #[allow(clippy::too_many_arguments)]
    fn c(
        method: Method,
        url: &'static str,
        verb: &'static str,
        prefix: &'static str,
        group: &'static str,
        version: &'static str,
        namespace: &'static str,
        resource: &'static str,
        subresource: &'static str,
        name: &'static str,
        parts: &'static [&'static str],
    ) -> Case {
        Case {
            method,
            url,
            verb,
            prefix,
            group,
            version,
            namespace,
            resource,
            subresource,
            name,
            parts,
        }
    }

    fn parse(method: &Method, url: &str) -> RequestInfo {
        let uri: http::Uri = url.parse().expect("test uri");
        RequestInfo::parse(method, uri.path(), &Query::from_uri(&uri)).expect("parses")
    }

    #[test]
    fn resource_requests() {
        use Method as M;
        let cases = vec![
            c(
                M::GET,
                "/api/v1/namespaces",
                "list",
                "api",
                "",
                "v1",
                "",
                "namespaces",
                "",
                "",
                &["namespaces"],
            ),
            c(
                M::GET,
                "/api/v1/namespaces/other",
                "get",
                "api",
                "",
                "v1",
                "other",
                "namespaces",
                "",
                "other",
                &["namespaces", "other"],
            ),
            c(
                M::GET,
                "/api/v1/namespaces/other/pods",
                "list",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "",
                &["pods"],
            ),
            c(
                M::GET,
                "/api/v1/namespaces/other/pods/foo",
                "get",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "foo",
                &["pods", "foo"],
            ),
            c(
                M::HEAD,
                "/api/v1/namespaces/other/pods/foo",
                "get",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "foo",
                &["pods", "foo"],
            ),
            c(M::GET, "/api/v1/pods", "list", "api", "", "v1", "", "pods", "", "", &["pods"]),
            c(
                M::GET,
                "/api/v1/namespaces/other/pods/foo/log",
                "get",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "log",
                "foo",
                &["pods", "foo", "log"],
            ),
            c(
                M::GET,
                "/api/v1/namespaces/other/pods?watch=true",
                "watch",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "",
                &["pods"],
            ),
            c(
                M::GET,
                "/api/v1/namespaces/other/pods?watch=1",
                "watch",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "",
                &["pods"],
            ),
            c(
                M::GET,
                "/api/v1/namespaces/other/pods?watch=false",
                "list",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "",
                &["pods"],
            ),
            c(
                M::GET,
                "/api/v1/namespaces/other/pods?watch=0",
                "list",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "",
                &["pods"],
            ),
            c(
                M::GET,
                "/api/v1/watch/pods",
                "watch",
                "api",
                "",
                "v1",
                "",
                "pods",
                "",
                "",
                &["pods"],
            ),
            c(
                M::GET,
                "/api/v1/watch/namespaces/other/pods",
                "watch",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "",
                &["pods"],
            ),
            c(
                M::GET,
                "/api/v1/watch/namespaces/other/pods/foo",
                "watch",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "foo",
                &["pods", "foo"],
            ),
            c(
                M::GET,
                "/api/v1/proxy/nodes/node1/some/path",
                "proxy",
                "api",
                "",
                "v1",
                "",
                "nodes",
                "",
                "node1",
                &["nodes", "node1", "some", "path"],
            ),
            c(
                M::POST,
                "/api/v1/namespaces/other/pods",
                "create",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "",
                &["pods"],
            ),
            c(
                M::PUT,
                "/api/v1/namespaces/other/pods/foo",
                "update",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "foo",
                &["pods", "foo"],
            ),
            c(
                M::PATCH,
                "/api/v1/namespaces/other/pods/foo",
                "patch",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "foo",
                &["pods", "foo"],
            ),
            c(
                M::DELETE,
                "/api/v1/namespaces/other/pods/foo",
                "delete",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "foo",
                &["pods", "foo"],
            ),
            c(
                M::DELETE,
                "/api/v1/namespaces/other/pods",
                "deletecollection",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "",
                &["pods"],
            ),
            c(
                M::POST,
                "/api/v1/namespaces/other/pods/foo/eviction",
                "create",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "eviction",
                "foo",
                &["pods", "foo", "eviction"],
            ),
            c(
                M::POST,
                "/api/v1/namespaces/other/pods/foo/exec",
                "create",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "exec",
                "foo",
                &["pods", "foo", "exec"],
            ),
            c(
                M::PUT,
                "/api/v1/namespaces/other/finalize",
                "update",
                "api",
                "",
                "v1",
                "other",
                "namespaces",
                "finalize",
                "other",
                &["namespaces", "other", "finalize"],
            ),
            c(
                M::PUT,
                "/api/v1/namespaces/other/status",
                "update",
                "api",
                "",
                "v1",
                "other",
                "namespaces",
                "status",
                "other",
                &["namespaces", "other", "status"],
            ),
            c(
                M::DELETE,
                "/api/v1/namespaces/other",
                "delete",
                "api",
                "",
                "v1",
                "other",
                "namespaces",
                "",
                "other",
                &["namespaces", "other"],
            ),
            c(
                M::GET,
                "/apis/apps/v1/namespaces/ns/deployments/web/scale",
                "get",
                "apis",
                "apps",
                "v1",
                "ns",
                "deployments",
                "scale",
                "web",
                &["deployments", "web", "scale"],
            ),
            c(
                M::GET,
                "/apis/apps/v1/deployments",
                "list",
                "apis",
                "apps",
                "v1",
                "",
                "deployments",
                "",
                "",
                &["deployments"],
            ),
            c(
                M::GET,
                "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin",
                "get",
                "apis",
                "rbac.authorization.k8s.io",
                "v1",
                "",
                "clusterroles",
                "",
                "admin",
                &["clusterroles", "admin"],
            ),
            c(
                M::GET,
                "/apis/extensions/v1beta1/namespaces/other/extensions",
                "list",
                "apis",
                "extensions",
                "v1beta1",
                "other",
                "extensions",
                "",
                "",
                &["extensions"],
            ),
            c(
                M::GET,
                "/api/v1/namespaces/other/pods?fieldSelector=metadata.name%3Dfoo",
                "list",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "foo",
                &["pods"],
            ),
            c(
                M::GET,
                "/api/v1/namespaces/other/pods?watch=true&fieldSelector=metadata.name%3Dfoo",
                "watch",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "foo",
                &["pods"],
            ),
            c(
                M::GET,
                "/api/v1/namespaces/other/pods?fieldSelector=metadata.name%21%3Dfoo",
                "list",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "",
                &["pods"],
            ),
            c(
                M::GET,
                "/api/v1/namespaces/other/pods?fieldSelector=metadata.name%3D..",
                "list",
                "api",
                "",
                "v1",
                "other",
                "pods",
                "",
                "",
                &["pods"],
            ),
            c(
                M::GET,
                "/api/v1/nodes?fieldSelector=spec.unschedulable%3Dfalse,metadata.name%3Dn1",
                "list",
                "api",
                "",
                "v1",
                "",
                "nodes",
                "",
                "n1",
                &["nodes"],
            ),
            c(
                M::OPTIONS,
                "/api/v1/pods/foo",
                "",
                "api",
                "",
                "v1",
                "",
                "pods",
                "",
                "foo",
                &["pods", "foo"],
            ),
        ];
        for case in cases {
            let info = parse(&case.method, case.url);
            let ctx = format!("{} {}", case.method, case.url);
            assert!(info.is_resource_request, "{ctx}");
            assert_eq!(info.verb, case.verb, "{ctx}");
            assert_eq!(info.api_prefix, case.prefix, "{ctx}");
            assert_eq!(info.api_group, case.group, "{ctx}");
            assert_eq!(info.api_version, case.version, "{ctx}");
            assert_eq!(info.namespace, case.namespace, "{ctx}");
            assert_eq!(info.resource, case.resource, "{ctx}");
            assert_eq!(info.subresource, case.subresource, "{ctx}");
            assert_eq!(info.name, case.name, "{ctx}");
            assert_eq!(info.parts, case.parts, "{ctx}");
            assert_eq!(info.resource_verb().map(Verb::as_str).unwrap_or(""), case.verb, "{ctx}");
        }
    }

    #[test]
    fn non_resource_requests() {
        let cases: &[(Method, &str, &str)] = &[
            (Method::GET, "/", "get"),
            (Method::GET, "/healthz", "get"),
            (Method::GET, "/livez/ping", "get"),
            (Method::GET, "/version", "get"),
            (Method::GET, "/openapi/v2", "get"),
            (Method::GET, "/openapi/v3/apis/apps/v1", "get"),
            (Method::GET, "/api", "get"),
            (Method::GET, "/api/v1", "get"),
            (Method::GET, "/apis", "get"),
            (Method::GET, "/apis/apps", "get"),
            (Method::GET, "/apis/apps/v1", "get"),
            (Method::POST, "/apis/apps/v1", "post"),
            (Method::DELETE, "/metrics", "delete"),
            (Method::GET, "/other/v1/pods", "get"),
        ];
        for (method, path, verb) in cases {
            let info = parse(method, path);
            assert!(!info.is_resource_request, "{path}");
            assert_eq!(info.verb, *verb, "{path}");
            assert_eq!(info.path, *path);
            assert!(info.resource.is_empty() && info.api_prefix.is_empty(), "{path}");
            assert_eq!(info.resource_verb(), None);
        }
    }

    #[test]
    fn legacy_prefix_without_target_fails() {
        for path in ["/api/v1/watch", "/apis/apps/v1/proxy"] {
            let err = RequestInfo::parse(&Method::GET, path, &Query::default()).expect_err(path);
            assert_eq!(err.code(), http::StatusCode::INTERNAL_SERVER_ERROR);
        }
    }

    #[test]
    fn decodes_path_and_uses_request() {
        let req = http::Request::get("/api/v1/namespaces/a%20b/configmaps/c?watch=true")
            .body(())
            .expect("request");
        let info = RequestInfo::from_request(&req).expect("parses");
        assert_eq!(info.namespace, "a b");
        assert_eq!(info.verb, "get");
        assert_eq!(info.name, "c");
        assert_eq!(Verb::parse("deletecollection"), Some(Verb::DeleteCollection));
        assert_eq!(Verb::parse("bogus"), None);
    }
}
