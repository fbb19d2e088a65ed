//! Reads and transactions: [`KvRead`] and [`KvWrite`] for [`EtcdStore`].

use async_trait::async_trait;
use etcd_client::{
    Compare as EtcdCompare, CompareOp as EtcdCompareOp, DeleteOptions, GetOptions, PutOptions,
    Txn as EtcdTxn, TxnOp, TxnOpResponse,
};

use super::convert::{key_after, key_value, key_value_ref, prefix_end};
use super::errors::{self, Failure};
use super::store::EtcdStore;
use crate::error::{Result, StoreError};
use crate::limits;
use crate::traits::{KvRead, KvWrite};
use crate::types::{
    CompareOp, GetResponse, KeyValue, MAX_VALUE_BYTES, Op, OpResult, RangeRequest, RangeResponse,
    Revision, Txn, TxnResponse,
};

#[async_trait]
impl KvRead for EtcdStore {
    async fn get(&self, key: &str, revision: Revision) -> Result<GetResponse> {
        limits::check_key(key)?;
        let result = self
            .inner
            .retrying(|mut connection| async move {
                let options = GetOptions::new().with_revision(revision.max(0));
                connection.kv.get(key, Some(options)).await
            })
            .await;
        let mut response = match result {
            Ok(response) => response,
            Err(error) => {
                return Err(self.inner.read_error("get", error, revision, key.as_bytes()).await);
            }
        };
        let served = served_at(revision, response.header());
        let kv = response.take_kvs().into_iter().next().map(key_value).transpose()?;
        Ok(GetResponse { kv, revision: served })
    }

    async fn range(&self, request: RangeRequest) -> Result<RangeResponse> {
        limits::check_prefix(&request.prefix)?;
        let end = prefix_end(request.prefix.as_bytes());
        let start = match &request.start_after {
            Some(after) => key_after(after).max(request.prefix.as_bytes().to_vec()),
            None => request.prefix.as_bytes().to_vec(),
        };
        let limit = i64::try_from(request.limit).unwrap_or(i64::MAX);
        let revision = request.revision;
        let result = self
            .inner
            .retrying(|mut connection| {
                let (start, end) = (start.clone(), end.clone());
                async move {
                    let options = GetOptions::new()
                        .with_range(end)
                        .with_revision(revision.max(0))
                        .with_limit(limit);
                    connection.kv.get(start, Some(options)).await
                }
            })
            .await;
        let mut response = match result {
            Ok(response) => response,
            Err(error) => {
                return Err(self
                    .inner
                    .read_error("range", error, revision, request.prefix.as_bytes())
                    .await);
            }
        };
        let served = served_at(revision, response.header());
        let more = response.more();
        let kvs = response.take_kvs().into_iter().map(key_value).collect::<Result<Vec<_>>>()?;
        Ok(RangeResponse { kvs, revision: served, more })
    }

    async fn current_revision(&self) -> Result<Revision> {
        self.inner.current_revision().await
    }
}

#[async_trait]
impl KvWrite for EtcdStore {
    async fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        limits::check_txn(&txn)?;
        let compares: Vec<EtcdCompare> = txn
            .compare
            .iter()
            .map(|compare| {
                let op = match compare.op {
                    CompareOp::Equal => EtcdCompareOp::Equal,
                    CompareOp::NotEqual => EtcdCompareOp::NotEqual,
                    CompareOp::Greater => EtcdCompareOp::Greater,
                    CompareOp::Less => EtcdCompareOp::Less,
                };
                EtcdCompare::mod_revision(compare.key.as_str(), op, compare.mod_revision)
            })
            .collect();
        let request = EtcdTxn::new()
            .when(compares)
            .and_then(txn.success.iter().map(txn_op).collect::<Vec<_>>())
            .or_else(txn.failure.iter().map(txn_op).collect::<Vec<_>>());
        let response = match self.inner.connection().kv.clone().txn(request).await {
            Ok(response) => response,
            Err(error) => return Err(write_error(&txn, error)),
        };
        let revision = response.header().map_or(0, |header| header.revision());
        let succeeded = response.succeeded();
        let ops = if succeeded { &txn.success } else { &txn.failure };
        let responses = response.op_responses();
        if responses.len() != ops.len() {
            return Err(StoreError::Backend {
                message: format!(
                    "etcd answered a transaction of {} operations with {} results",
                    ops.len(),
                    responses.len()
                ),
                source: None,
            });
        }
        let results = ops
            .iter()
            .zip(responses)
            .map(|(op, response)| op_result(op, response, revision))
            .collect::<Result<Vec<_>>>()?;
        Ok(TxnResponse { succeeded, revision, results })
    }
}

