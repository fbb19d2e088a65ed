//! [`CachedJson`]: an object's JSON with its resourceVersion, kept as the store's bytes
//! (shared with the store) plus where `"resourceVersion":"<revision>"` goes.

use std::ops::Deref;
use std::sync::OnceLock;

use bytes::{BufMut, Bytes};
use serde_json::Value;

/// An object's JSON with `metadata.resourceVersion` set, as the watch cache holds it.
///
/// Most objects keep the stored value itself (JSON without resourceVersion, the same
/// allocation the store holds) and the position just inside their top-level `metadata`
/// where `"resourceVersion":"<revision>"` belongs: writers put the member there as they
/// copy ([`CachedJson::write_to`], [`CachedJson::len`]), and nothing else is kept per
/// object. Reading it as one slice (`&*json`, for code that parses the bytes) builds the
/// complete JSON once and keeps it with the object; hot readers avoid that
/// ([`CachedJson::write_to`], [`CachedJson::to_value`], [`CachedJson::to_bytes`]).
#[derive(Debug, Clone)]
pub struct CachedJson {
    /// The stored value when `splice` is set, else the complete JSON.
    bytes: Bytes,
    /// Where the resourceVersion member goes, and its value.
    splice: Option<Splice>,
    /// The complete JSON, once asked for as a slice.
    complete: OnceLock<Bytes>,
}

/// Where `"resourceVersion":"<revision>"` goes in stored bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Splice {
    /// The index just after the `{` of the top-level `metadata`.
    at: usize,
    /// Whether `metadata` has other members (the member is then followed by a comma).
    comma: bool,
    /// The resourceVersion.
    revision: i64,
}

/// `"resourceVersion":"` and `"` around the digits.
const MEMBER_OPEN: &[u8] = b"\"resourceVersion\":\"";

/// The decimal digits of `n` in `buf`; returns the used tail.
fn digits(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let negative = n < 0;
    let mut v = n.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if negative {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

impl CachedJson {
    /// Complete JSON, used as it is.
    pub(crate) fn complete(bytes: Bytes) -> Self {
        CachedJson { bytes, splice: None, complete: OnceLock::new() }
    }

    /// `stored` (JSON without resourceVersion) with `"resourceVersion":"<revision>"` to go
    /// at `at`, the index just after the `{` of its top-level `metadata`.
    pub(crate) fn spliced(stored: Bytes, at: usize, revision: i64) -> Self {
        let comma = stored[at..].iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'}');
        let splice = Some(Splice { at, comma, revision });
        CachedJson { bytes: stored, splice, complete: OnceLock::new() }
    }

    /// The same JSON with another resourceVersion, when it is kept spliced (`None`
    /// otherwise).
    pub(crate) fn with_revision(&self, revision: i64) -> Option<Self> {
        let splice = Splice { revision, ..self.splice? };
        Some(CachedJson {
            bytes: self.bytes.clone(),
            splice: Some(splice),
            complete: OnceLock::new(),
        })
    }

    /// The length of the complete JSON.
    #[allow(clippy::len_without_is_empty)] // never empty: a JSON object
    pub fn len(&self) -> usize {
        match self.splice {
            None => self.bytes.len(),
            Some(s) => {
                let mut buf = [0; 20];
                self.bytes.len()
                    + MEMBER_OPEN.len()
                    + digits(s.revision, &mut buf).len()
                    + 1
                    + usize::from(s.comma)
            }
        }
    }

    /// Appends the complete JSON to `out`.
    pub fn write_to(&self, out: &mut impl BufMut) {
        match self.splice {
            None => out.put_slice(&self.bytes),
            Some(s) => {
                let mut buf = [0; 20];
                out.put_slice(&self.bytes[..s.at]);
                out.put_slice(MEMBER_OPEN);
                out.put_slice(digits(s.revision, &mut buf));
                out.put_u8(b'"');
                if s.comma {
                    out.put_u8(b',');
                }
                out.put_slice(&self.bytes[s.at..]);
            }
        }
    }

    /// The complete JSON in one buffer (a copy when spliced; not kept).
    pub fn to_bytes(&self) -> Bytes {
        match (self.splice, self.complete.get()) {
            (None, _) => self.bytes.clone(),
            (Some(_), Some(complete)) => complete.clone(),
            (Some(_), None) => {
                let mut out = Vec::with_capacity(self.len());
                self.write_to(&mut out);
                Bytes::from(out)
            }
        }
    }

    /// The object parsed, with its resourceVersion.
    pub fn to_value(&self) -> serde_json::Result<Value> {
        let mut value: Value = serde_json::from_slice(&self.bytes)?;
        if let Some(s) = self.splice
            && let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut)
        {
            metadata.insert("resourceVersion".into(), Value::String(s.revision.to_string()));
        }
        Ok(value)
    }

    /// The JSON as stored, without resourceVersion when spliced (for readers that need
    /// neither the resourceVersion nor a copy).
    pub fn without_resource_version(&self) -> &[u8] {
        &self.bytes
    }
}

