//! One line of a watch response turned into an event, reading the object's uid and resourceVersion first: a version an [`ObjectPool`] already holds is taken from the pool without decoding the object.
//!
//! The peek is a serde pass over the line's bytes that borrows the `type`, `uid` and
//! `resourceVersion` strings and skips everything else without allocating; it stops as
//! soon as all three are known (the API server writes `type` first and `metadata` near the
//! object's start). A line the peek cannot read (escaped strings, no `type` or uid) is
//! decoded as a whole, as are lines whose version the pool does not hold.

use std::sync::Arc;

use kube::api::WatchEvent;
use kube::core::Status;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::decode::Wire;
use super::pool::{ObjectPool, PoolSpace};
use crate::object::Object;

/// An event read from one watch line.
#[derive(Debug)]
pub(crate) enum Received<K> {
    /// `ADDED` or `MODIFIED`: the object's new state.
    Applied(Arc<K>),
    /// `DELETED`: the object's last state.
    Deleted(Arc<K>),
    /// `BOOKMARK` at this resourceVersion.
    Bookmark(String),
    /// `ERROR` with its status.
    Error(Box<Status>),
}

/// What reading a line gave, and whether the object in it had to be decoded.
#[derive(Debug)]
pub(crate) struct Read<K> {
    /// The event.
    pub(crate) event: Received<K>,
    /// The line's object was decoded (not taken from the pool).
    pub(crate) decoded: bool,
}

/// The event of one watch line (`None` for an empty or cut-off line). With a pool, an
/// `ADDED`, `MODIFIED` or `DELETED` object whose uid and resourceVersion the pool holds
/// in `space` is the pool's `Arc`, not decoded; a decoded object enters the pool.
pub(crate) fn read_line<K: Object, W: Wire<K>>(
    line: &[u8],
    pool: Option<(&ObjectPool, PoolSpace)>,
) -> Option<Result<Read<K>, kube::Error>> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    if let Some((pool, space)) = pool {
        if let Some(head) = peek(line) {
            if let Some(obj) = pool.get::<K>(space, head.uid, head.resource_version) {
                let event = match head.kind {
                    Kind::Applied => Received::Applied(obj),
                    Kind::Deleted => Received::Deleted(obj),
                };
                return Some(Ok(Read { event, decoded: false }));
            }
        }
    }
    let share = |obj: W| {
        let obj = obj.into_object();
        match pool {
            Some((pool, space)) => pool.intern(space, obj),
            None => Arc::new(obj),
        }
    };
    match serde_json::from_slice::<WatchEvent<W>>(line) {
        Ok(event) => {
            let (event, decoded) = match event {
                WatchEvent::Added(o) | WatchEvent::Modified(o) => {
                    (Received::Applied(share(o)), true)
                }
                WatchEvent::Deleted(o) => (Received::Deleted(share(o)), true),
                WatchEvent::Bookmark(b) => (Received::Bookmark(b.metadata.resource_version), false),
                WatchEvent::Error(status) => (Received::Error(status), false),
            };
            Some(Ok(Read { event, decoded }))
        }
        // A line cut off by the end of the stream.
        Err(e) if e.is_eof() => None,
        Err(e) => match serde_json::from_slice::<Status>(line) {
            Ok(status) => Some(Err(kube::Error::Api(Box::new(status)))),
            Err(_) => Some(Err(kube::Error::SerdeError(e))),
        },
    }
}

/// Which event a peeked line carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Applied,
    Deleted,
}

/// What the peek reads of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head<'a> {
    kind: Kind,
    uid: &'a str,
    resource_version: &'a str,
}

/// What the peek found so far.
#[derive(Default)]
struct Found<'de> {
    kind: Option<Kind>,
    /// `type` was read and is not an object event: nothing to peek.
    other_type: bool,
    uid: Option<&'de str>,
    resource_version: Option<&'de str>,
}

impl<'de> Found<'de> {
    fn head(&self) -> Option<Head<'de>> {
        Some(Head { kind: self.kind?, uid: self.uid?, resource_version: self.resource_version? })
    }
}

/// The error the peek stops the parse with once it knows enough.
const STOP: &str = "peek complete";

