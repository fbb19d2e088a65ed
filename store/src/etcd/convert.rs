//! Conversions between etcd's wire types and the store's: key ranges and key/values.

use bytes::Bytes;

use crate::error::{Result, StoreError};
use crate::types::{EventType, KeyValue, WatchEvent};

/// The end of the key range holding every key that starts with `prefix` (etcd's
/// `range_end`): the prefix with its last byte below 0xff incremented and the rest dropped;
/// `"\0"` (every key from the start key on) when the prefix is all 0xff bytes.
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// The first key strictly after `key`.
pub(crate) fn key_after(key: &str) -> Vec<u8> {
    let mut next = Vec::with_capacity(key.len() + 1);
    next.extend_from_slice(key.as_bytes());
    next.push(0);
    next
}

/// Converts an etcd key/value, taking its key and value without copying.
pub(crate) fn key_value(kv: etcd_client::KeyValue) -> Result<KeyValue> {
    let (create_revision, mod_revision, version, lease) =
        (kv.create_revision(), kv.mod_revision(), kv.version(), kv.lease());
    let (key, value) = kv.into_key_value();
    Ok(KeyValue {
        key: key_string(key)?,
        value: Bytes::from(value),
        create_revision,
        mod_revision,
        version,
        lease,
    })
}

/// Converts a borrowed etcd key/value (copies key and value).
pub(crate) fn key_value_ref(kv: &etcd_client::KeyValue) -> Result<KeyValue> {
    Ok(KeyValue {
        key: key_string(kv.key().to_vec())?,
        value: Bytes::copy_from_slice(kv.value()),
        create_revision: kv.create_revision(),
        mod_revision: kv.mod_revision(),
        version: kv.version(),
        lease: kv.lease(),
    })
}

/// Converts one watch event; `with_prev` keeps the previous key/value.
pub(crate) fn watch_event(event: &etcd_client::Event, with_prev: bool) -> Result<WatchEvent> {
    let event_type = match event.event_type() {
        etcd_client::EventType::Put => EventType::Put,
        etcd_client::EventType::Delete => EventType::Delete,
    };
    let Some(kv) = event.kv() else {
        return Err(StoreError::Backend {
            message: "etcd sent a watch event without a key/value".to_owned(),
            source: None,
        });
    };
    let mut kv = key_value_ref(kv)?;
    if event_type == EventType::Delete {
        // etcd already reports deletes this way; make it explicit.
        kv = KeyValue { key: kv.key, mod_revision: kv.mod_revision, ..empty_key_value() };
    }
    let prev_kv = match event.prev_kv() {
        Some(prev) if with_prev => Some(key_value_ref(prev)?),
        _ => None,
    };
    Ok(WatchEvent { event_type, kv, prev_kv })
}

fn empty_key_value() -> KeyValue {
    KeyValue {
        key: String::new(),
        value: Bytes::new(),
        create_revision: 0,
        mod_revision: 0,
        version: 0,
        lease: 0,
    }
}

fn key_string(key: Vec<u8>) -> Result<String> {
    String::from_utf8(key).map_err(|error| StoreError::Backend {
        message: format!(
            "etcd holds a key that is not UTF-8: {:?}",
            String::from_utf8_lossy(error.as_bytes())
        ),
        source: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ends_cover_exactly_the_prefix() {
        assert_eq!(prefix_end(b"/registry/pods/"), b"/registry/pods0".to_vec());
        assert_eq!(prefix_end(b"a\xff"), b"b".to_vec());
        assert_eq!(prefix_end(b"\xff\xff"), vec![0]);
        assert_eq!(key_after("/a"), b"/a\0".to_vec());
    }
}
