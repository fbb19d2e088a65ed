//! A stored value, kept LZ4-compressed once a newer version supersedes it.
//!
//! Until compaction the index keeps every version of every key, as etcd does; in a busy
//! cluster most of them are superseded (a pod is created, bound, then reports its status
//! twice) and only read again by reads at old revisions and by watches that start behind
//! the event log's window. Objects are JSON, which LZ4 shrinks to about a quarter.

use bytes::Bytes;

/// Values shorter than this stay as they are when superseded (a Lease, a small
/// ConfigMap): compressing them saves little.
pub(super) const MIN_PACKED_LEN: usize = 256;

/// One version's value: as written, or compressed.
#[derive(Debug, Clone)]
pub(super) enum StoredValue {
    /// The bytes as written (the current version of a key, or a short value).
    Plain(Bytes),
    /// LZ4 block with the original length prepended.
    Packed(Box<[u8]>),
}

impl StoredValue {
    /// The value's bytes (decompressed when packed).
    pub(super) fn bytes(&self) -> Bytes {
        match self {
            StoredValue::Plain(bytes) => bytes.clone(),
            StoredValue::Packed(packed) => match lz4_flex::block::decompress_size_prepended(packed)
            {
                Ok(bytes) => Bytes::from(bytes),
                // Only this module packs, from bytes it just read: a block that does not
                // decompress is a broken invariant, not a condition callers can handle.
                Err(error) => unreachable!("a packed value does not decompress: {error}"),
            },
        }
    }

    /// Compresses a plain value of at least [`MIN_PACKED_LEN`] bytes when that makes it
    /// smaller; otherwise leaves it as it is.
    pub(super) fn pack(&mut self) {
        let StoredValue::Plain(bytes) = self else { return };
        if bytes.len() < MIN_PACKED_LEN {
            return;
        }
        let packed = lz4_flex::block::compress_prepend_size(bytes);
        if packed.len() < bytes.len() {
            *self = StoredValue::Packed(packed.into_boxed_slice());
        }
    }

    /// Whether the value is held compressed.
    pub(super) fn is_packed(&self) -> bool {
        matches!(self, StoredValue::Packed(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_keeps_the_bytes_and_shrinks_long_repetitive_values() {
        let json: String =
            (0..40).map(|i| format!("{{\"name\":\"pod-{i}\",\"phase\":\"Running\"}},")).collect();
        let mut value = StoredValue::Plain(Bytes::from(json.clone()));
        value.pack();
        assert!(value.is_packed(), "a long JSON value is compressed");
        let StoredValue::Packed(packed) = &value else { unreachable!() };
        assert!(packed.len() < json.len() / 2, "{} of {} bytes", packed.len(), json.len());
        assert_eq!(value.bytes(), json.as_bytes());
    }

    #[test]
    fn short_values_stay_plain() {
        let mut value = StoredValue::Plain(Bytes::from_static(b"{\"holderIdentity\":\"node-1\"}"));
        value.pack();
        assert!(!value.is_packed());
        assert_eq!(value.bytes(), &b"{\"holderIdentity\":\"node-1\"}"[..]);
    }

    #[test]
    fn incompressible_values_stay_plain() {
        // Every byte different from its neighbours in a way LZ4 finds no match in.
        let mut state = 0x2545_f491_u32;
        let noise: Vec<u8> = (0..1024)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        let mut value = StoredValue::Plain(Bytes::from(noise.clone()));
        value.pack();
        assert!(!value.is_packed());
        assert_eq!(value.bytes(), noise);
    }
}
