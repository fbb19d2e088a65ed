//! Reading JSON by its bytes: the members of an object as key and value ranges, without parsing the values — for edits of stored objects that leave most of them untouched.

use std::ops::Range;

/// One member of a JSON object: where its key's text (without the quotes, escapes left
/// as they are) and its value lie in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// The key's text.
    pub(crate) key: Range<usize>,
    /// The value, from its first to its last byte.
    pub(crate) value: Range<usize>,
}

/// The members of the object whose `{` is at `s[start]`, in document order, and the
/// index after its `}`; `None` when the bytes there are not a well-formed object (the
/// members' values are only skipped, not checked).
pub(crate) fn object_members(s: &[u8], start: usize) -> Option<(Vec<Member>, usize)> {
    let mut i = skip_ws(s, start);
    if s.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut members = Vec::new();
    loop {
        i = skip_ws(s, i);
        match s.get(i)? {
            b'}' => return Some((members, i + 1)),
            b',' if !members.is_empty() => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let key_end = skip_string(s, i)?;
        let key = i + 1..key_end - 1;
        i = skip_ws(s, key_end);
        if s.get(i) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(s, i + 1);
        let value_end = skip_value(s, value_start)?;
        members.push(Member { key, value: value_start..value_end });
        i = value_end;
    }
}

/// The member of `members` (of document `s`) whose key is `key`.
pub(crate) fn member<'m>(s: &[u8], members: &'m [Member], key: &str) -> Option<&'m Member> {
    members.iter().find(|m| &s[m.key.clone()] == key.as_bytes())
}

/// The index of the first byte at or after `i` that is not whitespace.
pub(crate) fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// `s[i]` is `"`: the index after the closing quote.
pub(crate) fn skip_string(s: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match s.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The index after the value starting at `s[i]`.
pub(crate) fn skip_value(s: &[u8], mut i: usize) -> Option<usize> {
    match s.get(i)? {
        b'"' => skip_string(s, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            loop {
                match s.get(i)? {
                    b'"' => {
                        i = skip_string(s, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            while !matches!(s.get(i)?, b',' | b'}' | b']') && !s[i].is_ascii_whitespace() {
                i += 1;
            }
            Some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_of_objects() {
        let s = br#" { "a" : [1,{"b":"}"}] , "c\"d":"x\\" ,"n":-1.5e3 , "o":{} } tail"#;
        let (members, end) = object_members(s, 0).expect("object");
        let text = |r: &Range<usize>| std::str::from_utf8(&s[r.clone()]).expect("utf-8");
        let got: Vec<(&str, &str)> =
            members.iter().map(|m| (text(&m.key), text(&m.value))).collect();
        assert_eq!(
            got,
            [("a", r#"[1,{"b":"}"}]"#), (r#"c\"d"#, r#""x\\""#), ("n", "-1.5e3"), ("o", "{}")]
        );
        assert_eq!(&s[end..], b" tail");
        assert_eq!(member(s, &members, "n").map(|m| text(&m.value)), Some("-1.5e3"));
        assert!(member(s, &members, "z").is_none());
        assert_eq!(object_members(b"{}", 0), Some((vec![], 2)));
        for bad in [&b"[1]"[..], b"{\"a\" 1}", b"{,\"a\":1}", b"{\"a\":1", b"{\"a\":[}"] {
            assert!(object_members(bad, 0).is_none(), "{:?}", std::str::from_utf8(bad));
        }
    }
}
