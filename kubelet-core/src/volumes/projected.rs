//! `projected`: Secrets, ConfigMaps, downward API items and service-account tokens in one
//! directory.

use super::config_map::config_map_data;
use super::secret::secret_data;
use super::{VolumeDir, VolumeError, VolumePlugin, downward_api, select_items};
use crate::source::{ConfigSource, SourceError, TokenRequest, TokenSource};
use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Pod, Volume};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The projected plugin.
pub struct ProjectedPlugin {
    config: Arc<dyn ConfigSource>,
    tokens: Arc<dyn TokenSource>,
}

impl ProjectedPlugin {
    /// A plugin reading objects from `config` and tokens from `tokens`.
    pub fn new(config: Arc<dyn ConfigSource>, tokens: Arc<dyn TokenSource>) -> Self {
        Self { config, tokens }
    }
}

#[async_trait]
impl VolumePlugin for ProjectedPlugin {
    fn name(&self) -> &'static str {
        "kubernetes.io/projected"
    }

    fn supports(&self, volume: &Volume) -> bool {
        volume.projected.is_some()
    }

    async fn set_up(
        &self,
        pod: &Pod,
        volume: &Volume,
        dir: &VolumeDir<'_>,
    ) -> Result<PathBuf, VolumeError> {
        let src = volume.projected.as_ref().expect("supports() checked projected");
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let vname = volume.name.as_str();
        let lookup_err = |source| VolumeError::Source { volume: vname.to_owned(), source };
        let mut files = Vec::new();
        for source in src.sources.iter().flatten() {
            if let Some(cm) = &source.config_map {
                let optional = cm.optional.unwrap_or(false);
                let data = match self.config.config_map(ns, &cm.name).await {
                    Ok(c) => config_map_data(&c),
                    Err(SourceError::NotFound { .. }) if optional => HashMap::new(),
                    Err(e) => return Err(lookup_err(e)),
                };
                files.extend(select_items(vname, data, cm.items.as_ref(), optional)?);
            }
            if let Some(s) = &source.secret {
                let optional = s.optional.unwrap_or(false);
                let data = match self.config.secret(ns, &s.name).await {
                    Ok(sec) => secret_data(&sec),
                    Err(SourceError::NotFound { .. }) if optional => HashMap::new(),
                    Err(e) => return Err(lookup_err(e)),
                };
                files.extend(select_items(vname, data, s.items.as_ref(), optional)?);
            }
            if let Some(d) = &source.downward_api {
                files.extend(downward_api::items_files(
                    vname,
                    pod,
                    d.items.as_deref().unwrap_or_default(),
                )?);
            }
            if let Some(t) = &source.service_account_token {
                let req = TokenRequest {
                    namespace: ns.to_owned(),
                    service_account: pod
                        .spec
                        .as_ref()
                        .and_then(|s| s.service_account_name.clone())
                        .unwrap_or_else(|| "default".into()),
                    audience: t.audience.clone().unwrap_or_default(),
                    expiration_seconds: t.expiration_seconds.unwrap_or(3600),
                    pod_name: pod.metadata.name.clone().unwrap_or_default(),
                    pod_uid: pod.metadata.uid.clone().unwrap_or_default(),
                };
                let token = self.tokens.token(&req).await.map_err(lookup_err)?;
                files.push((t.path.clone(), token.into_bytes()));
            }
        }
        dir.write(files)?;
        Ok(dir.path().to_owned())
    }
}
