//! The URL query string as Go's `url.ParseQuery` reads it: `&`-separated, `+` as space, percent-decoded.

/// Decodes `%XX` escapes and, when `plus_as_space`, `+` as a space.
///
/// Returns `None` for a malformed escape (`%` not followed by two hex digits) or a
/// result that is not UTF-8, where Go's `url.QueryUnescape` fails.
pub fn percent_decode(input: &str, plus_as_space: bool) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16))?;
                let lo = bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16))?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
                i += 3;
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Decoded query parameters in their original order (a key may repeat).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (without the leading `?`).
    ///
    /// Like `req.URL.Query()` in Go, pairs whose key or value has a malformed escape are
    /// dropped, and a pair without `=` has an empty value.
    pub fn parse(raw: &str) -> Self {
        let pairs = raw
            .split('&')
            .filter(|p| !p.is_empty())
            .filter_map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                Some((percent_decode(k, true)?, percent_decode(v, true)?))
            })
            .collect();
        Query { pairs }
    }

    /// The query of a URI (empty when it has none).
    pub fn from_uri(uri: &http::Uri) -> Self {
        Self::parse(uri.query().unwrap_or(""))
    }

    /// Builds a query from decoded pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Query { pairs: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    /// The first value of `key` (`url.Values.Get`, but `None` when absent).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Whether `key` is present (with any value).
    pub fn contains(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// All pairs, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// A boolean as apimachinery converts query values: absent is `None`; `0` or
    /// `false` (any case) is `false`; anything else, even empty, is `true`.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key).map(|v| !(v == "0" || v.eq_ignore_ascii_case("false")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_go() {
        let cases: &[(&str, Option<&str>)] = &[
            ("a%3Db", Some("a=b")),
            ("a+b", Some("a b")),
            ("%E2%9C%93", Some("✓")),
            ("100%", None),
            ("%zz", None),
            ("%ff", None),
            ("plain", Some("plain")),
        ];
        for (input, want) in cases {
            assert_eq!(percent_decode(input, true).as_deref(), *want, "{input}");
        }
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
    }

    #[test]
    fn parses_pairs() {
        let q = Query::parse(
            "labelSelector=app%3Dweb%2Ctier+in+(a)&watch&dryRun=All&dryRun=x&bad=%g&&limit=5",
        );
        assert_eq!(q.get("labelSelector"), Some("app=web,tier in (a)"));
        assert_eq!(q.get("watch"), Some(""));
        assert_eq!(q.get_all("dryRun").collect::<Vec<_>>(), vec!["All", "x"]);
        assert!(!q.contains("bad"));
        assert_eq!(q.get("limit"), Some("5"));
        assert_eq!(q.get("missing"), None);
        assert!(Query::parse("").is_empty());
    }

    #[test]
    fn booleans() {
        let q = Query::parse("a=0&b=FALSE&c=true&d=&e=yes");
        assert_eq!(q.get_bool("a"), Some(false));
        assert_eq!(q.get_bool("b"), Some(false));
        assert_eq!(q.get_bool("c"), Some(true));
        assert_eq!(q.get_bool("d"), Some(true));
        assert_eq!(q.get_bool("e"), Some(true));
        assert_eq!(q.get_bool("f"), None);
    }
}
