//! The SQLite backend: embedded, durable, MVCC on one database file — the default store of
//! `capstan up`.
//!
//! ```no_run
//! # async fn example(dir: &std::path::Path) -> capstan_store::Result<()> {
//! use capstan_store::sqlite::{SqliteOptions, SqliteStore};
//! let store = SqliteStore::open(dir.join("capstan.db"), SqliteOptions::default()).await?;
//! # Ok(()) }
//! ```
//!
//! Design (see each module):
//!
//! - schema (`schema.rs`) — an append-only `log` of every change keyed by revision, a `current`
//!   table for latest reads, `lease` and `meta` tables; WAL journal.
//! - writes (`writer.rs`, `apply.rs`, `syncer.rs`, `checkpoint.rs`) — one writer thread
//!   owns the write connection and does group commit: it drains every queued transaction
//!   into one SQLite transaction and one commit; the syncer thread flushes the WAL
//!   (`fdatasync`) while the writer runs the next batch, then publishes the events and
//!   answers; a checkpointer thread copies the WAL into the database file on its own
//!   connection. Each writing transaction still gets its own revision.
//! - reads (`reads.rs`) — a pool of read-only connections; each read is one snapshot. Point
//!   reads run on the calling thread when a connection is idle, ranges on blocking threads.
//! - watch (`history.rs`) — the shared [`EventLog`] ring for recent events, the log table for older ones.
//! - leases (`leases.rs`) — granted with an absolute expiry, revoked by the writer when they expire,
//!   surviving restarts.
//!
//! Revisions continue after a restart from the stored maximum, without holes or repeats.

mod apply;
mod checkpoint;
mod compact;
mod errors;
mod history;
mod leases;
mod reads;
mod schema;
mod syncer;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::oneshot;

use crate::error::{Result, StoreError};
use crate::limits;
use crate::traits::{Compactor, KvRead, KvWrite, Leases, Storage, WatchStream, Watchable};
use crate::types::{
    GetResponse, LeaseId, RangeRequest, RangeResponse, Revision, Txn, TxnResponse, WatchRequest,
};
use crate::watchable::{EventLog, History};

use self::checkpoint::Checkpointer;
use self::history::SqliteHistory;
use self::leases::LeaseTable;
use self::reads::ReadPool;
use self::syncer::Syncer;
use self::writer::{Command, Writer};

/// When SQLite makes a commit durable (`PRAGMA synchronous`, in WAL mode).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// Every acknowledged write has been flushed to disk (the WAL is fsynced after each
    /// group commit, before any answer or event goes out): it survives a crash of the
    /// process or of the machine. The default. The flush runs on a syncer thread while the
    /// writer already works on the next batch (see the `syncer` module), and checkpoints
    /// run on a thread of their own (the `checkpoint` module).
    #[default]
    Full,
    /// fsync only at checkpoints: acknowledged writes survive a process crash but the last
    /// ones may be lost if the machine loses power.
    Normal,
    /// Never fsync: for tests and throwaway clusters only.
    Off,
}

/// How to open a [`SqliteStore`].
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    /// Durability of commits; [`Synchronous::Full`] by default.
    pub synchronous: Synchronous,
    /// Most recent events kept in memory for watchers (default 100,000). Older events are
    /// read back from the database, so this bounds memory, not what a watch can see.
    pub event_capacity: usize,
    /// Read-only connections serving reads and watch history concurrently (default 4).
    pub read_connections: usize,
    /// Most commands the writer runs in one SQLite transaction (default 1,024).
    pub max_batch: usize,
    /// SQLite page cache of the write connection, in KiB (default 64 MiB).
    pub cache_size_kib: u32,
    /// How long a connection waits for a lock before failing with
    /// [`StoreError::Unavailable`] (default 5 s).
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous: Synchronous::Full,
            event_capacity: 100_000,
            read_connections: 4,
            max_batch: 1024,
            cache_size_kib: 64 * 1024,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// The SQLite [`Storage`] backend. See the [module documentation](self).
