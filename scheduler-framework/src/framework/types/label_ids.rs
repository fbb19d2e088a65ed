//! Node label keys and values interned as small integer ids, so per-node checks compare integers instead of hashing and comparing strings.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock};

use parking_lot::RwLock;

/// The id of an interned label key or value. Ids are process-wide: the same string has
/// the same id in every snapshot, cache and scheduler of the process.
pub type LabelId = u32;

/// Every string interned so far, by content. Keys and values share one table. Only node
/// labels are interned (a node is added or updated rarely compared to how often it is
/// filtered), so the table grows with the distinct node label strings ever seen.
static TABLE: LazyLock<RwLock<HashMap<Box<str>, LabelId>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));

/// The id of `s`, interning it if it is new.
pub fn intern(s: &str) -> LabelId {
    if let Some(&id) = TABLE.read().get(s) {
        return id;
    }
    let mut table = TABLE.write();
    let next = table.len() as LabelId;
    *table.entry(Box::from(s)).or_insert(next)
}

/// The id of `s` if it was ever interned (a key no node label ever had has none, so no
/// node has it).
pub fn lookup(s: &str) -> Option<LabelId> {
    TABLE.read().get(s).copied()
}

/// Label keys placed first among a node's inline labels: the topology keys spreading
/// and affinity terms use most.
const PREFERRED_KEYS: [&str; 5] = [
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
];

/// How many labels a node keeps inline.
const INLINE: usize = 6;

/// A node's labels as `(key id, value id)` pairs: up to six inline (the well-known
/// topology keys first), so the usual lookups read no memory beyond the `NodeInfo`,
/// and all of them sorted by key id behind a shared pointer for the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelIds {
    inline: [(LabelId, LabelId); INLINE],
    inline_len: u8,
    /// Every label sorted by key id, when not all of them are inline.
    all: Option<Arc<[(LabelId, LabelId)]>>,
}

impl LabelIds {
    /// Interns `labels`.
    pub fn new(labels: &BTreeMap<String, String>) -> Self {
        let mut pairs: Vec<(LabelId, LabelId)> =
            labels.iter().map(|(k, v)| (intern(k), intern(v))).collect();
        pairs.sort_unstable_by_key(|&(k, _)| k);
        let mut ids = LabelIds::default();
        let push = |ids: &mut LabelIds, pair: (LabelId, LabelId)| {
            let len = usize::from(ids.inline_len);
            if len < INLINE && !ids.inline[..len].iter().any(|&(k, _)| k == pair.0) {
                ids.inline[len] = pair;
                ids.inline_len += 1;
            }
        };
        for key in PREFERRED_KEYS {
            if let Some(v) = labels.get(key) {
                push(&mut ids, (intern(key), intern(v)));
            }
        }
        for &pair in &pairs {
            push(&mut ids, pair);
        }
        if pairs.len() > usize::from(ids.inline_len) {
            ids.all = Some(pairs.into());
        }
        ids
    }

    /// The value id of the label with key id `key`.
    pub fn get(&self, key: LabelId) -> Option<LabelId> {
        let inline = &self.inline[..usize::from(self.inline_len)];
        if let Some(&(_, v)) = inline.iter().find(|&&(k, _)| k == key) {
            return Some(v);
        }
        let all = self.all.as_deref()?;
        all.binary_search_by_key(&key, |&(k, _)| k).ok().map(|i| all[i].1)
    }

    /// Whether a label with key id `key` is present.
    pub fn contains(&self, key: LabelId) -> bool {
        self.get(key).is_some()
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.all.as_ref().map_or(usize::from(self.inline_len), |all| all.len())
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A hasher for maps keyed by [`LabelId`]: ids are small dense integers, so one
/// multiplication spreads them well enough (no need for SipHash's cost per lookup).
#[derive(Debug, Clone, Copy, Default)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0 ^ u64::from(i)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by [`LabelId`] with [`IdHasher`].
pub type IdMap<V> = HashMap<LabelId, V, std::hash::BuildHasherDefault<IdHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_string_same_id_and_lookup_does_not_intern() {
        let a = intern("label-ids-test/zone");
        assert_eq!(intern("label-ids-test/zone"), a);
        assert_ne!(intern("label-ids-test/region"), a);
        assert_eq!(lookup("label-ids-test/zone"), Some(a));
        assert_eq!(lookup("label-ids-test/never-interned"), None);
        assert_eq!(lookup("label-ids-test/never-interned"), None);
    }

    #[test]
    fn label_ids_find_every_label_by_key() {
        for n in [0usize, 3, 6, 7, 20] {
            let labels: BTreeMap<String, String> =
                (0..n).map(|i| (format!("label-ids-test/k{i}"), format!("v{}", i % 4))).collect();
            let ids = LabelIds::new(&labels);
            assert_eq!(ids.len(), n);
            for (k, v) in &labels {
                assert_eq!(ids.get(intern(k)), Some(intern(v)), "{k} of {n}");
            }
            assert!(!ids.contains(intern("label-ids-test/absent")));
        }
    }

    #[test]
    fn topology_keys_stay_inline_among_many_labels() {
        let mut labels: BTreeMap<String, String> =
            (0..12).map(|i| (format!("a-label-ids-test/k{i}"), "v".to_string())).collect();
        labels.insert("topology.kubernetes.io/zone".into(), "label-ids-test-z".into());
        labels.insert("kubernetes.io/hostname".into(), "label-ids-test-h".into());
        let ids = LabelIds::new(&labels);
        assert_eq!(ids.len(), 14);
        let inline = &ids.inline[..usize::from(ids.inline_len)];
        assert_eq!(inline.len(), INLINE);
        for key in ["topology.kubernetes.io/zone", "kubernetes.io/hostname"] {
            assert!(inline.iter().any(|&(k, _)| k == intern(key)), "{key} inline");
        }
        for (k, v) in &labels {
            assert_eq!(ids.get(intern(k)), Some(intern(v)), "{k}");
        }
    }

    #[test]
    fn id_map_hashes_ids_apart() {
        let mut m: IdMap<u32> = IdMap::default();
        for i in 0..1000u32 {
            m.insert(i, i * 2);
        }
        assert_eq!(m.len(), 1000);
        assert!((0..1000u32).all(|i| m.get(&i) == Some(&(i * 2))));
    }
}
