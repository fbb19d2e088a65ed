//! Byte-level edits of an object's JSON: finding the top-level `metadata` and splicing or re-stamping `"resourceVersion"` there without parsing the object.

use bytes::Bytes;

use crate::json_bytes::{skip_string, skip_value, skip_ws};

/// `"resourceVersion":"<revision>"`.
fn member(revision: i64) -> String {
    format!("\"resourceVersion\":\"{revision}\"")
}

/// `stored` (JSON without `metadata.resourceVersion`) with `"resourceVersion":"<revision>"`
/// inserted at `at`, the index just after the `{` of its top-level `metadata`.
pub(super) fn splice(stored: &[u8], at: usize, revision: i64) -> Bytes {
    let rv = member(revision);
    let empty = stored[at..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
    let mut out = Vec::with_capacity(stored.len() + rv.len() + 1);
    out.extend_from_slice(&stored[..at]);
    out.extend_from_slice(rv.as_bytes());
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(&stored[at..]);
    Bytes::from(out)
}

/// `stored` with `"resourceVersion":"<revision>"` first in its top-level `metadata`;
/// `None` when the bytes are not an object with a `metadata` object.
pub(crate) fn splice_resource_version(stored: &[u8], revision: i64) -> Option<Bytes> {
    Some(splice(stored, top_level_metadata(stored)?, revision))
}

/// `json` with the `"resourceVersion":"<old>"` that [`splice`] put first in its top-level
/// `metadata` replaced by `"resourceVersion":"<new>"`; `None` when it is not there.
pub(super) fn restamp(json: &[u8], old: i64, new: i64) -> Option<Bytes> {
    let at = top_level_metadata(json)?;
    let old = member(old);
    let end = at + old.len();
    if json.get(at..end)? != old.as_bytes() || !matches!(json.get(skip_ws(json, end))?, b',' | b'}')
    {
        return None;
    }
    let new = member(new);
    let mut out = Vec::with_capacity(json.len() - old.len() + new.len());
    out.extend_from_slice(&json[..at]);
    out.extend_from_slice(new.as_bytes());
    out.extend_from_slice(&json[end..]);
    Some(Bytes::from(out))
}

/// The index just after the `{` of the top-level `metadata` value of a JSON object, `None`
/// when there is no such object (or the JSON is malformed).
pub(super) fn top_level_metadata(s: &[u8]) -> Option<usize> {
    let mut i = skip_ws(s, 0);
    if s.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(s, i);
        match s.get(i)? {
            b'}' => return None,
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let key_end = skip_string(s, i)?;
        let key = &s[i + 1..key_end - 1];
        i = skip_ws(s, key_end);
        if s.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(s, i + 1);
        if key == b"metadata" {
            return (s.get(i) == Some(&b'{')).then_some(i + 1);
        }
        i = skip_value(s, i)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_and_restamps() {
        let cases = [
            (
                r#"{"kind":"ConfigMap","metadata":{"name":"a"}}"#,
                r#"{"kind":"ConfigMap","metadata":{"resourceVersion":"7","name":"a"}}"#,
            ),
            (
                r#"{"data":{"metadata":"x","q":"\"metadata\":{"},"metadata":{}}"#,
                r#"{"data":{"metadata":"x","q":"\"metadata\":{"},"metadata":{"resourceVersion":"7"}}"#,
            ),
            (
                r#"{"a":[1,{"b":[2]}],"n":-1.5e3,"metadata": { } }"#,
                r#"{"a":[1,{"b":[2]}],"n":-1.5e3,"metadata": {"resourceVersion":"7" } }"#,
            ),
        ];
        for (input, want) in cases {
            let at = top_level_metadata(input.as_bytes()).expect(input);
            let spliced = splice(input.as_bytes(), at, 7);
            assert_eq!(std::str::from_utf8(&spliced).expect("utf-8"), want);
            let restamped = restamp(&spliced, 7, 12).expect(want);
            assert_eq!(
                std::str::from_utf8(&restamped).expect("utf-8"),
                want.replace("\"7\"", "\"12\"")
            );
            assert!(restamp(&spliced, 8, 12).is_none());
        }
        assert!(top_level_metadata(br#"{"metadata":"x"}"#).is_none());
        assert!(top_level_metadata(br#"{"a":1}"#).is_none());
        assert!(restamp(br#"{"metadata":{"resourceVersion":"70"}}"#, 7, 8).is_none());
    }
}
