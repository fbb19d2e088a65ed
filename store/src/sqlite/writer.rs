//! The writer thread and its group commit: every write runs here, many per SQLite commit.
//!
//! Callers send [`Command`]s over a channel with a oneshot reply. The writer takes the
//! first command, drains whatever else is queued (up to the batch size), and runs them all
//! in order inside ONE SQLite transaction: each writing transaction gets the next revision,
//! a refused command (unknown lease, future compaction) fails alone and writes nothing.
//! Expired leases are revoked at the start of a batch (the writer wakes up for the next
//! expiry). After a single `COMMIT` (one fsync for the whole batch) the writer publishes the
//! batch's events to the [`EventLog`] in revision order, then replies. If anything fails at
//! the SQLite level the batch is rolled back, every command in it gets the error, and the
//! in-memory state (revision, compaction revision, leases) is left or reloaded as committed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SendError, Sender, TryRecvError};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::{Result, StoreError};
use crate::sqlite::apply::Batch;
use crate::sqlite::compact;
use crate::sqlite::errors::{Abort, replicate, sql_error};
use crate::sqlite::leases::{LeaseTable, now_ms};
use crate::sqlite::schema::{self, Meta};
use crate::sqlite::syncer::Committed;
use crate::types::{LeaseId, Revision, Txn, TxnResponse};
use crate::watchable::EventLog;

/// A request to the writer thread.
pub(crate) enum Command {
    /// Run a (checked) transaction.
    Txn {
        /// The transaction.
        txn: Txn,
        /// Where the answer goes.
        reply: oneshot::Sender<Result<TxnResponse>>,
    },
    /// Grant a lease.
    Grant {
        /// TTL in whole seconds.
        ttl_seconds: i64,
        /// Where the new lease id goes.
        reply: oneshot::Sender<Result<LeaseId>>,
    },
    /// Revoke a lease, deleting its keys.
    Revoke {
        /// The lease.
        lease: LeaseId,
        /// Where the answer goes.
        reply: oneshot::Sender<Result<()>>,
    },
    /// Compact history.
    Compact {
        /// The compaction revision.
        revision: Revision,
        /// Where the answer goes.
        reply: oneshot::Sender<Result<()>>,
    },
    /// Finish the queued commands and stop.
    Shutdown,
}

/// A command's answer, held until the batch commits (and, with a syncer, is flushed).
pub(crate) enum Outcome {
    Txn(oneshot::Sender<Result<TxnResponse>>, std::result::Result<TxnResponse, StoreError>),
    Grant(oneshot::Sender<Result<LeaseId>>, std::result::Result<LeaseId, StoreError>),
    Unit(oneshot::Sender<Result<()>>, std::result::Result<(), StoreError>),
    /// Not run: an earlier command of the batch failed it.
    Skipped(Command),
}

impl Outcome {
    /// Sends the answer.
    pub(crate) fn send(self) {
        // A caller that went away no longer wants its answer; its write stands.
        match self {
            Outcome::Txn(reply, result) => drop(reply.send(result)),
            Outcome::Grant(reply, result) => drop(reply.send(result)),
            Outcome::Unit(reply, result) => drop(reply.send(result)),
            Outcome::Skipped(command) => fail_command(command, &StoreError::Closed),
        }
    }

    /// Answers with a copy of `error` instead.
    pub(crate) fn fail(self, error: &StoreError) {
        match self {
            Outcome::Txn(reply, _) => drop(reply.send(Err(replicate(error)))),
            Outcome::Grant(reply, _) => drop(reply.send(Err(replicate(error)))),
            Outcome::Unit(reply, _) => drop(reply.send(Err(replicate(error)))),
            Outcome::Skipped(command) => fail_command(command, error),
        }
    }
}

/// Answers a command that did not run with a copy of `error`.
fn fail_command(command: Command, error: &StoreError) {
    match command {
        Command::Txn { reply, .. } => drop(reply.send(Err(replicate(error)))),
        Command::Grant { reply, .. } => drop(reply.send(Err(replicate(error)))),
        Command::Revoke { reply, .. } | Command::Compact { reply, .. } => {
            drop(reply.send(Err(replicate(error))))
        }
        Command::Shutdown => {}
    }
}

