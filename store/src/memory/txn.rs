//! Running one transaction on the store's state: guards, branch choice, lease checks, then
//! the branch's writes at one new revision, collecting their watch events.

use tokio::time::Instant;

use super::State;
use crate::error::{Result, StoreError};
use crate::types::{
    EventType, KeyValue, LeaseId, Op, OpResult, Revision, Txn, TxnResponse, WatchEvent,
};

impl State {
    /// Runs `txn` (already checked by [`limits::check_txn`](crate::limits::check_txn)).
    ///
    /// Fails before changing anything when the chosen branch puts with a lease that does not
    /// exist or has expired. Returns the response and the events of the new revision (none
    /// when the branch wrote nothing, in which case the revision did not move).
    pub(super) fn txn(&mut self, txn: Txn) -> Result<(TxnResponse, Vec<WatchEvent>)> {
        let succeeded =
            txn.compare.iter().all(|guard| guard.holds(self.index.mod_revision(&guard.key)));
        let ops = if succeeded { txn.success } else { txn.failure };
        let mut now = None;
        for op in &ops {
            if let Op::Put { lease, .. } = *op {
                if lease != 0 && !self.leases.is_live(lease, *now.get_or_insert_with(Instant::now))
                {
                    return Err(StoreError::LeaseNotFound(lease));
                }
            }
        }
        let revision = self.current + 1;
        let mut results = Vec::with_capacity(ops.len());
        let mut events = Vec::new();
        for op in ops {
            match op {
                Op::Put { key, value, lease } => {
                    let (kv, prev) = self.index.put(key, value, lease, revision);
                    self.leases.reattach(
                        &kv.key,
                        prev.as_ref().map_or(0, |prev| prev.lease),
                        lease,
                    );
                    events.push(WatchEvent {
                        event_type: EventType::Put,
                        kv: kv.clone(),
                        prev_kv: prev.clone(),
                    });
                    results.push(OpResult::Put { kv, prev });
                }
                Op::Delete { key } => {
                    let prev = self.delete_key(&key, revision, &mut events);
                    results.push(OpResult::Delete { prev });
                }
                Op::Get { key } => results.push(OpResult::Get { kv: self.index.latest(&key) }),
            }
        }
        if !events.is_empty() {
            self.current = revision;
        }
        Ok((TxnResponse { succeeded, revision: self.current, results }, events))
    }

    /// Removes `lease` and deletes its keys at one new revision. Returns the events (empty
    /// when the lease had no keys: the revision does not move), or `None` when the lease
    /// does not exist.
    pub(super) fn revoke(&mut self, lease: LeaseId) -> Option<Vec<WatchEvent>> {
        let keys = self.leases.remove(lease)?;
        let revision = self.current + 1;
        let mut events = Vec::with_capacity(keys.len());
        for key in keys {
            self.delete_key(&key, revision, &mut events);
        }
        if !events.is_empty() {
            self.current = revision;
        }
        Some(events)
    }

    /// Deletes `key` at `revision` if it exists, recording the event.
    fn delete_key(
        &mut self,
        key: &str,
        revision: Revision,
        events: &mut Vec<WatchEvent>,
    ) -> Option<KeyValue> {
        let prev = self.index.delete(key, revision)?;
        self.leases.detach(key, prev.lease);
        events.push(WatchEvent {
            event_type: EventType::Delete,
            kv: KeyValue::tombstone(key, revision),
            prev_kv: Some(prev.clone()),
        });
        Some(prev)
    }
}