impl Deref for CachedJson {
    type Target = [u8];

    /// The complete JSON, built once (and then kept) when spliced.
    fn deref(&self) -> &[u8] {
        if self.splice.is_none() {
            return &self.bytes;
        }
        self.complete.get_or_init(|| self.to_bytes())
    }
}

impl PartialEq for CachedJson {
    fn eq(&self, other: &Self) -> bool {
        match (self.splice, other.splice) {
            (Some(a), Some(b)) if a == b && self.bytes == other.bytes => true,
            _ => self.len() == other.len() && self.to_bytes() == other.to_bytes(),
        }
    }
}

impl Eq for CachedJson {}

#[cfg(test)]
mod tests {
    use super::*;

    fn spliced(stored: &'static str, revision: i64) -> CachedJson {
        let at = super::super::scan::top_level_metadata(stored.as_bytes()).unwrap();
        CachedJson::spliced(Bytes::from_static(stored.as_bytes()), at, revision)
    }

    #[test]
    fn writes_the_resource_version_into_the_stored_bytes() {
        let cases = [
            (
                r#"{"kind":"X","metadata":{"name":"a"}}"#,
                7,
                r#"{"kind":"X","metadata":{"resourceVersion":"7","name":"a"}}"#,
            ),
            (
                r#"{"metadata":{ },"spec":{}}"#,
                123456,
                r#"{"metadata":{"resourceVersion":"123456" },"spec":{}}"#,
            ),
            (r#"{"metadata":{"a":1}}"#, 0, r#"{"metadata":{"resourceVersion":"0","a":1}}"#),
        ];
        for (stored, revision, want) in cases {
            let json = spliced(stored, revision);
            let mut out = Vec::new();
            json.write_to(&mut out);
            assert_eq!(std::str::from_utf8(&out).unwrap(), want);
            assert_eq!(json.len(), out.len(), "{stored}");
            assert_eq!(&json.to_bytes()[..], &out[..]);
            assert_eq!(&json[..], &out[..]);
            let parsed: Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(json.to_value().unwrap(), parsed);
            assert_eq!(json.without_resource_version(), stored.as_bytes());
        }
    }

    #[test]
    fn shares_the_stored_allocation_and_restamps_without_copying() {
        let stored = Bytes::from(br#"{"metadata":{"name":"a"}}"#.to_vec());
        let at = super::super::scan::top_level_metadata(&stored).unwrap();
        let json = CachedJson::spliced(stored.clone(), at, 5);
        assert_eq!(json.without_resource_version().as_ptr(), stored.as_ptr());
        let deleted = json.with_revision(9).unwrap();
        assert_eq!(deleted.without_resource_version().as_ptr(), stored.as_ptr());
        assert_eq!(&deleted[..], br#"{"metadata":{"resourceVersion":"9","name":"a"}}"#);
        assert_ne!(json, deleted);
        assert_eq!(json, spliced(r#"{"metadata":{"name":"a"}}"#, 5));
        let complete = CachedJson::complete(json.to_bytes());
        assert!(complete.with_revision(9).is_none());
        assert_eq!(complete, json);
        let mut buf = [0; 20];
        assert_eq!(digits(-42, &mut buf), b"-42");
        assert_eq!(digits(i64::MAX, &mut buf), i64::MAX.to_string().as_bytes());
    }
}
