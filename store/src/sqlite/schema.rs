//! The on-disk schema, connection setup (pragmas) and row decoding shared by reads and writes.
//!
//! Tables:
//!
//! - `log`: one row per changed key per revision (a multi-key transaction writes several
//!   rows with the same `revision`); `id` orders rows within a revision as the operations
//!   ran. A delete is a tombstone row (`deleted = 1`, empty value). `prev_revision` is the
//!   mod revision of the version this row replaced (0 for a create), so watch history can
//!   join the previous value. Indexed by `(key, revision)` (unique; reads at old revisions,
//!   the previous-value join) and by `revision` (watch history).
//! - `current`: `key → (log id, mod revision)` for every live key: latest reads and prefix
//!   ranges without scanning history.
//! - `lease`: granted leases with their absolute expiry (Unix milliseconds), so they
//!   survive restarts; `lease_key`: the live keys attached to each lease (touched only by
//!   writes that involve a lease, so lease-less writes pay nothing for it). A partial index
//!   on `current` would do the same but makes SQLite re-prepare every statement on
//!   `current` at each execution.
//! - `meta`: the current revision, the compaction revision and the schema version,
//!   written in the same SQLite transaction as the rows they describe. As in etcd, an
//!   empty store is at revision 1, so the first write gets revision 2.
//!
//! Keys are stored as BLOBs so that comparisons are plain byte comparisons (UTF-8 byte order
//! is code point order) and prefix bounds may be any byte string. Always bind keys as bytes.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row};

use crate::error::{Result, StoreError};
use crate::sqlite::errors::SqlContext;
use crate::sqlite::{SqliteOptions, Synchronous};
use crate::types::{KeyValue, Revision};

/// The schema version this code writes and understands.
const SCHEMA_VERSION: i64 = 1;

const DDL: &str = "
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY,
    revision INTEGER NOT NULL,
    key BLOB NOT NULL,
    create_revision INTEGER NOT NULL,
    version INTEGER NOT NULL,
    lease INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    value BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS log_key_revision ON log(key, revision);
CREATE INDEX IF NOT EXISTS log_revision ON log(revision);
CREATE TABLE IF NOT EXISTS current (
    key BLOB PRIMARY KEY,
    id INTEGER NOT NULL,
    revision INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lease_key (
    lease INTEGER NOT NULL,
    key BLOB NOT NULL,
    PRIMARY KEY (lease, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lease (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ttl_seconds INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta(name, value) VALUES
    ('schema_version', 1),
    ('current_revision', 1),
    ('compacted_revision', 0);
";

/// The key/value columns of `log` aliased `l`, in the order [`read_kv`] decodes them.
pub(crate) const KV_COLUMNS: &str =
    "l.key, l.value, l.create_revision, l.revision, l.version, l.lease, l.deleted";

/// The revisions stored in `meta`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Meta {
    /// The revision of the last committed write.
    pub current: Revision,
    /// The compaction revision (0 = never compacted).
    pub compacted: Revision,
}

/// Opens the database's write-ahead log file for the syncer to flush. The writer's
/// connection keeps the file in existence (SQLite removes it only when the last
/// connection closes).
pub(crate) fn open_wal(path: &Path) -> Result<std::fs::File> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&wal)
        .map_err(|error| {
            StoreError::backend(format!("opening {}", Path::new(&wal).display()), error)
        })
}

/// Extends the write-ahead log file with zeros to `bytes` (nothing if it is that long
/// already) and makes that durable, so that the flushes after each commit overwrite
/// allocated blocks and write no file metadata (size, block allocation) until the WAL
/// outgrows it.
///
/// Only bytes past the end of the file are written, before any write of this store: SQLite
/// reads the WAL's frames from its start up to the first that is not valid, so a zeroed
/// tail is the same to it as the stale frames a reused WAL holds anyway.
pub(crate) fn preallocate_wal(wal: &std::fs::File, bytes: u64) -> Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let error = |error| StoreError::backend("preallocating the write-ahead log", error);
    let len = wal.metadata().map_err(error)?.len();
    if len >= bytes {
        return Ok(());
    }
    let mut file = wal;
    file.seek(SeekFrom::Start(len)).map_err(error)?;
    let zeros = vec![0u8; 1 << 20];
    let mut left = bytes - len;
    while left > 0 {
        let chunk = usize::try_from(left.min(zeros.len() as u64)).unwrap_or(zeros.len());
        file.write_all(&zeros[..chunk]).map_err(error)?;
        left -= chunk as u64;
    }
    wal.sync_all().map_err(error)
}

