//! `configMap`: a ConfigMap's keys as files.

use super::{VolumeDir, VolumeError, VolumePlugin, select_items};
use crate::source::{ConfigSource, SourceError};
use async_trait::async_trait;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Volume};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The configMap plugin.
pub struct ConfigMapPlugin {
    source: Arc<dyn ConfigSource>,
}

impl ConfigMapPlugin {
    /// A plugin reading ConfigMaps from `source`.
    pub fn new(source: Arc<dyn ConfigSource>) -> Self {
        Self { source }
    }
}

/// Every key of a ConfigMap (`data` and `binaryData`) as bytes.
pub(crate) fn config_map_data(cm: &ConfigMap) -> HashMap<String, Vec<u8>> {
    let mut out: HashMap<String, Vec<u8>> =
        cm.data.iter().flatten().map(|(k, v)| (k.clone(), v.clone().into_bytes())).collect();
    out.extend(cm.binary_data.iter().flatten().map(|(k, v)| (k.clone(), v.0.clone())));
    out
}

#[async_trait]
impl VolumePlugin for ConfigMapPlugin {
    fn name(&self) -> &'static str {
        "kubernetes.io/configmap"
    }

    fn supports(&self, volume: &Volume) -> bool {
        volume.config_map.is_some()
    }

    async fn set_up(
        &self,
        pod: &Pod,
        volume: &Volume,
        dir: &VolumeDir<'_>,
    ) -> Result<PathBuf, VolumeError> {
        let src = volume.config_map.as_ref().expect("supports() checked config_map");
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let optional = src.optional.unwrap_or(false);
        let data = match self.source.config_map(ns, &src.name).await {
            Ok(cm) => config_map_data(&cm),
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
