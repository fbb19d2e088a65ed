//! The MVCC key index: every key's versions (puts and tombstones) by revision, in key order.
//!
//! Like etcd's `treeIndex` joined with its revision-keyed backend: each key keeps its
//! versions in ascending mod revision, so "the value at revision R" is a binary search and
//! "the keys under a prefix at R" is an ordered walk of the map. A version whose data is
//! `None` is a tombstone: the key was deleted at that revision. A version superseded by a
//! newer one keeps its value compressed ([`StoredValue`]).

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;

use super::packed::StoredValue;
use crate::types::{EventType, KeyValue, LeaseId, Revision, WatchEvent};

/// Every key ever written (and not compacted away), with its versions.
#[derive(Debug, Default)]
pub(crate) struct KeyIndex {
    keys: BTreeMap<String, Versions>,
    /// Total number of versions over all keys (for statistics and tests).
    version_count: usize,
    /// The revision of the last write, and how many writes it has had so far: a write's
    /// position within its revision (etcd's sub-revision) orders the events of one
    /// transaction when they are rebuilt from the index.
    last_write: (Revision, u32),
}

/// The versions of one key in ascending mod revision; never empty.
#[derive(Debug)]
struct Versions(Vec<Version>);

/// One write of a key.
#[derive(Debug)]
struct Version {
    mod_revision: Revision,
    /// The write's position among the writes of its revision.
    sub: u32,
    /// `None`: the key was deleted at `mod_revision`.
    data: Option<Data>,
}

/// What a put stored.
#[derive(Debug)]
struct Data {
    value: StoredValue,
    create_revision: Revision,
    version: i64,
    lease: LeaseId,
}

/// What one compaction removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Compacted {
    /// Versions dropped (superseded puts and tombstones).
    pub versions: usize,
    /// Keys dropped entirely (their last version was a compacted tombstone).
    pub keys: usize,
}

impl Version {
    fn key_value(&self, key: &str) -> Option<KeyValue> {
        self.data.as_ref().map(|data| KeyValue {
            key: key.to_owned(),
            value: data.value.bytes(),
            create_revision: data.create_revision,
            mod_revision: self.mod_revision,
            version: data.version,
            lease: data.lease,
        })
    }
}

impl Versions {
    /// The version visible at `revision`: the last one written at or before it.
    fn at(&self, revision: Revision) -> Option<&Version> {
        let after = self.0.partition_point(|v| v.mod_revision <= revision);
        after.checked_sub(1).map(|i| &self.0[i])
    }

    fn latest(&self) -> &Version {
        // Invariant: a key's versions are never empty (empty ones are removed from the map).
        &self.0[self.0.len() - 1]
    }

    fn latest_live(&self) -> Option<&Data> {
        self.0.last().and_then(|v| v.data.as_ref())
    }

    /// Compresses the latest version's value: a newer version is about to supersede it.
    fn pack_latest(&mut self) {
        if let Some(data) = self.0.last_mut().and_then(|v| v.data.as_mut()) {
            data.value.pack();
        }
    }
}

impl KeyIndex {
    /// An empty index.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The key's value at `revision`, if it existed then.
    pub(crate) fn get(&self, key: &str, revision: Revision) -> Option<KeyValue> {
        self.keys.get(key)?.at(revision)?.key_value(key)
    }

    /// The key's current value, if it exists.
    pub(crate) fn latest(&self, key: &str) -> Option<KeyValue> {
        self.keys.get(key)?.latest().key_value(key)
    }

    /// The key's current mod revision; 0 when absent.
    pub(crate) fn mod_revision(&self, key: &str) -> Revision {
        match self.keys.get(key) {
            Some(versions) if versions.latest_live().is_some() => versions.latest().mod_revision,
            _ => 0,
        }
    }