/// Opens (creating if needed) the database for writing: WAL, the configured `synchronous`,
/// the schema. Checks the schema version and that `meta` agrees with the log.
pub(crate) fn open_writer(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|error| {
            StoreError::backend(format!("creating directory {}", parent.display()), error)
        })?;
    }
    let conn = Connection::open(path).sql("open")?;
    stable_plans(&conn)?;
    conn.busy_timeout(options.busy_timeout).sql("busy_timeout")?;
    let mode: String =
        conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).sql("journal_mode")?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend {
            message: format!("sqlite {}: cannot enable WAL (journal mode {mode})", path.display()),
            source: None,
        });
    }
    let synchronous = match options.synchronous {
        // The syncer thread flushes the WAL after each commit (see `syncer`); SQLite itself
        // only needs to flush at checkpoints.
        Synchronous::Full => "NORMAL",
        Synchronous::Normal => "NORMAL",
        Synchronous::Off => "OFF",
    };
    conn.pragma_update(None, "synchronous", synchronous).sql("synchronous")?;
    conn.pragma_update(None, "cache_size", -i64::from(options.cache_size_kib)).sql("cache_size")?;
    conn.pragma_update(None, "temp_store", "MEMORY").sql("temp_store")?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024).sql("journal_size_limit")?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.execute_batch(DDL).sql("create schema")?;
    let version: i64 = conn
        .query_row("SELECT value FROM meta WHERE name = 'schema_version'", [], |row| row.get(0))
        .sql("schema version")?;
    if version != SCHEMA_VERSION {
        return Err(StoreError::Backend {
            message: format!(
                "sqlite {}: schema version {version}, this build understands {SCHEMA_VERSION}",
                path.display()
            ),
            source: None,
        });
    }
    let meta = read_meta(&conn)?;
    let logged: Option<Revision> = conn
        .query_row("SELECT max(revision) FROM log", [], |row| row.get(0))
        .sql("max revision")?;
    if logged.unwrap_or(0) > meta.current {
        return Err(StoreError::Backend {
            message: format!(
                "sqlite {}: the log holds revision {} beyond the recorded current revision {}",
                path.display(),
                logged.unwrap_or(0),
                meta.current
            ),
            source: None,
        });
    }
    Ok(conn)
}

/// Opens a read-only connection to an existing database (opened by [`open_writer`] first).
pub(crate) fn open_reader(path: &Path, busy_timeout: Duration) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).sql("open reader")?;
    stable_plans(&conn)?;
    conn.busy_timeout(busy_timeout).sql("busy_timeout")?;
    conn.pragma_update(None, "cache_size", -16 * 1024).sql("cache_size")?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// Turns on the query planner stability guarantee. Without it this SQLite build (with STAT4)
/// marks the bound parameters of most of our statements as plan-relevant and re-prepares
/// the statement at every execution, which cost about a third of the writer's time.
fn stable_plans(conn: &Connection) -> Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).sql("enable QPSG")?;
    Ok(())
}

