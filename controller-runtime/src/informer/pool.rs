//! [`ObjectPool`]: one decoded copy of each object version, shared by every reflector of a
//! process that uses the pool.
//!
//! In one process running several components (`capstan up`: the controller manager, the
//! scheduler and every simulated kubelet), each component's informer decodes and caches
//! its own copy of the same pod version. With a pool in their [`ReflectorConfig`]
//! (`ReflectorConfig::sharing_objects`), a reflector that decodes an object looks it up
//! by kind, transformation, uid and resourceVersion first: when another reflector already
//! holds that version, it caches the other's `Arc<K>` and drops its own copy.
//!
//! Sharing is sound because cached objects are immutable: informers hand out `Arc<K>`
//! and nothing in the runtime changes an object behind an `Arc` (a consumer wanting a
//! changed object clones it). Reflectors share only with reflectors decoding the same
//! way: the pool's key includes `K`'s type, the resource's path (group, version,
//! resource) and the transformation the reflector applies (today: whether
//! `metadata.managedFields` is stripped).
//!
//! The pool holds weak references: an object lives as long as some cache or handler
//! holds it, and the pool's entry then points nowhere. Each entry keeps up to three
//! versions of one object (readers lagging behind one another share the versions they
//! hold; a version older than the three kept stays its reader's own copy): a new version
//! takes the place of one that is gone, else of the oldest. Versions gone from every
//! cache are dropped in sweeps (each shard sweeps after a quarter of its entries' count
//! of lookups) or by [`ObjectPool::purge`]; until then each keeps the object's inline
//! allocation (`size_of::<K>()`, not what it points to).
//!
//! [`ReflectorConfig`]: super::ReflectorConfig

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::object::Object;

/// Shards of the pool, each behind its own lock (every reflector of the process interns
/// through the pool).
const SHARDS: usize = 32;

/// A shard sweeps its dead entries after this many lookups at least.
const MIN_SWEEP: usize = 32;

/// Versions of one object an entry keeps.
const VERSIONS: usize = 3;

/// The versions of one object, `None` where a slot is free.
type Versions = [Option<Weak<dyn Any + Send + Sync>>; VERSIONS];

/// One decoded copy of each object version, shared by the reflectors configured with it.
/// Cheap to clone; clones share the pool. See the [module documentation](self).
#[derive(Clone, Default)]
pub struct ObjectPool {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    shards: [Mutex<Shard>; SHARDS],
    hasher: std::hash::RandomState,
    hits: AtomicU64,
    undecoded: AtomicU64,
    inserts: AtomicU64,
}

#[derive(Default)]
struct Shard {
    /// Hash of (space, uid) → versions of the object. The hash is verified against the
    /// live object's uid before it is shared.
    entries: HashMap<u64, Versions, IdentityHash>,
    /// Lookups since the last sweep.
    lookups: usize,
}

/// The entries' keys are hashes already.
#[derive(Default, Clone, Copy)]
struct IdentityHash;

impl BuildHasher for IdentityHash {
    type Hasher = IdentityHasher;
    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher(0)
    }
}

#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Counters of an [`ObjectPool`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Objects a reader took from the pool instead of keeping its own copy (decoded, or
    /// found before decoding).
    pub hits: u64,
    /// Of the hits, those found before decoding ([`ObjectPool::get`]: a watch event's
    /// object whose uid and resourceVersion the pool holds is not decoded at all).
    pub undecoded: u64,
    /// Decoded objects that entered the pool (new objects and new versions).
    pub inserts: u64,
    /// Versions held, including those whose object is gone and not swept yet.
    pub entries: usize,
}

/// Which objects may be shared: reflectors with equal spaces decode an object version to
/// equal values. Built by a reflector from its kind, resource path and transformation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PoolSpace(u64);

impl PoolSpace {
    /// The space of objects of type `K` read from `resource_path` (the collection's path
    /// without namespace, e.g. `/api/v1/pods`) and changed by `transformation` (a name of
    /// what the reader does to each object, equal only for equal transformations).
    pub fn new<K: 'static>(resource_path: &str, transformation: &str) -> Self {
        let mut h = std::hash::DefaultHasher::new();
        TypeId::of::<K>().hash(&mut h);
        resource_path.hash(&mut h);
        transformation.hash(&mut h);
        PoolSpace(h.finish())
    }
}

impl std::fmt::Debug for ObjectPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectPool").field("stats", &self.stats()).finish()
    }
}

/// Whether resourceVersion `new` may replace `old` as an object's latest version: when
/// both are numbers (Capstan's and etcd's revisions), only a larger one; otherwise any
/// different one (resourceVersions are opaque).
fn supersedes(new: &str, old: &str) -> bool {
    match (new.parse::<u64>(), old.parse::<u64>()) {
        (Ok(n), Ok(o)) => n > o,
        _ => new != old,
    }
}

impl ObjectPool {
    /// An empty pool.
    pub fn new() -> Self {
        ObjectPool::default()
    }

