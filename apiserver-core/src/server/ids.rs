//! Generated identifiers and timestamps: uids, `generateName` suffixes, RFC 3339 times.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A random 64-bit number (SipHash of a counter under a random key; not cryptographic).
pub fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// A random version-4 UUID string.
pub fn new_uid() -> String {
    let a = random_u64();
    let b = random_u64();
    let a = (a & !0xF000) | 0x4000; // version 4 in the third group
    let b = (b & !(0xC << 60)) | (0x8 << 60); // RFC 4122 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

/// The alphabet of `generateName` suffixes (apimachinery's `utilrand.String`: no vowels,
/// no confusable characters).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `generateName` + 5 random characters.
pub fn generate_name(base: &str) -> String {
    let mut r = random_u64();
    let mut out = String::with_capacity(base.len() + 5);
    out.push_str(base);
    for _ in 0..5 {
        out.push(char::from(ALPHANUMS[(r % ALPHANUMS.len() as u64) as usize]));
        r /= ALPHANUMS.len() as u64;
    }
    out
}

/// Now, truncated to whole seconds, as Kubernetes' `metav1.Time` serializes it.
pub fn now_rfc3339() -> String {
    seconds_rfc3339(jiff::Timestamp::now().as_second())
}

/// A Unix time in seconds as RFC 3339 (`2024-01-02T03:04:05Z`).
pub fn seconds_rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map(|t| t.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_shape() {
        let u = new_uid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(new_uid(), u);
        let n = generate_name("web-");
        assert_eq!(n.len(), 9);
        assert!(n.starts_with("web-"));
        assert_eq!(seconds_rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