/// The type, uid and resourceVersion of an object event's line, when they can be
/// borrowed from it.
fn peek(line: &[u8]) -> Option<Head<'_>> {
    let mut found = Found::default();
    let mut de = serde_json::Deserializer::from_slice(line);
    // The parse ends early (with `STOP`) or reads the whole line; either way `found`
    // holds what was seen.
    let _ = de.deserialize_map(EventVisitor { found: &mut found });
    if found.other_type {
        return None;
    }
    found.head()
}

struct EventVisitor<'a, 'de> {
    found: &'a mut Found<'de>,
}

impl<'de> Visitor<'de> for EventVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a watch event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "type" => {
                    match map.next_value::<&'de str>()? {
                        "ADDED" | "MODIFIED" => self.found.kind = Some(Kind::Applied),
                        "DELETED" => self.found.kind = Some(Kind::Deleted),
                        _ => {
                            self.found.other_type = true;
                            return Err(de::Error::custom(STOP));
                        }
                    }
                    if self.found.head().is_some() {
                        return Err(de::Error::custom(STOP));
                    }
                }
                "object" => map.next_value_seed(ObjectSeed { found: self.found })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The event's object: only its `metadata` is looked into.
struct ObjectSeed<'a, 'de> {
    found: &'a mut Found<'de>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<&'de str>()? {
            if key == "metadata" {
                map.next_value_seed(MetadataSeed { found: self.found })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The object's `metadata`: `uid` and `resourceVersion`.
struct MetadataSeed<'a, 'de> {
    found: &'a mut Found<'de>,
}

impl<'de> DeserializeSeed<'de> for MetadataSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MetadataSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("object metadata")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "uid" => self.found.uid = Some(map.next_value()?),
                "resourceVersion" => self.found.resource_version = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            }
            if self.found.head().is_some() {
                return Err(de::Error::custom(STOP));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::informer::decode::{Whole, WithoutManagedFields};
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use serde_json::json;

    fn cm(uid: &str, rv: &str, value: &str) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some("c".to_string()),
                namespace: Some("d".to_string()),
                uid: Some(uid.to_string()),
                resource_version: Some(rv.to_string()),
                ..Default::default()
            },
            data: Some([("k".to_string(), value.to_string())].into()),
            ..Default::default()
        }
    }

    fn line(kind: &str, obj: &ConfigMap) -> Vec<u8> {
        serde_json::to_vec(&json!({"type": kind, "object": obj})).unwrap()
    }

    fn space() -> PoolSpace {
        PoolSpace::new::<ConfigMap>("/api/v1/configmaps", "whole")
    }

    fn applied(read: Read<ConfigMap>) -> Arc<ConfigMap> {
        match read.event {
            Received::Applied(o) => o,
            other => panic!("not an applied event: {other:?}"),
        }
    }

    #[test]
    fn peek_reads_type_uid_and_resource_version() {
        let text = line("MODIFIED", &cm("u-1", "42", "v"));
        let head = peek(&text).expect("peeked");
        assert_eq!(head, Head { kind: Kind::Applied, uid: "u-1", resource_version: "42" });
        let deleted = line("DELETED", &cm("u-2", "43", "v"));
        assert_eq!(peek(&deleted).map(|h| (h.kind, h.uid)), Some((Kind::Deleted, "u-2")));
        // The object's fields in any order, with nested metadata-like keys elsewhere.
        let text = br#"{"type":"ADDED","object":{"data":{"metadata":"x","uid":"no"},"metadata":{"resourceVersion":"9","labels":{"uid":"no"},"uid":"u-3"},"kind":"ConfigMap"}}"#;
        assert_eq!(
            peek(text),
            Some(Head { kind: Kind::Applied, uid: "u-3", resource_version: "9" })
        );
        // `type` after the object: read on to it.
        let late = br#"{"object":{"metadata":{"uid":"u","resourceVersion":"12"}},"type":"ADDED"}"#;
        assert_eq!(
            peek(late),
            Some(Head { kind: Kind::Applied, uid: "u", resource_version: "12" })
        );
        // Nothing to peek: bookmarks, errors, no uid, escapes, no type.
        for text in [
            &br#"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12"}}}"#[..],
            br#"{"type":"ERROR","object":{"kind":"Status","code":410}}"#,
            br#"{"type":"ADDED","object":{"metadata":{"resourceVersion":"12"}}}"#,
            br#"{"object":{"metadata":{"uid":"u","resourceVersion":"12"}}}"#,
            br#"{"type":"ADDED","object":{"metadata":{"uid":"u\u0031","resourceVersion":"1"}}}"#,
            b"not json",
        ] {
            assert_eq!(peek(text), None, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn a_pooled_version_is_not_decoded() {
        let pool = ObjectPool::new();
        let held = pool.intern(space(), cm("u-1", "42", "pooled"));
        // The line's object differs from the pooled one in its data: what comes back
        // shows whether it was decoded.
        let text = line("MODIFIED", &cm("u-1", "42", "on the wire"));
        let read = read_line::<ConfigMap, Whole<ConfigMap>>(&text, Some((&pool, space())))
            .expect("an event")
            .expect("read");
        assert!(!read.decoded);
        let got = applied(read);
        assert!(Arc::ptr_eq(&got, &held), "the pool's copy");
        assert_eq!(got.data.as_ref().unwrap()["k"], "pooled");
        assert_eq!(pool.stats().hits, 1);

        // Another version, another space or no pool: decoded (and entered in the pool).
        let newer = line("MODIFIED", &cm("u-1", "43", "new"));
        let read = read_line::<ConfigMap, Whole<ConfigMap>>(&newer, Some((&pool, space())))
            .unwrap()
            .unwrap();
        assert!(read.decoded);
        let decoded = applied(read);
        assert_eq!(decoded.data.as_ref().unwrap()["k"], "new");
        let again = read_line::<ConfigMap, Whole<ConfigMap>>(&newer, Some((&pool, space())))
            .unwrap()
            .unwrap();
        assert!(!again.decoded, "the decoded version entered the pool");
        assert!(Arc::ptr_eq(&applied(again), &decoded));
        let other = PoolSpace::new::<ConfigMap>("/api/v1/configmaps", "without-managed-fields");
        let read =
            read_line::<ConfigMap, WithoutManagedFields<ConfigMap>>(&text, Some((&pool, other)))
                .unwrap()
                .unwrap();
        assert!(read.decoded);
        assert_eq!(applied(read).data.as_ref().unwrap()["k"], "on the wire");
        let read = read_line::<ConfigMap, Whole<ConfigMap>>(&text, None).unwrap().unwrap();
        assert!(read.decoded);
        assert!(!Arc::ptr_eq(&applied(read), &held));
    }

    #[test]
    fn deletions_bookmarks_errors_and_bad_lines() {
        let pool = ObjectPool::new();
        let held = pool.intern(space(), cm("u-1", "50", "last"));
        let text = line("DELETED", &cm("u-1", "50", "last"));
        match read_line::<ConfigMap, Whole<ConfigMap>>(&text, Some((&pool, space()))) {
            Some(Ok(Read { event: Received::Deleted(o), decoded: false })) => {
                assert!(Arc::ptr_eq(&o, &held))
            }
            other => panic!("unexpected {other:?}"),
        }
        let bookmark = br#"{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"12"}}}"#;
        match read_line::<ConfigMap, Whole<ConfigMap>>(bookmark, Some((&pool, space()))) {
            Some(Ok(Read { event: Received::Bookmark(rv), .. })) => assert_eq!(rv, "12"),
            other => panic!("unexpected {other:?}"),
        }
        let error = br#"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old","reason":"Expired","code":410}}"#;
        match read_line::<ConfigMap, Whole<ConfigMap>>(error, Some((&pool, space()))) {
            Some(Ok(Read { event: Received::Error(s), .. })) => assert_eq!(s.code, 410),
            other => panic!("unexpected {other:?}"),
        }
        assert!(read_line::<ConfigMap, Whole<ConfigMap>>(b"  \r", None).is_none());
        assert!(
            read_line::<ConfigMap, Whole<ConfigMap>>(br#"{"type":"ADDED","obj"#, None).is_none()
        );
        assert!(matches!(
            read_line::<ConfigMap, Whole<ConfigMap>>(b"[1,2]", None),
            Some(Err(kube::Error::SerdeError(_)))
        ));
    }
}
