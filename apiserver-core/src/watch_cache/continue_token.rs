//! Continue tokens as Kubernetes encodes them (`storage/continue.go`): unpadded base64url of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key after the list prefix>"}`.

use serde::{Deserialize, Serialize};

/// The only token version.
const VERSION: &str = "meta.k8s.io/v1";

/// The token's JSON.
#[derive(Serialize, Deserialize, Default)]
struct Token {
    #[serde(rename = "v", default)]
    version: String,
    #[serde(rename = "rv", default)]
    revision: i64,
    #[serde(rename = "start", default)]
    start: String,
}

/// Why a continue token was refused; the texts are apimachinery's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ContinueError {
    /// The revision is 0.
    #[error(
        "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
    )]
    InvalidStartRevision,
    /// The start key is empty.
    #[error("continue key is not valid: encoded start key empty (version meta.k8s.io/v1)")]
    EmptyStartKey,
    /// Not base64, not JSON, or a start key that is not a clean path.
    #[error("continue key is not valid: {0}")]
    Generic(String),
    /// Another token version.
    #[error("continue key is not valid: server does not recognize this encoded version {0}")]
    UnrecognizedVersion(String),
}

/// Encodes a token that continues a list of `scope` at `key` (inclusive) and `revision`
/// (-1: at the latest revision, an inconsistent continuation). `None` if `key` is not under
/// `scope`.
pub(crate) fn encode(key: &str, scope: &str, revision: i64) -> Option<String> {
    let start = key.strip_prefix(scope)?;
    if start.is_empty() {
        return None;
    }
    let token = Token { version: VERSION.to_owned(), revision, start: start.to_owned() };
    let json = serde_json::to_vec(&token).ok()?;
    Some(base64url_encode(&json))
}

/// Decodes a token for a list of `scope`: the first key to return and the revision
/// (negative = latest).
pub(crate) fn decode(token: &str, scope: &str) -> Result<(String, i64), ContinueError> {
    let data = base64url_decode(token).map_err(ContinueError::Generic)?;
    let token: Token =
        serde_json::from_slice(&data).map_err(|e| ContinueError::Generic(e.to_string()))?;
    if token.version != VERSION {
        return Err(ContinueError::UnrecognizedVersion(token.version));
    }
    if token.revision == 0 {
        return Err(ContinueError::InvalidStartRevision);
    }
    if token.start.is_empty() {
        return Err(ContinueError::EmptyStartKey);
    }
    let key = if token.start.starts_with('/') {
        token.start.clone()
    } else {
        format!("/{}", token.start)
    };
    if clean_path(&key) != key {
        return Err(ContinueError::Generic(token.start));
    }
    Ok((format!("{scope}{}", &key[1..]), token.revision))
}

/// Go's `path.Clean` for an absolute path: collapses `//`, `.` and `..`, drops a trailing `/`.
fn clean_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url (Go's `base64.RawURLEncoding`).
fn base64url_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = chunk.len() + 1;
        for i in 0..symbols {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Decodes unpadded base64url, with Go's error text.
fn base64url_decode(text: &str) -> Result<Vec<u8>, String> {
    let illegal = |at: usize| format!("illegal base64 data at input byte {at}");
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return Err(illegal(bytes.len() - 1));
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for (c, chunk) in bytes.chunks(4).enumerate() {
        let mut n: u32 = 0;
        for (i, &byte) in chunk.iter().enumerate() {
            let value = match byte {
                b'A'..=b'Z' => byte - b'A',
                b'a'..=b'z' => byte - b'a' + 26,
                b'0'..=b'9' => byte - b'0' + 52,
                b'-' => 62,
                b'_' => 63,
                _ => return Err(illegal(c * 4 + i)),
            };
            n |= u32::from(value) << (18 - 6 * i);
        }
        let produced = chunk.len() - 1;
        for i in 0..produced {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_matches_kubernetes_encoding() {
        let token = encode("/registry/pods/default/web-1\u{0}", "/registry/pods/", 42)
            .expect("key under scope");
        // Kubernetes: base64.RawURLEncoding of the JSON, no padding.
        assert!(!token.contains('='));
        let json = base64url_decode(&token).expect("decodes");
        assert_eq!(
            String::from_utf8(json).expect("utf8"),
            "{\"v\":\"meta.k8s.io/v1\",\"rv\":42,\"start\":\"default/web-1\\u0000\"}"
        );
        let (key, rv) = decode(&token, "/registry/pods/").expect("valid");
        assert_eq!(key, "/registry/pods/default/web-1\u{0}");
        assert_eq!(rv, 42);
        for len in 0..10 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 5) as u8).collect();
            assert_eq!(base64url_decode(&base64url_encode(&data)).expect("round trip"), data);
        }
    }

    #[test]
    fn refuses_bad_tokens_with_kubernetes_messages() {
        let mk = |json: &str| base64url_encode(json.as_bytes());
        assert_eq!(
            decode(&mk(r#"{"v":"meta.k8s.io/v1","rv":0,"start":"a"}"#), "/p/").unwrap_err(),
            ContinueError::InvalidStartRevision
        );
        assert_eq!(
            decode(&mk(r#"{"v":"meta.k8s.io/v1","rv":3,"start":""}"#), "/p/").unwrap_err(),
            ContinueError::EmptyStartKey
        );
        let traversal = decode(&mk(r#"{"v":"meta.k8s.io/v1","rv":3,"start":"../x"}"#), "/p/");
        assert_eq!(traversal.unwrap_err().to_string(), "continue key is not valid: ../x");
        assert!(matches!(
            decode(&mk(r#"{"v":"v2","rv":3,"start":"a"}"#), "/p/"),
            Err(ContinueError::UnrecognizedVersion(_))
        ));
        assert_eq!(
            decode("a*b", "/p/").unwrap_err().to_string(),
            "continue key is not valid: illegal base64 data at input byte 1"
        );
        // An inconsistent-continuation token (rv -1) is valid.
        let (_, rv) =
            decode(&mk(r#"{"v":"meta.k8s.io/v1","rv":-1,"start":"a"}"#), "/p/").expect("valid");
        assert_eq!(rv, -1);
    }
}
