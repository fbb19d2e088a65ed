//! Compaction: deleting the log rows no read or watch at or after the compaction revision needs.
//!
//! Compacting at `C` keeps, for every key, all rows at revisions `>= C` and the newest row
//! below `C` unless it is a tombstone. So a read at any `R >= C` still finds each key's
//! newest row at or below `R`, and a watch from `C` still finds every event with its
//! previous value (the row an event at `>= C` replaced is either its key's newest row below
//! `C`, or a tombstone, whose value is not reported anyway).

use crate::error::StoreError;
use crate::sqlite::apply::Batch;
use crate::sqlite::errors::Abort;
use crate::sqlite::schema;
use crate::types::Revision;

/// Compacts at `revision` inside the batch. Compacting at or below the current compaction
/// revision does nothing; above the current revision it is refused.
pub(crate) fn compact(batch: &mut Batch<'_>, revision: Revision) -> Result<(), Abort> {
    if revision > batch.revision() {
        return Err(Abort::Refused(StoreError::FutureRevision {
            requested: revision,
            current: batch.revision(),
        }));
    }
    if revision <= batch.compacted() {
        return Ok(());
    }
    batch
        .conn()
        .prepare_cached(
            "DELETE FROM log WHERE id IN (
             SELECT l.id FROM log l
             WHERE l.revision < ?1
               AND (l.deleted = 1 OR EXISTS (
                   SELECT 1 FROM log n
                   WHERE n.key = l.key AND n.revision > l.revision AND n.revision < ?1)))",
        )?
        .execute([revision])?;
    schema::write_meta(batch.conn(), "compacted_revision", revision)?;
    batch.set_compacted(revision);
    Ok(())
}