/// Reads the current and compaction revisions (inside a transaction: a consistent snapshot).
pub(crate) fn read_meta(conn: &Connection) -> Result<Meta> {
    let mut statement = conn
        .prepare_cached(
            "SELECT (SELECT value FROM meta WHERE name = 'current_revision'), \
                    (SELECT value FROM meta WHERE name = 'compacted_revision')",
        )
        .sql("read meta")?;
    let meta = statement
        .query_row([], |row| Ok(Meta { current: row.get(0)?, compacted: row.get(1)? }))
        .optional()
        .sql("read meta")?;
    Ok(meta.unwrap_or_default())
}

/// Records a revision in `meta` (`name` is `current_revision` or `compacted_revision`).
pub(crate) fn write_meta(conn: &Connection, name: &str, value: Revision) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE meta SET value = ?2 WHERE name = ?1")?.execute((name, value))?;
    Ok(())
}

/// Decodes the [`KV_COLUMNS`] starting at column `at`: the key/value and whether the row is
/// a tombstone.
pub(crate) fn read_kv(row: &Row<'_>, at: usize) -> rusqlite::Result<(KeyValue, bool)> {
    let key = decode_key(row, at)?;
    let value: Vec<u8> = row.get(at + 1)?;
    let kv = KeyValue {
        key,
        value: Bytes::from(value),
        create_revision: row.get(at + 2)?,
        mod_revision: row.get(at + 3)?,
        version: row.get(at + 4)?,
        lease: row.get(at + 5)?,
    };
    let deleted: bool = row.get(at + 6)?;
    Ok((kv, deleted))
}

/// Decodes a BLOB key column as UTF-8.
pub(crate) fn decode_key(row: &Row<'_>, at: usize) -> rusqlite::Result<String> {
    let bytes: Vec<u8> = row.get(at)?;
    String::from_utf8(bytes).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Blob, Box::new(error))
    })
}

/// The `[low, high)` byte bounds of the keys under `prefix` that sort after `start_after`.
///
/// `high` is the prefix with its last byte incremented (trailing 0xFF bytes dropped first);
/// valid UTF-8 never contains 0xFF, so a non-empty prefix always has one. The smallest key
/// strictly after `s` is `s` followed by a NUL byte, which no key contains.
pub(crate) fn key_bounds(prefix: &str, start_after: Option<&str>) -> (Vec<u8>, Vec<u8>) {
    let mut high = prefix.as_bytes().to_vec();
    while high.last() == Some(&0xFF) {
        high.pop();
    }
    match high.last_mut() {
        Some(last) => *last += 1,
        None => high = vec![0xFF; 1],
    }
    let mut low = prefix.as_bytes().to_vec();
    if let Some(after) = start_after {
        let mut after = after.as_bytes().to_vec();
        after.push(0);
        if after > low {
            low = after;
        }
    }
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preallocation_only_appends_zeros() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db-wal");
        std::fs::write(&path, b"frames").expect("write");
        let wal = std::fs::OpenOptions::new().read(true).write(true).open(&path).expect("open");
        preallocate_wal(&wal, 4096 * 3 + 5).expect("preallocate");
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(bytes.len(), 4096 * 3 + 5);
        assert_eq!(&bytes[..6], b"frames");
        assert!(bytes[6..].iter().all(|b| *b == 0));
        // A file already as long is left alone.
        preallocate_wal(&wal, 10).expect("preallocate");
        assert_eq!(std::fs::read(&path).expect("read").len(), 4096 * 3 + 5);
    }

    #[test]
    fn bounds_cover_exactly_the_prefix() {
        let (low, high) = key_bounds("/a/", None);
        assert_eq!(low, b"/a/".to_vec());
        assert_eq!(high, b"/a0".to_vec());
        let (low, _) = key_bounds("/a/", Some("/a/x"));
        assert_eq!(low, b"/a/x\0".to_vec());
        let (low, _) = key_bounds("/b/", Some("/a/x"));
        assert_eq!(low, b"/b/".to_vec());
        let (_, high) = key_bounds("é", None);
        assert!(high.as_slice() > "é".as_bytes() && high.as_slice() > "é\u{10FFFF}".as_bytes());
    }
}