///
/// Threads: one writer thread (owning the only write connection, the revision counter and
/// the lease table) and tokio's blocking pool for ranges (point reads run on the caller
/// when a pooled connection is idle). No lock is held across an await or
/// a query; the only locks are the read pool's idle list and the [`EventLog`]'s (taken by
/// the writer after its commit). Dropping the store finishes the queued writes and joins
/// the writer thread (a short block of the dropping thread); open watches then end.
///
/// One store per database file: a second writer on the same file is detected at the next
/// write, which fails with [`StoreError::Backend`].
pub struct SqliteStore {
    /// Commands for the writer thread; the only way anything is written.
    commands: mpsc::Sender<Command>,
    /// Read-only connections (shared with `history`).
    reads: Arc<ReadPool>,
    /// Recent events; the writer publishes after each commit, watchers read.
    events: Arc<EventLog>,
    /// Older events, from the log table.
    history: Arc<dyn History>,
    /// The writer thread, joined on drop.
    writer: Option<JoinHandle<()>>,
    /// The syncer thread (with `Synchronous::Full`), joined on drop after the writer.
    syncer: Option<JoinHandle<()>>,
    /// The checkpointer thread (with `Synchronous::Full`), joined on drop after the syncer.
    checkpointer: Option<JoinHandle<()>>,
    /// The database file.
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`: creates the schema, resumes from
    /// the stored revision, loads the leases and starts the writer thread.
    ///
    /// Must be called inside a tokio runtime (reads run on its blocking pool).
    pub async fn open(path: impl AsRef<Path>, options: SqliteOptions) -> Result<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(path, options))
            .await
            .map_err(|error| StoreError::backend("opening the sqlite store", error))?
    }

    fn open_blocking(path: PathBuf, options: SqliteOptions) -> Result<SqliteStore> {
        let conn = schema::open_writer(&path, &options)?;
        let meta = schema::read_meta(&conn)?;
        let leases = LeaseTable::load(&conn)?;
        let events = EventLog::new(meta.current, meta.compacted, options.event_capacity);
        let reads =
            Arc::new(ReadPool::open(path.clone(), options.read_connections, options.busy_timeout)?);
        let history: Arc<dyn History> = Arc::new(SqliteHistory::new(Arc::clone(&reads)));
        let (syncer, checkpointer, durable) = match options.synchronous {
            Synchronous::Full => {
                let wal = schema::open_wal(&path)?;
                schema::preallocate_wal(&wal, checkpoint::PREALLOCATED_WAL)?;
                conn.pragma_update(None, "wal_autocheckpoint", checkpoint::WRITER_AUTOCHECKPOINT)
                    .map_err(|error| errors::sql_error("wal_autocheckpoint", error))?;
                let checkpointer = Checkpointer::open(&path, options.busy_timeout)?;
                let (checkpoints, requests) = mpsc::sync_channel(1);
                let checkpointer = std::thread::Builder::new()
                    .name("capstan-sqlite-checkpointer".to_owned())
                    .spawn(move || checkpointer.run(requests))
                    .map_err(|error| {
                        StoreError::backend("starting the sqlite checkpointer thread", error)
                    })?;
                let failed = Arc::new(AtomicBool::new(false));
                let (batches, committed) = mpsc::channel();
                let syncer =
                    Syncer::new(wal, Arc::clone(&events), Arc::clone(&failed), checkpoints);
                let thread = std::thread::Builder::new()
                    .name("capstan-sqlite-syncer".to_owned())
                    .spawn(move || syncer.run(committed))
                    .map_err(|error| {
                        StoreError::backend("starting the sqlite syncer thread", error)
                    })?;
                (Some(thread), Some(checkpointer), Some((batches, failed)))
            }
            Synchronous::Normal | Synchronous::Off => (None, None, None),
        };
        let (commands, receiver) = mpsc::channel();
        let writer =
            Writer::new(conn, Arc::clone(&events), meta, leases, options.max_batch, durable);
        let writer = std::thread::Builder::new()
            .name("capstan-sqlite-writer".to_owned())
            .spawn(move || writer.run(receiver))
            .map_err(|error| StoreError::backend("starting the sqlite writer thread", error))?;
        Ok(SqliteStore {
            commands,
            reads,
            events,
            history,
            writer: Some(writer),
            syncer,
            checkpointer,
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The compaction revision: reads and watches below it fail with
    /// [`StoreError::Compacted`].
    pub fn compacted_revision(&self) -> Revision {
        self.events.compacted_revision()
    }

    /// Sends a command to the writer and waits for its answer.
    async fn request<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T>>) -> Command,
    ) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(command(reply)).map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // The writer finishes what is queued before the shutdown, then closes its connection.
        let _ = self.commands.send(Command::Shutdown);
        if let Some(writer) = self.writer.take() {
            if writer.join().is_err() {
                tracing::error!("sqlite store: the writer thread panicked");
            }
        }
        // The writer dropped its sender: the syncer flushes what it holds and ends.
        if let Some(syncer) = self.syncer.take() {
            if syncer.join().is_err() {
                tracing::error!("sqlite store: the syncer thread panicked");
            }
        }
        // The syncer dropped its sender: the checkpointer finishes its checkpoint and ends.
        if let Some(checkpointer) = self.checkpointer.take() {
            if checkpointer.join().is_err() {
                tracing::error!("sqlite store: the checkpointer thread panicked");
            }
        }
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("revision", &self.events.current_revision())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl KvRead for SqliteStore {
    async fn get(&self, key: &str, revision: Revision) -> Result<GetResponse> {
        limits::check_key(key)?;
        let read = |tx: &rusqlite::Transaction<'_>, meta| reads::get(tx, meta, key, revision);
        match self.reads.try_run_here(read) {
            Ok(result) => result,
            Err(_) => {
                let key = key.to_owned();
                self.reads.run(move |tx, meta| reads::get(tx, meta, &key, revision)).await
            }
        }
    }

    async fn range(&self, request: RangeRequest) -> Result<RangeResponse> {
        limits::check_prefix(&request.prefix)?;
        self.reads.run(move |tx, meta| reads::range(tx, meta, &request)).await
    }

    async fn current_revision(&self) -> Result<Revision> {
        Ok(self.events.current_revision())
    }
}

#[async_trait]
impl KvWrite for SqliteStore {
    async fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        limits::check_txn(&txn)?;
        self.request(|reply| Command::Txn { txn, reply }).await
    }
}

#[async_trait]
impl Watchable for SqliteStore {
    async fn watch(&self, request: WatchRequest) -> Result<WatchStream> {
        limits::check_prefix(&request.prefix)?;
        Ok(self.events.watch(request, Some(Arc::clone(&self.history))))
    }

    fn request_progress(&self) {
        self.events.request_progress();
    }
}

#[async_trait]
impl Leases for SqliteStore {
    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId> {
        let ttl_seconds = leases::ttl_seconds(ttl);
        self.request(|reply| Command::Grant { ttl_seconds, reply }).await
    }

    async fn revoke_lease(&self, lease: LeaseId) -> Result<()> {
        self.request(|reply| Command::Revoke { lease, reply }).await
    }
}

#[async_trait]
impl Compactor for SqliteStore {
    async fn compact(&self, revision: Revision) -> Result<()> {
        self.request(|reply| Command::Compact { revision, reply }).await
    }
}

impl Storage for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }
}
