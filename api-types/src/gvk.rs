//! Group/version/kind/resource identifiers and the [`KubeResource`] trait tying a Rust type to them.

use std::fmt;
use std::str::FromStr;

/// Errors from parsing group/version strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GvkError {
    /// The `apiVersion` string was empty.
    #[error("apiVersion is empty")]
    EmptyApiVersion,
    /// The `apiVersion` string had more than one `/` or an empty part.
    #[error("unexpected GroupVersion string: {0:?} (expected \"version\" or \"group/version\")")]
    InvalidApiVersion(String),
    /// The `kind` was empty.
    #[error("kind is empty (apiVersion {0:?})")]
    EmptyKind(String),
}

/// Whether a resource lives inside a namespace or at cluster scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Objects live in a namespace (`/namespaces/{ns}/{plural}/{name}`).
    Namespaced,
    /// Objects are cluster-wide (`/{plural}/{name}`).
    Cluster,
}

impl Scope {
    /// `true` for [`Scope::Namespaced`].
    pub fn is_namespaced(self) -> bool {
        self == Scope::Namespaced
    }
}

/// An API group and version, e.g. `apps/v1` or the core `v1` (empty group).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GroupVersion {
    /// The group; empty for the legacy core group.
    pub group: String,
    /// The version, e.g. `v1`.
    pub version: String,
}

impl GroupVersion {
    /// Builds a group version from its parts.
    pub fn new(group: impl Into<String>, version: impl Into<String>) -> Self {
        GroupVersion { group: group.into(), version: version.into() }
    }

    /// Parses an `apiVersion` string: `"v1"` (core group) or `"group/version"`.
    ///
    /// Unlike apimachinery's `ParseGroupVersion`, an empty string is an error here.
    pub fn parse(api_version: &str) -> Result<Self, GvkError> {
        if api_version.is_empty() {
            return Err(GvkError::EmptyApiVersion);
        }
        match api_version.split_once('/') {
            None => Ok(GroupVersion::new("", api_version)),
            Some((g, v)) if !g.is_empty() && !v.is_empty() && !v.contains('/') => {
                Ok(GroupVersion::new(g, v))
            }
            Some(_) => Err(GvkError::InvalidApiVersion(api_version.to_string())),
        }
    }

    /// The `apiVersion` string form (`v1`, `apps/v1`).
    pub fn api_version(&self) -> String {
        self.to_string()
    }

    /// `true` when this is the legacy core group (served under `/api`).
    pub fn is_core(&self) -> bool {
        self.group.is_empty()
    }

    /// Adds a kind.
    pub fn with_kind(&self, kind: impl Into<String>) -> GroupVersionKind {
        GroupVersionKind::new(self.group.clone(), self.version.clone(), kind)
    }

    /// Adds a plural resource name.
    pub fn with_resource(&self, resource: impl Into<String>) -> GroupVersionResource {
        GroupVersionResource::new(self.group.clone(), self.version.clone(), resource)
    }
}

impl fmt::Display for GroupVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.version)
        } else {
            write!(f, "{}/{}", self.group, self.version)
        }
    }
}

impl FromStr for GroupVersion {
    type Err = GvkError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GroupVersion::parse(s)
    }
}

/// A group, version and kind, e.g. `apps/v1, Kind=Deployment`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GroupVersionKind {
    /// The group; empty for core.
    pub group: String,
    /// The version.
    pub version: String,
    /// The kind, e.g. `Pod`.
    pub kind: String,
}

impl GroupVersionKind {
    /// Builds a GVK from its parts.
    pub fn new(
        group: impl Into<String>,
        version: impl Into<String>,
        kind: impl Into<String>,
    ) -> Self {
        GroupVersionKind { group: group.into(), version: version.into(), kind: kind.into() }
    }

    /// Builds a GVK from an object's `apiVersion` and `kind` fields.
    pub fn from_api_version_kind(api_version: &str, kind: &str) -> Result<Self, GvkError> {
        let gv = GroupVersion::parse(api_version)?;
        if kind.is_empty() {
            return Err(GvkError::EmptyKind(api_version.to_string()));
        }
        Ok(gv.with_kind(kind))
    }

    /// The group version part.
    pub fn group_version(&self) -> GroupVersion {
        GroupVersion::new(self.group.clone(), self.version.clone())
    }

    /// The `apiVersion` string.
    pub fn api_version(&self) -> String {
        self.group_version().to_string()
    }
}

impl fmt::Display for GroupVersionKind {
    /// Formats as apimachinery does: `apps/v1, Kind=Deployment`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, Kind={}", self.group_version(), self.kind)
    }
}

/// A group, version and plural resource, e.g. `apps/v1, Resource=deployments`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GroupVersionResource {
    /// The group; empty for core.
    pub group: String,
    /// The version.
    pub version: String,
    /// The plural resource name, e.g. `pods`.
    pub resource: String,
}

impl GroupVersionResource {
    /// Builds a GVR from its parts.
    pub fn new(
        group: impl Into<String>,
        version: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        GroupVersionResource {
            group: group.into(),
            version: version.into(),
            resource: resource.into(),
        }
    }

    /// The group version part.
    pub fn group_version(&self) -> GroupVersion {
        GroupVersion::new(self.group.clone(), self.version.clone())
    }

    /// The group and resource, without version.
    pub fn group_resource(&self) -> GroupResource {
        GroupResource::new(self.group.clone(), self.resource.clone())
    }
}

