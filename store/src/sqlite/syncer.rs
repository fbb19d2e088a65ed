//! The syncer thread: makes committed batches durable, then announces them — overlapping
//! one batch's fsync with the next batch's work on the writer thread.
//!
//! With [`Synchronous::Full`](crate::sqlite::Synchronous::Full) the writer commits with
//! SQLite's `synchronous=NORMAL` (the WAL frames are written, not yet flushed) and hands
//! the batch's answers and events to this thread. The syncer takes every batch queued,
//! flushes the WAL file once for all of them (`fdatasync`), and only then publishes their
//! events and answers their callers, in commit order. So every acknowledged write has
//! reached the disk, exactly as with SQLite's own `FULL`, but the writer does not wait for
//! the disk. Checkpoints still flush the WAL before copying it into the database (that is
//! what `NORMAL` keeps), so a checkpoint never makes an unflushed frame part of the database.
//! Readers may see a committed write up to one flush before it is durable.

use std::fs::File;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};

use crate::error::StoreError;
use crate::sqlite::apply::Effect;
use crate::sqlite::checkpoint::CHECKPOINT_EVERY;
use crate::sqlite::writer::Outcome;
use crate::watchable::EventLog;

/// One committed batch waiting for its flush.
pub(crate) struct Committed {
    /// What to announce once durable, in order.
    pub(crate) effects: Vec<Effect>,
    /// The answers to send once durable.
    pub(crate) outcomes: Vec<Outcome>,
}

/// The syncer thread's state: the WAL file it flushes and where it announces.
pub(crate) struct Syncer {
    /// The database's `-wal` file (the writer's connection keeps it in existence).
    wal: File,
    events: Arc<EventLog>,
    /// Set when a flush failed: the writer then refuses every further batch, since what
    /// SQLite wrote can no longer be trusted to be on disk.
    failed: Arc<AtomicBool>,
    /// Where checkpoints are requested (see the `checkpoint` module).
    checkpoints: SyncSender<()>,
}

impl Syncer {
    /// A syncer flushing `wal`, publishing to `events` and asking for checkpoints on
    /// `checkpoints`.
    pub(crate) fn new(
        wal: File,
        events: Arc<EventLog>,
        failed: Arc<AtomicBool>,
        checkpoints: SyncSender<()>,
    ) -> Self {
        Syncer { wal, events, failed, checkpoints }
    }

    /// Runs until the writer drops its sender, after announcing everything it was sent.
    pub(crate) fn run(self, batches: Receiver<Committed>) {
        let mut ready = Vec::new();
        let mut since_checkpoint = 0;
        while let Ok(first) = batches.recv() {
            ready.push(first);
            while let Ok(next) = batches.try_recv() {
                ready.push(next);
            }
            let count = ready.len();
            match self.wal.sync_data() {
                Ok(()) => {
                    for batch in ready.drain(..) {
                        for effect in batch.effects {
                            effect.announce(&self.events);
                        }
                        for outcome in batch.outcomes {
                            outcome.send();
                        }
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "sqlite store: flushing the WAL failed; refusing writes");
                    self.failed.store(true, Ordering::SeqCst);
                    let error = StoreError::backend(
                        "sqlite: flushing the write-ahead log failed, so these writes may not \
                         be on disk; the store refuses further writes — check the disk and reopen",
                        error,
                    );
                    for batch in ready.drain(..) {
                        for outcome in batch.outcomes {
                            outcome.fail(&error);
                        }
                    }
                }
            }
            since_checkpoint += count;
            if since_checkpoint >= CHECKPOINT_EVERY {
                since_checkpoint = 0;
                // Full: a checkpoint is already pending, which covers these batches too.
                let _ = self.checkpoints.try_send(());
            }
        }
    }
}
