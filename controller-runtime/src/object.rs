//! [`Object`]: the bound every cached kind meets, and [`ObjectKey`], an object's cache key.

use std::fmt;
use std::hash::Hash;

use kube::Resource;
use serde::de::DeserializeOwned;

/// What informers, caches and controllers need of a kind: every `k8s-openapi` kind meets
/// it, and so does `kube::core::DynamicObject` (whose `DynamicType` is its `ApiResource`).
pub trait Object:
    Resource<DynamicType: Clone + Send + Sync + 'static, Scope: 'static>
    + Clone
    + DeserializeOwned
    + fmt::Debug
    + Send
    + Sync
    + 'static
{
}

impl<K> Object for K where
    K: Resource<DynamicType: Clone + Send + Sync + 'static, Scope: 'static>
        + Clone
        + DeserializeOwned
        + fmt::Debug
        + Send
        + Sync
        + 'static
{
}

/// Whether `K` is cluster-scoped (`false` for namespaced and dynamic kinds).
pub fn is_cluster_scoped<K: Object>() -> bool {
    std::any::TypeId::of::<K::Scope>()
        == std::any::TypeId::of::<k8s_openapi::ClusterResourceScope>()
}

/// An object's identity in a cache: namespace (empty for cluster-scoped) and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ObjectKey {
    /// The namespace, `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

impl ObjectKey {
    /// A key from a namespace and a name.
    pub fn new(namespace: Option<&str>, name: &str) -> Self {
        ObjectKey { namespace: namespace.map(str::to_string), name: name.to_string() }
    }

    /// The key of `obj`.
    pub fn of<K: Resource>(obj: &K) -> Self {
        let meta = obj.meta();
        ObjectKey {
            namespace: meta.namespace.clone().filter(|n| !n.is_empty()),
            name: meta.name.clone().unwrap_or_default(),
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{ns}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}
