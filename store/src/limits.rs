//! Input checks every backend applies before touching data, so bad input changes nothing.

use std::collections::HashSet;

use crate::error::{Result, StoreError};
use crate::types::{MAX_KEY_BYTES, MAX_VALUE_BYTES, Op, Txn};

/// Refuses empty, overlong or NUL-containing keys.
pub fn check_key(key: &str) -> Result<()> {
    let reason = if key.is_empty() {
        "keys must not be empty"
    } else if key.len() > MAX_KEY_BYTES {
        "keys must be at most 4096 bytes"
    } else if key.contains('\0') {
        "keys must not contain NUL"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidKey { key: truncate(key), reason })
}

/// Refuses values over [`MAX_VALUE_BYTES`] (and checks the key).
pub fn check_value(key: &str, value: &[u8]) -> Result<()> {
    check_key(key)?;
    if value.len() > MAX_VALUE_BYTES {
        return Err(StoreError::ValueTooLarge {
            key: key.to_owned(),
            size: value.len(),
            limit: MAX_VALUE_BYTES,
        });
    }
    Ok(())
}

/// Refuses an empty prefix (a read or watch of the whole keyspace is never what is meant).
pub fn check_prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() {
        return Err(StoreError::InvalidKey {
            key: String::new(),
            reason: "a range or watch prefix must not be empty",
        });
    }
    Ok(())
}

/// Checks every key and value of a transaction and that no branch writes a key twice.
pub fn check_txn(txn: &Txn) -> Result<()> {
    for compare in &txn.compare {
        check_key(&compare.key)?;
    }
    for branch in [&txn.success, &txn.failure] {
        let mut written = HashSet::new();
        for op in branch.iter() {
            match op {
                Op::Put { key, value, .. } => check_value(key, value)?,
                Op::Delete { key } | Op::Get { key } => check_key(key)?,
            }
            if !matches!(op, Op::Get { .. }) && !written.insert(op.key()) {
                return Err(StoreError::InvalidRequest(format!(
                    "a transaction branch writes key {:?} more than once",
                    op.key()
                )));
            }
        }
    }
    Ok(())
}

fn truncate(key: &str) -> String {
    key.chars().take(128).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_are_checked() {
        assert!(matches!(check_key(""), Err(StoreError::InvalidKey { .. })));
        assert!(matches!(check_key("a\0b"), Err(StoreError::InvalidKey { .. })));
        assert!(check_key("/registry/pods/default/a").is_ok());
        let big = vec![0u8; MAX_VALUE_BYTES + 1];
        assert!(
            matches!(check_value("k", &big), Err(StoreError::ValueTooLarge { size, .. }) if size == MAX_VALUE_BYTES + 1)
        );
        assert!(check_value("k", &big[..MAX_VALUE_BYTES]).is_ok());
    }

    #[test]
    fn duplicate_writes_in_a_branch_are_refused() {
        let txn = Txn::new().and_then(Op::put("a", "1")).and_then(Op::delete("a"));
        assert!(matches!(check_txn(&txn), Err(StoreError::InvalidRequest(_))));
        let reads = Txn::new().and_then(Op::get("a")).and_then(Op::put("a", "1"));
        assert!(check_txn(&reads).is_ok());
    }
}