    /// `obj` as an `Arc`: the pool's copy when it holds this version of the object in
    /// `space` (same uid and resourceVersion), else `obj` itself, entered as a version of
    /// the object unless the pool keeps three newer ones. Objects without uid or
    /// resourceVersion are not shared.
    pub fn intern<K: Object>(&self, space: PoolSpace, obj: K) -> Arc<K> {
        let meta = obj.meta();
        let (Some(uid), Some(rv)) = (meta.uid.as_deref(), meta.resource_version.as_deref()) else {
            return Arc::new(obj);
        };
        let key = self.inner.hasher.hash_one((space.0, uid));
        let mut shard = self.inner.shards[(key % SHARDS as u64) as usize].lock();
        shard.lookups += 1;
        if shard.lookups >= MIN_SWEEP.max(shard.entries.len() / 4) {
            shard.sweep();
        }
        let versions = shard.entries.entry(key).or_default();
        let mut free = None;
        let mut oldest: Option<(usize, Arc<K>)> = None;
        for (i, slot) in versions.iter_mut().enumerate() {
            let Some(held) = slot.as_ref().and_then(Weak::upgrade) else {
                *slot = None;
                free.get_or_insert(i);
                continue;
            };
            let Ok(held) = held.downcast::<K>() else {
                // Another space's object under the same hash: leave it.
                return Arc::new(obj);
            };
            let held_meta = held.meta();
            if held_meta.uid.as_deref() != Some(uid) {
                return Arc::new(obj);
            }
            let held_rv = held_meta.resource_version.as_deref().unwrap_or_default();
            if held_rv == rv {
                self.inner.hits.fetch_add(1, Ordering::Relaxed);
                return held;
            }
            let older = oldest.as_ref().is_none_or(|(_, o)| {
                supersedes(o.meta().resource_version.as_deref().unwrap_or_default(), held_rv)
            });
            if older {
                oldest = Some((i, held));
            }
        }
        let target = free.or_else(|| {
            oldest
                .filter(|(_, o)| {
                    supersedes(rv, o.meta().resource_version.as_deref().unwrap_or_default())
                })
                .map(|(i, _)| i)
        });
        let obj = Arc::new(obj);
        if let Some(i) = target {
            versions[i] = Some(Arc::downgrade(&obj) as Weak<K>);
            self.inner.inserts.fetch_add(1, Ordering::Relaxed);
        }
        obj
    }

    /// The pool's copy of the object `uid` at `resource_version` in `space`, if it holds
    /// that version: what a reader takes instead of decoding its own.
    pub fn get<K: Object>(
        &self,
        space: PoolSpace,
        uid: &str,
        resource_version: &str,
    ) -> Option<Arc<K>> {
        let key = self.inner.hasher.hash_one((space.0, uid));
        let shard = self.inner.shards[(key % SHARDS as u64) as usize].lock();
        let held = shard.entries.get(&key)?.iter().flatten().find_map(|slot| {
            let held = slot.upgrade()?.downcast::<K>().ok()?;
            let meta = held.meta();
            let same = meta.uid.as_deref() == Some(uid)
                && meta.resource_version.as_deref() == Some(resource_version);
            same.then_some(held)
        })?;
        drop(shard);
        self.inner.hits.fetch_add(1, Ordering::Relaxed);
        self.inner.undecoded.fetch_add(1, Ordering::Relaxed);
        Some(held)
    }

    /// Drops every entry whose object is gone; returns how many.
    pub fn purge(&self) -> usize {
        self.inner.shards.iter().map(|s| s.lock().sweep()).sum()
    }

    /// How many object versions in the pool are alive (held by some cache or handler).
    pub fn len(&self) -> usize {
        self.inner.shards.iter().map(|s| s.lock().count(|w| w.strong_count() > 0)).sum()
    }

    /// Whether no object in the pool is alive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pool's counters.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            hits: self.inner.hits.load(Ordering::Relaxed),
            undecoded: self.inner.undecoded.load(Ordering::Relaxed),
            inserts: self.inner.inserts.load(Ordering::Relaxed),
            entries: self.inner.shards.iter().map(|s| s.lock().count(|_| true)).sum(),
        }
    }
}

impl Shard {
    /// Drops the versions whose object is gone, and entries left empty; returns how
    /// many versions.
    fn sweep(&mut self) -> usize {
        let mut dropped = 0;
        self.entries.retain(|_, versions| {
            for slot in versions.iter_mut() {
                if slot.as_ref().is_some_and(|w| w.strong_count() == 0) {
                    *slot = None;
                    dropped += 1;
                }
            }
            versions.iter().any(Option::is_some)
        });
        self.lookups = 0;
        dropped
    }

