//! Leases: [`Leases`] for [`EtcdStore`], on etcd's lease service.

use std::time::Duration;

use async_trait::async_trait;

use super::errors::{self, Failure};
use super::store::EtcdStore;
use crate::error::{Result, StoreError};
use crate::traits::Leases;
use crate::types::LeaseId;

#[async_trait]
impl Leases for EtcdStore {
    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId> {
        let seconds = i64::try_from(ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0))
            .unwrap_or(i64::MAX)
            .max(1);
        let response = self
            .inner
            .connection()
            .lease
            .clone()
            .grant(seconds, None)
            .await
            .map_err(|error| errors::generic("lease grant", error))?;
        Ok(response.id())
    }

    async fn revoke_lease(&self, lease: LeaseId) -> Result<()> {
        match self.inner.connection().lease.clone().revoke(lease).await {
            Ok(_) => Ok(()),
            Err(error) if errors::classify(&error) == Failure::LeaseNotFound => {
                Err(StoreError::LeaseNotFound(lease))
            }
            Err(error) => Err(errors::generic("lease revoke", error)),
        }
    }
}
