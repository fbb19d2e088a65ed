//! A built document: its bytes (JSON, or protobuf for `/openapi/v2`) and a stable content hash used for ETags and OpenAPI v3 `?hash=`.

use bytes::Bytes;
use serde_json::Value;

/// A document built once and served many times.
#[derive(Debug, Clone)]
pub struct Document {
    body: Bytes,
    hash: String,
}

impl Document {
    /// Serializes `value` and hashes the bytes.
    pub fn from_json(value: &Value) -> Self {
        // Serializing a `Value` cannot fail: every map key is a string.
        let body = Bytes::from(serde_json::to_vec(value).unwrap_or_default());
        let hash = content_hash(&body);
        Document { body, hash }
    }

    /// Wraps already encoded bytes (another representation of a document) and hashes them.
    pub fn from_bytes(body: Bytes) -> Self {
        let hash = content_hash(&body);
        Document { body, hash }
    }

    /// The bytes (a cheap reference-counted clone).
    pub fn body(&self) -> Bytes {
        self.body.clone()
    }

    /// The content hash: 32 upper-case hex digits (Kubernetes uses upper-case hex too).
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The strong ETag header value, `"<hash>"` with the quotes.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.hash)
    }

    /// Whether an `If-None-Match` header value matches this document (so the server can
    /// answer 304 Not Modified): `*`, or a comma-separated list with our ETag (weak or strong).
    pub fn matches_if_none_match(&self, header: &str) -> bool {
        header.split(',').map(str::trim).any(|tag| {
            tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"') == self.hash
        })
    }
}

/// A stable 128-bit content hash of `bytes` (two FNV-1a lanes), as 32 upper-case hex digits.
///
/// Stable across processes and builds, so clients' caches keyed on it stay valid after a
/// restart that serves the same document.
pub fn content_hash(bytes: &[u8]) -> String {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x6c62_272e_07bb_0142;
    for &byte in bytes {
        a = (a ^ u64::from(byte)).wrapping_mul(PRIME);
        b = (b ^ u64::from(byte.rotate_left(3))).wrapping_mul(PRIME).rotate_left(5);
    }
    format!("{a:016X}{b:016X}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_content_sensitive() {
        let one = Document::from_json(&serde_json::json!({"a": 1}));
        let same = Document::from_json(&serde_json::json!({"a": 1}));
        let other = Document::from_json(&serde_json::json!({"a": 2}));
        assert_eq!(one.hash(), same.hash());
        assert_ne!(one.hash(), other.hash());
        assert_eq!(one.hash().len(), 32);
        assert!(one.hash().chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        assert_eq!(&one.body()[..], br#"{"a":1}"#);
    }

    #[test]
    fn if_none_match() {
        let doc = Document::from_json(&serde_json::json!([1, 2]));
        assert!(doc.matches_if_none_match(&doc.etag()));
        assert!(doc.matches_if_none_match(&format!("\"x\", W/{}", doc.etag())));
        assert!(doc.matches_if_none_match("*"));
        assert!(!doc.matches_if_none_match("\"nope\""));
    }
}