/// The revision a read was served at: the one asked for, or the latest.
fn served_at(requested: Revision, header: Option<&etcd_client::ResponseHeader>) -> Revision {
    if requested > 0 { requested } else { header.map_or(0, |header| header.revision()) }
}

fn txn_op(op: &Op) -> TxnOp {
    match op {
        Op::Put { key, value, lease } => TxnOp::put(
            key.as_str(),
            value.to_vec(),
            Some(PutOptions::new().with_lease(*lease).with_prev_key()),
        ),
        Op::Delete { key } => {
            TxnOp::delete(key.as_str(), Some(DeleteOptions::new().with_prev_key()))
        }
        Op::Get { key } => TxnOp::get(key.as_str(), None),
    }
}

/// Builds the store's result of one operation from etcd's answer. etcd does not return
/// the key/value a put stored; it is the put's value at the transaction's revision, with
/// the creation and version carried on from the previous key/value.
fn op_result(op: &Op, response: TxnOpResponse, revision: Revision) -> Result<OpResult> {
    match (op, response) {
        (Op::Put { key, value, lease }, TxnOpResponse::Put(put)) => {
            let prev = put.prev_key().map(key_value_ref).transpose()?;
            let kv = KeyValue {
                key: key.clone(),
                value: value.clone(),
                create_revision: prev.as_ref().map_or(revision, |prev| prev.create_revision),
                mod_revision: revision,
                version: prev.as_ref().map_or(1, |prev| prev.version + 1),
                lease: *lease,
            };
            Ok(OpResult::Put { kv, prev })
        }
        (Op::Delete { .. }, TxnOpResponse::Delete(mut delete)) => {
            let prev = delete.take_prev_kvs().into_iter().next().map(key_value).transpose()?;
            Ok(OpResult::Delete { prev })
        }
        (Op::Get { .. }, TxnOpResponse::Get(mut get)) => {
            let kv = get.take_kvs().into_iter().next().map(key_value).transpose()?;
            Ok(OpResult::Get { kv })
        }
        (op, response) => Err(StoreError::Backend {
            message: format!("etcd answered {op:?} with {response:?}"),
            source: None,
        }),
    }
}

/// Maps a failed transaction, naming the lease or value it refused.
fn write_error(txn: &Txn, error: etcd_client::Error) -> StoreError {
    let puts = || {
        txn.success.iter().chain(&txn.failure).filter_map(|op| match op {
            Op::Put { key, value, lease } => Some((key, value, *lease)),
            _ => None,
        })
    };
    match errors::classify(&error) {
        Failure::LeaseNotFound => {
            let lease = puts().map(|(_, _, lease)| lease).find(|lease| *lease != 0).unwrap_or(0);
            StoreError::LeaseNotFound(lease)
        }
        Failure::TooLarge => match puts().max_by_key(|(_, value, _)| value.len()) {
            Some((key, _, _)) => StoreError::ValueTooLarge {
                key: key.clone(),
                size: puts().map(|(_, value, _)| value.len()).sum(),
                limit: MAX_VALUE_BYTES,
            },
            None => errors::generic("transaction", error),
        },
        _ => errors::generic("transaction", error),
    }
}
