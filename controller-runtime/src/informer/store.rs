//! The cache of an informer: objects by key as `Arc<K>`, with indexers kept up to date on
//! every change.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use kube::Resource;
use parking_lot::RwLock;

use crate::object::ObjectKey;

/// An index function: the index values an object is filed under (none, one or many).
pub type IndexFn<K> = Arc<dyn Fn(&K) -> Vec<String> + Send + Sync>;

/// The name of the namespace index ([`namespace_index`]).
pub const NAMESPACE_INDEX: &str = "namespace";
/// The name of the owner-uid index ([`owner_uid_index`]).
pub const OWNER_UID_INDEX: &str = "owner-uid";
/// The name of the orphan index ([`orphan_namespace_index`]).
pub const ORPHAN_NAMESPACE_INDEX: &str = "orphans-by-namespace";
/// The name of the pod node-name index ([`pod_node_name_index`]).
pub const NODE_NAME_INDEX: &str = "spec.nodeName";

/// Files objects under their namespace (cluster-scoped objects under none).
pub fn namespace_index<K: Resource>() -> IndexFn<K> {
    Arc::new(|obj: &K| obj.meta().namespace.iter().filter(|n| !n.is_empty()).cloned().collect())
}

/// Files objects under the uid of every owner reference.
pub fn owner_uid_index<K: Resource>() -> IndexFn<K> {
    Arc::new(|obj: &K| {
        obj.meta().owner_references.iter().flatten().map(|r| r.uid.clone()).collect()
    })
}

/// Files objects without a controller (no owner reference with `controller: true`) under
/// their namespace; controlled objects under none. With [`owner_uid_index`] a controller
/// finds what it owns and what it could adopt without scanning its namespace (as
/// Kubernetes' ReplicaSet controller does with its pod controller-UID index).
pub fn orphan_namespace_index<K: Resource>() -> IndexFn<K> {
    Arc::new(|obj: &K| {
        let meta = obj.meta();
        let controlled = meta.owner_references.iter().flatten().any(|r| r.controller == Some(true));
        match &meta.namespace {
            Some(ns) if !controlled && !ns.is_empty() => vec![ns.clone()],
            _ => Vec::new(),
        }
    })
}

/// Files pods under `spec.nodeName` (unscheduled pods under none).
pub fn pod_node_name_index() -> IndexFn<Pod> {
    Arc::new(|pod: &Pod| {
        pod.spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty())
            .into_iter()
            .collect()
    })
}

/// Why an index query failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IndexError {
    /// No indexer of that name was added.
    #[error("no index named {0:?}")]
    UnknownIndex(String),
}

struct Index<K> {
    func: IndexFn<K>,
    /// Index value → keys filed under it.
    entries: HashMap<String, HashSet<ObjectKey>>,
}

struct Inner<K> {
    objects: HashMap<ObjectKey, Arc<K>>,
    indices: HashMap<String, Index<K>>,
}

impl<K> Inner<K> {
    fn unindex(&mut self, key: &ObjectKey, obj: &K) {
        for index in self.indices.values_mut() {
            for value in (index.func)(obj) {
                if let Some(keys) = index.entries.get_mut(&value) {
                    keys.remove(key);
                    if keys.is_empty() {
                        index.entries.remove(&value);
                    }
                }
            }
        }
    }

    fn index(&mut self, key: &ObjectKey, obj: &K) {
        for index in self.indices.values_mut() {
            for value in (index.func)(obj) {
                index.entries.entry(value).or_default().insert(key.clone());
            }
        }
    }
}

/// A thread-safe cache of objects. Cheap to clone (clones share the cache); reads hand
/// out `Arc<K>`, never copies.
pub struct Store<K> {
    inner: Arc<RwLock<Inner<K>>>,
}

impl<K> Clone for Store<K> {
    fn clone(&self) -> Self {
        Store { inner: self.inner.clone() }
    }
}

impl<K> Default for Store<K> {
    fn default() -> Self {
        Store {
            inner: Arc::new(RwLock::new(Inner {
                objects: HashMap::new(),
                indices: HashMap::new(),
            })),
        }
    }
}