/// The state of the writer thread, which owns it all: the only write connection, the
/// committed revision counters and the lease table. Nothing here is shared; other threads
/// see its results through SQLite (readers) and the [`EventLog`] (watchers).
pub(crate) struct Writer {
    conn: Connection,
    events: Arc<EventLog>,
    /// The last committed revision.
    revision: Revision,
    /// The committed compaction revision.
    compacted: Revision,
    leases: LeaseTable,
    max_batch: usize,
    /// Where committed batches go to be flushed and announced (with `Synchronous::Full`);
    /// `None` announces right after the commit.
    syncer: Option<Sender<Committed>>,
    /// Set by the syncer when a flush failed: every later batch is refused.
    flush_failed: Arc<AtomicBool>,
    /// After a failed batch, lease expiry is not retried before this time (Unix ms), so a
    /// failing disk does not turn the writer into a busy loop.
    expiry_retry_at: i64,
}

/// How long lease expiry waits after a failed batch.
const EXPIRY_RETRY_MS: i64 = 1000;

impl Writer {
    /// A writer over an opened, schema-checked connection.
    pub(crate) fn new(
        conn: Connection,
        events: Arc<EventLog>,
        meta: Meta,
        leases: LeaseTable,
        max_batch: usize,
        syncer: Option<(Sender<Committed>, Arc<AtomicBool>)>,
    ) -> Self {
        let (syncer, flush_failed) = match syncer {
            Some((sender, failed)) => (Some(sender), failed),
            None => (None, Arc::new(AtomicBool::new(false))),
        };
        Writer {
            conn,
            events,
            revision: meta.current,
            compacted: meta.compacted,
            leases,
            max_batch: max_batch.max(1),
            syncer,
            flush_failed,
            expiry_retry_at: 0,
        }
    }