    /// Keys under `prefix`, strictly after `after`, as they were at `revision`, in key
    /// order; at most `limit` (0 = all). Returns whether more keys matched.
    pub(crate) fn range(
        &self,
        prefix: &str,
        after: Option<&str>,
        revision: Revision,
        limit: usize,
    ) -> (Vec<KeyValue>, bool) {
        let start = match after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        let live = self
            .keys
            .range::<str, _>((start, Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix))
            .filter_map(|(key, versions)| Some((key, versions.at(revision)?)))
            .filter(|(_, version)| version.data.is_some());
        let mut kvs = Vec::new();
        for (key, version) in live {
            if limit != 0 && kvs.len() == limit {
                return (kvs, true);
            }
            kvs.extend(version.key_value(key));
        }
        (kvs, false)
    }

    /// Writes `value` under `key` at `revision`; returns the new and the previous key/value.
    /// `revision` must be above every revision already in the index.
    pub(crate) fn put(
        &mut self,
        key: String,
        value: Bytes,
        lease: LeaseId,
        revision: Revision,
    ) -> (KeyValue, Option<KeyValue>) {
        self.version_count += 1;
        let sub = self.next_sub(revision);
        if let Some(versions) = self.keys.get_mut(key.as_str()) {
            let prev = versions.latest().key_value(&key);
            let (create_revision, version) = prev
                .as_ref()
                .map_or((revision, 1), |prev| (prev.create_revision, prev.version + 1));
            versions.pack_latest();
            let value_now = StoredValue::Plain(value.clone());
            let data = Data { value: value_now, create_revision, version, lease };
            versions.0.push(Version { mod_revision: revision, sub, data: Some(data) });
            let kv =
                KeyValue { key, value, create_revision, mod_revision: revision, version, lease };
            return (kv, prev);
        }
        let kv = KeyValue {
            key: key.clone(),
            value: value.clone(),
            create_revision: revision,
            mod_revision: revision,
            version: 1,
            lease,
        };
        let data =
            Data { value: StoredValue::Plain(value), create_revision: revision, version: 1, lease };
        let first = Version { mod_revision: revision, sub, data: Some(data) };
        self.keys.insert(key, Versions(vec![first]));
        (kv, None)
    }

    /// The position of a new write among the writes of `revision`.
    fn next_sub(&mut self, revision: Revision) -> u32 {
        let (last, count) = &mut self.last_write;
        if *last != revision {
            *last = revision;
            *count = 0;
        }
        *count += 1;
        *count - 1
    }

    /// Deletes `key` at `revision` (a tombstone); returns what was deleted, `None` (and no
    /// change) when the key is absent.
    pub(crate) fn delete(&mut self, key: &str, revision: Revision) -> Option<KeyValue> {
        let prev = self.keys.get(key)?.latest().key_value(key)?;
        let sub = self.next_sub(revision);
        let versions = self.keys.get_mut(key)?;
        versions.pack_latest();
        versions.0.push(Version { mod_revision: revision, sub, data: None });
        self.version_count += 1;
        Some(prev)
    }

