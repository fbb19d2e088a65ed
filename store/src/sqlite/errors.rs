//! Mapping SQLite errors onto [`StoreError`], and the writer's per-command failure kinds.

use rusqlite::ErrorCode;

use crate::error::StoreError;

/// Converts a rusqlite error: `SQLITE_BUSY`/`SQLITE_LOCKED` are retryable
/// ([`StoreError::Unavailable`]), everything else is a [`StoreError::Backend`] failure.
pub(crate) fn sql_error(context: &str, error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::unavailable(format!("sqlite {context}: database busy"), error)
        }
        _ => StoreError::backend(format!("sqlite {context}"), error),
    }
}

/// Adds a context to rusqlite results.
pub(crate) trait SqlContext<T> {
    /// Maps the error with [`sql_error`].
    fn sql(self, context: &str) -> Result<T, StoreError>;
}

impl<T> SqlContext<T> for rusqlite::Result<T> {
    fn sql(self, context: &str) -> Result<T, StoreError> {
        self.map_err(|error| sql_error(context, error))
    }
}

/// Why the writer could not complete one command of a batch.
#[derive(Debug)]
pub(crate) enum Abort {
    /// The command was refused before it wrote anything (unknown lease, future revision):
    /// only this command fails, the rest of the batch goes on.
    Refused(StoreError),
    /// SQLite failed: the whole batch is rolled back and every command in it fails.
    Failed(StoreError),
}

impl From<rusqlite::Error> for Abort {
    fn from(error: rusqlite::Error) -> Self {
        Abort::Failed(sql_error("write", error))
    }
}

impl From<StoreError> for Abort {
    fn from(error: StoreError) -> Self {
        Abort::Failed(error)
    }
}

/// A copy of a batch-wide failure for one more waiting caller ([`StoreError`] is not `Clone`):
/// same retryability, same message.
pub(crate) fn replicate(error: &StoreError) -> StoreError {
    let with_source =
        |message: &String, source: &Option<Box<dyn std::error::Error + Send + Sync>>| match source {
            Some(source) => format!("{message}: {source}"),
            None => message.clone(),
        };
    match error {
        StoreError::Unavailable { message, source } => {
            StoreError::Unavailable { message: with_source(message, source), source: None }
        }
        StoreError::Backend { message, source } => {
            StoreError::Backend { message: with_source(message, source), source: None }
        }
        StoreError::Closed => StoreError::Closed,
        other => StoreError::Backend { message: other.to_string(), source: None },
    }
}
