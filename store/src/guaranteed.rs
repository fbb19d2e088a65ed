//! Guaranteed update: read, transform, conditionally write, and retry on conflict.

use bytes::Bytes;

use crate::error::StoreError;
use crate::traits::{KvRead, KvWrite};
use crate::types::{Compare, KeyValue, LeaseId, Op, OpResult, Txn};

/// What a guaranteed-update closure wants done with the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Update {
    /// Write this value.
    Put(Bytes),
    /// Delete the key.
    Delete,
    /// Leave the key as it is.
    Unchanged,
}

/// What a guaranteed update did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Updated {
    /// The value was written; the key/value as stored.
    Written(KeyValue),
    /// The key was deleted; the deleted key/value.
    Deleted(KeyValue),
    /// The closure asked for no change; the key/value it saw.
    Unchanged(Option<KeyValue>),
}

/// Applies `update` to the current value of `key` and writes the result only if nobody
/// wrote the key in between, retrying with the fresh value (taken from the failed
/// transaction, without another read) until it succeeds or `update` fails.
///
/// This is the store half of Kubernetes' `GuaranteedUpdate`: the closure sees `None` when
/// the key is absent, and may create it.
pub async fn guaranteed_update<S, E, F>(
    store: &S,
    key: &str,
    lease: LeaseId,
    mut update: F,
) -> Result<Updated, E>
where
    S: KvRead + KvWrite + ?Sized,
    E: From<StoreError>,
    F: FnMut(Option<&KeyValue>) -> Result<Update, E>,
{
    let mut current = store.get(key, 0).await?.kv;
    loop {
        let expected = current.as_ref().map_or(0, |kv| kv.mod_revision);
        let op = match update(current.as_ref())? {
            Update::Unchanged => return Ok(Updated::Unchanged(current)),
            Update::Put(value) => Op::Put { key: key.to_owned(), value, lease },
            Update::Delete if current.is_none() => return Ok(Updated::Unchanged(None)),
            Update::Delete => Op::delete(key),
        };
        let txn = Txn::new()
            .when(Compare::mod_revision(key, expected))
            .and_then(op)
            .or_else(Op::get(key));
        let response = store.txn(txn).await?;
        match response.results.into_iter().next() {
            Some(OpResult::Put { kv, .. }) if response.succeeded => {
                return Ok(Updated::Written(kv));
            }
            Some(OpResult::Delete { prev: Some(prev) }) if response.succeeded => {
                return Ok(Updated::Deleted(prev));
            }
            Some(OpResult::Get { kv }) if !response.succeeded => current = kv,
            other => {
                return Err(StoreError::Backend {
                    message: format!("guaranteed update of {key:?}: unexpected result {other:?}"),
                    source: None,
                }
                .into());
            }
        }
    }
}
