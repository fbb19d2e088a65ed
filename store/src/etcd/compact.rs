//! Compaction: [`Compactor`] for [`EtcdStore`], on etcd's compaction.

use async_trait::async_trait;
use etcd_client::CompactionOptions;

use super::errors::{self, Failure};
use super::store::EtcdStore;
use crate::error::{Result, StoreError};
use crate::traits::Compactor;
use crate::types::Revision;

#[async_trait]
impl Compactor for EtcdStore {
    async fn compact(&self, revision: Revision) -> Result<()> {
        if revision <= 0 {
            return Ok(());
        }
        let options = if self.inner.options.physical_compaction {
            CompactionOptions::new().with_physical()
        } else {
            CompactionOptions::new()
        };
        match self.inner.connection().kv.clone().compact(revision, Some(options)).await {
            Ok(_) => Ok(()),
            Err(error) => match errors::classify(&error) {
                // Already compacted at or past `revision`: nothing left to do.
                Failure::Compacted => Ok(()),
                Failure::FutureRevision => Err(StoreError::FutureRevision {
                    requested: revision,
                    current: self.inner.current_revision().await.unwrap_or(revision - 1),
                }),
                _ => Err(errors::generic("compaction", error)),
            },
        }
    }
}