    /// How many versions held match `pred`.
    fn count(&self, pred: impl Fn(&Weak<dyn Any + Send + Sync>) -> bool) -> usize {
        self.entries.values().flatten().flatten().filter(|w| pred(w)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn cm(uid: &str, rv: &str, value: &str) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(uid.to_string()),
                uid: Some(uid.to_string()),
                resource_version: Some(rv.to_string()),
                ..Default::default()
            },
            data: Some([("k".to_string(), value.to_string())].into()),
            ..Default::default()
        }
    }

    fn space() -> PoolSpace {
        PoolSpace::new::<ConfigMap>("/api/v1/configmaps", "")
    }

    #[test]
    fn equal_versions_share_one_copy() {
        let pool = ObjectPool::new();
        let a = pool.intern(space(), cm("u1", "5", "a"));
        let b = pool.intern(space(), cm("u1", "5", "a"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(pool.stats().hits, 1);
        assert_eq!(pool.stats().inserts, 1);
    }

    #[test]
    fn other_spaces_versions_and_objects_do_not_share() {
        let pool = ObjectPool::new();
        let a = pool.intern(space(), cm("u1", "5", "a"));
        let other = PoolSpace::new::<ConfigMap>("/api/v1/configmaps", "strip");
        assert!(!Arc::ptr_eq(&a, &pool.intern(other, cm("u1", "5", "a"))));
        let newer = pool.intern(space(), cm("u1", "6", "b"));
        assert!(!Arc::ptr_eq(&a, &newer));
        assert_eq!(newer.data.as_ref().unwrap()["k"], "b");
        assert!(!Arc::ptr_eq(&newer, &pool.intern(space(), cm("u2", "6", "b"))));
        // A reader behind the others still shares the older version while it is held.
        assert!(Arc::ptr_eq(&a, &pool.intern(space(), cm("u1", "5", "a"))));
        assert!(Arc::ptr_eq(&newer, &pool.intern(space(), cm("u1", "6", "b"))));
    }

    #[test]
    fn versions_older_than_those_kept_are_not_entered() {
        let pool = ObjectPool::new();
        let held: Vec<_> =
            ["6", "7", "8"].iter().map(|rv| pool.intern(space(), cm("u1", rv, "a"))).collect();
        let late = pool.intern(space(), cm("u1", "5", "a"));
        assert!(!Arc::ptr_eq(&late, &pool.intern(space(), cm("u1", "5", "a"))));
        // A newer one takes the oldest's place.
        let newest = pool.intern(space(), cm("u1", "9", "a"));
        assert!(Arc::ptr_eq(&newest, &pool.intern(space(), cm("u1", "9", "a"))));
        assert!(!Arc::ptr_eq(&held[0], &pool.intern(space(), cm("u1", "6", "a"))));
        assert!(Arc::ptr_eq(&held[2], &pool.intern(space(), cm("u1", "8", "a"))));
        // One whose slot is free again enters.
        drop(held);
        let again = pool.intern(space(), cm("u1", "5", "a"));
        assert!(Arc::ptr_eq(&again, &pool.intern(space(), cm("u1", "5", "a"))));
    }

    #[test]
    fn get_finds_a_held_version_only() {
        let pool = ObjectPool::new();
        assert!(pool.get::<ConfigMap>(space(), "u1", "5").is_none());
        let a = pool.intern(space(), cm("u1", "5", "a"));
        let found = pool.get::<ConfigMap>(space(), "u1", "5").expect("held");
        assert!(Arc::ptr_eq(&a, &found));
        assert!(pool.get::<ConfigMap>(space(), "u1", "6").is_none(), "another version");
        assert!(pool.get::<ConfigMap>(space(), "u2", "5").is_none(), "another object");
        let other = PoolSpace::new::<ConfigMap>("/api/v1/configmaps", "strip");
        assert!(pool.get::<ConfigMap>(other, "u1", "5").is_none(), "another space");
        assert_eq!((pool.stats().hits, pool.stats().undecoded), (1, 1));
        drop((a, found));
        assert!(pool.get::<ConfigMap>(space(), "u1", "5").is_none(), "gone from every cache");
    }

    #[test]
    fn objects_without_identity_are_not_shared() {
        let pool = ObjectPool::new();
        let mut obj = cm("u1", "5", "a");
        obj.metadata.uid = None;
        let a = pool.intern(space(), obj.clone());
        assert!(!Arc::ptr_eq(&a, &pool.intern(space(), obj)));
        assert_eq!(pool.stats().entries, 0);
    }

    #[test]
    fn entries_go_with_their_objects() {
        let pool = ObjectPool::new();
        let a = pool.intern(space(), cm("u1", "5", "a"));
        let b = pool.intern(space(), cm("u2", "5", "a"));
        assert_eq!(pool.len(), 2);
        drop(a);
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.purge(), 1);
        assert_eq!(pool.stats().entries, 1);
        drop(b);
        assert!(pool.is_empty());
        // A version whose copy is gone is decoded anew and entered again.
        let c = pool.intern(space(), cm("u2", "5", "a"));
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.stats().inserts, 3);
        drop(c);
    }

    #[test]
    fn new_objects_sweep_dead_entries() {
        let pool = ObjectPool::new();
        for i in 0..(SHARDS * MIN_SWEEP * 4) {
            drop(pool.intern(space(), cm(&format!("u{i}"), "1", "a")));
        }
        // Every shard swept at least once: what is left is less than a sweep's worth.
        assert!(pool.stats().entries <= SHARDS * MIN_SWEEP, "{:?}", pool.stats());
        assert_eq!(pool.len(), 0);
    }
}
