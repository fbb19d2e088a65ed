//! The checkpointer thread: copies the write-ahead log into the database file on its own
//! connection, so the writer thread does not stall on that copy and its fsync.
//!
//! With [`Synchronous::Full`](crate::sqlite::Synchronous::Full) the syncer asks for a
//! checkpoint after every [`CHECKPOINT_EVERY`] flushed batches. The checkpointer runs
//! SQLite's `PASSIVE` checkpoint, which never blocks the writer or the readers: it flushes
//! the WAL, copies the frames every reader is done with into the database file, and flushes
//! that. The writer's own automatic checkpoint stays on, at a higher threshold
//! ([`WRITER_AUTOCHECKPOINT`] pages): by then nearly every frame has been copied here, so
//! it has only the last few batches to copy, and it is what lets the next write start the
//! WAL over from its beginning (a checkpoint on another connection cannot, since the
//! writer commits again meanwhile). The WAL therefore stays the same file of about the
//! same size, overwritten in place.

use std::path::Path;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::Result;
use crate::sqlite::errors::SqlContext;

/// Flushed batches between two checkpoint requests.
pub(crate) const CHECKPOINT_EVERY: usize = 8;

/// The writer connection's `wal_autocheckpoint` (pages) when a checkpointer runs.
pub(crate) const WRITER_AUTOCHECKPOINT: i64 = 4000;

/// The size the WAL file is given when the store opens (see `schema::preallocate_wal`):
/// [`WRITER_AUTOCHECKPOINT`] frames of 4 KiB pages and a margin for the batch that
/// crosses it.
pub(crate) const PREALLOCATED_WAL: u64 = 18 << 20;

/// The checkpointer thread's state: its own connection to the database.
pub(crate) struct Checkpointer {
    conn: Connection,
}

impl Checkpointer {
    /// Opens the checkpointer's connection to the database at `path` (opened by the
    /// writer first). It syncs like the writer's checkpoints: the WAL before copying, the
    /// database after.
    pub(crate) fn open(path: &Path, busy_timeout: Duration) -> Result<Checkpointer> {
        let conn = Connection::open(path).sql("open checkpointer")?;
        conn.busy_timeout(busy_timeout).sql("busy_timeout")?;
        conn.pragma_update(None, "synchronous", "NORMAL").sql("synchronous")?;
        // It never writes rows, so it must never start an automatic checkpoint of its own
        // either: only the requested ones.
        conn.pragma_update(None, "wal_autocheckpoint", 0).sql("wal_autocheckpoint")?;
        Ok(Checkpointer { conn })
    }

    /// Runs a checkpoint per request until the syncer drops its sender.
    pub(crate) fn run(self, requests: Receiver<()>) {
        while requests.recv().is_ok() {
            // Requests that piled up during the last checkpoint ask for the same thing.
            while requests.try_recv().is_ok() {}
            let result = self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
            });
            if let Err(error) = result {
                // The writer's own checkpoints still run; this is only an optimisation.
                tracing::warn!(%error, "sqlite store: background checkpoint failed");
            }
        }
    }
}
