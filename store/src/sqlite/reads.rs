//! Reads: a small pool of read-only connections (WAL lets them run beside the writer), each
//! read one SQLite read transaction, i.e. one consistent snapshot. Point reads run on the
//! calling thread when a connection is idle; ranges (and point reads that find the pool
//! busy) run on a blocking thread.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, Transaction};
use tokio::sync::Semaphore;

use crate::error::{Result, StoreError};
use crate::sqlite::errors::SqlContext;
use crate::sqlite::schema::{self, KV_COLUMNS, Meta};
use crate::types::{GetResponse, KeyValue, RangeRequest, RangeResponse, Revision};

/// Read-only connections, lent to one blocking task at a time.
pub(crate) struct ReadPool {
    /// Idle connections. Locked only to take or return one, never across a query.
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection: a task holding a permit finds an idle connection.
    permits: Arc<Semaphore>,
    /// Where to reopen a connection that was lost (a read task panicked).
    path: PathBuf,
    busy_timeout: Duration,
}

impl ReadPool {
    /// Opens `size` (at least 1) read-only connections.
    pub(crate) fn open(path: PathBuf, size: usize, busy_timeout: Duration) -> Result<Self> {
        let size = size.max(1);
        let idle =
            (0..size).map(|_| schema::open_reader(&path, busy_timeout)).collect::<Result<_>>()?;
        Ok(ReadPool {
            idle: Mutex::new(idle),
            permits: Arc::new(Semaphore::new(size)),
            path,
            busy_timeout,
        })
    }

    /// Runs `read` inside a read transaction on a pooled connection, on a blocking thread.
    /// `read` gets the snapshot's current and compaction revisions.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>, Meta) -> Result<T> + Send + 'static,
    {
        let permit =
            Arc::clone(&self.permits).acquire_owned().await.map_err(|_| StoreError::Closed)?;
        let pool = Arc::clone(self);
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let taken = pool.idle.lock().pop();
            let mut conn = match taken {
                Some(conn) => conn,
                None => schema::open_reader(&pool.path, pool.busy_timeout)?,
            };
            let result = snapshot(&mut conn, read);
            pool.idle.lock().push(conn);
            result
        });
        task.await.map_err(|error| StoreError::backend("sqlite read task failed", error))?
    }
}

impl ReadPool {
    /// Runs a short read on the calling thread if a connection is idle right now, or
    /// returns `read` back to the caller. A point read on an idle pooled connection takes
    /// microseconds, less than handing it to a blocking thread and waking the caller again;
    /// WAL readers never wait for the writer, so this does not block on writes.
    pub(crate) fn try_run_here<T, F>(&self, read: F) -> std::result::Result<Result<T>, F>
    where
        F: FnOnce(&Transaction<'_>, Meta) -> Result<T>,
    {
        let Ok(_permit) = self.permits.try_acquire() else {
            return Err(read);
        };
        let Some(mut conn) = self.idle.lock().pop() else {
            return Err(read);
        };
        let result = snapshot(&mut conn, read);
        self.idle.lock().push(conn);
        Ok(result)
    }
}

fn snapshot<T>(
    conn: &mut Connection,
    read: impl FnOnce(&Transaction<'_>, Meta) -> Result<T>,
) -> Result<T> {
    let tx = conn.transaction().sql("begin read")?;
    let meta = schema::read_meta(&tx)?;
    let result = read(&tx, meta);
    // Ending a read transaction cannot lose anything; a failure here is not the caller's.
    let _ = tx.finish();
    result
}

/// Refuses revisions that cannot be served from the snapshot; 0 means latest.
fn check_revision(revision: Revision, meta: Meta) -> Result<Revision> {
    if revision == 0 {
        return Ok(meta.current);
    }
    if revision > meta.current {
        return Err(StoreError::FutureRevision { requested: revision, current: meta.current });
    }
    if revision < meta.compacted {
        return Err(StoreError::Compacted { requested: revision, compacted: meta.compacted });
    }
    Ok(revision)
}

/// The latest version of one key.
static GET_LATEST: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("SELECT {KV_COLUMNS} FROM current c JOIN log l ON l.id = c.id WHERE c.key = ?1")
});

/// Reads one key at `revision` (0 = latest).
pub(crate) fn get(
    tx: &Transaction<'_>,
    meta: Meta,
    key: &str,
    revision: Revision,
) -> Result<GetResponse> {
    let at = check_revision(revision, meta)?;
    let kv = if at == meta.current {
        tx.prepare_cached(&GET_LATEST)
            .and_then(|mut statement| {
                statement.query_row([key.as_bytes()], |row| schema::read_kv(row, 0)).optional()
            })
            .sql("get")?
    } else {
        let sql = format!(
            "SELECT {KV_COLUMNS} FROM log l WHERE l.key = ?1 AND l.revision <= ?2 \
             ORDER BY l.revision DESC LIMIT 1"
        );
        tx.prepare_cached(&sql)
            .and_then(|mut statement| {
                statement.query_row((key.as_bytes(), at), |row| schema::read_kv(row, 0)).optional()
            })
            .sql("get at revision")?
    };
    let kv = kv.and_then(|(kv, deleted)| (!deleted).then_some(kv));
    Ok(GetResponse { kv, revision: at })
}

/// Reads a prefix at a revision with paging.
pub(crate) fn range(
    tx: &Transaction<'_>,
    meta: Meta,
    request: &RangeRequest,
) -> Result<RangeResponse> {
    let at = check_revision(request.revision, meta)?;
    let (low, high) = schema::key_bounds(&request.prefix, request.start_after.as_deref());
    // One more than asked, to learn whether there are more.
    let limit = match request.limit {
        0 => -1,
        limit => i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1,
    };
    let mut kvs = if at == meta.current {
        let sql = format!(
            "SELECT {KV_COLUMNS} FROM current c JOIN log l ON l.id = c.id \
             WHERE c.key >= ?1 AND c.key < ?2 ORDER BY c.key LIMIT ?3"
        );
        collect(tx, &sql, (low, high, limit))?
    } else {
        // Each key's newest row at or below the revision, unless it is a tombstone.
        let sql = format!(
            "SELECT {KV_COLUMNS} FROM log l \
             WHERE l.key >= ?1 AND l.key < ?2 AND l.revision <= ?3 AND l.deleted = 0 \
               AND NOT EXISTS (SELECT 1 FROM log n WHERE n.key = l.key \
                               AND n.revision > l.revision AND n.revision <= ?3) \
             ORDER BY l.key LIMIT ?4"
        );
        collect(tx, &sql, (low, high, at, limit))?
    };
    let more = request.limit > 0 && kvs.len() > request.limit;
    if more {
        kvs.truncate(request.limit);
    }
    Ok(RangeResponse { kvs, revision: at, more })
}

fn collect(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<KeyValue>> {
    let mut statement = tx.prepare_cached(sql).sql("range")?;
    let rows = statement.query_map(params, |row| schema::read_kv(row, 0)).sql("range")?;
    let mut kvs = Vec::new();
    for row in rows {
        let (kv, deleted) = row.sql("range")?;
        if !deleted {
            kvs.push(kv);
        }
    }
    Ok(kvs)
}
