//! `secret`: a Secret's keys as files.

use super::{VolumeDir, VolumeError, VolumePlugin, select_items};
use crate::source::{ConfigSource, SourceError};
use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Pod, Secret, Volume};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The secret plugin.
pub struct SecretPlugin {
    source: Arc<dyn ConfigSource>,
}

impl SecretPlugin {
    /// A plugin reading Secrets from `source`.
    pub fn new(source: Arc<dyn ConfigSource>) -> Self {
        Self { source }
    }
}

/// Every key of a Secret (`data`, then `stringData` over it) as bytes.
pub(crate) fn secret_data(s: &Secret) -> HashMap<String, Vec<u8>> {
    let mut out: HashMap<String, Vec<u8>> =
        s.data.iter().flatten().map(|(k, v)| (k.clone(), v.0.clone())).collect();
    out.extend(s.string_data.iter().flatten().map(|(k, v)| (k.clone(), v.clone().into_bytes())));
    out
}

#[async_trait]
impl VolumePlugin for SecretPlugin {
    fn name(&self) -> &'static str {
        "kubernetes.io/secret"
    }

    fn supports(&self, volume: &Volume) -> bool {
        volume.secret.is_some()
    }

    async fn set_up(
        &self,
        pod: &Pod,
        volume: &Volume,
        dir: &VolumeDir<'_>,
    ) -> Result<PathBuf, VolumeError> {
        let src = volume.secret.as_ref().expect("supports() checked secret");
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let optional = src.optional.unwrap_or(false);
        let name = src.secret_name.clone().unwrap_or_default();
        let data = match self.source.secret(ns, &name).await {
            Ok(s) => secret_data(&s),
            Err(SourceError::NotFound { .. }) if optional => HashMap::new(),
            Err(source) => {
                return Err(VolumeError::Source { volume: volume.name.clone(), source });
            }
        };
        let files = select_items(&volume.name, data, src.items.as_ref(), optional)?;
        dir.write(files)?;
        Ok(dir.path().to_owned())
    }
}