impl<K> std::fmt::Debug for Store<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.inner.read();
        f.debug_struct("Store")
            .field("objects", &inner.objects.len())
            .field("indices", &inner.indices.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl<K: Resource> Store<K> {
    /// An empty cache.
    pub fn new() -> Self {
        Store::default()
    }

    /// Adds (or replaces) the indexer `name`; objects already cached are indexed now.
    pub fn add_indexer(&self, name: &str, func: IndexFn<K>) {
        let mut inner = self.inner.write();
        let mut entries: HashMap<String, HashSet<ObjectKey>> = HashMap::new();
        for (key, obj) in &inner.objects {
            for value in func(obj) {
                entries.entry(value).or_default().insert(key.clone());
            }
        }
        inner.indices.insert(name.to_string(), Index { func, entries });
    }

    /// The object at `key`.
    pub fn get(&self, key: &ObjectKey) -> Option<Arc<K>> {
        self.inner.read().objects.get(key).cloned()
    }

    /// The object named `name` in `namespace` (`None` for cluster-scoped).
    pub fn get_named(&self, namespace: Option<&str>, name: &str) -> Option<Arc<K>> {
        self.get(&ObjectKey::new(namespace, name))
    }

    /// Every cached object, in no particular order.
    pub fn list(&self) -> Vec<Arc<K>> {
        self.inner.read().objects.values().cloned().collect()
    }

    /// Every cached key.
    pub fn keys(&self) -> Vec<ObjectKey> {
        self.inner.read().objects.keys().cloned().collect()
    }

    /// How many objects are cached.
    pub fn len(&self) -> usize {
        self.inner.read().objects.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The objects filed under `value` in the index `index`.
    pub fn by_index(&self, index: &str, value: &str) -> Result<Vec<Arc<K>>, IndexError> {
        let inner = self.inner.read();
        let idx =
            inner.indices.get(index).ok_or_else(|| IndexError::UnknownIndex(index.to_string()))?;
        Ok(idx
            .entries
            .get(value)
            .map(|keys| keys.iter().filter_map(|k| inner.objects.get(k).cloned()).collect())
            .unwrap_or_default())
    }

    /// The keys filed under `value` in the index `index`.
    pub fn index_keys(&self, index: &str, value: &str) -> Result<Vec<ObjectKey>, IndexError> {
        let inner = self.inner.read();
        let idx =
            inner.indices.get(index).ok_or_else(|| IndexError::UnknownIndex(index.to_string()))?;
        Ok(idx.entries.get(value).map(|keys| keys.iter().cloned().collect()).unwrap_or_default())
    }

    /// Every value of the index `index` that has objects filed under it.
    pub fn index_values(&self, index: &str) -> Result<Vec<String>, IndexError> {
        let inner = self.inner.read();
        let idx =
            inner.indices.get(index).ok_or_else(|| IndexError::UnknownIndex(index.to_string()))?;
        Ok(idx.entries.keys().cloned().collect())
    }

    /// Inserts or replaces `obj`; returns the object it replaced.
    pub fn upsert(&self, obj: Arc<K>) -> Option<Arc<K>> {
        let key = ObjectKey::of(obj.as_ref());
        let mut inner = self.inner.write();
        let old = inner.objects.insert(key.clone(), obj.clone());
        if let Some(old) = &old {
            inner.unindex(&key, old);
        }
        inner.index(&key, &obj);
        old
    }

    /// Removes the object at `key`; returns it.
    pub fn remove(&self, key: &ObjectKey) -> Option<Arc<K>> {
        let mut inner = self.inner.write();
        let old = inner.objects.remove(key);
        if let Some(old) = &old {
            inner.unindex(key, old);
        }
        old
    }

    /// Replaces the whole content with `objects` (a relist); returns what changed as
    /// [`Change`]s: additions and updates first, then deletions, as client-go's DeltaFIFO
    /// delivers a relist — so a handler counting live objects never sees the ones that
    /// replaced the deleted ones missing at once. An object whose resourceVersion is
    /// unchanged is not reported.
    pub fn replace(&self, objects: Vec<Arc<K>>) -> Vec<Change<K>> {
        let mut inner = self.inner.write();
        let mut fresh: HashMap<ObjectKey, Arc<K>> = HashMap::with_capacity(objects.len());
        for obj in objects {
            fresh.insert(ObjectKey::of(obj.as_ref()), obj);
        }
        let mut changes = Vec::new();
        let gone: Vec<ObjectKey> =
            inner.objects.keys().filter(|k| !fresh.contains_key(*k)).cloned().collect();
        for (key, obj) in fresh {
            match inner.objects.insert(key.clone(), obj.clone()) {
                Some(old) => {
                    inner.unindex(&key, &old);
                    inner.index(&key, &obj);
                    if old.meta().resource_version != obj.meta().resource_version {
                        changes.push(Change::Updated { old, new: obj });
                    }
                }
                None => {
                    inner.index(&key, &obj);
                    changes.push(Change::Added(obj));
                }
            }
        }
        for key in gone {
            if let Some(old) = inner.objects.remove(&key) {
                inner.unindex(&key, &old);
                changes.push(Change::Deleted(old));
            }
        }
        changes
    }
}

/// One change to a cache, as informer handlers see it.
#[derive(Debug)]
pub enum Change<K> {
    /// A new object.
    Added(Arc<K>),
    /// An object changed from `old` to `new`.
    Updated {
        /// The cached object before.
        old: Arc<K>,
        /// The object now.
        new: Arc<K>,
    },
    /// An object was deleted (its last known state).
    Deleted(Arc<K>),
}

impl<K> Clone for Change<K> {
    fn clone(&self) -> Self {
        match self {
            Change::Added(o) => Change::Added(o.clone()),
            Change::Updated { old, new } => Change::Updated { old: old.clone(), new: new.clone() },
            Change::Deleted(o) => Change::Deleted(o.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

    fn cm(ns: &str, name: &str, rv: &str, owner: Option<&str>) -> Arc<ConfigMap> {
        Arc::new(ConfigMap {
            metadata: ObjectMeta {
                namespace: Some(ns.into()),
                name: Some(name.into()),
                resource_version: Some(rv.into()),
                owner_references: owner
                    .map(|uid| vec![OwnerReference { uid: uid.into(), ..Default::default() }]),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    #[test]
    fn indexes_follow_updates_and_deletes() {
        let store = Store::<ConfigMap>::new();
        store.add_indexer(NAMESPACE_INDEX, namespace_index());
        store.upsert(cm("a", "x", "1", Some("u1")));
        store.add_indexer(OWNER_UID_INDEX, owner_uid_index());
        store.upsert(cm("b", "y", "2", Some("u1")));
        assert_eq!(store.by_index(OWNER_UID_INDEX, "u1").unwrap().len(), 2);
        store.upsert(cm("b", "y", "3", Some("u2")));
        assert_eq!(store.by_index(OWNER_UID_INDEX, "u1").unwrap().len(), 1);
        assert_eq!(store.by_index(OWNER_UID_INDEX, "u2").unwrap().len(), 1);
        store.remove(&ObjectKey::new(Some("a"), "x"));
        assert!(store.by_index(NAMESPACE_INDEX, "a").unwrap().is_empty());
        assert_eq!(store.index_values(NAMESPACE_INDEX).unwrap(), vec!["b".to_string()]);
        assert!(matches!(store.by_index("nope", "x"), Err(IndexError::UnknownIndex(_))));
    }

    #[test]
    fn orphans_are_filed_by_namespace_until_controlled() {
        let store = Store::<ConfigMap>::new();
        store.add_indexer(ORPHAN_NAMESPACE_INDEX, orphan_namespace_index());
        let names = |ns: &str| {
            let mut names: Vec<String> = store
                .by_index(ORPHAN_NAMESPACE_INDEX, ns)
                .unwrap()
                .iter()
                .map(|c| c.metadata.name.clone().unwrap_or_default())
                .collect();
            names.sort();
            names
        };
        store.upsert(cm("a", "free", "1", None));
        // An owner reference that is not a controller leaves the object an orphan.
        store.upsert(cm("a", "owned", "1", Some("u1")));
        store.upsert(cm("b", "other", "1", None));
        assert_eq!(names("a"), ["free", "owned"]);
        assert_eq!(names("b"), ["other"]);
        let mut controlled = (*cm("a", "owned", "2", Some("u1"))).clone();
        controlled.metadata.owner_references.as_mut().unwrap()[0].controller = Some(true);
        store.upsert(Arc::new(controlled));
        assert_eq!(names("a"), ["free"]);
        store.remove(&ObjectKey::new(Some("a"), "free"));
        assert!(names("a").is_empty());
    }

    #[test]
    fn replace_reports_only_differences() {
        let store = Store::<ConfigMap>::new();
        store.upsert(cm("a", "keep", "1", None));
        store.upsert(cm("a", "gone", "1", None));
        store.upsert(cm("a", "changed", "1", None));
        let changes = store.replace(vec![
            cm("a", "keep", "1", None),
            cm("a", "changed", "2", None),
            cm("a", "new", "3", None),
        ]);
        let mut kinds: Vec<String> = changes
            .iter()
            .map(|c| match c {
                Change::Added(o) => format!("add {}", o.metadata.name.as_deref().unwrap_or("")),
                Change::Updated { new, .. } => {
                    format!("update {}", new.metadata.name.as_deref().unwrap_or(""))
                }
                Change::Deleted(o) => {
                    format!("delete {}", o.metadata.name.as_deref().unwrap_or(""))
                }
            })
            .collect();
        // Deletions come last, so a handler never sees the replacements missing.
        assert_eq!(kinds.last().map(String::as_str), Some("delete gone"), "{kinds:?}");
        kinds.sort();
        assert_eq!(kinds, vec!["add new", "delete gone", "update changed"]);
        assert_eq!(store.len(), 3);
    }
}