    /// The writer thread's loop: returns on [`Command::Shutdown`] or when every sender is gone.
    pub(crate) fn run(mut self, commands: Receiver<Command>) {
        let mut batch = Vec::with_capacity(self.max_batch);
        loop {
            let deadline = self.leases.next_deadline().map(|at| at.max(self.expiry_retry_at));
            let first = match deadline {
                None => match commands.recv() {
                    Ok(command) => Some(command),
                    Err(_) => return,
                },
                Some(deadline) => {
                    let wait = u64::try_from(deadline.saturating_sub(now_ms())).unwrap_or(0);
                    match commands.recv_timeout(Duration::from_millis(wait)) {
                        Ok(command) => Some(command),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            };
            let mut stop = false;
            match first {
                Some(Command::Shutdown) => stop = true,
                Some(command) => batch.push(command),
                None => {}
            }
            while !stop && batch.len() < self.max_batch {
                match commands.try_recv() {
                    Ok(Command::Shutdown) => stop = true,
                    Ok(command) => batch.push(command),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            self.run_batch(&mut batch);
            if stop {
                return;
            }
        }
    }

    /// Runs the commands (and due lease expiries) in one SQLite transaction.
    fn run_batch(&mut self, commands: &mut Vec<Command>) {
        let now = now_ms();
        let expired =
            if now >= self.expiry_retry_at { self.leases.expired(now) } else { Vec::new() };
        if commands.is_empty() && expired.is_empty() {
            return;
        }
        if self.flush_failed.load(Ordering::SeqCst) {
            let error = StoreError::Backend {
                message: "sqlite: an earlier flush of the write-ahead log failed; the store \
                          refuses writes — check the disk and reopen"
                    .to_owned(),
                source: None,
            };
            for command in commands.drain(..) {
                fail_command(command, &error);
            }
            return;
        }
        if let Err(error) = self.begin() {
            tracing::error!(%error, "sqlite store: cannot start a write batch");
            self.expiry_retry_at = now.saturating_add(EXPIRY_RETRY_MS);
            for command in commands.drain(..) {
                fail_command(command, &error);
            }
            return;
        }
        let mut batch = Batch::new(&self.conn, self.revision, self.compacted);
        let mut outcomes = Vec::with_capacity(commands.len());
        let mut failure: Option<StoreError> = None;
        for lease in expired {
            match self.leases.revoke(&mut batch, lease) {
                Ok(()) | Err(Abort::Refused(_)) => {}
                Err(Abort::Failed(error)) => {
                    failure = Some(error);
                    break;
                }
            }
        }
        for command in commands.drain(..) {
            if failure.is_some() {
                outcomes.push(Outcome::Skipped(command));
                continue;
            }
            let (outcome, failed) = match command {
                Command::Txn { txn, reply } => {
                    let (result, failed) = split(batch.apply_txn(txn, &self.leases, now));
                    (Outcome::Txn(reply, result), failed)
                }
                Command::Grant { ttl_seconds, reply } => {
                    let (result, failed) = split(self.leases.grant(batch.conn(), ttl_seconds, now));
                    (Outcome::Grant(reply, result), failed)
                }
                Command::Revoke { lease, reply } => {
                    let (result, failed) = split(self.leases.revoke(&mut batch, lease));
                    (Outcome::Unit(reply, result), failed)
                }
                Command::Compact { revision, reply } => {
                    let (result, failed) = split(compact::compact(&mut batch, revision));
                    (Outcome::Unit(reply, result), failed)
                }
                Command::Shutdown => continue,
            };
            outcomes.push(outcome);
            failure = failed;
        }
        let revision = batch.revision();
        let compacted = batch.compacted();
        let effects = batch.into_effects();
        if failure.is_none() {
            failure = self.commit(revision).err();
        }
        if let Some(error) = failure {
            tracing::error!(%error, commands = outcomes.len(), "sqlite store: write batch rolled back");
            if let Err(rollback) = self.conn.execute_batch("ROLLBACK") {
                tracing::error!(error = %rollback, "sqlite store: rollback failed");
            }
            match LeaseTable::load(&self.conn) {
                Ok(leases) => self.leases = leases,
                Err(reload) => {
                    tracing::error!(error = %reload, "sqlite store: reloading leases failed")
                }
            }
            self.expiry_retry_at = now.saturating_add(EXPIRY_RETRY_MS);
            for outcome in outcomes {
                outcome.fail(&error);
            }
            return;
        }
        self.revision = revision;
        self.compacted = compacted;
        let committed = Committed { effects, outcomes };
        let committed = match &self.syncer {
            Some(syncer) => match syncer.send(committed) {
                Ok(()) => return,
                // The syncer is gone (only while shutting down): flush here instead.
                Err(SendError(committed)) => {
                    if let Err(error) = self.conn.execute_batch("PRAGMA wal_checkpoint(FULL)") {
                        tracing::error!(%error, "sqlite store: final checkpoint failed");
                    }
                    committed
                }
            },
            None => committed,
        };
        for effect in committed.effects {
            effect.announce(&self.events);
        }
        for outcome in committed.outcomes {
            outcome.send();
        }
    }

    /// Opens the batch's SQLite transaction, taking the write lock, and checks that nobody
    /// else wrote since our last commit: another writer on the same file (a second store or
    /// process) would otherwise hand out the same revisions twice.
    fn begin(&self) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(|error| sql_error("begin", error))?;
        let stored = schema::read_meta(&self.conn);
        let ours = Meta { current: self.revision, compacted: self.compacted };
        match stored {
            Ok(stored) if stored == ours => Ok(()),
            Ok(stored) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(StoreError::Backend {
                    message: format!(
                        "sqlite: the database changed behind this store (another writer on the same \
                         file, or a commit that failed after reaching the disk): stored \
                         revisions {stored:?}, this store's {ours:?}; reopen the store"
                    ),
                    source: None,
                })
            }
            Err(error) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(error)
            }
        }
    }

    /// Records the new current revision and commits.
    fn commit(&self, revision: Revision) -> Result<()> {
        if revision != self.revision {
            schema::write_meta(&self.conn, "current_revision", revision)
                .map_err(|error| sql_error("record revision", error))?;
        }
        self.conn.execute_batch("COMMIT").map_err(|error| sql_error("commit", error))
    }
}

/// Splits a command's result into its answer and, for a SQLite failure, the batch's error.
fn split<T>(result: std::result::Result<T, Abort>) -> (Result<T>, Option<StoreError>) {
    match result {
        Ok(value) => (Ok(value), None),
        Err(Abort::Refused(error)) => (Err(error), None),
        Err(Abort::Failed(error)) => (Err(replicate(&error)), Some(error)),
    }
}