impl fmt::Display for GroupVersionResource {
    /// Formats as apimachinery does: `apps/v1, Resource=deployments`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, Resource={}", self.group_version(), self.resource)
    }
}

/// A group and plural resource without version, e.g. `deployments.apps`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GroupResource {
    /// The group; empty for core.
    pub group: String,
    /// The plural resource name.
    pub resource: String,
}

impl GroupResource {
    /// Builds a group resource from its parts.
    pub fn new(group: impl Into<String>, resource: impl Into<String>) -> Self {
        GroupResource { group: group.into(), resource: resource.into() }
    }
}

impl fmt::Display for GroupResource {
    /// Formats as apimachinery does: `deployments.apps`, or just `pods` for core.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.resource)
        } else {
            write!(f, "{}.{}", self.resource, self.group)
        }
    }
}

/// A type that is a top-level Kubernetes resource: it knows its group, version,
/// kind, plural resource name and scope.
///
/// Blanket-implemented for every `k8s_openapi::Resource` whose scope is
/// namespaced or cluster (subresource kinds such as `Scale` are excluded).
pub trait KubeResource {
    /// The API group (`""` for core).
    const GROUP: &'static str;
    /// The API version.
    const VERSION: &'static str;
    /// The `apiVersion` string (`v1`, `apps/v1`).
    const API_VERSION: &'static str;
    /// The kind.
    const KIND: &'static str;
    /// The plural resource name used in URLs.
    const PLURAL: &'static str;
    /// Namespaced or cluster-scoped.
    const SCOPE: Scope;

    /// The group/version/kind of this type.
    fn gvk() -> GroupVersionKind {
        GroupVersionKind::new(Self::GROUP, Self::VERSION, Self::KIND)
    }

    /// The group/version/resource of this type.
    fn gvr() -> GroupVersionResource {
        GroupVersionResource::new(Self::GROUP, Self::VERSION, Self::PLURAL)
    }
}

/// Maps `k8s-openapi` scope marker types to [`Scope`]; implemented only for
/// the namespaced and cluster markers.
pub trait TopLevelScope {
    /// The scope this marker stands for.
    const SCOPE: Scope;
}

impl TopLevelScope for k8s_openapi::NamespaceResourceScope {
    const SCOPE: Scope = Scope::Namespaced;
}

impl TopLevelScope for k8s_openapi::ClusterResourceScope {
    const SCOPE: Scope = Scope::Cluster;
}

impl<T> KubeResource for T
where
    T: k8s_openapi::Resource,
    <T as k8s_openapi::Resource>::Scope: TopLevelScope,
{
    const GROUP: &'static str = <T as k8s_openapi::Resource>::GROUP;
    const VERSION: &'static str = <T as k8s_openapi::Resource>::VERSION;
    const API_VERSION: &'static str = <T as k8s_openapi::Resource>::API_VERSION;
    const KIND: &'static str = <T as k8s_openapi::Resource>::KIND;
    const PLURAL: &'static str = <T as k8s_openapi::Resource>::URL_PATH_SEGMENT;
    const SCOPE: Scope = <<T as k8s_openapi::Resource>::Scope as TopLevelScope>::SCOPE;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_group_version() {
        type Case<'a> = (&'a str, Result<(&'a str, &'a str), ()>);
        let cases: &[Case] = &[
            ("v1", Ok(("", "v1"))),
            ("apps/v1", Ok(("apps", "v1"))),
            ("rbac.authorization.k8s.io/v1", Ok(("rbac.authorization.k8s.io", "v1"))),
            ("", Err(())),
            ("a/b/c", Err(())),
            ("/v1", Err(())),
            ("apps/", Err(())),
        ];
        for (input, want) in cases {
            let got = GroupVersion::parse(input);
            match want {
                Ok((g, v)) => {
                    let gv = got.unwrap_or_else(|e| panic!("{input}: {e}"));
                    assert_eq!((gv.group.as_str(), gv.version.as_str()), (*g, *v), "{input}");
                    assert_eq!(gv.to_string(), *input);
                }
                Err(()) => assert!(got.is_err(), "{input} should fail"),
            }
        }
    }

    #[test]
    fn display_forms() {
        let gvk = GroupVersionKind::new("apps", "v1", "Deployment");
        assert_eq!(gvk.to_string(), "apps/v1, Kind=Deployment");
        assert_eq!(gvk.api_version(), "apps/v1");
        let gvr = GroupVersionResource::new("", "v1", "pods");
        assert_eq!(gvr.to_string(), "v1, Resource=pods");
        assert_eq!(gvr.group_resource().to_string(), "pods");
        assert_eq!(GroupResource::new("apps", "deployments").to_string(), "deployments.apps");
        assert!(GroupVersionKind::from_api_version_kind("v1", "").is_err());
    }

    #[test]
    fn blanket_impl_matches_openapi() {
        use k8s_openapi::api::apps::v1::Deployment;
        use k8s_openapi::api::core::v1::{Namespace, Pod};
        assert_eq!(Pod::gvk(), GroupVersionKind::new("", "v1", "Pod"));
        assert_eq!(Pod::SCOPE, Scope::Namespaced);
        assert_eq!(Deployment::gvr().to_string(), "apps/v1, Resource=deployments");
        assert_eq!(Namespace::SCOPE, Scope::Cluster);
        assert_eq!(Namespace::PLURAL, "namespaces");
    }
}