    /// Every change to a key under `prefix` with `from <= revision <= until`, as the
    /// watch events it published, in revision order (and, within a revision, in the order
    /// of the transaction's writes), with `prev_kv` filled. The value before a change at
    /// the compaction revision itself may be gone: such an event has no `prev_kv`.
    pub(crate) fn events_between(
        &self,
        prefix: &str,
        from: Revision,
        until: Revision,
    ) -> Vec<WatchEvent> {
        let mut found = Vec::new();
        let keys = self
            .keys
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix));
        for (key, versions) in keys {
            let start = versions.0.partition_point(|v| v.mod_revision < from);
            for (i, version) in versions.0.iter().enumerate().skip(start) {
                if version.mod_revision > until {
                    break;
                }
                let prev_kv = i.checked_sub(1).and_then(|p| versions.0[p].key_value(key));
                let event = match version.key_value(key) {
                    Some(kv) => WatchEvent { event_type: EventType::Put, kv, prev_kv },
                    None => WatchEvent {
                        event_type: EventType::Delete,
                        kv: KeyValue::tombstone(key.clone(), version.mod_revision),
                        prev_kv,
                    },
                };
                found.push((version.mod_revision, version.sub, event));
            }
        }
        found.sort_unstable_by_key(|(revision, sub, _)| (*revision, *sub));
        found.into_iter().map(|(_, _, event)| event).collect()
    }

    /// Drops every version superseded at or before `revision`, and tombstones visible at
    /// it: reads at `revision` and later answer exactly as before.
    pub(crate) fn compact(&mut self, revision: Revision) -> Compacted {
        let mut removed = Compacted::default();
        self.keys.retain(|_, versions| {
            let visible = versions.0.partition_point(|v| v.mod_revision <= revision);
            let Some(mut keep_from) = visible.checked_sub(1) else {
                return true;
            };
            if versions.0[keep_from].data.is_none() {
                keep_from = visible;
            }
            if keep_from > 0 {
                versions.0.drain(..keep_from);
                removed.versions += keep_from;
            }
            if versions.0.is_empty() {
                removed.keys += 1;
                return false;
            }
            true
        });
        self.version_count -= removed.versions;
        removed
    }

    /// How many keys the index holds (live or with history).
    pub(crate) fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// How many versions the index holds over all keys.
    pub(crate) fn version_count(&self) -> usize {
        self.version_count
    }

    /// How many versions hold their value compressed (a walk over every version).
    pub(crate) fn packed_count(&self) -> usize {
        let versions = self.keys.values().flat_map(|versions| versions.0.iter());
        versions.filter(|v| v.data.as_ref().is_some_and(|d| d.value.is_packed())).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One step of a table: a put (`Some(value)`) or a delete (`None`) at a revision.
    type Step = (&'static str, Option<&'static str>, Revision);

    fn index(steps: &[Step]) -> KeyIndex {
        let mut index = KeyIndex::new();
        for &(key, value, revision) in steps {
            match value {
                Some(value) => {
                    index.put(key.to_owned(), Bytes::from_static(value.as_bytes()), 0, revision);
                }
                None => {
                    index.delete(key, revision);
                }
            }
        }
        index
    }

    fn value(kv: Option<KeyValue>) -> Option<String> {
        kv.map(|kv| String::from_utf8_lossy(&kv.value).into_owned())
    }

    const HISTORY: &[Step] = &[
        ("/a", Some("a1"), 2),
        ("/b", Some("b1"), 3),
        ("/a", Some("a2"), 4),
        ("/b", None, 5),
        ("/c", Some("c1"), 6),
        ("/b", Some("b2"), 7),
        ("/x", Some("x1"), 8),
    ];

    #[test]
    fn get_answers_the_value_at_each_revision() {
        let index = index(HISTORY);
        let table: &[(&str, Revision, Option<&str>)] = &[
            ("/a", 1, None),
            ("/a", 2, Some("a1")),
            ("/a", 3, Some("a1")),
            ("/a", 4, Some("a2")),
            ("/a", 100, Some("a2")),
            ("/b", 3, Some("b1")),
            ("/b", 4, Some("b1")),
            ("/b", 5, None),
            ("/b", 6, None),
            ("/b", 7, Some("b2")),
            ("/c", 5, None),
            ("/c", 6, Some("c1")),
            ("/nope", 8, None),
        ];
        for &(key, revision, expected) in table {
            assert_eq!(
                value(index.get(key, revision)),
                expected.map(str::to_owned),
                "{key} at {revision}"
            );
        }
    }

    #[test]
    fn metadata_follows_etcd() {
        let index = index(HISTORY);
        let a = index.latest("/a").expect("/a exists");
        assert_eq!((a.create_revision, a.mod_revision, a.version), (2, 4, 2));
        // Recreated after a delete: a new incarnation starts at version 1.
        let b = index.latest("/b").expect("/b exists");
        assert_eq!((b.create_revision, b.mod_revision, b.version), (7, 7, 1));
        assert_eq!(index.mod_revision("/b"), 7);
        assert_eq!(index.mod_revision("/nope"), 0);
        let mut deleted = index;
        assert_eq!(deleted.delete("/c", 9).map(|kv| kv.mod_revision), Some(6));
        assert_eq!(deleted.mod_revision("/c"), 0);
        assert!(deleted.latest("/c").is_none());
        assert!(deleted.delete("/c", 10).is_none(), "deleting an absent key changes nothing");
        assert_eq!(deleted.version_count(), HISTORY.len() + 1);
    }

    #[test]
    fn range_pages_in_key_order_at_a_revision() {
        let index = index(HISTORY);
        type Case =
            (&'static str, Option<&'static str>, Revision, usize, &'static [&'static str], bool);
        let table: &[Case] = &[
            ("/", None, 8, 0, &["/a", "/b", "/c", "/x"], false),
            ("/", None, 5, 0, &["/a"], false),
            ("/", None, 4, 0, &["/a", "/b"], false),
            ("/", None, 8, 2, &["/a", "/b"], true),
            ("/", Some("/b"), 8, 2, &["/c", "/x"], false),
            ("/", Some("/c"), 8, 1, &["/x"], false),
            ("/", Some("/a"), 6, 1, &["/c"], false),
            ("/", Some("/x"), 8, 0, &[], false),
            ("/", Some("/"), 8, 1, &["/a"], true),
            // A continuation before the prefix starts at the prefix.
            ("/b", Some("/a"), 8, 0, &["/b"], false),
            ("/a", None, 8, 0, &["/a"], false),
            ("/z", None, 8, 0, &[], false),
            ("/", None, 1, 0, &[], false),
            // The limit counts live keys only: the tombstone of /b at 5 is skipped.
            ("/", None, 6, 2, &["/a", "/c"], false),
        ];
        for &(prefix, after, revision, limit, keys, more) in table {
            let (kvs, got_more) = index.range(prefix, after, revision, limit);
            let got: Vec<&str> = kvs.iter().map(|kv| kv.key.as_str()).collect();
            assert_eq!(
                (got.as_slice(), got_more),
                (keys, more),
                "range {prefix:?} after {after:?} at {revision} limit {limit}"
            );
        }
    }

    #[test]
    fn compaction_keeps_what_is_visible_and_drops_the_rest() {
        // (compaction revision, versions dropped, keys dropped, reads that must still hold)
        type Case =
            (Revision, usize, usize, &'static [(&'static str, Revision, Option<&'static str>)]);
        let table: &[Case] = &[
            (1, 0, 0, &[("/a", 2, Some("a1")), ("/b", 3, Some("b1"))]),
            (3, 0, 0, &[("/a", 3, Some("a1")), ("/b", 3, Some("b1"))]),
            (4, 1, 0, &[("/a", 4, Some("a2")), ("/b", 4, Some("b1"))]),
            // /b's tombstone at 5 is visible at 5: it and the put before it go.
            (5, 3, 0, &[("/a", 5, Some("a2")), ("/b", 5, None), ("/b", 7, Some("b2"))]),
            (8, 3, 0, &[("/a", 8, Some("a2")), ("/b", 8, Some("b2")), ("/x", 8, Some("x1"))]),
        ];
        for &(revision, versions, keys, reads) in table {
            let mut index = index(HISTORY);
            let before = index.version_count();
            let removed = index.compact(revision);
            assert_eq!(removed, Compacted { versions, keys }, "compact at {revision}");
            assert_eq!(index.version_count(), before - versions);
            for &(key, at, expected) in reads {
                assert_eq!(
                    value(index.get(key, at)),
                    expected.map(str::to_owned),
                    "{key} at {at} after compacting at {revision}"
                );
            }
        }
    }

    /// The writes of each step in one revision, applied as the store's transactions do,
    /// with the events they publish.
    fn index_with_events(steps: &[&[(&str, Option<&str>)]]) -> (KeyIndex, Vec<WatchEvent>) {
        let mut index = KeyIndex::new();
        let mut events = Vec::new();
        for (i, writes) in steps.iter().enumerate() {
            let revision = i as Revision + 2;
            for &(key, value) in writes.iter() {
                match value {
                    Some(value) => {
                        let (kv, prev_kv) =
                            index.put(key.to_owned(), Bytes::from(value.to_owned()), 0, revision);
                        events.push(WatchEvent { event_type: EventType::Put, kv, prev_kv });
                    }
                    None => {
                        if let Some(prev) = index.delete(key, revision) {
                            let kv = KeyValue::tombstone(key, revision);
                            let prev_kv = Some(prev);
                            events.push(WatchEvent { event_type: EventType::Delete, kv, prev_kv });
                        }
                    }
                }
            }
        }
        (index, events)
    }

    #[test]
    fn events_between_rebuilds_what_the_writes_published() {
        // Long values (compressed once superseded) and short ones; a transaction writing
        // keys out of key order; a delete and a re-create.
        let long = |tag: &str| format!("{{\"status\":\"{}\"}}", tag.repeat(300));
        let (a1, a2, a3, b1) = (long("a1"), long("a2"), long("a3"), long("b1"));
        let steps: &[&[(&str, Option<&str>)]] = &[
            &[("/p/a", Some(&a1))],
            &[("/p/c", Some("c1")), ("/p/b", Some(&b1)), ("/q/x", Some("x1"))],
            &[("/p/a", Some(&a2))],
            &[("/p/b", None), ("/p/a", Some(&a3))],
            &[("/p/nope", None)],
            &[("/p/b", Some("b2"))],
        ];
        let (index, events) = index_with_events(steps);
        assert!(index.packed_count() >= 3, "superseded long values are compressed");
        let last = steps.len() as Revision + 1;
        for prefix in ["/", "/p/", "/p/a", "/q/", "/z/"] {
            for from in 2..=last + 1 {
                for until in from - 1..=last {
                    let expected: Vec<WatchEvent> = events
                        .iter()
                        .filter(|e| e.kv.key.starts_with(prefix))
                        .filter(|e| (from..=until).contains(&e.revision()))
                        .cloned()
                        .collect();
                    assert_eq!(
                        index.events_between(prefix, from, until),
                        expected,
                        "{prefix} from {from} until {until}"
                    );
                }
            }
        }
    }

    #[test]
    fn superseded_values_read_back_as_written() {
        let versions: Vec<String> = (0..4)
            .map(|i| format!("{{\"spec\":{{\"replicas\":{i}}},\"pad\":\"{}\"}}", "x".repeat(500)))
            .collect();
        let mut index = KeyIndex::new();
        for (i, value) in versions.iter().enumerate() {
            index.put("/k".into(), Bytes::from(value.clone()), 0, i as Revision + 2);
        }
        assert_eq!(index.packed_count(), 3, "every version but the latest is compressed");
        for (i, written) in versions.iter().enumerate() {
            assert_eq!(value(index.get("/k", i as Revision + 2)), Some(written.clone()));
        }
        let (kvs, _) = index.range("/", None, 3, 0);
        assert_eq!(value(kvs.into_iter().next()), Some(versions[1].clone()));
        index.delete("/k", 6);
        assert_eq!(index.packed_count(), 4, "a delete supersedes the last value");
        assert_eq!(value(index.get("/k", 5)), Some(versions[3].clone()));
    }

    #[test]
    fn compaction_forgets_deleted_keys() {
        let mut index = index(&[("/a", Some("1"), 2), ("/a", Some("2"), 3), ("/a", None, 4)]);
        assert_eq!(index.key_count(), 1);
        assert_eq!(index.compact(3), Compacted { versions: 1, keys: 0 });
        assert_eq!(index.compact(4), Compacted { versions: 2, keys: 1 });
        assert_eq!((index.key_count(), index.version_count()), (0, 0));
        assert!(index.get("/a", 4).is_none());
    }
}
